"""What the generated functions look like from outside: the state's layout, the functions an
integrator calls, the scenario inputs of a timed change, and the constants hoisted out of the
loop. Shared by the scalar and the vectorised code generators and the JavaScript writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.core.function import UndefinedFunction

from ..ir.model import CheckedModel
from .emit import Env


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


class Hoister:
    """Replaces maximal non-trivial subexpressions free of state and time by fresh symbols."""

    def __init__(self, invariant: set[sympy.Symbol]):
        self.invariant = invariant
        self.found: list[tuple[str, sympy.Expr]] = []
        self.names: dict[sympy.Expr, sympy.Symbol] = {}

    def __call__(self, e: sympy.Expr) -> sympy.Expr:
        if e.is_Atom:
            return e
        free = e.free_symbols
        # Only expressions: a piecewise branch (ExprCondPair) or a condition is not a value to hoist.
        if free and free <= self.invariant and isinstance(e, sympy.Expr) and not isinstance(e.func, UndefinedFunction):
            if e not in self.names:
                name = f"$hoisted{len(self.found)}"
                self.names[e] = sympy.Symbol(name)
                self.found.append((name, e))
            return self.names[e]
        args = [self(a) for a in e.args]
        return e.func(*args) if any(x is not y for x, y in zip(args, e.args, strict=True)) else e
