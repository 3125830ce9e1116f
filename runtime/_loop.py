"""One run as a function JAX traces: the integration loop over a step grid, what it records at
each save point, and the summaries that metrics read at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..compiler.codegen.backend import join
from ..compiler.ir.graph import AggKind
from ._plan import Plan, recorded_columns
from ._solvers import SOLVERS

if TYPE_CHECKING:
    from ._sim_base import SimBase

# A group whose stocks never hold more than this (in their own units) has its drift measured
# against it: relative to a total that stays at zero, the drift is rounding over rounding
# (flows of one a year into and out of two empty capped stocks gave 7.3, and a false W104).
# Rounding grows with the steps (about 1e-16 a step: 1e-12 over 10,000), so against this
# floor it stays under the warning's 1e-9.
DRIFT_FLOOR = 1e-3


class RunFunction:
    """`run(params, override, mask) -> (trajectory, metrics, worst relative drift)`.

    Each save point records only what is asked for: the stocks in `keep`, or the whole state
    when outputs must be recomputed from it. States that an at(...) metric needs are caught in
    the loop's carry, and so is each conserved group's largest drift. The carry is one vector,
    so each step stays one kernel."""

    def __init__(self, sim: SimBase, plan: Plan, keep: tuple[str, ...], remat: bool = False):
        self.sim, self.plan, self.keep, self.remat = sim, plan, keep, remat
        self.xp = sim.xp
        self.fns, lay = sim.fns, sim.fns.layout
        self.solver = SOLVERS[plan.method.value]()
        self.dt, self.t0, self.every = plan.dt, plan.start, plan.save_every
        self.n_blocks = plan.n_steps // self.every
        self.aggs = sim.model.graph.aggregates
        self.at_rows = sim.at_rows(plan)
        self.ends = tuple(sorted({a.var for a in self.aggs if a.kind in (AggKind.FINAL, AggKind.INITIAL)}))
        self.n_ext = len(lay.extremes)
        self.n = lay.n_state
        stock_cols = recorded_columns(sim.state_index, keep)
        self.direct = stock_cols is not None
        self.cols = stock_cols if stock_cols is not None else list(range(lay.n_state))
        self.group_rows = sim.group_rows()
        self.g = len(self.group_rows)
        # each group's places and scales as arrays: a total is one gather and one dot, not an
        # addition a stock (3,200 scalar operations in the traced step for an arrayed group)
        self.group_at = [(np.array([i for i, _ in st], dtype=np.int64), np.array([w for _, w in st], dtype=np.float64))
                         for st, _ in self.group_rows]
        self.snaps = sorted({r * self.every for r in self.at_rows.values()} - {plan.n_steps}) if self.direct else []

    def record(self, y: Any) -> Any:
        """The recorded columns as one slice, or one gather: a slice a column was 3,200 traced
        operations for an arrayed stock, and seconds of compiling."""
        cols = self.cols
        if not cols:
            return self.xp.zeros((0,))
        if cols == list(range(cols[0], cols[0] + len(cols))):
            return y[cols[0]:cols[0] + len(cols)]
        return y[np.array(cols, dtype=np.int64)]

    def totals(self, y: Any) -> Any:
        if not self.group_rows:
            return self.xp.zeros((0,))
        return self.xp.stack([self.xp.dot(w, y[at]) for at, w in self.group_at])

    def drift(self, y: Any, total0: Any, worst: Any) -> Any:
        """(largest |total - total(0) - net boundary inflow|, largest |total|) per group."""
        if not self.group_rows:
            return worst
        totals = self.totals(y)
        resid = totals - total0 - self.xp.stack([y[m] for _, m in self.group_rows])
        return self.xp.maximum(worst, self.xp.stack([self.xp.abs(resid), self.xp.abs(totals)]))

    def pack(self, y: Any, hi: Any, lo: Any, worst: Any, caught: tuple[Any, ...]) -> Any:
        return join(self.xp, [y, hi, lo, worst.reshape(-1), *caught])

    def unpack(self, v: Any) -> tuple[Any, Any, Any, Any, tuple[Any, ...]]:
        n, e, g = self.n, self.n_ext, self.g
        at = n + 2 * e + 2 * g
        caught = tuple(v[at + i * n:at + (i + 1) * n] for i in range(len(self.snaps)))
        return v[:n], v[n:n + e], v[n + e:n + 2 * e], v[n + 2 * e:at].reshape(2, g), caught

    def __call__(self, params: Any, override: Any, mask: Any) -> tuple[Any, Any, Any]:
        self.sim.trace_count += 1
        fns, t0, dt = self.fns, self.t0, self.dt
        y0 = fns.init(params, t0, dt, override, mask)
        prep = fns.prepare(params, dt)
        total0 = self.totals(y0)
        carry, rows = self.integrate(y0, prep, total0)
        yN, hi, lo, worst, caught = self.unpack(carry)
        rows = self.xp.concatenate([rows, self.record(yN)[None]], axis=0)
        times = t0 + dt * self.every * self.xp.arange(self.n_blocks + 1, dtype=self.xp.float64)
        traj = rows if self.direct else self.outputs_over(rows, times, prep)
        tN = t0 + self.plan.n_steps * dt
        if self.n_ext:
            eN = fns.extremes(yN, tN, prep)
            hi, lo = self.xp.maximum(hi, eN), self.xp.minimum(lo, eN)
        at_state = dict(zip(self.snaps, caught, strict=True))
        at_state[self.plan.n_steps] = yN
        values = self.summaries(y0, yN, prep, hi, lo, at_state, rows, times)
        worst = self.drift(yN, total0, worst)
        return traj, fns.metrics(values, params), worst[0] / self.xp.maximum(worst[1], DRIFT_FLOOR)

    def outputs_over(self, rows: Any, times: Any, prep: Any) -> Any:
        """The outputs asked for, recomputed from the state recorded at each save point."""
        from ._jax import jax

        return jax.vmap(lambda y, t: self.fns.outputs(y, t, prep, self.keep))(rows, times)

    def step(self, carry: Any, k: Any, prep: Any, total0: Any) -> tuple[Any, Any]:
        """One step of the loop: the next carry, and the row recorded before it."""
        fns, t0, dt = self.fns, self.t0, self.dt
        xp = self.xp
        y, hi, lo, worst, caught = self.unpack(carry)
        if self.n_ext:
            e = fns.extremes(y, t0 + k * dt, prep)
            hi, lo = xp.maximum(hi, e), xp.minimum(lo, e)
        caught = tuple(xp.where(k == K, y, c) for K, c in zip(self.snaps, caught, strict=True))
        worst = self.drift(y, total0, worst)
        y_next = self.solver.step(fns.deriv, y, t0 + k * dt, dt, prep)
        return self.pack(y_next, hi, lo, worst, caught), self.record(y)

    def start(self, y0: Any, prep: Any) -> Any:
        """The loop's first carry."""
        xp = self.xp
        e0 = self.fns.extremes(y0, self.t0, prep) if self.n_ext else xp.zeros((0,))
        return self.pack(y0, e0, e0, xp.zeros((2, self.g)), tuple(y0 for _ in self.snaps))

    def integrate(self, y0: Any, prep: Any, total0: Any) -> tuple[Any, Any]:
        """The loop: the final carry, and the recorded row of each save point but the last."""
        from ._jax import jax, jnp

        def step(carry: Any, k: Any) -> tuple[Any, Any]:
            return self.step(carry, k, prep, total0)

        carry0 = self.start(y0, prep)
        if self.remat:
            step = jax.checkpoint(step)
        if self.every == 1:
            return jax.lax.scan(step, carry0, jnp.arange(self.plan.n_steps, dtype=jnp.float64))
        every, n = self.every, self.n

        def block(carry: Any, j: Any) -> tuple[Any, Any]:
            ks = j * every + jnp.arange(every, dtype=jnp.float64)
            row = self.record(carry[:n])
            carry, _ = jax.lax.scan(lambda c, k: (step(c, k)[0], None), carry, ks)
            return carry, row

        return jax.lax.scan(block, carry0, jnp.arange(self.n_blocks, dtype=jnp.float64))

    def summaries(self, y0: Any, yN: Any, prep: Any, hi: Any, lo: Any, at_state: dict[int, Any], rows: Any,
                  times: Any) -> dict[str, Any]:
        """The value of each metric summary (integral, mean, at, final, initial, extremes)."""
        fns, ends, tN = self.fns, self.ends, self.t0 + self.plan.n_steps * self.dt
        out0 = dict(zip(ends, fns.outputs(y0, self.t0, prep, ends), strict=True)) if ends else {}
        outN = dict(zip(ends, fns.outputs(yN, tN, prep, ends), strict=True)) if ends else {}
        ext_pos = {v: i for i, v in enumerate(fns.layout.extremes)}
        index, length = self.sim.state_index, self.plan.n_steps * self.dt
        values: dict[str, Any] = {}
        for a in self.aggs:
            if a.kind is AggKind.INTEGRAL:
                values[a.id] = yN[index[a.var]]
            elif a.kind is AggKind.MEAN:
                values[a.id] = yN[index[a.var]] / self.sim.model.aggregate_times.get(a.id, length)
            elif a.kind is AggKind.AT:
                k = self.at_rows[a.id]
                y_at = at_state[k * self.every] if self.direct else rows[k]
                values[a.id] = fns.outputs(y_at, times[k], prep, (a.var,))[0]
            elif a.kind is AggKind.FINAL:
                values[a.id] = outN[a.var]
            elif a.kind is AggKind.INITIAL:
                values[a.id] = out0[a.var]
            else:
                values[a.id] = (hi if a.kind is AggKind.MAXIMUM else lo)[ext_pos[a.var]]
        return values
