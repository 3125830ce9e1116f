"""Compile a checked model to jitted JAX runs: one scenario, or a vmapped batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compiler.codegen import ModelFunctions, build
from ..compiler.graph import AggKind
from ..compiler.model import CheckedModel
from ._jax import jax, jnp
from ._plan import Plan
from ._solvers import SOLVERS


class Simulator:
    """Holds the traced functions of one model structure; values never force a re-compile."""

    def __init__(self, model: CheckedModel):
        self.model = model
        self.fns: ModelFunctions = build(model, jnp)
        self._cache: dict[tuple[Any, ...], Any] = {}
        lay = self.fns.layout
        self.out_index = {n: i for i, n in enumerate(lay.outputs)}
        self.state_index = {n: i for i, n in enumerate(lay.stocks)}
        self.trace_count = 0  # how often JAX traced a run function (tests check re-use)

    def function(self, plan: Plan, batched: bool) -> Any:
        key = (plan, batched)
        fn = self._cache.get(key)
        if fn is None:
            one = self._run_one(plan)
            fn = jax.jit(jax.vmap(one) if batched else one)
            self._cache[key] = fn
        return fn

    def _run_one(self, plan: Plan) -> Any:
        fns, lay = self.fns, self.fns.layout
        solver = SOLVERS[plan.method]()
        dt, t0, every = plan.dt, plan.start, plan.save_every
        n_blocks = plan.n_steps // every
        mon = jnp.arange(len(lay.stocks), lay.n_state)
        ext_idx = jnp.asarray([self.out_index[v] for v in lay.extremes], dtype=jnp.int32)
        aggs = self.model.graph.aggregates

        def run(params: Any, override: Any, mask: Any) -> tuple[Any, Any]:
            self.trace_count += 1
            y0 = fns.init(params, t0, dt, override, mask)

            def step(carry: Any, k: Any) -> tuple[Any, Any]:
                y, hi, lo = carry
                y_next, out = solver.step(fns.rhs, y, t0 + k * dt, dt, params)
                e = out[ext_idx]
                return (y_next, jnp.maximum(hi, e), jnp.minimum(lo, e)), (out, y[mon])

            _, out0 = fns.rhs(y0, t0, params, dt)
            e0 = out0[ext_idx]
            if every == 1:
                (yN, hi, lo), (outs, states) = jax.lax.scan(
                    step, (y0, e0, e0), jnp.arange(plan.n_steps, dtype=jnp.float64))
            else:
                def block(carry: Any, j: Any) -> tuple[Any, Any]:
                    y = carry[0]
                    _, out = fns.rhs(y, t0 + j * every * dt, params, dt)
                    ks = j * every + jnp.arange(every, dtype=jnp.float64)
                    carry, _ = jax.lax.scan(lambda c, k: (step(c, k)[0], None), carry, ks)
                    return carry, (out, y[mon])

                (yN, hi, lo), (outs, states) = jax.lax.scan(
                    block, (y0, e0, e0), jnp.arange(n_blocks, dtype=jnp.float64))
            tN = t0 + plan.n_steps * dt
            _, outN = fns.rhs(yN, tN, params, dt)
            eN = outN[ext_idx]
            hi, lo = jnp.maximum(hi, eN), jnp.minimum(lo, eN)
            traj = jnp.concatenate([outs, outN[None]], axis=0)
            mons = jnp.concatenate([states, yN[mon][None]], axis=0)
            values: dict[str, Any] = {}
            ext_pos = {v: i for i, v in enumerate(lay.extremes)}
            length = plan.n_steps * dt
            for a in aggs:
                if a.kind is AggKind.INTEGRAL:
                    values[a.id] = yN[self.state_index[a.var]]
                elif a.kind is AggKind.MEAN:
                    values[a.id] = yN[self.state_index[a.var]] / length
                elif a.kind is AggKind.FINAL:
                    values[a.id] = outN[self.out_index[a.var]]
                elif a.kind is AggKind.INITIAL:
                    values[a.id] = out0[self.out_index[a.var]]
                elif a.kind is AggKind.MAXIMUM:
                    values[a.id] = hi[ext_pos[a.var]]
                else:
                    values[a.id] = lo[ext_pos[a.var]]
            metrics = fns.metrics(values, params)
            return traj, metrics, mons

        return run

    def run(self, plan: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        batched = params.ndim == 2
        fn = self.function(plan, batched)
        out = fn(jnp.asarray(params), jnp.asarray(override), jnp.asarray(mask))
        return tuple(np.asarray(x) for x in out)
