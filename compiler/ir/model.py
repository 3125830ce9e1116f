"""The checked model: every equation as a sympy expression in its variable's units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy

from ..base.diagnostics import Diagnostic
from . import graph as G
from .units import Unit, UnitSystem

TIME_SYM = sympy.Symbol("time")
DT_SYM = sympy.Symbol("dt")


_SYMBOLS: dict[str, sympy.Symbol] = {}


def sym(var_id: str) -> sympy.Symbol:
    """The symbol of a variable; kept, as sympy's own cache costs microseconds a call and an
    arrayed model asks for each element's symbol many times."""
    s = _SYMBOLS.get(var_id)
    if s is None:
        if len(_SYMBOLS) > 200_000:  # bounded: a long-lived process compiles many specs
            _SYMBOLS.clear()
        s = _SYMBOLS[var_id] = sympy.Symbol(var_id)
    return s


@dataclass(frozen=True)
class CheckedModel:
    graph: G.Graph
    unitsys: UnitSystem
    units: Mapping[str, Unit | None]
    equations: Mapping[str, sympy.Expr]  # auxes and flows, in order `graph.order`
    initials: Mapping[str, sympy.Expr]  # stocks
    derivatives: Mapping[str, sympy.Expr]  # stocks: d/dt per model time unit, over flow symbols
    flow_factors: Mapping[tuple[str, str], sympy.Rational]  # (flow, stock) -> factor into stock units/time
    metric_equations: Mapping[str, sympy.Expr]  # over aggregate ids, params and metrics
    boundary: Mapping[str, sympy.Expr]  # group -> net flow across its edge, base units per time unit
    stock_scale: Mapping[str, sympy.Rational]  # stock -> factor into base units
    diagnostics: tuple[Diagnostic, ...]  # warnings
    expectations: Mapping[str, sympy.Expr]  # reality checks: conditions, as sympy relations
    aggregate_times: Mapping[str, float]  # `at`: its time; windowed `mean`: the window's length


def frozen(d: dict) -> Mapping:
    return MappingProxyType(dict(d))
