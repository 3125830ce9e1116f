"""Compile a checked model to jitted JAX runs: one scenario, or a vmapped batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler.base.diagnostics import SpecError, error
from ..compiler.codegen.build import ModelFunctions, build, join
from ..compiler.ir.graph import AggKind
from ..compiler.ir.model import CheckedModel
from ._jax import Compiled, in_x64, jax, jnp
from ._plan import Plan
from ._solvers import SOLVERS


def recorded_columns(state_index: dict[str, int], keep: tuple[str, ...]) -> list[int] | None:
    """The state columns a run records at each save point when every output asked for is a
    stock; None when outputs must be recomputed from the whole state."""
    cols = [state_index.get(n) for n in keep]
    return None if any(c is None for c in cols) else cols  # type: ignore[return-value]


class Simulator:
    """Holds the traced functions of one model structure; values never force a re-compile."""

    @in_x64
    def __init__(self, model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()):
        self.model = model
        self.fns: ModelFunctions = build(model, jnp, scaled, timed)
        self._cache: dict[tuple[Any, ...], Any] = {}
        lay = self.fns.layout
        self.state_index = {n: i for i, n in enumerate(lay.stocks)}
        self.trace_count = 0  # how often JAX traced a run function (tests check re-use)

    def function(self, plan: Plan, batched: bool, keep: tuple[str, ...] | None = None) -> Any:
        """The jitted run for a step grid; `keep` names the outputs to record (None: all)."""
        keep = self.fns.layout.outputs if keep is None else keep
        key = (plan, batched, keep)
        fn = self._cache.get(key)
        if fn is None:
            one = self._run_one(plan, keep)
            fn = Compiled(jax.vmap(one) if batched else one)
            self._cache[key] = fn
        return fn

    def pure(self, plan: Plan, keep: tuple[str, ...]) -> Any:
        """The run as a pure function of (params, override, mask), for calibration to wrap in
        its own jit and grad. Each step is checkpointed: reverse mode then recomputes a step
        instead of storing its stages, which is several times faster here."""
        return self._run_one(plan, keep, remat=True)

    def _run_one(self, plan: Plan, keep: tuple[str, ...], remat: bool = False) -> Any:
        fns, lay = self.fns, self.fns.layout
        solver = SOLVERS[plan.method]()
        dt, t0, every = plan.dt, plan.start, plan.save_every
        n_blocks = plan.n_steps // every
        aggs = self.model.graph.aggregates
        at_rows = self._at_rows(plan)
        need = {a.var for a in aggs if a.kind in (AggKind.FINAL, AggKind.INITIAL)}
        ends = tuple(sorted(need))
        n_ext = len(lay.extremes)
        # Each save point records only what is asked for: the stocks in `keep`, or the whole
        # state when outputs must be recomputed from it. States that an at(...) metric needs
        # are caught in the loop's carry, and so is each conserved group's largest drift.
        stock_cols = recorded_columns(self.state_index, keep)
        direct = stock_cols is not None
        cols = stock_cols if stock_cols is not None else list(range(lay.n_state))
        group_rows = self._group_rows()
        snaps = sorted({r * every for r in at_rows.values()} - {plan.n_steps}) if direct else []

        def record(y: Any) -> Any:
            return jnp.stack([y[c] for c in cols]) if cols else jnp.zeros((0,))

        def drift(y: Any, total0: Any, worst: Any) -> Any:
            """(largest |total - total(0) - net boundary inflow|, largest |total|) per group."""
            if not group_rows:
                return worst
            totals = jnp.stack([sum(scale * y[i] for i, scale in stocks) for stocks, _ in group_rows])
            resid = totals - total0 - jnp.stack([y[m] for _, m in group_rows])
            return jnp.maximum(worst, jnp.stack([jnp.abs(resid), jnp.abs(totals)]))

        def run(params: Any, override: Any, mask: Any) -> tuple[Any, Any, Any]:
            self.trace_count += 1
            y0 = fns.init(params, t0, dt, override, mask)
            prep = fns.prepare(params, dt)

            total0 = jnp.stack([sum(scale * y0[i] for i, scale in st) for st, _ in group_rows]) \
                if group_rows else jnp.zeros((0,))
            n, g = lay.n_state, len(group_rows)

            # The loop carries one vector: the state, the running extremes, each group's worst
            # drift and the caught states. Built as one vector, each step stays one kernel.
            def pack(y: Any, hi: Any, lo: Any, worst: Any, caught: tuple[Any, ...]) -> Any:
                return join(jnp, [y, hi, lo, worst.reshape(-1), *caught])

            def unpack(v: Any) -> tuple[Any, Any, Any, Any, tuple[Any, ...]]:
                at = n + 2 * n_ext + 2 * g
                caught = tuple(v[at + i * n:at + (i + 1) * n] for i in range(len(snaps)))
                return (v[:n], v[n:n + n_ext], v[n + n_ext:n + 2 * n_ext],
                        v[n + 2 * n_ext:at].reshape(2, g), caught)

            def step(carry: Any, k: Any) -> tuple[Any, Any]:
                y, hi, lo, worst, caught = unpack(carry)
                if n_ext:
                    e = fns.extremes(y, t0 + k * dt, prep)
                    hi, lo = jnp.maximum(hi, e), jnp.minimum(lo, e)
                caught = tuple(jnp.where(k == K, y, c) for K, c in zip(snaps, caught, strict=True))
                worst = drift(y, total0, worst)
                y_next = solver.step(fns.deriv, y, t0 + k * dt, dt, prep)
                return pack(y_next, hi, lo, worst, caught), record(y)

            e0 = fns.extremes(y0, t0, prep) if n_ext else jnp.zeros((0,))
            carry0 = pack(y0, e0, e0, jnp.zeros((2, g)), tuple(y0 for _ in snaps))
            if remat:
                step = jax.checkpoint(step)
            if every == 1:
                carry, rows = jax.lax.scan(step, carry0, jnp.arange(plan.n_steps, dtype=jnp.float64))
            else:
                def block(carry: Any, j: Any) -> tuple[Any, Any]:
                    ks = j * every + jnp.arange(every, dtype=jnp.float64)
                    row = record(carry[:n])
                    carry, _ = jax.lax.scan(lambda c, k: (step(c, k)[0], None), carry, ks)
                    return carry, row

                carry, rows = jax.lax.scan(block, carry0, jnp.arange(n_blocks, dtype=jnp.float64))
            yN, hi, lo, worst, caught = unpack(carry)
            rows = jnp.concatenate([rows, record(yN)[None]], axis=0)
            times = t0 + dt * every * jnp.arange(n_blocks + 1, dtype=jnp.float64)
            if direct:
                traj = rows
            else:
                traj = jax.vmap(lambda y, t: fns.outputs(y, t, prep, keep))(rows, times)
            tN = t0 + plan.n_steps * dt
            out0 = dict(zip(ends, fns.outputs(y0, t0, prep, ends), strict=True)) if ends else {}
            outN = dict(zip(ends, fns.outputs(yN, tN, prep, ends), strict=True)) if ends else {}
            if n_ext:
                eN = fns.extremes(yN, tN, prep)
                hi, lo = jnp.maximum(hi, eN), jnp.minimum(lo, eN)
            at_state = dict(zip(snaps, caught, strict=True))
            at_state[plan.n_steps] = yN
            values: dict[str, Any] = {}
            ext_pos = {v: i for i, v in enumerate(lay.extremes)}
            length = plan.n_steps * dt
            for a in aggs:
                if a.kind is AggKind.INTEGRAL:
                    values[a.id] = yN[self.state_index[a.var]]
                elif a.kind is AggKind.MEAN:
                    span = self.model.aggregate_times.get(a.id, length)
                    values[a.id] = yN[self.state_index[a.var]] / span
                elif a.kind is AggKind.AT:
                    k = at_rows[a.id]
                    y_at = at_state[k * every] if direct else rows[k]
                    values[a.id] = fns.outputs(y_at, times[k], prep, (a.var,))[0]
                elif a.kind is AggKind.FINAL:
                    values[a.id] = outN[a.var]
                elif a.kind is AggKind.INITIAL:
                    values[a.id] = out0[a.var]
                elif a.kind is AggKind.MAXIMUM:
                    values[a.id] = hi[ext_pos[a.var]]
                else:
                    values[a.id] = lo[ext_pos[a.var]]
            metrics = fns.metrics(values, params)
            worst = drift(yN, total0, worst)
            return traj, metrics, worst[0] / jnp.maximum(worst[1], 1e-300)

        return run

    def _at_rows(self, plan: Plan) -> dict[str, int]:
        """The save point each at(...) metric reads; E050 if its time is not one."""
        t0, every, n_blocks = plan.start, plan.save_every, plan.n_steps // plan.save_every
        rows = {}
        for a in self.model.graph.aggregates:
            if a.kind is AggKind.AT:
                when = self.model.aggregate_times[a.id]
                k = (when - t0) / (plan.dt * every)
                if abs(k - round(k)) > 1e-6 or not 0 <= round(k) <= n_blocks:
                    raise SpecError([error("E050", f"at(..., {when:g}): {when:g} is not a recorded time of this run",
                                           a.span, f"record every {plan.dt * every:g} from {t0:g} to "
                                           f"{t0 + plan.n_steps * plan.dt:g}; choose one of those times")])
                rows[a.id] = round(k)
        return rows

    def _group_rows(self) -> list[tuple[list[tuple[int, float]], int]]:
        """Per conserved group: its stocks' places in the state with their scales, and its monitor."""
        g = self.model.graph
        n = len(self.fns.layout.stocks)
        return [([(self.state_index[s], float(self.model.stock_scale[s])) for s in grp.stocks], n + gi)
                for gi, grp in enumerate(g.groups)]

    @in_x64
    def run(self, plan: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
            keep: tuple[str, ...] | None = None, chunk: int | None = None,
            progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, ...]:
        """One run, or a batch (2-D inputs) in chunks of at most `chunk` runs. Every chunk has the
        same shape (the last is padded), so one compiled function serves them all; the chunks are
        balanced, so padding wastes less than one run per chunk."""
        batched = params.ndim == 2
        fn = self.function(plan, batched, keep)
        n = params.shape[0] if batched else 1
        if not batched or chunk is None or n <= chunk:
            out = fn(params, override, mask)  # numpy in: jit's own conversion is the fast one
            if progress is not None:
                progress(n)
            return tuple(np.asarray(x) for x in out)
        # Balanced chunks, each a whole number of 64 runs: odd sizes vectorise badly (GIRFEC ran
        # about 30% slower per run in chunks of 7,693 than of 7,744).
        pieces = -(-n // chunk)
        balanced = -(-n // pieces)
        chunk = min(chunk, -(-balanced // 64) * 64) if chunk >= 64 else balanced
        starts = list(range(0, n, chunk))

        def launch(lo: int) -> Any:
            idx = np.minimum(np.arange(lo, lo + chunk), n - 1)  # pad by repeating the last run
            return fn(params[idx], override[idx], mask[idx])

        # Results go straight into arrays for all n runs. The next chunk is dispatched before
        # this one is copied out, so the copy overlaps the computation.
        results: list[np.ndarray] = []
        pending = launch(starts[0])
        for i, lo in enumerate(starts):
            out = pending
            if i + 1 < len(starts):
                pending = launch(starts[i + 1])
            take = min(chunk, n - lo)
            for j, x in enumerate(out):
                x = np.asarray(x)
                if i == 0:
                    results.append(np.empty((n,) + x.shape[1:], dtype=x.dtype))
                results[j][lo:lo + take] = x[:take]
            if progress is not None:
                progress(take)
        return tuple(results)
