"""What a simulator of one model structure knows, whichever array module runs it: the
generated functions, where each stock sits in the state, the save points that at(...)
metrics read, and the conserved groups' rows. Nothing here imports JAX."""

from __future__ import annotations

from typing import Any

from ..compiler.base.diagnostics import Diagnostic, SpecError
from ..compiler.codegen.build import ModelFunctions, build
from ..compiler.ir.graph import AggKind
from ..compiler.ir.model import CheckedModel
from ..compiler.read.time import recorded_row
from ._plan import Plan


class SimBase:
    def __init__(self, model: CheckedModel, xp: Any, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()):
        self.model = model
        self.xp = xp
        self.fns: ModelFunctions = build(model, xp, scaled, timed)
        lay = self.fns.layout
        self.state_index = {n: i for i, n in enumerate(lay.stocks)}
        self.trace_count = 0  # how often JAX traced a run function (tests check re-use)

    def at_rows(self, plan: Plan) -> dict[str, int]:
        """The save point each at(...) metric reads; E050 if its time is not one."""
        rows = {}
        for a in self.model.graph.aggregates:
            if a.kind is AggKind.AT:
                row = recorded_row(self.model.aggregate_times[a.id], plan.start, plan.dt * plan.save_every,
                                   plan.stop, a.span, True)
                if isinstance(row, Diagnostic):
                    raise SpecError([row])
                rows[a.id] = row
        return rows

    def group_rows(self) -> list[tuple[list[tuple[int, float]], int]]:
        """Per conserved group: its stocks' places in the state with their scales, and its monitor."""
        g = self.model.graph
        n = len(self.fns.layout.stocks)
        return [([(self.state_index[s], float(self.model.stock_scale[s])) for s in grp.stocks], n + gi)
                for gi, grp in enumerate(g.groups)]
