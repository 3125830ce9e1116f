"""Spec AST -> Graph: resolve names, expand smooth/delay/aggregates, order the equations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..base.diagnostics import Diagnostic, Span, SpecError, error, printable
from ..base.hints import FOREIGN_NAMES, did_you_mean, foreign
from ..base.limits import MAX_HINTED, MAX_LOOKUP_POINTS
from ..base.names import (
    AGGREGATES,
    BUILTINS,
    CONSTANTS,
    RESERVED,
    SPECIAL,
    STATEFUL,
    canonical,
    is_identifier,
)
from ..ir import ast as A
from ..ir import graph as G
from ..ir.text import expr_text
from ..ir.walk import names_in
from .hidden import HiddenVariables
from .ordering import Ordering
from .scenarios import resolve_scenarios


def resolve(spec: A.Spec) -> G.Graph:
    return _Resolver(spec).run()


class _Resolver(HiddenVariables, Ordering):
    def __init__(self, spec: A.Spec):
        self.spec = spec
        self.errors: list[Diagnostic] = []
        self.decls: dict[str, A.Decl] = {}
        self.hidden_stocks: list[G.Stock] = []
        self.too_many_stages = False
        self.hidden_auxes: list[G.Aux] = []
        self.aggregates: list[G.Aggregate] = []
        self.counter: dict[str, int] = {}

    def err(self, code: str, msg: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, span, hint))

    # ---------------------------------------------------------------- the pass
    def run(self) -> G.Graph:
        spec = self.spec
        for d in spec.decls:
            if not isinstance(d, A.UnitDecl) and self.valid_name(d):
                self.decls[canonical(d.name)] = d
        parts = self.resolved()
        all_stocks = _attach(parts.stocks, parts.flows) + self.hidden_stocks
        all_auxes = parts.auxes + self.hidden_auxes
        flows = parts.flows
        scenarios = resolve_scenarios(self.decls, self.errors, spec.time, spec.arrays)
        order = self.order({a.id: a.equation for a in all_auxes} | {f.id: f.rate for f in flows},
                           "E020", "algebraic loop", "break it with a stock, e.g. smooth(...) or delay1(...)")
        init_nodes: dict[str, A.Expr] = {a.id: a.equation for a in all_auxes} | {f.id: f.rate for f in flows}
        init_nodes |= {s.id: s.initial for s in all_stocks}
        init_order = self.order(init_nodes, "E021", "initial values depend on each other in a loop",
                                "give one of these stocks a number as its initial value",
                                must_include={s.id for s in all_stocks})
        metric_order = self.order({m.id: m.expr for m in parts.metrics}, "E020",
                                  "metrics depend on each other in a loop", "define one metric without the others")
        if self.errors:
            raise SpecError(self.errors)
        return G.Graph(spec.model, self.time, tuple(d for d in spec.decls if isinstance(d, A.UnitDecl)),
                       tuple(all_stocks), tuple(flows), tuple(all_auxes), tuple(parts.params),
                       tuple(parts.lookups), tuple(self.aggregates), tuple(parts.metrics), tuple(parts.groups),
                       order, init_order, metric_order, spec.file, tuple(parts.expectations), scenarios,
                       spec.arrays)

    def valid_name(self, d: A.Decl) -> bool:
        """A declaration's name is an identifier, not reserved, not a built-in function for a
        lookup, and not declared before (E003, E011, E012)."""
        cid = canonical(d.name)
        if not is_identifier(d.name.split("[", 1)[0] if d.name.endswith("]") else d.name):
            self.err("E003", f"`{d.name}` is not a valid name", d.span,
                     "use letters, digits and _, starting with a letter")
        elif d.name.lower() in RESERVED:
            self.err("E012", f"`{d.name}` is a reserved word and cannot be used as a name", d.span,
                     f"rename it, e.g. `{d.name}_value`")
        elif isinstance(d, A.LookupDecl) and cid in (*BUILTINS, *STATEFUL, *AGGREGATES):
            self.err("E012", f"`{d.name}` is a built-in function: a lookup of that name would replace it in "
                     "every equation (a base's too)", d.span, f"rename it, e.g. `{d.name}_table`")
        elif cid in self.decls:
            first = self.decls[cid].span
            where = f" (first declared on line {first.line})" if first else ""
            self.err("E011", f"`{d.name}` is declared twice{where}", d.span,
                     "names are case-insensitive; rename or remove one")
        else:
            return True
        return False

    def resolved(self) -> _Parts:
        """Each declaration with its names resolved, by kind, in declaration order."""
        parts = _Parts()
        for cid, d in self.decls.items():
            if isinstance(d, A.StockDecl):
                parts.stocks.append(G.Stock(cid, d.name, self.expr(d.initial, cid, False), d.units,
                                            d.non_negative, d.doc, d.span))
            elif isinstance(d, A.FlowDecl):
                parts.flows.append(self.flow(cid, d))
            elif isinstance(d, A.AuxDecl):
                parts.auxes.append(G.Aux(cid, d.name, self.expr(d.equation, cid, False), d.units, d.doc, d.span))
            elif isinstance(d, A.ParamDecl):
                parts.params.append(self.param(cid, d))
            elif isinstance(d, A.LookupDecl):
                lk = self.lookup(cid, d)
                if lk:
                    parts.lookups.append(lk)
            elif isinstance(d, A.MetricDecl):
                parts.metrics.append(G.Metric(cid, d.name, self.expr(d.expr, cid, True), d.units, d.doc, d.span))
            elif isinstance(d, A.GroupDecl):
                parts.groups.append(self.group(cid, d))
            elif isinstance(d, A.ExpectDecl):
                parts.expectations.append(self.expectation(cid, d))
        return parts

    # ---------------------------------------------------------------- declarations
    def expectation(self, cid: str, d: A.ExpectDecl) -> G.Expectation:
        """An expectation; under a scenario, `baseline(metric)` is the baseline's value of a metric."""
        cond = self.baseline_refs(d.condition, d.under is not None)
        on_metrics = any(isinstance(self.decls.get(n.lower()), A.MetricDecl) or n.endswith("$baseline")
                         for n in names_in(cond))
        under = None
        if d.under is not None:
            under = canonical(d.under)
            if not isinstance(self.decls.get(under), A.ScenarioDecl) and under != "baseline":
                scenarios = [x.name for x in self.decls.values() if isinstance(x, A.ScenarioDecl)]
                self.err("E010", f"expectation `{d.name}` is checked under `{d.under}`, which is not a scenario",
                         d.span, did_you_mean(d.under, scenarios) or "declare the scenario")
        return G.Expectation(cid, d.name, self.expr(cond, cid, on_metrics), d.during, on_metrics, d.doc, d.span,
                             under)

    def baseline_refs(self, e: A.Expr, allowed: bool) -> A.Expr:
        """baseline(m) -> the name `m$baseline`; only in expectations checked under a scenario."""
        if isinstance(e, A.Call) and e.func.lower() == "baseline":
            if not allowed:
                self.err("E015", "`baseline(...)` compares a scenario with the baseline; it needs `under SCENARIO`",
                         e.span, "add `under NAME` to the expectation")
                return A.Num(0.0, None, e.span)
            target = e.args[0] if len(e.args) == 1 else None
            if not isinstance(target, A.Name) or not isinstance(self.decls.get(target.name.lower()), A.MetricDecl):
                self.err("E015", "`baseline(...)` takes the name of a metric", e.span, "e.g. `baseline(total_cost)`")
                return A.Num(0.0, None, e.span)
            return A.Name(target.name.lower() + "$baseline", e.span)
        if isinstance(e, A.Call):
            return A.Call(e.func, tuple(self.baseline_refs(a, allowed) for a in e.args), e.span)
        if isinstance(e, A.BinOp | A.Compare | A.Logic):
            return replace(e, left=self.baseline_refs(e.left, allowed), right=self.baseline_refs(e.right, allowed))
        if isinstance(e, A.Neg | A.Not):
            return replace(e, operand=self.baseline_refs(e.operand, allowed))
        if isinstance(e, A.If):
            return A.If(self.baseline_refs(e.cond, allowed), self.baseline_refs(e.then, allowed),
                        self.baseline_refs(e.orelse, allowed), e.span)
        return e

    def flow(self, cid: str, d: A.FlowDecl) -> G.Flow:
        ends: list[str | None] = []
        for end, span, role in ((d.source, d.source_span, "from"), (d.target, d.target_span, "to")):
            if end is None:
                ends.append(None)
                continue
            target = self.decls.get(canonical(end))
            if target is None:
                stocks = [x.name for x in self.decls.values() if isinstance(x, A.StockDecl)]
                self.err("E014", f"flow `{d.name}` goes {role} `{end}`, which is not declared", span,
                         did_you_mean(end, stocks) or "declare the stock, or write `outside`")
            elif not isinstance(target, A.StockDecl):
                self.err("E014", f"flow `{d.name}` goes {role} `{end}`, which is not a stock", span,
                         "a flow runs between stocks or `outside`")
            ends.append(canonical(end))
        if d.source is not None and d.target is not None and canonical(d.source) == canonical(d.target):
            self.err("E014", f"flow `{d.name}` runs from `{d.source}` to itself", d.span,
                     "a flow between elements of one array leaves out its diagonal with `{ where from != to }` "
                     "(with its own index names)" if "[" in d.name else "a flow must connect two different stocks")
        if d.source is None and d.target is None:
            self.err("E014", f"flow `{d.name}` connects outside to outside", d.span,
                     "connect at least one end to a stock")
        return G.Flow(cid, d.name, ends[0], ends[1], self.expr(d.rate, cid, False), d.units, d.tags,
                      d.non_negative, d.doc, d.span)

    def param(self, cid: str, d: A.ParamDecl) -> G.Param:
        if d.bounds is not None:
            lo, hi = d.bounds
            if lo > hi:
                self.err("E051", f"bounds of `{d.name}` are reversed: [{lo:g}, {hi:g}]", d.span,
                         f"write [{hi:g}, {lo:g}]")
            elif not lo <= d.value <= hi:
                self.err("E051", f"`{d.name}` = {d.value:g} is outside its bounds [{lo:g}, {hi:g}]",
                         d.value_span or d.span, "change the value or the bounds")
        return G.Param(cid, d.name, d.value, d.units, d.bounds, d.doc, d.span, d.value_span)

    def lookup(self, cid: str, d: A.LookupDecl) -> G.Lookup | None:
        span = d.points_span or d.span
        if len(d.points) < 2:
            self.err("E052", f"lookup `{d.name}` needs at least two points", span, "add points as (x, y)")
            return None
        if len(d.points) > MAX_LOOKUP_POINTS:  # one limit for every front-end
            self.err("E006", f"lookup `{d.name}` has {len(d.points):,} points; the limit is {MAX_LOOKUP_POINTS:,}",
                     span, "thin the table")
            return None
        xs = [p[0] for p in d.points]
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            self.err("E052", f"x values of lookup `{d.name}` must increase strictly", span,
                     "sort the points by x and remove repeated x values")
            return None
        return G.Lookup(cid, d.name, tuple(xs), tuple(p[1] for p in d.points), d.units, d.x_units,
                        d.interpolation, d.extrapolation, d.doc, d.span)

    def group(self, cid: str, d: A.GroupDecl) -> G.Group:
        members: list[str] = []
        spans = d.member_spans or (d.span,) * len(d.stocks)
        for name, span in zip(d.stocks, spans, strict=True):
            target = self.decls.get(canonical(name))
            if not isinstance(target, A.StockDecl):
                stocks = [x.name for x in self.decls.values() if isinstance(x, A.StockDecl)]
                what = "is not declared" if target is None else "is not a stock"
                self.err("E042", f"group `{d.name}` lists `{name}`, which {what}", span,
                         did_you_mean(name, stocks) or "list stocks only")
            elif canonical(name) in members:
                self.err("E011", f"group `{d.name}` lists `{name}` twice", span, "list it once")
            else:
                members.append(canonical(name))
        if not d.stocks:
            self.err("E042", f"group `{d.name}` lists no stocks", d.span, "list the stocks it conserves")
        return G.Group(cid, d.name, tuple(members), d.doc, d.span)

    # ---------------------------------------------------------------- expressions


    def expr(self, e: A.Expr, owner: str, in_metric: bool) -> A.Expr:
        """Resolve names to canonical ids; expand stateful calls into hidden stocks."""
        if isinstance(e, A.Num):
            return e
        if isinstance(e, A.Name):
            return self.name(e, in_metric)
        if isinstance(e, A.Call):
            return self.call(e, owner, in_metric)
        if isinstance(e, A.BinOp):
            return A.BinOp(e.op, self.expr(e.left, owner, in_metric), self.expr(e.right, owner, in_metric), e.span)
        if isinstance(e, A.Compare):
            return A.Compare(e.op, self.expr(e.left, owner, in_metric), self.expr(e.right, owner, in_metric), e.span)
        if isinstance(e, A.Logic):
            return A.Logic(e.op, self.expr(e.left, owner, in_metric), self.expr(e.right, owner, in_metric), e.span)
        if isinstance(e, A.Neg):
            return A.Neg(self.expr(e.operand, owner, in_metric), e.span)
        if isinstance(e, A.Not):
            return A.Not(self.expr(e.operand, owner, in_metric), e.span)
        if isinstance(e, A.If):
            return A.If(self.expr(e.cond, owner, in_metric), self.expr(e.then, owner, in_metric),
                        self.expr(e.orelse, owner, in_metric), e.span)
        raise AssertionError(type(e))

    def name(self, e: A.Name, in_metric: bool) -> A.Expr:
        low = e.name.lower()
        if low.endswith("$baseline"):  # made by baseline_refs from a checked metric name
            return A.Name(low, e.span)
        if low in SPECIAL or low in CONSTANTS:
            if in_metric and low in SPECIAL:
                self.err("E015", f"`{e.name}` has no single value in a metric", e.span,
                         "metrics summarise a run; use final(...) or integral(...)")
            return A.Name(low, e.span)
        d = self.decls.get(low)
        if d is None:
            # "did you mean" compares with every name: for the first errors only, so that
            # thousands of undefined names cost no more than a few hundred
            hinted = sum(x.code == "E010" for x in self.errors) < MAX_HINTED
            candidates = [x.name for x in self.decls.values()] + sorted(SPECIAL) if hinted else []
            self.err("E010", f"`{e.name}` is not defined", e.span, foreign(e.name) if e.name.lower() in FOREIGN_NAMES
                     else did_you_mean(e.name, candidates) or "declare it as a param, aux, stock or flow")
            return A.Name(low, e.span)
        if isinstance(d, A.LookupDecl):
            self.err("E015", f"lookup `{e.name}` must be called with an input", e.span, f"write `{e.name}(x)`")
        elif isinstance(d, A.GroupDecl):
            self.err("E015", f"group `{e.name}` cannot be used in an equation", e.span,
                     "add an aux that sums its stocks")
        elif isinstance(d, A.ExpectDecl | A.ScenarioDecl):
            what = "expectation" if isinstance(d, A.ExpectDecl) else "scenario"
            self.err("E015", f"{what} `{e.name}` cannot be used in an equation", e.span,
                     "use a parameter for what differs between scenarios")
        elif isinstance(d, A.MetricDecl) and not in_metric:
            self.err("E015", f"metric `{e.name}` can only be used in other metrics", e.span,
                     "metrics are computed after the run")
        elif in_metric and isinstance(d, A.StockDecl | A.FlowDecl | A.AuxDecl):
            self.err("E015", f"`{e.name}` changes over time; a metric needs one value", e.span,
                     f"wrap it: final({e.name}), integral({e.name}) or mean({e.name})")
        return A.Name(low, e.span)

    def call(self, e: A.Call, owner: str, in_metric: bool) -> A.Expr:
        fname = e.func.lower()
        target = self.decls.get(fname)
        if isinstance(target, A.LookupDecl):
            if len(e.args) != 1:
                self.err("E013", f"lookup `{e.func}` takes one input, not {len(e.args)}", e.span,
                         f"write `{e.func}(x)`")
            if in_metric:
                self.err("E015", "lookups cannot be used directly in metrics", e.span,
                         "wrap the expression in final(...)")
            return A.Call(fname, tuple(self.expr(a, owner, in_metric) for a in e.args), e.span)
        if fname in AGGREGATES:
            return self.aggregate(e, fname, owner, in_metric)
        if fname in STATEFUL:
            if in_metric:
                self.err("E015", f"`{e.func}` cannot be used in a metric", e.span, "use it in an aux")
            return self.stateful(e, fname, owner)
        if fname not in BUILTINS:
            pool = list(BUILTINS) + list(STATEFUL) + list(AGGREGATES) + [
                x.name for x in self.decls.values() if isinstance(x, A.LookupDecl)]
            self.err("E013", f"unknown function `{e.func}`", e.span,
                     foreign(e.func) or did_you_mean(e.func, pool) or "see docs/language.md for the functions")
            return A.Num(0.0, None, e.span)
        if fname in ("min", "max") and len(e.args) == 1:
            self.one_value(e, fname, in_metric)
            return A.Num(0.0, None, e.span)
        lo, hi = BUILTINS[fname]
        self.arity(e, lo, hi)
        return A.Call(fname, tuple(self.expr(a, owner, in_metric) for a in e.args), e.span)

    def one_value(self, e: A.Call, fname: str, in_metric: bool) -> None:
        """`max(x)` of one scalar: the modeller wants the largest over time, or over an array."""
        over_time = {"max": "maximum", "min": "minimum"}[fname]
        arg = printable(expr_text(e.args[0]))
        if in_metric:
            self.err("E013", f"`{e.func}` of one value is that value", e.span,
                     f"the {'largest' if fname == 'max' else 'smallest'} value over the run is `{over_time}({arg})`")
        else:
            self.err("E013", f"`{e.func}` of one value is that value", e.span,
                     f"`{fname}(a, b)` compares values; over an array name its dimension, `{fname}(x[level])`; "
                     f"over the run, a metric's `{over_time}(x)`")

    def arity(self, e: A.Call, lo: int, hi: int | None) -> bool:
        n = len(e.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
            self.err("E013", f"`{e.func}` takes {want} arguments, not {n}", e.span,
                     "see docs/language.md for its arguments")
            return False
        return True





    # ---------------------------------------------------------------- ordering


@dataclass
class _Parts:
    stocks: list[G.Stock] = field(default_factory=list)
    flows: list[G.Flow] = field(default_factory=list)
    auxes: list[G.Aux] = field(default_factory=list)
    params: list[G.Param] = field(default_factory=list)
    lookups: list[G.Lookup] = field(default_factory=list)
    metrics: list[G.Metric] = field(default_factory=list)
    groups: list[G.Group] = field(default_factory=list)
    expectations: list[G.Expectation] = field(default_factory=list)


def _attach(stocks: list[G.Stock], flows: list[G.Flow]) -> list[G.Stock]:
    """The stocks with their inflows and outflows, in flow order."""
    ins: dict[str, list[str]] = {s.id: [] for s in stocks}
    outs: dict[str, list[str]] = {s.id: [] for s in stocks}
    for f in flows:
        if f.source in outs:
            outs[f.source].append(f.id)
        if f.target in ins:
            ins[f.target].append(f.id)
    return [replace(s, inflows=tuple(ins[s.id]), outflows=tuple(outs[s.id])) for s in stocks]
