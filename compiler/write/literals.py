"""Numbers written with units (`pop / 5 [year]`) as named constants, for export.

A checked equation holds such a number as a plain number: its units were used to check and
convert, then dropped. XMILE tools read units from variables only, so an exported `pop / 5`
would be in the wrong units and the model would come back without units (W106). Each one
becomes a constant with its units (`leave_constant = 5 [year]`), used where the number was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..base.diagnostics import Diagnostic, SpecError
from ..base.names import AGGREGATES
from ..ir import ast as A
from ..ir import graph as G
from ..ir.model import CheckedModel
from ..ir.text import unit_text
from ..ir.units import TIME, Unit
from ..ir.walk import rebuild

Marks = dict[str, tuple[Any, Unit, Unit]]


def named_literals(model: CheckedModel) -> tuple[CheckedModel, Marks]:
    """`model` with every number that carries units (other than none at all) read from a
    constant, lowered again with each unit conversion left as a marked symbol (the writer
    names it, `fortnight_per_month`, with its units) and the marks; `model` itself and no
    marks where no variable has units, or where the rewritten model would not check (it
    always should: the constants have the numbers' own units and values)."""
    from ..passes.lower import lower

    g = model.graph
    declared: list[G.Stock | G.Flow | G.Aux | G.Param] = [*g.stocks, *g.flows, *g.auxes, *g.params]
    if all(x.units is None for x in declared):
        return model, {}  # no units to keep (an XMILE model read without them writes `time / 1 [time_unit]`)
    namer = _Namer(model)
    stocks = tuple(replace(s, initial=namer(s.initial, s), rate=None if s.rate is None else namer(s.rate, s))
                   for s in g.stocks)
    flows = tuple(replace(f, rate=namer(f.rate, f)) for f in g.flows)
    auxes = tuple(replace(a, equation=namer(a.equation, a)) for a in g.auxes)
    graph = replace(g, stocks=stocks, flows=flows, auxes=auxes, params=g.params + tuple(namer.params.values()))
    marks: Marks = {}
    try:
        return lower(graph, marks), marks
    except SpecError:
        return model, {}


class _Namer:
    def __init__(self, model: CheckedModel):
        self.m = model
        g = model.graph
        named: list[G.Stock | G.Flow | G.Aux | G.Param | G.Lookup] = [*g.stocks, *g.flows, *g.auxes, *g.params,
                                                                       *g.lookups]
        self.taken = {x.id.lower() for x in named}
        self.params: dict[tuple[str, float, str], G.Param] = {}

    def __call__(self, e: A.Expr, owner: G.Stock | G.Flow | G.Aux) -> A.Expr:
        origin = getattr(owner, "origin", None)
        if origin is not None and origin.function in AGGREGATES:
            return e  # a metric's own variable: XMILE has no metrics, so it is not written
        if isinstance(e, A.Num) and e.unit is not None and self.has_dimension(e.unit):
            return A.Name(self.constant(e, owner).id, e.span)
        return rebuild(e, lambda x: self(x, owner))

    def has_dimension(self, u: A.UnitExpr) -> bool:
        lowered = self.lowered(u)
        return lowered is not None and not lowered.dimensionless

    def lowered(self, u: A.UnitExpr) -> Unit | None:
        errors: list[Diagnostic] = []
        out = self.m.unitsys.lower(u, errors)
        return None if errors else out

    def in_model_time(self, value: float, u: A.UnitExpr) -> tuple[float, A.UnitExpr]:
        """`6 [month]` as `0.5 [year]` in a model run in years: an equation converts a time
        into the model's time unit with a bare factor, which XMILE tools would read as
        changing the constant's units."""
        powers: dict[str, int] = {}
        for name, p in u.factors:
            one = self.lowered(A.UnitExpr(((name, 1),)))
            if one is not None and one.dim == TIME:
                value *= float(one.scale) ** p
                name = self.m.graph.time.unit
            powers[name] = powers.get(name, 0) + p
        return value, A.UnitExpr(tuple(sorted((n, p) for n, p in powers.items() if p)), u.scale)

    def constant(self, e: A.Num, owner: G.Stock | G.Flow | G.Aux) -> G.Param:
        """One constant per owner, value and units; the elements of an array share theirs."""
        assert e.unit is not None
        origin = getattr(owner, "origin", None)
        base = (origin.owner if origin is not None else owner.id).split("[", 1)[0].split("$", 1)[0]
        key = (base, e.value, unit_text(e.unit))
        if key not in self.params:
            value, units = self.in_model_time(e.value, e.unit)
            name, k = f"{base}_constant", 1
            while name.lower() in self.taken:
                k += 1
                name = f"{base}_constant_{k}"
            self.taken.add(name.lower())
            doc = A.Doc(f"written as {e.value:g} [{unit_text(e.unit)}] in the equation of {base}")
            self.params[key] = G.Param(name, name, value, units, None, doc, e.span, e.span)
        return self.params[key]
