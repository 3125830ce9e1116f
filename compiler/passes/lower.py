"""Graph -> CheckedModel: infer and check units, insert exact conversions, build sympy.

Unknown units (a variable declared without units) are accepted and not checked; a bare `0`
fits any unit; other bare numbers are dimensionless, except where a time is expected.
"""

from __future__ import annotations

import sympy

from ..base.diagnostics import Diagnostic, Span, SpecError, error
from ..ir import ast as A
from ..ir import graph as G
from ..ir.model import CheckedModel, frozen, sym
from ..ir.units import TIME, Unit, UnitSystem
from ..read.time import grid_faults, recorded_row
from .lower_expr import ExprLowering, Ty, convert


def lower(graph: G.Graph, marks: dict | None = None) -> CheckedModel:
    """The checked model; with `marks` (export), each unit conversion is a symbol recorded there
    instead of a bare factor (see ExprLowering.marks)."""
    return _Lowerer(graph, marks).run()


class _Lowerer(ExprLowering):
    def __init__(self, graph: G.Graph, marks: dict | None = None):
        self.g = graph
        self.marks = marks
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        us, errs = UnitSystem.build(graph.time.unit, list(graph.unit_decls), graph.time.span)
        self.us = us
        self.errors += errs
        self.time_unit = Unit(sympy.Integer(1), TIME)
        self.units: dict[str, Unit | None] = {}
        self.lookups = {lk.id: lk for lk in graph.lookups}
        self.lookup_units: dict[str, tuple[Unit | None, Unit | None]] = {}
        self._units_of: dict[tuple, Unit] = {}  # an array's elements share their declared units

    def err(self, code: str, msg: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, span, hint))

    def show(self, u: Unit | None) -> str:
        return self.us.show(u)

    def declared(self, u: A.UnitExpr | None) -> Unit | None:
        if u is None:
            return None
        key = (u.factors, u.scale)
        if key in self._units_of:
            return self._units_of[key]
        out = self.us.lower(u, self.errors)
        if out is not None:  # a fault is reported at each place it is written
            self._units_of[key] = out
        return out

    # ---------------------------------------------------------------- the pass
    def run(self) -> CheckedModel:
        g = self.g
        self.errors += grid_faults(g.time)
        self.declare_units()
        stocks = {s.id: s for s in g.stocks}
        equations, initials = self.equations(stocks)
        derivatives, factors = self.derivatives(stocks)
        metric_eqs = self.metrics()
        agg_times = {a.id: self.constant_time(a.when) for a in g.aggregates if a.when is not None}
        self.within_run(agg_times)
        for m in g.metrics:  # what `baseline(m)` refers to in expectations under a scenario
            self.units[f"{m.id}$baseline"] = self.units.get(m.id)
        expectations = {ex.id: self.cond(ex.condition, f"expectation `{ex.display}`") for ex in g.expectations}
        scale = {s.id: (u.scale if (u := self.units.get(s.id)) else sympy.Integer(1)) for s in g.stocks}
        boundary = self.conservation(stocks, derivatives, scale)
        if self.errors:
            raise SpecError(self.errors)
        return CheckedModel(g, self.us, frozen(self.units), frozen(equations), frozen(initials),
                            frozen(derivatives), frozen(factors), frozen(metric_eqs), frozen(boundary),
                            frozen(scale), tuple(self.warnings), frozen(expectations), frozen(agg_times))

    def declare_units(self) -> None:
        """The units written on parameters, lookups and stocks, before any equation is typed."""
        g = self.g
        for p in g.params:
            self.units[p.id] = self.declared(p.units)
        for lk in g.lookups:
            self.lookup_units[lk.id] = (self.declared(lk.x_units), self.declared(lk.units))
        for s in g.stocks:
            if s.units_from is G.UnitsFrom.DECLARED:
                self.units[s.id] = self.declared(s.units)

    def equations(self, stocks: dict[str, G.Stock]) -> tuple[dict[str, sympy.Expr], dict[str, sympy.Expr]]:
        """Every auxiliary's and flow's equation (in runtime order) and every stock's initial
        value, typed in initialisation order so each sees the units of what it uses."""
        g = self.g
        auxes = {a.id: a for a in g.auxes}
        flows = {f.id: f for f in g.flows}
        equations: dict[str, sympy.Expr] = {}
        initials: dict[str, sympy.Expr] = {}
        for n in g.init_order:
            if n in stocks:
                initials[n] = self.initial(stocks[n])
            elif n in auxes:
                a = auxes[n]
                expr, ty = self.infer(a.equation)
                if a.units is None:
                    expr, ty = self.whole(expr, ty)
                equations[n] = self.settle(n, a.display, a.units, expr, ty, a.equation.span or a.span)
            else:
                f = flows[n]
                expr, ty = self.infer(f.rate)
                if f.non_negative:
                    expr = sympy.Max(expr, 0)
                equations[n] = self.settle(n, f.display, f.units, expr, ty, f.rate.span or f.span)
        return {n: equations[n] for n in g.order if n in equations}, initials

    def initial(self, s: G.Stock) -> sympy.Expr:
        if s.units_from is G.UnitsFrom.RATE_TIMES_TIME:
            return sympy.Integer(0)
        expr, ty = self.infer(s.initial)
        if s.non_negative and expr.is_number and expr.is_negative:
            self.err("E051", f"`{s.display}` is marked non_negative but starts at {float(expr):g}",
                     s.initial.span or s.span, "give 0 or more, or remove `non_negative`")
        if s.units_from is G.UnitsFrom.INITIAL:
            self.units[s.id] = ty.unit
            return expr
        return self.assign(expr, ty, self.units[s.id], s.display, s.initial.span or s.span, "initial value")

    def derivatives(self, stocks: dict[str, G.Stock]
                    ) -> tuple[dict[str, sympy.Expr], dict[tuple[str, str], sympy.Rational]]:
        """Each stock's d/dt over the flow symbols, and each flow's units factor at each end."""
        g = self.g
        derivatives: dict[str, sympy.Expr] = {}
        factors: dict[tuple[str, str], sympy.Rational] = {}
        for s in g.stocks:
            if s.rate is not None:
                derivatives[s.id] = self.hidden_rate(s)
        for f in g.flows:
            self.flow_ends(f, stocks, factors)
        for s in g.stocks:
            if s.rate is None:  # one Add, not one per flow: a long sum is flattened once
                terms = [_term(factors, fid, s.id, 1) for fid in s.inflows]
                terms += [_term(factors, fid, s.id, -1) for fid in s.outflows]
                derivatives[s.id] = sympy.Add(*terms)
        return derivatives, factors

    # ---------------------------------------------------------------- assignments
    def assign(self, expr: sympy.Expr, ty: Ty, want: Unit | None, name: str, span: Span | None,
               what: str) -> sympy.Expr:
        """Convert `expr` of type `ty` into the unit `want`, reporting a mismatch."""
        if ty.is_bool:
            self.err("E034", f"the {what} of `{name}` is a condition, not a number", span,
                     "use if ... then ... else ... to choose a number")
            return sympy.Integer(0)
        if expr.has(sympy.I):
            self.err("E053", f"the {what} of `{name}` is not a real number (the square root or logarithm of a "
                     "negative constant?)", span, "check the constants in it")
            return sympy.Integer(0)
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            self.err("E053", f"the {what} of `{name}` divides by zero (or is otherwise not a finite number)",
                     span, "check the constants in it; use `if d == 0 then ... else x / d` for a safe division")
            return sympy.Integer(0)
        if want is None or ty.unit is None or ty.any_unit or ty.bare:
            return expr
        if not ty.unit.same_dim(want):
            per_time = (want / ty.unit).dim == 1 / TIME  # a rate whose "per year" is missing
            self.err("E032", f"`{name}` is declared in {self.show(want)} but its {what} is in "
                     f"{self.show(ty.unit)}", span,
                     f"a rate per {self.us.time_unit} is missing: give its number units, e.g. "
                     f"`0.03 [1/{self.us.time_unit}]`, or use a parameter declared in [1/{self.us.time_unit}]"
                     if per_time else
                     f"fix the equation or declare [{self.show(ty.unit)}]")
            return expr
        return self.convert(expr, ty.unit, want)

    def settle(self, n: str, display: str, decl: A.UnitExpr | None, expr: sympy.Expr, ty: Ty,
               span: Span | None) -> sympy.Expr:
        want = self.declared(decl)
        out = self.assign(expr, ty, want, display, span, "equation")
        self.units[n] = want if want is not None else (None if ty.any_unit else ty.unit)
        return out

    def hidden_rate(self, s: G.Stock) -> sympy.Expr:
        assert s.rate is not None
        expr, ty = self.infer(s.rate)
        if s.units_from is G.UnitsFrom.RATE_TIMES_TIME:
            self.units[s.id] = None if ty.unit is None else ty.unit * self.time_unit
            return expr
        if expr.is_Number and expr.is_zero:  # init(x): a stock that never changes (asked of any expression: ms a stock)
            return sympy.Integer(0)
        mine = self.units.get(s.id)
        want = None if mine is None else mine / self.time_unit
        if want is not None and ty.unit is not None and not ty.unit.same_dim(want):
            self.err("E034", f"the delay or smoothing time in `{s.id.split('$')[0]}` is not a time: "
                     f"the rate would be {self.show(ty.unit)}", s.span,
                     f"give the time in {self.us.time_unit}s, e.g. `3 {self.us.time_unit}`")
            return expr
        return self.convert(expr, ty.unit, want) if want is not None and ty.unit is not None else expr

    def flow_ends(self, f: G.Flow, stocks: dict[str, G.Stock],
                  factors: dict[tuple[str, str], sympy.Rational]) -> None:
        fu = self.units.get(f.id)
        su = self.units.get(f.source) if f.source else None
        tu = self.units.get(f.target) if f.target else None
        if su is not None and tu is not None and not su.same_dim(tu):
            self.err("E040", f"flow `{f.display}` moves {self.show(su)} out of `{stocks[f.source].display}` "  # type: ignore[index]
                     f"into `{stocks[f.target].display}`, which holds {self.show(tu)}", f.span,  # type: ignore[index]
                     "a flow must connect stocks of the same kind; use two flows and an aux")
            return
        if fu is None:  # unchecked: the flow is taken to be in its source's (else target's) units per time
            ref = su if su is not None else tu
            fu = None if ref is None else ref / self.time_unit
        for end in (f.source, f.target):
            if end is None:
                continue
            stock_u = self.units.get(end)
            if fu is None:
                continue
            if stock_u is None:  # a stock without units takes a flow in its whole units per model time unit:
                if fu.scale != 1:  # 0.3 [1/year] in a monthly model is 0.025 a month, not 0.3
                    factors[(f.id, end)] = fu.factor_to(Unit(sympy.Integer(1), fu.dim))
                continue
            want = stock_u / self.time_unit
            if not fu.same_dim(want):
                self.err("E033", f"flow `{f.display}` is in {self.show(fu)} but stock "
                         f"`{stocks[end].display}` needs {self.show(want)}", f.span,
                         f"a flow's units are its stock's units per {self.us.time_unit}")
                continue
            factors[(f.id, end)] = fu.factor_to(want)

    def metrics(self) -> dict[str, sympy.Expr]:
        g = self.g
        for agg in g.aggregates:
            u = self.units.get(agg.var)
            if agg.kind is G.AggKind.MEAN:
                u = None if u is None else u / self.time_unit
            self.units[agg.id] = u
        by_id = {m.id: m for m in g.metrics}
        out: dict[str, sympy.Expr] = {}
        for n in g.metric_order:
            m = by_id[n]
            expr, ty = self.infer(m.expr)
            if m.units is None:
                expr, ty = self.whole(expr, ty)
            out[n] = self.settle(n, m.display, m.units, expr, ty, m.expr.span or m.span)
        return out

    def whole(self, expr: sympy.Expr, ty: Ty) -> tuple[sympy.Expr, Ty]:
        """An auxiliary or metric without declared units whose time cancelled into a scale (the
        integral of a cost in GBP/year over a monthly run is in twelfths of a pound): in the
        whole unit, pounds, so that a board reads 12, not 144 of a unit shown as
        `0.0833333 GBP`. A scale with time in it is a named time unit's (`child/year`)."""
        u = ty.unit
        if u is None or ty.any_unit or ty.is_bool or u.scale == 1 or TIME in u.dim.free_symbols:
            return expr, ty
        whole = Unit(sympy.Integer(1), u.dim)
        return self.convert(expr, u, whole), Ty(whole, bare=ty.bare)

    def within_run(self, agg_times: dict[str, float]) -> None:
        """E050 for a summary's times outside the run: `integral(cost, 108, 120)` in a run of
        40 quarters was £0, and `at(x, 60)` failed only when run (times count in the model's
        time unit, so a spec moved from months to quarters keeps its old numbers)."""
        t = self.g.time
        eps = 1e-9 * max(1.0, abs(t.start), abs(t.stop))
        for a in self.g.aggregates:
            if a.window is not None:
                lo, hi = (self.constant_time(x) for x in a.window)
            elif a.kind is G.AggKind.AT and a.id in agg_times:
                lo = hi = agg_times[a.id]
            else:
                continue
            what = f"{a.kind.value}(..., {lo:g}" + (f", {hi:g})" if a.window is not None else ")")
            if a.window is not None and hi <= lo:
                self.err("E050", f"{what}: the window ends before it starts", a.span, "give `from` before `to`")
            elif lo < t.start - eps or hi > t.stop + eps:
                self.err("E050", f"{what}: outside the run, which runs from {t.start:g} to {t.stop:g} (in {t.unit}s)",
                         a.span, f"times count in {t.unit}s, the model's time unit; give times from {t.start:g} to "
                         f"{t.stop:g}, or with their units (`108 month`)")
            elif a.window is None:
                self.recorded(lo, a.span)
        for ex in self.g.expectations:  # a check during no time of the run would pass, never checked
            if ex.during is not None and (ex.during[0] > t.stop + eps or ex.during[1] < t.start - eps):
                self.err("E050", f"expectation `{ex.display}` is checked during [{ex.during[0]:g}, {ex.during[1]:g}], "
                         f"outside the run ({t.start:g} to {t.stop:g}, in {t.unit}s): it would never be checked",
                         ex.span, f"times count in {t.unit}s, the model's time unit")

    def recorded(self, when: float, span: Span | None) -> None:
        """`at(x, 10)` in a run that records every 4: E050 at compile, not at the first run."""
        t = self.g.time
        every = t.save_step or t.dt
        if every > 0:
            row = recorded_row(when, t.start, every, t.stop, span, t.save_step is not None)
            self.errors += [row] if isinstance(row, Diagnostic) else []

    def constant_time(self, e: A.Expr) -> float:
        """A time given to a metric summary, as a number in the model's time unit."""
        x, t = self.number(e, "a metric's time")
        if t.unit is not None and not t.any_unit and not t.unit.same_dim(self.time_unit):
            self.err("E034", f"a time is needed here, not {self.show(t.unit)}", e.span,
                     f"e.g. `24 {self.us.time_unit}`")
            return 0.0
        if t.unit is not None and not t.any_unit:
            x = convert(x, t.unit, self.time_unit)
        if not x.is_number:
            self.err("E034", "a metric's times must be numbers, not equations", e.span, "write a number")
            return 0.0
        return float(x)

    def conservation(self, stocks: dict[str, G.Stock], derivs: dict[str, sympy.Expr],
                     scale: dict[str, sympy.Rational]) -> dict[str, sympy.Expr]:
        """Prove with sympy: d/dt of the group's total equals the net flow across its edge."""
        out: dict[str, sympy.Expr] = {}
        flows = {f.id: f for f in self.g.flows}
        for grp in self.g.groups:
            members = set(grp.stocks)
            dims = {self.units[s].dim for s in members if self.units.get(s) is not None}  # type: ignore[union-attr]
            if len(dims) > 1:
                self.err("E040", f"group `{grp.display}` mixes stocks of different units", grp.span,
                         "a conserved group holds one kind of thing")
                continue
            terms: list[sympy.Expr] = []
            for f in flows.values():
                into, out_of = f.target in members, f.source in members
                if into == out_of:
                    continue
                fu = self.units.get(f.id)
                end = f.target if into else f.source
                if fu is None:
                    ref = self.units.get(f.source) if f.source else self.units.get(f.target)  # type: ignore[arg-type]
                    fscale = ref.scale if ref is not None else scale[end]  # type: ignore[index]
                else:
                    fscale = fu.scale
                terms.append((1 if into else -1) * fscale * sym(f.id))
            net = sympy.Add(*terms)  # one Add: `+=` per flow rebuilt the sum each time, N^2 for an array
            residual = _residual([(scale[s], derivs[s]) for s in dict.fromkeys(grp.stocks) if s in members], net)
            if residual != 0:
                self.err("E041", f"conservation fails for group `{grp.display}`: d(total)/dt - net boundary "
                         f"flow = {residual}", grp.span, "check the units of the flows inside the group")
            out[grp.id] = net
        return out

    # ---------------------------------------------------------------- expressions


