"""The units and sympy form of one expression: what each operator and built-in function
accepts and gives, with exact conversions where units differ only in scale (E030-E034)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sympy

from ..base.diagnostics import Diagnostic, Span, warning
from ..ir import ast as A
from ..ir import graph as G
from ..ir.model import DT_SYM, TIME_SYM, sym
from ..ir.units import ONE, Unit, UnitSystem


@dataclass(frozen=True, slots=True)
class Ty:
    """The type of an expression: a quantity (unit None = unchecked), or a condition."""

    unit: Unit | None
    is_bool: bool = False
    any_unit: bool = False  # the literal 0
    bare: bool = False  # a number written without units


BOOL = Ty(None, is_bool=True)
UNKNOWN = Ty(None)


class ExprLowering:
    """The lowerer's part that types expressions (a mixin of `_Lowerer`)."""

    g: G.Graph
    us: UnitSystem
    errors: list[Diagnostic]
    warnings: list[Diagnostic]
    units: dict[str, Unit | None]
    time_unit: Unit
    lookups: dict[str, G.Lookup]
    lookup_units: dict[str, tuple[Unit | None, Unit | None]]
    err: Callable[..., None]
    show: Callable[[Unit | None], str]
    # For export: each conversion kept as a symbol (`$conv0`) standing for (factor, have, want),
    # so that the XMILE writer can write it as a named constant with units (None: plain factors)
    marks: dict[str, tuple[sympy.Expr, Unit, Unit]] | None = None

    def convert(self, expr: sympy.Expr, have: Unit | None, want: Unit | None) -> sympy.Expr:
        if self.marks is None or have is None or want is None or have.factor_to(want) == 1:
            return convert(expr, have, want)
        key = next((k for k, (_, h, w) in self.marks.items() if h == have and w == want), None)
        if key is None:
            key = f"$conv{len(self.marks)}"
            self.marks[key] = (have.factor_to(want), have, want)
        return sympy.Symbol(key) * expr

    def infer(self, e: A.Expr) -> tuple[sympy.Expr, Ty]:
        if isinstance(e, A.Num):
            if e.unit is not None:
                u = self.us.lower(e.unit, self.errors)
                return _const(e.value), Ty(u)
            return _const(e.value), Ty(ONE, any_unit=e.value == 0, bare=True)
        if isinstance(e, A.Name):
            if e.name == "time":
                return TIME_SYM, Ty(self.time_unit)
            if e.name == "dt":
                return DT_SYM, Ty(self.time_unit)
            if e.name == "pi":
                return sympy.pi, Ty(ONE)
            return sym(e.name), Ty(self.units.get(e.name))
        if isinstance(e, A.BinOp):
            return self.binop(e)
        if isinstance(e, A.Neg):
            x, t = self.number(e.operand, "`-`")
            return -x, Ty(t.unit, any_unit=t.any_unit, bare=t.bare)
        if isinstance(e, A.Compare):
            (a, ta), (b, tb) = self.number(e.left, e.op.value), self.number(e.right, e.op.value)
            b, _ = self.unify(b, ta, tb, e.span, "compare")
            rel = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge,
                   "==": sympy.Eq, "!=": sympy.Ne}[e.op.value]
            return rel(a, b, evaluate=True), BOOL
        if isinstance(e, A.Logic):
            a, b = self.cond(e.left, e.op), self.cond(e.right, e.op)
            return (sympy.And(a, b) if e.op == "and" else sympy.Or(a, b)), BOOL
        if isinstance(e, A.Not):
            return sympy.Not(self.cond(e.operand, "not")), BOOL
        if isinstance(e, A.If):
            c = self.cond(e.cond, "if")
            (a, ta), (b, tb) = self.number(e.then, "then"), self.number(e.orelse, "else")
            b, t = self.unify(b, ta, tb, e.span, "choose between")
            return sympy.Piecewise((a, c), (b, True)), t
        if isinstance(e, A.Call):
            return self.call(e)
        raise AssertionError(type(e))

    def number(self, e: A.Expr, where: str) -> tuple[sympy.Expr, Ty]:
        x, t = self.infer(e)
        if t.is_bool:
            self.err("E034", f"a condition is used as a number in {where}", e.span,
                     "use if ... then ... else ... to turn a condition into a number")
            return sympy.Integer(0), UNKNOWN
        return x, t

    def cond(self, e: A.Expr, where: str) -> sympy.Expr:
        x, t = self.infer(e)
        if not t.is_bool:
            self.err("E034", f"`{where}` needs a condition, but this is a number", e.span,
                     "compare it, e.g. `x > 0`")
            return sympy.true
        return x

    def unify(self, b: sympy.Expr, ta: Ty, tb: Ty, span: Span | None, what: str) -> tuple[sympy.Expr, Ty]:
        """Make b's units those of a (for +, -, comparisons, min/max, if branches)."""
        if ta.any_unit:
            return b, tb
        if tb.any_unit or ta.unit is None or tb.unit is None:
            return b, ta if ta.unit is not None else tb
        if not ta.unit.same_dim(tb.unit):
            if ta.bare or tb.bare:
                # A number written without units takes the other side's units, with a warning.
                other = tb.unit if ta.bare else ta.unit
                self.warnings.append(warning(
                    "W105", f"a number without units is taken to be in {self.show(other)} here", span,
                    f"write it with its units, e.g. `5 {self.show(other)}` or `5 [{self.show(other)}]`"))
                return b, (tb if ta.bare else ta)
            else:
                self.err("E031", f"cannot {what} {self.show(ta.unit)} and {self.show(tb.unit)}", span,
                         "both sides must have the same units; check each term")
            return b, ta
        return self.convert(b, tb.unit, ta.unit), ta

    def binop(self, e: A.BinOp) -> tuple[sympy.Expr, Ty]:
        op = e.op.value
        (a, ta), (b, tb) = self.number(e.left, f"`{op}`"), self.number(e.right, f"`{op}`")
        if e.op in (A.BinOpKind.ADD, A.BinOpKind.SUB):
            b, t = self.unify(b, ta, tb, e.span, "add" if op == "+" else "subtract")
            return (a + b if op == "+" else a - b), t
        ua = ONE if ta.any_unit else ta.unit
        ub = ONE if tb.any_unit else tb.unit
        if e.op is A.BinOpKind.MUL:
            return a * b, Ty(None if ua is None or ub is None else ua * ub)
        if e.op is A.BinOpKind.DIV:
            return a / b, Ty(None if ua is None or ub is None else ua / ub)
        # power
        if ub is not None and not ub.dimensionless:
            self.err("E034", f"an exponent must be dimensionless, not {self.show(ub)}", e.right.span,
                     "divide it by a quantity of the same units")
        if ub is not None and ub.scale != 1:
            b = b * ub.scale
        if ua is None or ua.dimensionless:
            if ua is not None and ua.scale != 1:
                a = a * ua.scale
            return self.power(a, b, e.span), Ty(None if ua is None else ONE)
        if not (b.is_number and float(b) == int(float(b))):
            self.err("E034", f"{self.show(ua)} can only be raised to a whole-number constant power",
                     e.span, "make the base dimensionless or use a fixed integer exponent")
            return a**b, UNKNOWN
        p = int(float(b))
        return a ** sympy.Integer(p), Ty(ua**p)

    def power(self, a: sympy.Expr, b: sympy.Expr, span: Span | None) -> sympy.Expr:
        """a^b; two constants are raised in floating point, as the run would, so that a tower
        such as 9^9^9 is E053 at once instead of sympy computing an exact integer of 370
        million digits."""
        if not (a.is_number and b.is_number) or (b.is_Integer and abs(int(b)) <= 64):
            return a**b
        try:
            value = math.pow(float(a), float(b))
        except (OverflowError, ValueError, TypeError):
            value = math.nan
        if not math.isfinite(value):
            self.err("E053", "this power of two constants is too large, or not a real number", span,
                     "check the constants; a 64-bit float holds values up to about 1.8e308")
            return sympy.Integer(0)
        return sympy.Float(value)

    def time_arg(self, e: A.Expr, fname: str) -> sympy.Expr:
        """A time argument: bare numbers count in the model's time unit."""
        x, t = self.number(e, f"`{fname}`")
        if _is_bare_number(e) or t.unit is None or t.any_unit:
            return x
        if not t.unit.same_dim(self.time_unit):
            self.err("E034", f"`{fname}` needs a time here, not {self.show(t.unit)}", e.span,
                     f"e.g. `5 {self.us.time_unit}`")
            return x
        return self.convert(x, t.unit, self.time_unit)

    def call(self, e: A.Call) -> tuple[sympy.Expr, Ty]:
        f = e.func
        if f in self.lookups:
            return self.lookup_call(e)
        if f in ("min", "max", "mod", "rem"):
            x, t = self.number(e.args[0], f"`{f}`")
            vals = [x]
            for arg in e.args[1:]:
                y, ty = self.number(arg, f"`{f}`")
                y, t = self.unify(y, t, ty, arg.span, f"take {f} of")
                vals.append(y)
            if f in ("mod", "rem") and vals[1].is_zero:
                self.err("E053", f"`{f}(..., 0)` divides by zero", e.span, "give a divisor that is not zero")
                return sympy.Integer(0), t
            if f == "mod":
                return sympy.Mod(vals[0], vals[1]), t
            if f == "rem":
                return vals[0] - vals[1] * _trunc(vals[0] / vals[1]), t
            return (sympy.Min if f == "min" else sympy.Max)(*vals), t
        if f in ("abs", "floor", "ceil", "trunc", "round"):
            x, t = self.number(e.args[0], f"`{f}`")
            fn = {"abs": sympy.Abs, "floor": sympy.floor, "ceil": sympy.ceiling, "trunc": _trunc,
                  "round": _round}[f]
            return fn(x), t
        if f == "sqrt":
            x, t = self.number(e.args[0], "`sqrt`")
            if t.unit is None or t.unit.dimensionless:
                return sympy.sqrt(x), Ty(None if t.unit is None else ONE)
            powers = t.unit.dim.as_powers_dict()
            if any(int(p) % 2 for p in powers.values()):
                self.err("E034", f"cannot take the square root of {self.show(t.unit)}", e.span,
                         "only units with even powers have square roots")
                return sympy.sqrt(x), UNKNOWN
            return sympy.sqrt(x), Ty(Unit(sympy.sqrt(t.unit.scale), sympy.sqrt(t.unit.dim)))
        if f in ("exp", "ln", "log", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh"):
            args = [self.dimensionless(a, f) for a in e.args]
            x = args[0]
            if f == "log":
                return (sympy.log(x, args[1]) if len(args) == 2 else sympy.log(x, 10)), Ty(ONE)
            fn = {"exp": sympy.exp, "ln": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
                  "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh,
                  "cosh": sympy.cosh, "tanh": sympy.tanh}[f]
            return fn(x), Ty(ONE)
        if f == "step":
            h, th = self.number(e.args[0], "`step`")
            t0 = self.time_arg(e.args[1], "step")
            return sympy.Piecewise((h, sympy.Ge(TIME_SYM, t0)), (0, True)), th
        if f == "ramp":
            slope, ts = self.number(e.args[0], "`ramp`")
            t0 = self.time_arg(e.args[1], "ramp")
            inner = sympy.Max(TIME_SYM, t0)
            if len(e.args) == 3:
                inner = sympy.Min(inner, self.time_arg(e.args[2], "ramp"))
            unit = None if ts.unit is None else ts.unit * self.time_unit
            return slope * (inner - t0), Ty(unit)
        if f == "pulse":
            h, th = self.number(e.args[0], "`pulse`")
            t0 = self.time_arg(e.args[1], "pulse")
            width = self.time_arg(e.args[2], "pulse") if len(e.args) == 3 else DT_SYM
            cond = sympy.And(sympy.Ge(TIME_SYM, t0), sympy.Lt(TIME_SYM, t0 + width))
            return sympy.Piecewise((h, cond), (0, True)), th
        raise AssertionError(f)

    def dimensionless(self, e: A.Expr, fname: str) -> sympy.Expr:
        x, t = self.number(e, f"`{fname}`")
        if t.unit is None or t.any_unit:
            return x
        if not t.unit.dimensionless:
            self.err("E034", f"`{fname}` needs a dimensionless argument, not {self.show(t.unit)}", e.span,
                     "divide by a quantity of the same units first")
            return x
        return x * t.unit.scale if t.unit.scale != 1 else x

    def lookup_call(self, e: A.Call) -> tuple[sympy.Expr, Ty]:
        xu, yu = self.lookup_units[e.func]
        x, t = self.number(e.args[0], f"lookup `{e.func}`")
        if xu is not None and t.unit is not None and not t.any_unit:
            if not t.unit.same_dim(xu):
                self.err("E034", f"lookup `{e.func}` takes {self.show(xu)}, not {self.show(t.unit)}", e.span,
                         "convert the input, or change the lookup's x_units")
            else:
                x = self.convert(x, t.unit, xu)
        return sympy.Function(e.func)(x), Ty(yu if yu is not None else ONE)


def _const(v: float) -> sympy.Expr:
    """Whole numbers stay exact, so `x / 10` divides by 10 rather than multiplying by 0.1."""
    return sympy.Integer(int(v)) if v.is_integer() and abs(v) < 2**53 else sympy.Float(v)


def _trunc(x: sympy.Expr) -> sympy.Expr:
    """Towards zero, as Vensim's INTEGER and XMILE's INT in the reference models."""
    return sympy.Piecewise((sympy.floor(x), sympy.Ge(x, 0)), (sympy.ceiling(x), True))


def _round(x: sympy.Expr) -> sympy.Expr:
    """To the nearest whole number, halves away from zero."""
    half = sympy.Rational(1, 2)
    return sympy.Piecewise((sympy.floor(x + half), sympy.Ge(x, 0)), (sympy.ceiling(x - half), True))


def convert(expr: sympy.Expr, have: Unit | None, want: Unit | None) -> sympy.Expr:
    if have is None or want is None:
        return expr
    f = have.factor_to(want)
    return expr if f == 1 else f * expr


def _is_bare_number(e: A.Expr) -> bool:
    while isinstance(e, A.Neg):
        e = e.operand
    return isinstance(e, A.Num) and e.unit is None
