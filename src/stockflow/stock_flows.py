"""A stock's flows in one unit: the unit its first outflow (else inflow) is given in.

Each flow keeps the units it is declared in (`child/year` beside `child/month` into the same
stock), and the compiler converts each into its stock's rate (`CheckedModel.flow_factors`).
Drawn or added as they stand, such flows would put 60 a year beside 10 a month on one axis
and net them to a fall where the stock rises; pictures of a stock's flows take them through
here first. Flows that share one unit (GIRFEC's, all child/year) keep it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .compiler.ir.units import TIME, Unit


@dataclass(frozen=True)
class StockFlows:
    factors: dict[str, float]  # each flow's values times this: in `unit`
    unit: Unit | None  # the unit they are drawn and added in (None: unknown)
    text: str  # its text, for an axis


def into_stock(model: Any, stock: Any) -> StockFlows:
    """Each inflow and outflow of `stock` (a graph stock) as the factor that turns its values
    into the reference flow's units: its first outflow's, else its first inflow's."""
    m = model.checked
    flows = (*stock.inflows, *stock.outflows)
    rate = {f: m.flow_factors.get((f, stock.id), sympy.Integer(1)) for f in flows}  # into stock units per model time
    ref = next(iter((*stock.outflows, *stock.inflows)), None)
    unit = m.units.get(ref) if ref is not None else None
    if unit is None:  # a flow without units is taken in its stock's units per model time unit
        stock_units = m.units.get(stock.id)
        unit = stock_units / Unit(sympy.Integer(1), TIME) if stock_units is not None else None
        ref = None
    base = rate[ref] if ref is not None else sympy.Integer(1)
    factors = {f: float(r / base) for f, r in rate.items()}
    return StockFlows(factors, unit, m.unitsys.show(unit) if unit is not None else "")
