"""Numbers as messages and reports write them for people: thousands separators and a given
number of significant digits, in fixed point (`100,182,857`, `299.996`), never `1.00183e+08`."""

from __future__ import annotations

import math


def significant(v: float, digits: int) -> str:
    """`v` with at least `digits` significant digits and separators; scientific notation only
    for a value no fixed point writes well (below 1e-6 or from 1e15, or not finite)."""
    if not math.isfinite(v) or v == 0 or not 1e-6 <= abs(v) < 1e15:
        return f"{v:.{digits}g}"
    places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{places}f}"
