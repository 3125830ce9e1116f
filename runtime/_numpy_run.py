"""One run on NumPy, step by step in Python: the same generated model functions and the same
loop body as the JAX path (`RunFunction`), with a Python loop for `lax.scan`. A fresh process
that runs a small model once needs neither JAX's import (about 1.3 s) nor a trace (about 1 s
for GIRFEC), so this is the path such a run takes (see `choose`). Tests hold it to the JAX
path's numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler.ir.ast import Method
from ..compiler.ir.model import CheckedModel
from ._loop import RunFunction
from ._plan import Plan
from ._scalar_numpy import xp as scalar_xp
from ._sim_base import SimBase

# Above this many equation evaluations a run (steps x derivative evaluations per step x
# equations) the Python loop takes longer than JAX's import, trace and compile: about 5 us an
# evaluation here (GIRFEC: 71,040 in 0.3 s) against 2.5-4 s.
NUMPY_MAX_WORK = 500_000
# After this many runs of one model structure in a process, compiling pays for itself.
NUMPY_MAX_RUNS = 3


class NumpyRun(RunFunction):
    def __init__(self, sim: SimBase, plan: Plan, keep: tuple[str, ...]):
        super().__init__(sim, plan, keep)
        # NumPy numbers, not Python floats: `1 / (time - 2)` at time 2 is inf, as on JAX
        self.t0, self.dt = np.float64(plan.start), np.float64(plan.dt)
        self.outs: list[np.ndarray] = []  # the outputs at each save point but the last (integrate)
        self.monitor_cols = [m for _, m in self.group_rows]

    # One run's bookkeeping on plain numbers: `np.array` of a list is one C call where
    # `np.stack` converts each value first. The same values, in the same order, as the base.
    def record(self, y: Any) -> Any:
        return y[self.cols] if self.cols else np.zeros((0,))

    def totals(self, y: Any) -> Any:
        return np.array([np.dot(w, y[at]) for at, w in self.group_at], dtype=np.float64)

    def drift(self, y: Any, total0: Any, worst: Any) -> Any:
        if not self.group_rows:
            return worst
        totals = self.totals(y)
        resid = totals - total0 - y[self.monitor_cols]
        return np.maximum(worst, np.array([np.abs(resid), np.abs(totals)]))

    def integrate(self, y0: Any, prep: Any, total0: Any) -> tuple[Any, Any]:
        carry = self.start(y0, prep)
        rows: list[Any] = []
        self.outs = []
        for k in range(self.n_blocks * self.every):
            if k % self.every == 0:
                y = carry[:self.n]
                rows.append(self.record(y))
                if not self.direct:
                    # the outputs at each save point, now: the step below evaluates the same
                    # state at the same time, and the model functions keep that evaluation
                    t = self.t0 + self.dt * self.every * np.float64(len(rows) - 1)
                    self.outs.append(np.asarray(self.fns.outputs(y, t, prep, self.keep), dtype=np.float64))
            carry, _ = self.step(carry, np.float64(k), prep, total0)
        width = len(self.cols)
        return carry, np.stack(rows) if rows else np.zeros((0, width))

    def outputs_over(self, rows: Any, times: Any, prep: Any) -> Any:
        done = self.outs if len(self.outs) == len(rows) - 1 else []
        rest = [np.asarray(self.fns.outputs(y, t, prep, self.keep), dtype=np.float64)
                for y, t in zip(rows[len(done):], times[len(done):], strict=True)]
        return np.stack(done + rest)


class NumpyBatchRun(NumpyRun):
    """Many runs at once on NumPy: every value is a vector over the runs (runs last), so the
    generated functions, unchanged, compute all the runs in each call."""

    def __init__(self, sim: SimBase, plan: Plan, keep: tuple[str, ...], runs: int):
        super().__init__(sim, plan, keep)
        self.runs = runs
        self.fns = _Wide(sim.fns, runs)  # type: ignore[assignment]

    def pack(self, y: Any, hi: Any, lo: Any, worst: Any, caught: tuple[Any, ...]) -> Any:
        return np.concatenate([y, hi, lo, worst.reshape(2 * self.g, self.runs), *caught])

    def unpack(self, v: Any) -> tuple[Any, Any, Any, Any, tuple[Any, ...]]:
        n, e, g = self.n, self.n_ext, self.g
        at = n + 2 * e + 2 * g
        caught = tuple(v[at + i * n:at + (i + 1) * n] for i in range(len(self.snaps)))
        return v[:n], v[n:n + e], v[n + e:n + 2 * e], v[n + 2 * e:at].reshape(2, g, self.runs), caught

    def start(self, y0: Any, prep: Any) -> Any:
        e0 = self.fns.extremes(y0, self.t0, prep) if self.n_ext else np.zeros((0, self.runs))
        return self.pack(y0, e0, e0, np.zeros((2, self.g, self.runs)), tuple(y0 for _ in self.snaps))

    def record(self, y: Any) -> Any:
        return np.stack([y[c] for c in self.cols]) if self.cols else np.zeros((0, self.runs))

    def totals(self, y: Any) -> Any:
        return super().totals(y) if self.group_rows else np.zeros((0, self.runs))

    def __call__(self, params: Any, override: Any, mask: Any) -> tuple[Any, Any, Any]:
        traj, metrics, drift = super().__call__(params.T, override.T, mask.T)
        return np.moveaxis(traj, -1, 0), np.moveaxis(metrics, -1, 0), np.moveaxis(drift, -1, 0)


class _Wide:
    """The model functions with every result one column a run: what depends on no input of
    the runs (a constant flow, no metrics at all) comes back as one value, and is widened."""

    def __init__(self, fns: Any, runs: int):
        self._fns, self.runs, self.layout = fns, runs, fns.layout

    def _wide(self, x: Any) -> Any:
        x = np.asarray(x, dtype=np.float64)
        return np.repeat(x[:, None], self.runs, axis=1) if x.ndim == 1 else x

    def prepare(self, params: Any, dt: Any) -> Any:
        return self._fns.prepare(params, dt)

    def init(self, *args: Any) -> Any:
        return self._wide(self._fns.init(*args))

    def deriv(self, *args: Any) -> Any:
        return self._wide(self._fns.deriv(*args))

    def extremes(self, *args: Any) -> Any:
        return self._wide(self._fns.extremes(*args))

    def outputs(self, *args: Any) -> Any:
        return self._wide(self._fns.outputs(*args))

    def metrics(self, *args: Any) -> Any:
        return self._wide(self._fns.metrics(*args))


class NumpySimulator(SimBase):
    """Runs on NumPy, one or a batch; the same inputs and outputs as `Simulator.run`."""

    def __init__(self, model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()):
        super().__init__(model, scalar_xp, scaled, timed)

    def run(self, plan: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
            keep: tuple[str, ...] | None = None, chunk: int | None = None,
            progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, ...]:
        """One run, or a batch (2-D inputs, one row a run) computed all at once."""
        keep = self.fns.layout.outputs if keep is None else keep
        params = np.asarray(params, dtype=np.float64)
        run = NumpyRun(self, plan, keep) if params.ndim == 1 else NumpyBatchRun(self, plan, keep, params.shape[0])
        # IEEE results without warnings, as on the JAX path; runs report non-finite values as E060.
        with np.errstate(all="ignore"):
            out = run(params, np.asarray(override, dtype=np.float64), np.asarray(mask))
        if progress is not None:
            progress(params.shape[0] if params.ndim == 2 else 1)
        return tuple(np.asarray(x, dtype=np.float64) for x in out)


def work(model: CheckedModel, plan: Plan) -> int:
    """Equation evaluations in one run: steps x derivative evaluations a step x equations."""
    per_step = 4 if plan.method is Method.RK4 else 1
    return plan.n_steps * per_step * max(len(model.equations), 1)


def choose(model: CheckedModel, plan: Plan, runs_so_far: int, jax_ready: bool) -> str:
    """"numpy" for a small run while JAX has not been set up for this model, else "jax"."""
    if jax_ready or runs_so_far >= NUMPY_MAX_RUNS or work(model, plan) > NUMPY_MAX_WORK:
        return "jax"
    return "numpy"


# A batch on NumPy costs about this much per equation evaluation, growing with the runs it
# holds (measured on GIRFEC: 0.5 s for one RK4 run, 2.5 s for 203 at once); JAX's first batch
# in a process costs its import, a trace and (uncached) a compile, about 3-4 s for GIRFEC.
SECONDS_PER_EVALUATION = 5e-6
RUNS_PER_DOUBLING = 50
NUMPY_MAX_BATCH_SECONDS = 2.0


def choose_batch(model: CheckedModel, plan: Plan, runs: int, jax_ready: bool) -> str:
    """"numpy" for a batch that NumPy computes in under two seconds, while no JAX runner of
    its structure exists; else "jax"."""
    guess = work(model, plan) * SECONDS_PER_EVALUATION * (1 + runs / RUNS_PER_DOUBLING)
    return "jax" if jax_ready or guess > NUMPY_MAX_BATCH_SECONDS else "numpy"
