"""Spec AST: what the user wrote, in either surface form, with source spans.

Spans are excluded from equality so that `parse(format(x)) == x` compares meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Literal, Union

from ..base.diagnostics import Diagnostic, Span
from .layout import Layout


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- units
@dataclass(frozen=True, slots=True)
class UnitExpr:
    """factor * prod(name ** power); `1` is the dimensionless unit."""

    factors: tuple[tuple[str, int], ...] = ()
    scale: Fraction = Fraction(1)
    span: Span | None = _span()


# ---------------------------------------------------------------- expressions
class BinOpKind(Enum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    POW = "^"


class CompareKind(Enum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="
    NE = "!="


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    unit: UnitExpr | None = None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`f(x)`; `effect[level](x)` calls one element of an arrayed lookup, `at` holding its
    indices as a subscript's (only the arrays pass sees those)."""

    func: str
    args: tuple[Expr, ...]
    span: Span | None = _span()
    at: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: BinOpKind
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareKind
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Logic:
    op: Literal["and", "or"]
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: Expr
    orelse: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Subscript:
    """`x[i, j]`: an element of an arrayed variable. Each index is an element's name (or
    number), a dimension or alias the equation runs over, or one of those plus or minus a
    whole number (the element that many places along). Only the arrays pass sees these."""

    name: str
    indices: tuple[Expr, ...]
    span: Span | None = _span()


Expr = Union[Num, Name, Call, BinOp, Neg, Compare, Logic, Not, If, Subscript]


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True, slots=True)
class Doc:
    description: str | None = None
    source: str | None = None
    assumption: str | None = None


class Method(Enum):
    EULER = "euler"
    RK4 = "rk4"


@dataclass(frozen=True, slots=True)
class TimeSpec:
    start: float
    stop: float
    dt: float
    unit: str
    method: Method = Method.EULER
    save_step: float | None = None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    title: str | None = None
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class UnitDecl:
    name: str
    definition: UnitExpr | None = None
    description: str | None = None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class DimDecl:
    """`dim level = [universal, additional, ...]`; a subrange names its parent dimension."""

    name: str
    elements: tuple[str, ...]
    parent: str | None = None
    doc: Doc = Doc()
    span: Span | None = _span()
    element_spans: tuple[Span | None, ...] = field(default=(), compare=False, repr=False)
    # `maps region [west, east, east]`: the element of another dimension each element stands for,
    # so that `x[authority]` reads `x` over `region` at the authority's region
    maps: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class DimRef:
    """One dimension a variable runs over: `level`, or `from: level` (an alias, so that one
    dimension can appear twice, as in a flow between elements of one stock)."""

    dim: str
    alias: str | None = None
    span: Span | None = _span()

    @property
    def index(self) -> str:
        return self.alias or self.dim


@dataclass(frozen=True, slots=True)
class Case:
    """One element's own equation in an arrayed declaration; `key` holds one element per
    dimension."""

    key: tuple[str, ...]
    value: Expr
    span: Span | None = _span()
    # set by `set x[e] = ... { source "..." }` in an adapting spec: this element's own source
    # and assumption (None: the declaration's stand for it)
    doc: Doc | None = None


@dataclass(frozen=True, slots=True)
class ArrayPart:
    """What makes a declaration arrayed: its dimensions, which elements exist (`where`), and
    per-element equations. The declaration's own equation is the default for the rest; with
    `has_default` False every element needs a case. `table` names a CSV file of values."""

    dims: tuple[DimRef, ...]
    where: Expr | None = None
    cases: tuple[Case, ...] = ()
    has_default: bool = True
    table: str | None = None
    table_span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class StockDecl:
    name: str
    initial: Expr
    units: UnitExpr | None = None
    non_negative: bool = False
    doc: Doc = Doc()
    span: Span | None = _span()
    array: ArrayPart | None = None


