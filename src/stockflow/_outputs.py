"""What a run gives back: results with named variables and units, drift warnings (W104), and
the first NaN or infinity found, by variable and time (E060)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from .compiler.base.diagnostics import RunError, error, warning
from .compiler.ir import graph as G
from .compiler.ir.model import CheckedModel
from .compiler.ir.text import unit_text
from .runtime import Plan, Results, VarInfo


class ModelOutputs:
    """The output side of `Model`."""

    checked: CheckedModel


    def variables(self) -> tuple[VarInfo, ...]:
        """Every stock, flow and aux with its display name, kind and units."""
        return self._variables

    @cached_property
    def _variables(self) -> tuple[VarInfo, ...]:
        g = self.checked.graph
        kinds = {s.id: "stock" for s in g.stocks} | {f.id: "flow" for f in g.flows} | {a.id: "aux" for a in g.auxes}
        hidden = {s.id for s in g.stocks if s.hidden} | {a.id for a in g.auxes if a.hidden}
        declared: list[G.Stock | G.Flow | G.Aux] = [*g.stocks, *g.flows, *g.auxes]
        decls = {v.id: v for v in declared}
        lay_outputs = tuple(s.id for s in g.stocks) + tuple(g.order)
        # a column per dimension, named by the alias only where one dimension stands twice
        # (`from`, `to`): `force[a: age]`'s elements are in the `age` column with everything else's
        columns = {a.name: tuple(i if a.dims.count(d) > 1 else d for i, d in zip(a.indices, a.dims, strict=True))
                   for a in g.arrays}
        arrays = {vid: (decls[vid].display.split("[", 1)[0], tuple(zip(columns[a.name], key, strict=True)))
                  for a in g.arrays for vid, key in a.elements if vid in decls}
        return tuple(VarInfo(n, decls[n].display, kinds[n], self.unit_text(n, decls[n].units), n in hidden,
                             *arrays.get(n, ("", ())))
                     for n in lay_outputs)

    def metric_infos(self) -> tuple[VarInfo, ...]:
        return self._metric_infos

    @cached_property
    def _metric_infos(self) -> tuple[VarInfo, ...]:
        return tuple(VarInfo(m.id, m.display, "metric", self.unit_text(m.id, m.units), False)
                     for m in self.checked.graph.metrics)

    def unit_text(self, vid: str, declared: Any) -> str:
        """Units as the spec wrote them, else as inferred; empty when unknown."""
        if declared is not None:
            return unit_text(declared)
        u = self.checked.units.get(vid)
        return self.checked.unitsys.show(u) if u is not None else ""

    def _results(self, p: Plan, keep: tuple[str, ...], traj: np.ndarray, metrics: np.ndarray,
                 drift_values: np.ndarray) -> Results:
        by_id = {v.id: v for v in self.variables()}
        variables = tuple(by_id[k] for k in keep)
        times = np.asarray(p.save_times())
        drift = {g.display: float(d) for g, d in zip(self.checked.graph.groups, drift_values, strict=True)}
        warns = tuple(
            warning("W104", f"the total of group `{name}` drifted by {d:.2e} (relative) from its stocks' "
                    "initial total plus net boundary flow", None,
                    "this points to a compiler bug or to non-finite values; please report it")
            for name, d in drift.items() if d > 1e-9)
        return Results(times, variables, traj, self.metric_infos(), metrics, drift, warns)

    def _check_finite_batch(self, one: Results, traj: np.ndarray, metrics: np.ndarray) -> None:
        """E060 for the first run of a batch with a NaN or infinity (one pass when all are finite)."""
        if np.isfinite(traj).all() and np.isfinite(metrics).all():
            return
        bad = ~(np.isfinite(traj).all(axis=tuple(range(1, traj.ndim))) & np.isfinite(metrics).all(axis=1))
        i = int(np.argmax(bad))
        self._check_finite(one, traj[i], metrics[i], i)

    def _check_finite(self, res: Results, traj: np.ndarray, metrics: np.ndarray, scenario: int | None) -> None:
        """E060 with the first variable (in evaluation order) and time at which NaN/inf appeared."""
        which = "" if scenario is None else f" in scenario {scenario}"
        hint = ("look for division by zero, overflow, or ln/sqrt of a negative value in this "
                "variable's equation; a smaller dt can help")
        bad = ~np.isfinite(traj)
        if bad.any():
            row = int(np.argmax(bad.any(axis=1)))
            col = int(np.argmax(bad[row]))
            v = res.variables[col]
            raise RunError([error("E060", f"`{v.name}` became {traj[row, col]} at time {res.times[row]:g}{which}",
                                  self._span(v.id), hint)])
        badm = ~np.isfinite(metrics)
        if badm.any():
            m = res.metrics[int(np.argmax(badm))]
            raise RunError([error("E060", f"metric `{m.name}` is {metrics[int(np.argmax(badm))]}{which}",
                                  self._span(m.id), hint)])

    def _span(self, vid: str) -> Any:
        g = self.checked.graph
        spanned: list[G.Stock | G.Flow | G.Aux | G.Metric] = [*g.stocks, *g.flows, *g.auxes, *g.metrics]
        for v in spanned:
            if v.id == vid:
                return v.span
        return None
