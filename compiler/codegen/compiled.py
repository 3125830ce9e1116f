"""The model's equations emitted once as closures over an array module (numpy or jax.numpy),
evaluated element by element: the methods are what an integrator calls.

The state vector holds user stocks, hidden stocks (smooth/delay/accumulators) and one
monitor per conserved group (the integral of its net boundary flow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from ..ir.model import DT_SYM, CheckedModel
from .backend import stack
from .caps import caps_of, cut_back
from .emit import Emitter, Env
from .layout import Hoister, change_inputs, layout_of


class ScalarCode:
    """Every equation emitted once; the methods are what an integrator calls."""

    def __init__(self, model: CheckedModel, xp: Any, scaled: tuple[str, ...], timed: tuple[str, ...]):
        g = model.graph
        self.xp = xp
        self.lay = lay = layout_of(model, scaled, timed)
        emit = Emitter(xp, {lk.id: lk for lk in g.lookups})
        # Subexpressions that depend only on parameters and dt are computed once per run, not per
        # step: inside the loop a division by a parameter becomes a multiplication. Parameters a
        # scenario changes over time are not constant, so they are left in the loop.
        hoist = Hoister({sympy.Symbol(p) for p in lay.params if p not in timed} | {DT_SYM})
        loop_eqs = {n: hoist(model.equations[n]) for n in g.order}
        loop_derivs = [hoist(model.derivatives[s]) for s in lay.stocks]
        loop_monitors = [hoist(model.boundary[m]) for m in lay.monitors]
        # for build_vector: the equations as emitted, to group them by form
        self.loop_eqs, self.loop_derivs, self.hoisted_eqs = loop_eqs, loop_derivs + loop_monitors, dict(hoist.found)
        self.hoisted = [(name, emit(e)) for name, e in hoist.found]
        self.eqs = [(n, emit(loop_eqs[n])) for n in g.order]
        self.multipliers = {f: _window(xp, *change_inputs(f)) for f in scaled}
        self.blends = [(p, _window(xp, *change_inputs(p))) for p in timed]
        init_fns = {s.id: emit(model.initials[s.id]) for s in g.stocks}
        self.init_eqs = {n: model.initials[n] if n in init_fns else model.equations[n] for n in g.init_order}
        self.init_steps = [(n, init_fns[n] if n in init_fns else emit(model.equations[n]), n in init_fns)
                           for n in g.init_order]
        self.derivs = [emit(e) for e in loop_derivs] + [emit(e) for e in loop_monitors]
        self.stock_index = {s: i for i, s in enumerate(lay.stocks)}
        self.caps = caps_of(model, emit)
        self.metric_fns = [(m, emit(model.metric_equations[m])) for m in g.metric_order]
        self.metric_pos = {m.id: i for i, m in enumerate(g.metrics)}
        self.prep_names = lay.params + tuple(name for name, _ in self.hoisted)

    def blend(self, env: Env, t: Any) -> None:
        for p, window in self.blends:
            env[p] = env[p] + (env[f"{p}$value"] - env[p]) * window(env, t)

    def prepare(self, params: Any, dt: Any) -> Env:
        """Parameter values and hoisted constants, once per run, as one vector: inside a JAX
        loop a vector is one buffer, where as many scalars would be carried one by one."""
        env: Env = {p: params[i] for i, p in enumerate(self.lay.params)}
        env["dt"] = dt
        for name, f in self.hoisted:
            env[name] = f(env)
        return {"$values": stack(self.xp, [env[n] for n in self.prep_names]), "dt": dt}

    def constants(self, prep: Env) -> Env:
        vec = prep["$values"]
        env: Env = {n: vec[i] for i, n in enumerate(self.prep_names)}
        env["dt"] = prep["dt"]
        return env

    def init(self, params: Any, t0: Any, dt: Any, override: Any, mask: Any) -> Any:
        env: Env = {p: params[i] for i, p in enumerate(self.lay.params)}
        env["time"] = t0
        env["dt"] = dt
        self.blend(env, t0)
        for n, f, is_stock in self.init_steps:
            v = f(env)
            if is_stock:
                i = self.stock_index[n]
                v = self.xp.where(mask[i], override[i], v)
            env[n] = v
        return stack(self.xp, [env[s] for s in self.lay.stocks] + [0.0 for _ in self.lay.monitors])

    def evaluate(self, state: Any, t: Any, prep: Env) -> Env:
        env = self.constants(prep)
        env["time"] = t
        self.blend(env, t)
        for i, s in enumerate(self.lay.stocks):
            env[s] = state[i]
        for n, f in self.eqs:
            env[n] = f(env)
            if n in self.multipliers:
                env[n] = env[n] * (1.0 + (env[f"{n}$value"] - 1.0) * self.multipliers[n](env, t))
        if self.caps:
            # Applied in order (a cap sees the flows earlier caps cut back): the numbers are
            # those of capping one stock at a time.
            cut_back(self.caps, env, self.xp)
        return env

    def rhs(self, state: Any, t: Any, prep: Env) -> tuple[Any, Any]:
        env = self.evaluate(state, t, prep)
        return stack(self.xp, [f(env) for f in self.derivs]), stack(self.xp, [env[n] for n in self.lay.outputs])

    def deriv(self, state: Any, t: Any, prep: Env) -> Any:
        env = self.evaluate(state, t, prep)
        return stack(self.xp, [f(env) for f in self.derivs])

    def extremes(self, state: Any, t: Any, prep: Env) -> Any:
        env = self.evaluate(state, t, prep)
        return stack(self.xp, [env[n] for n in self.lay.extremes])

    def outputs(self, state: Any, t: Any, prep: Env, names: tuple[str, ...]) -> Any:
        env = self.evaluate(state, t, prep)
        return stack(self.xp, [env[n] for n in names])

    def metrics(self, aggs: dict[str, Any], params: Any) -> Any:
        env: Env = {p: params[i] for i, p in enumerate(self.lay.params)}
        env.update(aggs)
        vals: list[Any] = [None] * len(self.metric_pos)
        for m, f in self.metric_fns:
            env[m] = f(env)
            vals[self.metric_pos[m]] = env[m]
        return stack(self.xp, vals)


def _window(xp: Any, value: str, start: str, ramped: str, until: str) -> Callable[[Env, Any], Any]:
    """0 before `start`, rising linearly to 1 at `ramped` (at once if equal), 0 again from `until`."""
    del value

    def w(env: Env, t: Any) -> Any:
        a, b = env[start], env[ramped]
        ramp = xp.where(b > a, xp.clip((t - a) / xp.where(b > a, b - a, 1.0), 0.0, 1.0), xp.where(t >= a, 1.0, 0.0))
        return xp.where(t < env[until], ramp, 0.0)

    return w
