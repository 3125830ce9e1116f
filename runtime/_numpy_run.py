"""One run on NumPy, step by step in Python: the same generated model functions and the same
loop body as the JAX path (`RunFunction`), with a Python loop for `lax.scan`. A fresh process
that runs a small model once needs neither JAX's import (about 1.3 s) nor a trace (about 1 s
for GIRFEC), so this is the path such a run takes (see `choose`). Tests hold it to the JAX
path's numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compiler.ir.ast import Method
from ..compiler.ir.model import CheckedModel
from ._loop import RunFunction
from ._plan import Plan
from ._scalar_numpy import xp as scalar_xp
from ._sim_base import SimBase

# Above this many equation evaluations a run (steps x derivative evaluations per step x
# equations) the Python loop takes longer than JAX's import, trace and compile: about 1.5 us
# an evaluation here against 2-3 s.
NUMPY_MAX_WORK = 1_000_000
# After this many runs of one model structure in a process, compiling pays for itself.
NUMPY_MAX_RUNS = 3


class NumpyRun(RunFunction):
    def __init__(self, sim: SimBase, plan: Plan, keep: tuple[str, ...]):
        super().__init__(sim, plan, keep)
        # NumPy numbers, not Python floats: `1 / (time - 2)` at time 2 is inf, as on JAX
        self.t0, self.dt = np.float64(plan.start), np.float64(plan.dt)

    def integrate(self, y0: Any, prep: Any, total0: Any) -> tuple[Any, Any]:
        carry = self.start(y0, prep)
        rows = []
        for k in range(self.n_blocks * self.every):
            if k % self.every == 0:
                rows.append(self.record(carry[:self.n]))
            carry, _ = self.step(carry, np.float64(k), prep, total0)
        width = len(self.cols)
        return carry, np.stack(rows) if rows else np.zeros((0, width))

    def outputs_over(self, rows: Any, times: Any, prep: Any) -> Any:
        return np.stack([np.asarray(self.fns.outputs(y, t, prep, self.keep), dtype=np.float64)
                         for y, t in zip(rows, times, strict=True)])


class NumpySimulator(SimBase):
    """Single runs on NumPy; same inputs and outputs as `Simulator.run` for one run."""

    def __init__(self, model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()):
        super().__init__(model, scalar_xp, scaled, timed)

    def run(self, plan: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
            keep: tuple[str, ...] | None = None) -> tuple[np.ndarray, ...]:
        keep = self.fns.layout.outputs if keep is None else keep
        # IEEE results without warnings, as on the JAX path; runs report non-finite values as E060.
        with np.errstate(all="ignore"):
            out = NumpyRun(self, plan, keep)(np.asarray(params, dtype=np.float64), np.asarray(override),
                                             np.asarray(mask))
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