def _residual(parts: list[tuple[sympy.Expr, sympy.Expr]], net: sympy.Expr) -> sympy.Expr:
    """sum(scale * d/dt) over a group's stocks, less the net flow across its edge. Each d/dt is
    a sum of flows, each times a number: their coefficients are added flow by flow, linear in
    the group's size (sympy's `expand` of the whole sum took 28 s at 3,200 elements). Any other
    shape of derivative is left to sympy."""
    total: dict[sympy.Basic, sympy.Expr] = {}
    for k, e in [*parts, (sympy.Integer(-1), net)]:
        for term, c in e.as_coefficients_dict().items():
            if term == 1 and c == 0:
                continue
            if not (isinstance(term, sympy.Symbol) and k.is_number and c.is_number):
                return sympy.expand(sympy.Add(*[scale * d for scale, d in parts]) - net)
            total[term] = total.get(term, sympy.Integer(0)) + k * c
    return sympy.Add(*[c * t for t, c in total.items() if c != 0])


def _term(factors: dict[tuple[str, str], sympy.Rational], flow: str, stock: str, sign: int) -> sympy.Expr:
    """A flow's term in a stock's d/dt; without a factor, no product to build (a Mul costs tens
    of microseconds, and an arrayed model has one per element)."""
    f = factors.get((flow, stock))
    if f is None or f == 1:
        return sym(flow) if sign > 0 else -sym(flow)
    return sign * f * sym(flow)
