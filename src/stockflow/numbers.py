"""Numbers as people read them, the one formatter behind the CLI's tables, reports and plots.

Thousands separators, no scientific notation in the range models produce (people misread
1.496e+08), and money - any value in GBP - in pounds: `£126,923,709`."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from .compiler.base.names import time_words  # noqa: F401 - the words are the compiler's, said here too

MONEY = {"gbp": "£"}  # unit name (lower case) -> symbol written before the number


def money_symbol(unit: str | None) -> str | None:
    """The currency symbol of a unit of money (GBP) or of money per something (GBP/year)."""
    if not unit:
        return None
    return MONEY.get(unit.strip().split("/", 1)[0].strip().lower())


def value_text(v: float, unit: str | None = None) -> str:
    """`v` with separators and about four significant digits; whole numbers from a million up;
    in pounds when `unit` is GBP (whole pounds from £1,000; below, pence unless there are none)."""
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    symbol = money_symbol(unit)
    if symbol is not None:
        a = abs(v)
        body = (f"{a:.4e}" if a >= 1e15 else  # as `_plain`: beyond any budget, and past exact decimals
                _rounded(a, 0) if a >= 1000 else _rounded(a, 2).removesuffix(".00"))  # £0, £50, £12.50
        return ("-" if v < 0 and body.strip("0.,") else "") + symbol + body
    return _plain(v)


def _plain(v: float) -> str:
    a = abs(v)
    if a >= 1e15:
        return f"{v:.4e}"  # beyond any count or cost a model holds: say so plainly
    if a >= 1e6:
        return _rounded(v, 0)
    if a >= 100:  # trailing zeros dropped, as below: 200, not 200.00 beside 40
        return _rounded(v, 2).rstrip("0").rstrip(".")
    if a == 0:
        return "0"
    if a < 1e-9:
        return f"{v:.3e}"
    return _fixed(v, 4)


def _fixed(v: float, digits: int) -> str:
    """`digits` significant digits in fixed point, trailing zeros dropped."""
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    text = _rounded(v, decimals, "")
    return text.rstrip("0").rstrip(".") if "." in text else text


def column_texts(values: list[float], unit: str | None = None) -> list[str]:
    """A table column's numbers to one number of decimals, so they line up: as many as give
    its largest about five digits, two at most (13,717 beside 149, not 13,716.58 beside 149)."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    if money_symbol(unit) is not None or not finite or not 1 <= max(finite) < 1e15:  # 1e300 as value_text has it
        return [value_text(v, unit) for v in values]
    places = max(0, min(2, 4 - int(math.floor(math.log10(max(finite))))))
    return [_rounded(v, places) if math.isfinite(v) else value_text(v) for v in values]


def _rounded(v: float, places: int, sep: str = ",") -> str:
    """`v` to `places` decimals, halves away from zero (£1,234.5 is £1,235, as people round
    and as the explorer's JavaScript does; Python's own format rounds halves to even)."""
    exact = Decimal(v).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{exact:{sep}.{places}f}"


def tick_text(v: float, unit: str | None = None) -> str:
    """An axis tick: as few digits as the tick needs, separators, £ for money; never an offset."""
    symbol = money_symbol(unit) or ""
    if abs(v) < 1e-9:  # a tick at zero, give or take rounding
        return symbol + "0"
    text = f"{abs(v):,.10g}"
    if "e" in text:
        text = f"{abs(v):,.0f}" if abs(v) >= 1 else _fixed(abs(v), 10)
    return ("-" if v < 0 else "") + symbol + text


def counted(n: int, noun: str) -> str:
    """`1 run`, `2 runs`, `4,662 shapes`: a count with its noun (a plural in -s)."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def percent_text(relative: float, decimals: int = 1) -> str:
    """A relative change as a signed percentage (`+2.6%`); one too small for `decimals` keeps
    one significant figure (`-0.002%`), as `-0.0%` reads as no change or a rounding slip."""
    pct = relative * 100
    if pct == 0:
        return "0%"
    if abs(pct) < 1e-4:
        return "about 0%"
    if abs(pct) < 0.5 * 10.0 ** -decimals:
        return f"{pct:+.1g}%"
    return f"{pct:+.{decimals}f}%"


def units_label(units: str | None) -> str:
    """Units as tables show them: nothing for a pure number (not `1`)."""
    return "" if (units or "").strip() in ("1", "") else str(units)


def units_shown(units: str | None) -> str:
    """Units as a board reads them: money in £ (`£/(child*year)`), nothing for a pure number;
    as the explorer's `unitLabel` shows them."""
    return re.sub(r"\bGBP\b", "£", units_label(units), flags=re.IGNORECASE)
