"""Resolved stock-flow graph: canonical ids, hidden stocks made explicit, evaluation orders.

Expressions here are AST expressions whose names are canonical ids of graph variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..base.diagnostics import Span
from . import ast as A
from .scenarios import Scenario


class Kind(Enum):
    STOCK = "stock"
    FLOW = "flow"
    AUX = "aux"
    PARAM = "param"
    LOOKUP = "lookup"
    METRIC = "metric"


class UnitsFrom(Enum):
    DECLARED = "declared"  # the user's [units], or unchecked when absent
    INITIAL = "initial"  # hidden smooth/delay stocks: the units of their initial value
    RATE_TIMES_TIME = "rate*time"  # hidden accumulators: the units of their rate times time


class AggKind(Enum):
    INTEGRAL = "integral"
    MEAN = "mean"
    FINAL = "final"
    INITIAL = "initial"
    MAXIMUM = "maximum"
    MINIMUM = "minimum"
    AT = "at"


@dataclass(frozen=True, slots=True)
class HiddenOrigin:
    """What made a hidden variable: the declared variable or metric whose equation holds the
    call, the function called (`smooth3`, `delay1`, `init`, or a summary such as `integral`),
    which of the owner's calls of that function it is (from 1), and its stage in a chain
    (from 1; 0 where the call makes one variable)."""

    owner: str
    function: str
    call: int
    stage: int = 0


@dataclass(frozen=True, slots=True)
class Stock:
    id: str
    display: str
    initial: A.Expr
    units: A.UnitExpr | None
    non_negative: bool
    doc: A.Doc
    span: Span | None
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    rate: A.Expr | None = None  # hidden stocks only: d/dt written directly
    origin: HiddenOrigin | None = None  # hidden stocks only
    units_from: UnitsFrom = UnitsFrom.DECLARED

    @property
    def hidden(self) -> bool:
        return self.origin is not None


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    display: str
    source: str | None
    target: str | None
    rate: A.Expr
    units: A.UnitExpr | None
    tags: tuple[str, ...]
    non_negative: bool
    doc: A.Doc
    span: Span | None


@dataclass(frozen=True, slots=True)
class Aux:
    id: str
    display: str
    equation: A.Expr
    units: A.UnitExpr | None
    doc: A.Doc
    span: Span | None
    origin: HiddenOrigin | None = None  # hidden auxiliaries only

    @property
    def hidden(self) -> bool:
        return self.origin is not None


@dataclass(frozen=True, slots=True)
class Param:
    id: str
    display: str
    value: float
    units: A.UnitExpr | None
    bounds: tuple[float, float] | None
    doc: A.Doc
    span: Span | None
    value_span: Span | None


@dataclass(frozen=True, slots=True)
class Lookup:
    id: str
    display: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    units: A.UnitExpr | None
    x_units: A.UnitExpr | None
    interpolation: A.Interpolation
    extrapolation: A.Extrapolation
    doc: A.Doc
    span: Span | None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A value summarising one trajectory, for metrics: integral(x), final(x), ..."""

    id: str
    kind: AggKind
    var: str  # the hidden aux (final/initial/max/min/at) or accumulator stock (integral/mean)
    span: Span | None
    when: A.Expr | None = None  # `at`: the time; a windowed `mean`: the window's length
    window: tuple[A.Expr, A.Expr] | None = None  # a windowed `integral` or `mean`: from, to


@dataclass(frozen=True, slots=True)
class Metric:
    id: str
    display: str
    expr: A.Expr  # over aggregates, params and other metrics
    units: A.UnitExpr | None
    doc: A.Doc
    span: Span | None


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    display: str
    stocks: tuple[str, ...]
    doc: A.Doc
    span: Span | None


@dataclass(frozen=True, slots=True)
class Expectation:
    id: str
    display: str
    condition: A.Expr
    during: tuple[float, float] | None
    on_metrics: bool  # checked once per run against metrics, rather than at every recorded time
    doc: A.Doc
    span: Span | None
    under: str | None = None  # the scenario it is checked in (canonical id); None: the model as written


@dataclass(frozen=True, slots=True)
class Graph:
    info: A.ModelInfo
    time: A.TimeSpec
    unit_decls: tuple[A.UnitDecl, ...]
    stocks: tuple[Stock, ...]
    flows: tuple[Flow, ...]
    auxes: tuple[Aux, ...]
    params: tuple[Param, ...]
    lookups: tuple[Lookup, ...]
    aggregates: tuple[Aggregate, ...]
    metrics: tuple[Metric, ...]
    groups: tuple[Group, ...]
    order: tuple[str, ...]  # auxes and flows, each after what it depends on
    init_order: tuple[str, ...]  # stocks, auxes and flows, in the order of initialisation
    metric_order: tuple[str, ...]
    file: str
    expectations: tuple[Expectation, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    arrays: tuple[A.Expanded, ...] = ()  # which scalars make up each arrayed declaration
