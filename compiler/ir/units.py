"""Units as sympy dimensions with exact rational scales.

A unit is `scale * dim`, where `dim` is a sympy product of base-unit symbols. Time units are
scaled so that the model's own time unit has scale 1; custom base units (`unit child`) are new
symbols. Values are stored in their variable's declared unit; conversions are exact rationals.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..base.diagnostics import Diagnostic, error
from ..base.hints import did_you_mean
from ..base.names import BUILTIN_UNITS, DIMENSIONLESS, TIME_ALIASES, TIME_SECONDS
from . import ast as A

TIME = sympy.Symbol("[time]", positive=True)



@dataclass(frozen=True, slots=True)
class Unit:
    scale: sympy.Rational
    dim: sympy.Expr

    def __mul__(self, other: Unit) -> Unit:
        return Unit(self.scale * other.scale, self.dim * other.dim)

    def __truediv__(self, other: Unit) -> Unit:
        return Unit(self.scale / other.scale, self.dim / other.dim)

    def __pow__(self, p: int) -> Unit:
        return Unit(self.scale**p, self.dim**p)

    def same_dim(self, other: Unit) -> bool:
        return bool(self.dim == other.dim)

    @property
    def dimensionless(self) -> bool:
        return bool(self.dim == 1)

    def factor_to(self, other: Unit) -> sympy.Rational:
        """Multiply a value in `self` by this to express it in `other` (same dimension)."""
        return sympy.Rational(self.scale / other.scale)


ONE = Unit(sympy.Integer(1), sympy.Integer(1))


class UnitSystem:
    """The units a model may use: built-ins plus its declarations."""

    def __init__(self, time_unit: str):
        self.time_unit = time_unit
        self.table: dict[str, Unit] = {}
        self.display_names: dict[sympy.Expr, str] = {}

    @classmethod
    def build(cls, time_unit: str, decls: list[A.UnitDecl], time_span: object) -> tuple[UnitSystem, list[Diagnostic]]:
        errors: list[Diagnostic] = []
        us = cls(time_unit)
        canonical_time = TIME_ALIASES.get(time_unit, time_unit)
        declared = {d.name: d for d in decls}
        if canonical_time in TIME_SECONDS:
            base = TIME_SECONDS[canonical_time]
        elif time_unit in declared and declared[time_unit].definition is None:
            base = None  # the model counts time in a custom unit (e.g. `unit tick`)
        else:
            errors.append(error("E030", f"unknown time unit `{time_unit}`", time_span,  # type: ignore[arg-type]
                                did_you_mean(time_unit, list(TIME_SECONDS) + list(declared))
                                or "use year, month, week, day, ... or declare `unit NAME` first"))
            base = TIME_SECONDS["year"]
        for name, secs in TIME_SECONDS.items():
            scale = secs / base if base is not None else None
            if scale is not None:
                us.table[name] = Unit(sympy.Rational(scale.numerator, scale.denominator), TIME)
        for alias, name in TIME_ALIASES.items():
            if name in us.table:
                us.table[alias] = us.table[name]
        if base is None:
            us.table[time_unit] = Unit(sympy.Integer(1), TIME)
        for name, f in DIMENSIONLESS.items():
            us.table[name] = Unit(sympy.Rational(f.numerator, f.denominator), sympy.Integer(1))
        us.display_names[TIME] = time_unit
        # Declarations: resolve in passes, so definitions may come in any order (no recursion).
        pending = [d for d in decls if not (base is None and d.name == time_unit)]
        while pending:
            progress, rest = False, []
            for d in pending:
                refs = [n for n, _ in (d.definition.factors if d.definition else ())]
                if any(r not in us.table and r in declared and r != d.name for r in refs):
                    rest.append(d)
                    continue
                progress = True
                us._declare(d, errors)
            if not progress:
                for d in rest:
                    errors.append(error("E030", f"unit `{d.name}` is defined in a circle", d.span,
                                        "define one of these units from base units"))
                break
            pending = rest
        return us, errors

    def _declare(self, d: A.UnitDecl, errors: list[Diagnostic]) -> None:
        if d.definition is None:
            if d.name in BUILTIN_UNITS:
                errors.append(error("E011", f"`{d.name}` is a built-in unit", d.span,
                                    "remove this line or pick another name"))
                return
            if d.name in self.table:
                errors.append(error("E011", f"unit `{d.name}` is declared twice", d.span, "keep one"))
                return
            sym = sympy.Symbol(d.name, positive=True)
            self.table[d.name] = Unit(sympy.Integer(1), sym)
            self.display_names[sym] = d.name
            return
        if any(n == d.name for n, _ in d.definition.factors):
            errors.append(error("E030", f"unit `{d.name}` is defined in terms of itself", d.span,
                                "define it from other units"))
            return
        u = self.lower(d.definition, errors)
        if u is None:
            return
        if d.name in self.table:
            if self.table[d.name] != u:
                what = "a built-in unit" if d.name in BUILTIN_UNITS else "already declared"
                errors.append(error("E011", f"`{d.name}` is {what} with another value", d.span,
                                    "remove this line or pick another name"))
            return
        self.table[d.name] = u

    def lower(self, u: A.UnitExpr, errors: list[Diagnostic]) -> Unit | None:
        out = Unit(sympy.Rational(u.scale.numerator, u.scale.denominator), sympy.Integer(1))
        ok = True
        for name, p in u.factors:
            base = self.table.get(name)
            if base is None and TIME_ALIASES.get(name, name) in TIME_SECONDS:  # time counted in a unit of its own
                ok = False
                errors.append(error("E030", f"`{name}` is a time unit, but this model counts time in "
                                    f"`{self.time_unit}`, which has no fixed length in {TIME_ALIASES.get(name, name)}s", u.span,
                                    f"count time in {TIME_ALIASES.get(name, name)}s, or give this in {self.time_unit}"))
                continue
            if base is None:
                ok = False
                errors.append(error("E030", f"unknown unit `{name}`", u.span,
                                    did_you_mean(name, self.table) or f"declare it with `unit {name}`"))
                continue
            out = out * base**p
        return out if ok else None

    def show(self, u: Unit | None) -> str:
        """Human text for a unit, in the model's own names: `child/year`, `GBP/(child*year)`."""
        if u is None:
            return "(no units)"
        if u.scale != 1 and u.dim != 1:
            # Prefer a named time unit that absorbs the scale: `child*year`, not `12 child*month`.
            p = int(u.dim.as_powers_dict().get(TIME, 0))
            for name in ("year", "quarter", "month", "week", "day", "hour", "minute", "second"):
                named = self.table.get(name)
                if p and named is not None and named.dim == TIME and u.scale / named.scale**p == 1:
                    return self._text(u.dim, name)
        return self._text(u.dim, None, u.scale)

    def _text(self, dim: sympy.Expr, time_name: str | None, scale: sympy.Rational | None = None) -> str:
        u = Unit(sympy.Integer(1) if scale is None else scale, dim)
        num: list[str] = []
        den: list[str] = []
        powers = u.dim.as_powers_dict() if u.dim != 1 else {}
        for sym, p in sorted(powers.items(), key=lambda kv: str(kv[0])):
            name = time_name if (sym == TIME and time_name) else self.display_names.get(sym, str(sym))
            p = int(p)
            (num if p > 0 else den).append(name if abs(p) == 1 else f"{name}^{abs(p)}")
        text = "*".join(num) or "1"
        if den:
            text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
        if u.scale != 1:
            text = f"{_num(u.scale)} {text}" if text != "1" else _num(u.scale)
        return text


def _num(r: sympy.Rational) -> str:
    f = float(r)
    return f"{f:g}" if r.q != 1 or abs(r.p) > 10**6 else str(r.p)
