"""The variables a spec does not declare: the stages of smooth/delay calls and init values as
hidden stocks, and the accumulators and arguments behind metric summaries (integral, mean,
at, final, maximum, ...), each with a typed origin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..base.diagnostics import Diagnostic
from ..base.limits import MAX_HIDDEN_STOCKS
from ..base.names import AGGREGATES, GREEN_BOOK_DISCOUNT, MAX_STAGES, STATEFUL
from ..ir import ast as A
from ..ir import graph as G


class HiddenVariables:
    """The resolver's part that makes hidden variables (a mixin of `_Resolver`)."""

    spec: A.Spec
    errors: list[Diagnostic]
    hidden_stocks: list[G.Stock]
    hidden_auxes: list[G.Aux]
    aggregates: list[G.Aggregate]
    counter: dict[str, int]
    too_many_stages: bool

    err: Callable[..., None]
    expr: Callable[[A.Expr, str, bool], A.Expr]
    arity: Callable[[A.Call, int, int | None], bool]

    @property
    def time(self) -> A.TimeSpec:
        assert self.spec.time is not None, "a merged spec always has time settings (E003 otherwise)"
        return self.spec.time

    def fresh(self, owner: str, what: str) -> tuple[str, G.HiddenOrigin]:
        """A new hidden id for a call of `what` in `owner`'s equation, and its origin. The id
        holds `$`, which no user name can, so it never collides; nothing reads it back."""
        key = f"{owner}${what}"
        n = self.counter.get(key, 0) + 1
        self.counter[key] = n
        return f"{key}{n}", G.HiddenOrigin(owner, what, n)

    def aggregate(self, e: A.Call, fname: str, owner: str, in_metric: bool) -> A.Expr:
        if not in_metric:
            self.err("E015", f"`{e.func}(...)` summarises a whole run and is only allowed in metrics", e.span,
                     "declare a metric, or use smooth(...) for a running average")
            return A.Num(0.0, None, e.span)
        lo, hi = AGGREGATES[fname]
        if not self.arity(e, lo, hi):
            return A.Num(0.0, None, e.span)
        if fname in ("integral", "mean") and len(e.args) == 2:
            self.err("E013", f"`{fname}` takes 1 argument, or 3 for a window: {fname}(x, from, to)", e.span,
                     f"e.g. `{fname}(cost_rate, 24, 60)`")
            return A.Num(0.0, None, e.span)
        sp = e.span
        arg = self.expr(e.args[0], owner, False)
        agg_id, origin = self.fresh(owner, fname)
        when: A.Expr | None = None
        extra: list[A.Expr] = []
        if fname != "discounted":  # the other arguments are times
            extra = [self.time_value(self.expr(x, owner, False)) for x in e.args[1:]]
        if fname == "discounted":
            # x * (1 + r) ^ -((time - start) / 1 year): discounted to the start of the run
            rate = self.expr(e.args[1], owner, False) if len(e.args) > 1 else A.Num(GREEN_BOOK_DISCOUNT, None, sp)
            start = A.Num(self.time.start, A.UnitExpr(((self.time.unit, 1),)), sp)
            years = A.BinOp(A.BinOpKind.DIV, A.BinOp(A.BinOpKind.SUB, A.Name("time", sp), start, sp),
                            A.Num(1.0, A.UnitExpr((("year", 1),)), sp), sp)
            factor = A.BinOp(A.BinOpKind.POW, A.BinOp(A.BinOpKind.ADD, A.Num(1.0, None, sp), rate, sp),
                             A.Neg(years, sp), sp)
            arg, kind = A.BinOp(A.BinOpKind.MUL, arg, factor, sp), G.AggKind.INTEGRAL
        elif fname in ("integral", "mean") and extra:
            t0, t1 = extra
            inside = A.Logic("and", A.Compare(A.CompareKind.GE, A.Name("time", sp), t0, sp),
                             A.Compare(A.CompareKind.LT, A.Name("time", sp), t1, sp), sp)
            arg = A.If(inside, arg, A.Num(0.0, None, sp), sp)
            kind = G.AggKind(fname)
            when = A.BinOp(A.BinOpKind.SUB, t1, t0, sp) if fname == "mean" else None
        else:
            kind = G.AggKind(fname)
            when = extra[0] if extra else None
        if kind in (G.AggKind.INTEGRAL, G.AggKind.MEAN):
            self.hidden_stocks.append(G.Stock(agg_id + "$acc", agg_id, A.Num(0.0, None, sp), None, False,
                                              A.Doc(), sp, rate=arg, origin=origin,
                                              units_from=G.UnitsFrom.RATE_TIMES_TIME))
            window = (extra[0], extra[1]) if fname in ("integral", "mean") and extra else None
            self.aggregates.append(G.Aggregate(agg_id, kind, agg_id + "$acc", sp, when, window))
        else:
            self.hidden_auxes.append(G.Aux(agg_id + "$arg", agg_id, arg, None, A.Doc(), sp, origin=origin))
            self.aggregates.append(G.Aggregate(agg_id, kind, agg_id + "$arg", sp, when))
        return A.Name(agg_id, sp)

    def time_value(self, e: A.Expr) -> A.Expr:
        """A bare number where a time is expected counts in the model's time unit."""
        if isinstance(e, A.Num) and e.unit is None:
            return A.Num(e.value, A.UnitExpr(((self.time.unit, 1),)), e.span)
        return e

    def stateful(self, e: A.Call, fname: str, owner: str) -> A.Expr:
        lo, hi = STATEFUL[fname]
        if not self.arity(e, lo, hi):
            return A.Num(0.0, None, e.span)
        sp = e.span
        x = self.expr(e.args[0], owner, False)
        base, origin = self.fresh(owner, fname)
        if fname == "init":
            # The value at the start: a hidden stock that never changes.
            self.hidden_stocks.append(G.Stock(base, base, x, None, False,
                                              A.Doc(description=f"hidden initial value in {owner}"), sp,
                                              rate=A.Num(0.0, None, sp), origin=origin,
                                              units_from=G.UnitsFrom.INITIAL))
            return A.Name(base, sp)
        T = self.expr(e.args[1], owner, False)
        if isinstance(T, A.Num) and T.unit is None:  # a bare delay time counts in the model's time unit
            T = A.Num(T.value, A.UnitExpr(((self.time.unit, 1),)), T.span)
        rest = list(e.args[2:])
        if fname == "delay_fixed":
            order = self.pipeline(T, e)
        elif fname.endswith("n"):
            order = self.stages(rest.pop(0), fname)
        else:
            order = 3 if fname.endswith("3") else 1
        init = self.expr(rest[0], owner, False) if rest else x
        T_stage = T if order == 1 else A.BinOp(A.BinOpKind.DIV, T, A.Num(float(order), None, sp), sp)
        ids = [base if order == 1 else f"{base}.{i + 1}" for i in range(order)]
        origins = {sid: replace(origin, stage=0 if order == 1 else i + 1) for i, sid in enumerate(ids)}
        doc = A.Doc(description=f"hidden stage of {fname} in {owner}")
        if fname.startswith("smooth"):
            prev: A.Expr = x
            for sid in ids:
                rate = A.BinOp(A.BinOpKind.DIV, A.BinOp(A.BinOpKind.SUB, prev, A.Name(sid, sp), sp), T_stage, sp)
                self.hidden_stocks.append(G.Stock(sid, sid, init, None, False, doc, sp, rate=rate, origin=origins[sid],
                                                  units_from=G.UnitsFrom.INITIAL))
                prev = A.Name(sid, sp)
            return prev
        # delay: material in transit; each stage drains at its content / stage time
        prev = x
        for sid in ids:
            out = A.BinOp(A.BinOpKind.DIV, A.Name(sid, sp), T_stage, sp)
            rate = A.BinOp(A.BinOpKind.SUB, prev, out, sp)
            self.hidden_stocks.append(G.Stock(sid, sid, A.BinOp(A.BinOpKind.MUL, init, T_stage, sp), None, False,
                                              doc, sp, rate=rate, origin=origins[sid],
                                              units_from=G.UnitsFrom.INITIAL))
            prev = out
        return prev

    def pipeline(self, T: A.Expr, e: A.Call) -> int:
        """delay_fixed(x, T): one stage per step of dt. With Euler a stage of time constant dt
        hands its content on exactly one step later, so the chain returns x exactly T earlier."""
        t = self.time
        in_time = isinstance(T, A.Num) and (T.unit is None or (T.unit.factors == ((t.unit, 1),) and T.unit.scale == 1))
        value = T.value if isinstance(T, A.Num) and in_time else None
        if t.method is not A.Method.EULER:
            self.err("E013", "`delay_fixed` shifts its input by whole steps, which only Euler does exactly", e.span,
                     "use `method euler`, or delay3/delayn for a smooth delay")
            return 1
        steps = value / t.dt if value is not None else None
        if steps is None or abs(steps - round(steps)) > 1e-9 * max(1.0, steps) or round(steps) < 1:
            self.err("E013", f"the time of `delay_fixed` must be a number in {t.unit} that is a whole number of dt "
                     f"({t.dt:g})", T.span, f"e.g. `delay_fixed(x, {3 * t.dt:g})`")
            return 1
        return self.stages(A.Num(float(round(steps)), None, T.span), "delay_fixed", MAX_HIDDEN_STOCKS)

    def stages(self, n: A.Expr, fname: str, most: int = MAX_STAGES) -> int:
        """The number of stages of smoothn/delayn: a whole number written in the spec. All the
        stages of a model together are bounded too, before any is made."""
        value = n.value if isinstance(n, A.Num) and n.unit is None else None
        if value is None or value != int(value) or not 1 <= value <= most:
            self.err("E013", f"the number of stages of `{fname}` must be a whole number from 1 to {most}",
                     n.span, f"write it as a number, e.g. `{fname}(x, 6, 4)`")
            return 1
        if len(self.hidden_stocks) + int(value) > MAX_HIDDEN_STOCKS:
            if self.too_many_stages:
                return 1  # said once, at the first call past the limit
            self.too_many_stages = True
            self.err("E006", f"smooth and delay stages would make more than {MAX_HIDDEN_STOCKS:,} hidden stocks",
                     n.span, "use fewer stages, or fewer smooth/delay calls")
            return 1
        return int(value)