@dataclass(frozen=True, slots=True)
class FlowDecl:
    name: str
    source: str | None
    target: str | None
    rate: Expr
    units: UnitExpr | None = None
    tags: tuple[str, ...] = ()
    non_negative: bool = False
    doc: Doc = Doc()
    span: Span | None = _span()
    source_span: Span | None = _span()
    target_span: Span | None = _span()
    array: ArrayPart | None = None
    source_at: tuple[Expr, ...] = ()  # `children[from] -> ...`: the source stock's indices
    target_at: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class AuxDecl:
    name: str
    equation: Expr
    units: UnitExpr | None = None
    doc: Doc = Doc()
    span: Span | None = _span()
    array: ArrayPart | None = None


@dataclass(frozen=True, slots=True)
class ParamDecl:
    name: str
    value: float
    units: UnitExpr | None = None
    bounds: tuple[float, float] | None = None
    doc: Doc = Doc()
    span: Span | None = _span()
    value_span: Span | None = _span()
    array: ArrayPart | None = None


class Interpolation(Enum):
    LINEAR = "linear"
    STEP = "step"


class Extrapolation(Enum):
    CLAMP = "clamp"
    LINEAR = "linear"


@dataclass(frozen=True, slots=True)
class LookupDecl:
    name: str
    points: tuple[tuple[float, float], ...]
    units: UnitExpr | None = None
    x_units: UnitExpr | None = None
    interpolation: Interpolation = Interpolation.LINEAR
    extrapolation: Extrapolation = Extrapolation.CLAMP
    doc: Doc = Doc()
    span: Span | None = _span()
    points_span: Span | None = _span()
    array: ArrayPart | None = None  # an arrayed lookup: `points` is the default table
    tables: tuple[LookupCase, ...] = ()  # each element's own table


