"""CheckedModel -> the functions an integrator needs, for a given array module.

The state vector holds user stocks, hidden stocks (smooth/delay/accumulators) and one
monitor per conserved group (the integral of its net boundary flow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.core.function import UndefinedFunction

from ..ir.model import DT_SYM, CheckedModel
from .emit import Emitter, Env


@dataclass(frozen=True)
class Layout:
    stocks: tuple[str, ...]  # state order, hidden stocks included
    monitors: tuple[str, ...]  # group ids, appended to the state
    params: tuple[str, ...]  # model parameters, then three scenario inputs per scaled flow
    outputs: tuple[str, ...]  # recorded each save point: stocks, flows, auxes (hidden included)
    extremes: tuple[str, ...]  # hidden auxes whose running max/min feed metrics

    @property
    def n_state(self) -> int:
        return len(self.stocks) + len(self.monitors)


@dataclass(frozen=True)
class ModelFunctions:
    layout: Layout
    # init(params, t0, dt, override, mask) -> state0
    init: Callable[..., Any]
    # prepare(params, dt) -> prep: parameter values and hoisted constants, once per run
    prepare: Callable[..., Any]
    # constants(prep) -> those values by name
    constants: Callable[..., Env]
    # rhs(state, t, prep) -> (d state/dt, outputs vector)
    rhs: Callable[..., Any]
    # deriv(state, t, prep) -> d state/dt only (what the integration loop needs)
    deriv: Callable[..., Any]
    # extremes(state, t, prep) -> the values whose running max/min feed metrics
    extremes: Callable[..., Any]
    # outputs(state, t, prep, names) -> the named values
    outputs: Callable[..., Any]
    # metrics(aggregate values by id, params) -> metrics vector
    metrics: Callable[..., Any]


def change_inputs(name: str) -> tuple[str, str, str, str]:
    """The inputs of a timed change in scenarios: the value (a flow's factor, a parameter's new
    value), when it starts, when it is fully ramped in, and when it ends."""
    return f"{name}$value", f"{name}$from", f"{name}$ramped", f"{name}$until"


def layout_of(model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> Layout:
    g = model.graph
    outputs = tuple(s.id for s in g.stocks) + tuple(g.order)
    extremes = tuple(a.var for a in g.aggregates if a.kind.value in ("maximum", "minimum"))
    params = tuple(p.id for p in g.params) + tuple(x for f in scaled + timed for x in change_inputs(f))
    return Layout(tuple(s.id for s in g.stocks), tuple(gr.id for gr in g.groups), params, outputs, extremes)


def build(model: CheckedModel, xp: Any, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> ModelFunctions:
    """The model's functions; flows in `scaled` get a multiplier and parameters in `timed` a
    change over time, both driven by scenario inputs."""
    g = model.graph
    lay = layout_of(model, scaled, timed)
    emit = Emitter(xp, {lk.id: lk for lk in g.lookups})
    # Subexpressions that depend only on parameters and dt are computed once per run, not per
    # step: inside the loop a division by a parameter becomes a multiplication. Parameters a
    # scenario changes over time are not constant, so they are left in the loop.
    hoist = _Hoister({sympy.Symbol(p) for p in lay.params if p not in timed} | {DT_SYM})
    loop_eqs = {n: hoist(model.equations[n]) for n in g.order}
    loop_derivs = [hoist(model.derivatives[s]) for s in lay.stocks]
    loop_monitors = [hoist(model.boundary[m]) for m in lay.monitors]
    hoisted = [(name, emit(e)) for name, e in hoist.found]
    eqs = [(n, emit(loop_eqs[n])) for n in g.order]
    multipliers = {f: _window(xp, *change_inputs(f)) for f in scaled}
    blends = [(p, _window(xp, *change_inputs(p))) for p in timed]
    init_fns = {s.id: emit(model.initials[s.id]) for s in g.stocks}
    init_steps = [(n, init_fns[n] if n in init_fns else emit(model.equations[n]), n in init_fns)
                  for n in g.init_order]
    derivs = [emit(e) for e in loop_derivs]
    monitors = [emit(e) for e in loop_monitors]
    stock_index = {s: i for i, s in enumerate(lay.stocks)}
    caps = _caps(model, emit)
    metric_fns = [(m, emit(model.metric_equations[m])) for m in g.metric_order]
    metric_pos = {m.id: i for i, m in enumerate(g.metrics)}

    def blend(env: Env, t: Any) -> None:
        for p, window in blends:
            env[p] = env[p] + (env[f"{p}$value"] - env[p]) * window(env, t)

    def base_env(params: Any, t: Any, dt: Any) -> Env:
        env: Env = {p: params[i] for i, p in enumerate(lay.params)}
        env["time"] = t
        env["dt"] = dt
        blend(env, t)
        return env

    prep_names = lay.params + tuple(name for name, _ in hoisted)

    def prepare(params: Any, dt: Any) -> Env:
        """Parameter values and hoisted constants, once per run, as one vector: inside a JAX
        loop a vector is one buffer, where as many scalars would be carried one by one."""
        env: Env = {p: params[i] for i, p in enumerate(lay.params)}
        env["dt"] = dt
        for name, f in hoisted:
            env[name] = f(env)
        return {"$values": _stack(xp, [env[n] for n in prep_names]), "dt": dt}

    def constants(prep: Env) -> Env:
        vec = prep["$values"]
        env: Env = {n: vec[i] for i, n in enumerate(prep_names)}
        env["dt"] = prep["dt"]
        return env

    def init(params: Any, t0: Any, dt: Any, override: Any, mask: Any) -> Any:
        env = base_env(params, t0, dt)
        for n, f, is_stock in init_steps:
            v = f(env)
            if is_stock:
                i = stock_index[n]
                v = xp.where(mask[i], override[i], v)
            env[n] = v
        values = [env[s] for s in lay.stocks] + [0.0 for _ in lay.monitors]
        return _stack(xp, values)

    def evaluate(state: Any, t: Any, prep: Env) -> Env:
        env = constants(prep)
        env["time"] = t
        blend(env, t)
        for i, s in enumerate(lay.stocks):
            env[s] = state[i]
        for n, f in eqs:
            env[n] = f(env)
            if n in multipliers:
                env[n] = env[n] * (1.0 + (env[f"{n}$value"] - 1.0) * multipliers[n](env, t))
        if caps:
            # The factors are computed in order (a cap sees the flows earlier caps cut back),
            # then applied in the same order, so the numbers are those of capping one stock at
            # a time. Under JAX the factors pass through a barrier: each step is then two
            # fused kernels, instead of every derivative recomputing the chain of caps.
            factors = _cap_factors(caps, env, xp)
            if xp.__name__.startswith("jax"):
                import jax

                vec = jax.lax.optimization_barrier(_stack(xp, factors))
                factors = [vec[i] for i in range(len(factors))]
            for cap, k in zip(caps, factors, strict=True):
                cap.apply(env, k)
        return env

    def d_of(env: Env) -> Any:
        return _stack(xp, [f(env) for f in derivs] + [f(env) for f in monitors])

    def rhs(state: Any, t: Any, prep: Env) -> tuple[Any, Any]:
        env = evaluate(state, t, prep)
        return d_of(env), _stack(xp, [env[n] for n in lay.outputs])

    def deriv(state: Any, t: Any, prep: Env) -> Any:
        return d_of(evaluate(state, t, prep))

    def extremes(state: Any, t: Any, prep: Env) -> Any:
        env = evaluate(state, t, prep)
        return _stack(xp, [env[n] for n in lay.extremes])

    def outputs(state: Any, t: Any, prep: Env, names: tuple[str, ...]) -> Any:
        env = evaluate(state, t, prep)
        return _stack(xp, [env[n] for n in names])

    def metrics(aggs: dict[str, Any], params: Any) -> Any:
        env: Env = {p: params[i] for i, p in enumerate(lay.params)}
        env.update(aggs)
        vals = [None] * len(metric_pos)
        for m, f in metric_fns:
            env[m] = f(env)
            vals[metric_pos[m]] = env[m]
        return _stack(xp, vals)

    return ModelFunctions(lay, init, prepare, constants, rhs, deriv, extremes, outputs, metrics)


def _window(xp: Any, value: str, start: str, ramped: str, until: str) -> Callable[[Env, Any], Any]:
    """0 before `start`, rising linearly to 1 at `ramped` (at once if equal), 0 again from `until`."""
    del value

    def w(env: Env, t: Any) -> Any:
        a, b = env[start], env[ramped]
        ramp = xp.where(b > a, xp.clip((t - a) / xp.where(b > a, b - a, 1.0), 0.0, 1.0), xp.where(t >= a, 1.0, 0.0))
        return xp.where(t < env[until], ramp, 0.0)

    return w


class _Hoister:
    """Replaces maximal non-trivial subexpressions free of state and time by fresh symbols."""

    def __init__(self, invariant: set[sympy.Symbol]):
        self.invariant = invariant
        self.found: list[tuple[str, sympy.Expr]] = []
        self.names: dict[sympy.Expr, sympy.Symbol] = {}

    def __call__(self, e: sympy.Expr) -> sympy.Expr:
        if e.is_Atom:
            return e
        free = e.free_symbols
        if free and free <= self.invariant and not isinstance(e.func, UndefinedFunction):
            if e not in self.names:
                name = f"$hoisted{len(self.found)}"
                self.names[e] = sympy.Symbol(name)
                self.found.append((name, e))
            return self.names[e]
        args = [self(a) for a in e.args]
        return e.func(*args) if any(x is not y for x, y in zip(args, e.args, strict=True)) else e


# XLA:CPU will not fuse a concatenate of more than 8 operands: a wider stack would end every
# step's fused kernel and split the derivatives into one kernel each.
_MAX_STACK = 8


def join(xp: Any, vectors: list[Any]) -> Any:
    """Arrays end to end along their first axis, in a form XLA:CPU fuses into the kernel that
    computes them: groups of at most 8, each padded to the full length, then added."""
    vectors = [v for v in vectors if v.shape[0]]
    if not vectors:
        return xp.zeros((0,), dtype=xp.float64)
    if len(vectors) <= _MAX_STACK:
        return xp.concatenate(vectors)
    n, rest = sum(v.shape[0] for v in vectors), [(0, 0)] * (vectors[0].ndim - 1)
    out, at = None, 0
    for i in range(0, len(vectors), _MAX_STACK):
        part = xp.concatenate(vectors[i:i + _MAX_STACK])
        padded = xp.pad(part, [(at, n - at - part.shape[0])] + rest)
        out = padded if out is None else out + padded
        at += part.shape[0]
    return out


def _stack(xp: Any, values: list[Any]) -> Any:
    """The values stacked on a new first axis (scalars, or arrays of one shape for runs side
    by side)."""
    if not values:
        return xp.zeros((0,), dtype=xp.float64)
    values = xp.broadcast_arrays(*[xp.asarray(v, dtype=xp.float64) for v in values])
    return join(xp, [v[None] for v in values])


@dataclass(frozen=True)
class _Cap:
    """Scales down what drains a non-negative stock so one step cannot take it below zero.

    What drains a stock is its positive outflows and its negative inflows. The scaled flow is
    used at both of its ends, so conservation still holds exactly.
    """
    stock: str
    ins: tuple[tuple[str, float], ...]  # (flow, units factor at this stock)
    outs: tuple[tuple[str, float], ...]
    xp: Any

    def factor(self, env: Env) -> Any:
        xp, ins, outs = self.xp, self.ins, self.outs
        drain = sum((c * xp.maximum(env[f], 0.0) for f, c in outs), 0.0) + \
            sum((c * xp.maximum(-env[f], 0.0) for f, c in ins), 0.0)
        supply = env[self.stock] / env["dt"] + sum((c * xp.maximum(env[f], 0.0) for f, c in ins), 0.0) + \
            sum((c * xp.maximum(-env[f], 0.0) for f, c in outs), 0.0)
        short = (drain > supply) & (drain > 0)
        # Divide only where the ratio is used and lies in (-inf, 1): no overflow warnings.
        return xp.where(short, xp.clip(supply / xp.where(short, drain, 1.0), 0.0, 1.0), 1.0)

    def apply(self, env: Env, k: Any) -> None:
        xp = self.xp
        for f, _ in self.outs:
            env[f] = xp.where(env[f] > 0, env[f] * k, env[f])
        for f, _ in self.ins:
            env[f] = xp.where(env[f] < 0, env[f] * k, env[f])


def _cap_factors(caps: list[_Cap], env: Env, xp: Any) -> list[Any]:
    """Each cap's factor, computed on the flows as the caps before it leave them."""
    work = dict(env)
    out = []
    for cap in caps:
        k = cap.factor(work)
        cap.apply(work, k)
        out.append(k)
    return out


def _caps(model: CheckedModel, emit: Emitter) -> list[_Cap]:
    out = []
    for s in model.graph.stocks:
        if not s.non_negative or not (s.outflows or s.inflows):
            continue
        ins = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.inflows)
        outs = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.outflows)
        out.append(_Cap(s.id, ins, outs, emit.xp))
    return out
