"""The model's equations emitted once as closures over an array module (numpy or jax.numpy),
evaluated element by element: the methods are what an integrator calls.

The state vector holds user stocks, hidden stocks (smooth/delay/accumulators) and one
monitor per conserved group (the integral of its net boundary flow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
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
        self.multipliers, self.blends = frozenset(scaled), timed  # what scenarios change over time
        self.windows = Windows(xp, scaled, timed)
        init_fns = {s.id: emit(model.initials[s.id]) for s in g.stocks}
        self.init_eqs = {n: model.initials[n] if n in init_fns else model.equations[n] for n in g.init_order}
        self.init_steps = [(n, init_fns[n] if n in init_fns else emit(model.equations[n]), n in init_fns)
                           for n in g.init_order]
        self.derivs = [emit(e) for e in loop_derivs] + [emit(e) for e in loop_monitors]
        self.stock_index = {s: i for i, s in enumerate(lay.stocks)}
        self.caps = caps_of(model, emit.xp)
        self.metric_fns = [(m, emit(model.metric_equations[m])) for m in g.metric_order]
        self.metric_pos = {m.id: i for i, m in enumerate(g.metrics)}
        self.prep_names = lay.params + tuple(name for name, _ in self.hoisted)
        self._keep_last = not xp.__name__.startswith("jax")  # a traced value is no number to compare
        self._last: tuple[Any, Any, Env, Env] | None = None
        self._constants: tuple[Env, Env] | None = None

    def blend(self, env: Env, windows: dict[str, Any]) -> None:
        for p in self.blends:
            env[p] = env[p] + (env[f"{p}$value"] - env[p]) * windows[p]

    def prepare(self, params: Any, dt: Any) -> Env:
        """Parameter values and hoisted constants, once per run, as one vector: inside a JAX
        loop a vector is one buffer, where as many scalars would be carried one by one."""
        env: Env = {p: params[i] for i, p in enumerate(self.lay.params)}
        env["dt"] = dt
        for name, f in self.hoisted:
            env[name] = f(env)
        return {"$values": stack(self.xp, [env[n] for n in self.prep_names]), "dt": dt}

    def constants(self, prep: Env) -> Env:
        """A fresh env holding the run's constants. On NumPy they are read out of the vector
        once a run, and copied: every evaluation would index the same vector again."""
        known = self._constants
        if known is not None and known[0] is prep:
            return dict(known[1])
        vec = prep["$values"]
        env: Env = {n: vec[i] for i, n in enumerate(self.prep_names)}
        env["dt"] = prep["dt"]
        if self._keep_last:
            self._constants = (prep, dict(env))
        return env

    def init(self, params: Any, t0: Any, dt: Any, override: Any, mask: Any) -> Any:
        env: Env = {p: params[i] for i, p in enumerate(self.lay.params)}
        env["time"] = t0
        env["dt"] = dt
        self.blend(env, self.windows(env, t0))
        for n, f, is_stock in self.init_steps:
            v = f(env)
            if is_stock:
                i = self.stock_index[n]
                v = self.xp.where(mask[i], override[i], v)
            env[n] = v
        return stack(self.xp, [env[s] for s in self.lay.stocks] + [0.0 for _ in self.lay.monitors])

    def evaluate(self, state: Any, t: Any, prep: Env) -> Env:
        """Every equation at one state and time. On NumPy the last evaluation is kept: a step
        evaluates the state it starts from for the running extremes, the recorded outputs
        and the first derivative, and these are then one evaluation."""
        last = self._last
        if last is not None and last[2] is prep and last[1] == t and _same(last[0], state):
            return last[3]
        env = self._evaluate(state, t, prep)
        if self._keep_last:
            self._last = (state, t, prep, env)
        return env

    def _evaluate(self, state: Any, t: Any, prep: Env) -> Env:
        env = self.constants(prep)
        env["time"] = t
        windows = self.windows(env, t)
        self.blend(env, windows)
        for i, s in enumerate(self.lay.stocks):
            env[s] = state[i]
        for n, f in self.eqs:
            env[n] = f(env)
            if n in self.multipliers:
                env[n] = env[n] * (1.0 + (env[f"{n}$value"] - 1.0) * windows[n])
        if self.caps:
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


def _same(a: Any, b: Any) -> bool:
    """The same state: the same array, or one with the same bits (so -0.0 is not 0.0)."""
    if a is b:
        return True
    if not (type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape
            and a.dtype == b.dtype == np.float64):
        return False
    return bool((a.view(np.uint64) == b.view(np.uint64)).all())


def _window(xp: Any, value: str, start: str, ramped: str, until: str) -> Callable[[Env, Any], Any]:
    """0 before `start`, rising linearly to 1 at `ramped` (at once if equal), 0 again from `until`."""
    del value
    return lambda env, t: _ramp(xp, t, env[start], env[ramped], env[until])


def _ramp(xp: Any, t: Any, a: Any, b: Any, until: Any) -> Any:
    ramp = xp.where(b > a, xp.clip((t - a) / xp.where(b > a, b - a, 1.0), 0.0, 1.0), xp.where(t >= a, 1.0, 0.0))
    return xp.where(t < until, ramp, 0.0)


class Windows:
    """Every scenario change's window at time t, by name (scaled flows, then timed parameters).
    For runs side by side on NumPy the windows are computed as one array: a GIRFEC scenario
    scales a dozen flows, each window several calls on every derivative evaluation. The
    arithmetic is elementwise, so the numbers are those of each window alone."""

    def __init__(self, xp: Any, scaled: tuple[str, ...], timed: tuple[str, ...]):
        self.xp, self.names = xp, scaled + timed
        self.one = {n: _window(xp, *change_inputs(n)) for n in self.names}
        self.inputs = [[change_inputs(n)[i] for n in self.names] for i in (1, 2, 3)]
        self.stack = len(self.names) > 1 and not xp.__name__.startswith("jax")

    def __call__(self, env: Env, t: Any) -> dict[str, Any]:
        if self.stack:
            a, b, until = ([env[k] for k in keys] for keys in self.inputs)
            if all(type(v) is np.ndarray and v.ndim == 1 for v in a + b + until):
                w = _ramp(np, t, *(np.array(v, dtype=np.float64) for v in (a, b, until)))
                return dict(zip(self.names, w, strict=True))
        return {n: f(env, t) for n, f in self.one.items()}
