"""A stock's flows in one unit: the stock's units per model time unit.

Each flow keeps the units it is declared in (`child/year` beside `child/month` into the same
stock), and the compiler converts each into its stock's rate (`CheckedModel.flow_factors`).
Drawn or added as they stand, such flows would put 60 a year beside 10 a month on one axis
and net them to a fall where the stock rises; pictures of a stock's flows take them through
here first."""

from __future__ import annotations

from typing import Any

import sympy

from .compiler.ir.units import TIME, Unit


def into_stock(model: Any, stock: Any) -> tuple[dict[str, float], str]:
    """Each inflow and outflow of `stock` (a graph stock) as the factor that turns its values
    into the stock's units per model time unit, and that unit's text (for a stock without
    units, the flows' whole units per model time unit, as the compiler converts them)."""
    m = model.checked
    flows = (*stock.inflows, *stock.outflows)
    factors = {f: float(m.flow_factors.get((f, stock.id), 1)) for f in flows}
    units = m.units.get(stock.id)
    if units is None:  # the flows' own units, as a stock without units takes them: whole, per model time unit
        first = next((u for f in flows if (u := m.units.get(f)) is not None), None)
        return factors, m.unitsys.show(Unit(sympy.Integer(1), first.dim)) if first is not None else ""
    return factors, m.unitsys.show(units / Unit(sympy.Integer(1), TIME))