@dataclass(frozen=True, slots=True)
class LookupCase:
    """One element's own table in an arrayed lookup."""

    key: tuple[str, ...]
    points: tuple[tuple[float, float], ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class MetricDecl:
    name: str
    expr: Expr
    units: UnitExpr | None = None
    doc: Doc = Doc()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class GroupDecl:
    name: str
    stocks: tuple[str, ...]
    doc: Doc = Doc()
    span: Span | None = _span()
    member_spans: tuple[Span | None, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ExpectDecl:
    """A reality check: a condition that must hold at every recorded time (within `during`),
    or, when it uses metrics, once per run."""

    name: str
    condition: Expr
    during: tuple[float, float] | None = None
    doc: Doc = Doc()
    span: Span | None = _span()
    under: str | None = None  # a scenario to check it in; `baseline(m)` then gives the baseline's m


@dataclass(frozen=True, slots=True)
class Change:
    """A change that starts at `start` (default: the start of the run), ramps in linearly
    `over` that long (default: at once) and ends at `until` (default: never); outside it the
    model's own value holds."""

    start: float | None = None
    over: float | None = None
    until: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    """`set NAME = VALUE` in a scenario: a parameter's value or a stock's initial value."""

    name: str
    value: float
    span: Span | None = _span()
    change: Change = Change()
    table: str | None = None  # the array, for a set written in a table (`set share = {...}`): kept for `format`


@dataclass(frozen=True, slots=True)
class ScenarioScale:
    """`scale TARGET by FACTOR`: multiply the flow named TARGET, or every flow tagged TARGET."""

    target: str
    factor: float
    change: Change = Change()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Sweep:
    """`sweep NAME over [v1, v2, ...]`: one run per value (a grid with other sweeps)."""

    name: str
    values: tuple[float, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Sample:
    """`sample NAME ~ dist(args)`: a parameter drawn at random, `draws` times."""

    name: str
    dist: str
    args: tuple[float, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ScenarioDecl:
    name: str
    title: str | None = None
    extends: str | None = None
    sets: tuple[ScenarioSet, ...] = ()
    scales: tuple[ScenarioScale, ...] = ()
    doc: Doc = Doc()
    span: Span | None = _span()
    sweeps: tuple[Sweep, ...] = ()
    samples: tuple[Sample, ...] = ()
    draws: int | None = None
    seed: int | None = None
    latin_hypercube: bool = False
    report: tuple[str, ...] = ()  # the metrics to show for this scenario; () shows them all
    from_fit: str | None = None  # `sample from fit "FOLDER"`: draw parameters from a calibration's draws


Decl = Union[UnitDecl, DimDecl, StockDecl, FlowDecl, AuxDecl, ParamDecl, LookupDecl, MetricDecl, GroupDecl, ExpectDecl,
             ScenarioDecl]


@dataclass(frozen=True, slots=True)
class Override:
    """`set NAME ...` in a spec that extends another: replaces the fields it gives.

    `value` is the main value whatever the kind (a parameter's value, a stock's initial value,
    an auxiliary's or metric's equation, a flow's rate); `value_key` is the YAML key used for
    it: `value` fits any kind, `initial`/`equation`/`rate` are checked against the kind when the
    specs are merged (None in the DSL).
    """

    name: str
    value: Expr | None = None
    value_key: str | None = field(default=None, compare=False)
    units: UnitExpr | None = None
    tags: tuple[str, ...] | None = None
    bounds: tuple[float, float] | None = None
    non_negative: bool | None = None
    doc: Doc = Doc()
    span: Span | None = _span()
    during: tuple[float, float] | None = None
    # `set x[e] ...` with one name in brackets reads as units or as an element; the merged spec
    # decides. A reading hint, like value_key: the DSL sets it for any one-name units, YAML never.
    maybe_element: str | None = field(default=None, compare=False)
    points: tuple[tuple[float, float], ...] | None = None  # a lookup's new table
    points_span: Span | None = _span()
    # a whole array's new table of elements (`set pop = {young: 1500, else: 2000}`) or CSV file
    # (`set pop = csv "ours.csv"`): its cases, default and table; no dimensions of its own
    elements: ArrayPart | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Origin:
    """One step in a value's history: where it was declared, overridden or removed."""

    action: Literal["declared", "overridden", "removed"]
    span: Span | None


@dataclass(frozen=True, slots=True)
class Expanded:
    """An arrayed declaration after the arrays pass: the dimension of each position and the
    scalar variable that holds each element, `name[e1,e2]`."""

    name: str
    dims: tuple[str, ...]
    indices: tuple[str, ...]  # the index name of each position: the dimension's, or its alias
    elements: tuple[tuple[str, tuple[str, ...]], ...]  # (variable id, elements as declared)
    dim_elements: tuple[tuple[str, ...], ...] = ()  # every element of each position's dimension


@dataclass(frozen=True, slots=True)
class Spec:
    """One model as written. Declarations keep their order of appearance."""

    model: ModelInfo
    time: TimeSpec | None  # None only in a spec that extends another and keeps its time settings
    decls: tuple[Decl, ...]
    file: str = field(default="<spec>", compare=False)
    extends: str | None = None
    overrides: tuple[Override, ...] = ()
    removals: tuple[Removal, ...] = ()
    extends_span: Span | None = field(default=None, compare=False, repr=False)
    # After merging with its bases: each name's history, oldest first.
    origins: tuple[tuple[str, tuple[Origin, ...]], ...] = field(default=(), compare=False, repr=False)
    # Warnings found while reading (e.g. an XMILE model imported without its units).
    notes: tuple[Diagnostic, ...] = field(default=(), compare=False, repr=False)
    # The calibration written in the spec (YAML text, padded with blank lines so that line
    # numbers are the file's); read by `stockflow calibrate`, kept by `format`.
    calibrate: str | None = field(default=None, compare=False, repr=False)
    # Comments, blank lines and each item's lines as written, for `format` (not part of meaning).
    layout: Layout | None = field(default=None, compare=False, repr=False)
    # After the arrays pass: the arrayed declarations, each now one scalar per element.
    arrays: tuple[Expanded, ...] = field(default=(), compare=False, repr=False)
