"""What the Connection Explorer's page needs of a model: the generated run code, the step
grid and what a run records, and each scenario as inputs to that code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .compiler.ir.graph import AggKind
from .compiler.write.javascript import JsModel, to_javascript


def generate(model: Any) -> JsModel:
    """The generated model, with inputs for every flow any scenario scales and every parameter
    any scenario changes over time, so one page serves every scenario."""
    from .runtime._scenario_inputs import structure

    scaled, timed = structure(model.checked.graph.scenarios)
    return to_javascript(model.checked, scaled, timed)


def plan_of(model: Any, js: JsModel, method: str | None = None, dt: float | None = None) -> dict[str, Any]:
    """The step grid and the slots a run reads: outputs recorded at save points, extremes,
    metric summaries, metrics."""
    m = model.checked
    g = m.graph
    p = model.plan(method, dt)
    every = p.save_every
    extremes = [a.var for a in g.aggregates if a.kind in (AggKind.MAXIMUM, AggKind.MINIMUM)]
    aggs = []
    for a in g.aggregates:
        entry: dict[str, Any] = {"kind": a.kind.value, "slot": js.slots[a.id], "var": js.slots.get(a.var),
                                 "state": js.stocks.index(a.var) if a.var in js.stocks else None,
                                 "span": m.aggregate_times.get(a.id) if a.kind is AggKind.MEAN else None,
                                 "ext": extremes.index(a.var) if a.var in extremes else None, "row": None}
        if a.kind is AggKind.AT:
            entry["row"] = round((m.aggregate_times[a.id] - p.start) / (p.dt * every))
        aggs.append(entry)
    outputs = [v.id for v in model.variables()]
    return {"start": p.start, "dt": p.dt, "nSteps": p.n_steps, "saveEvery": every, "method": p.method.value,
            "outputs": [js.slots[o] for o in outputs], "extremes": [js.slots[x] for x in extremes],
            "metrics": [js.slots[mm.id] for mm in g.metrics], "aggregates": aggs}


def inputs_of(model: Any, js: JsModel, scenario: Any | None, params: dict[str, float] | None = None
              ) -> tuple[list[float], dict[int, float]]:
    """The parameter vector (model parameters, then each scaled flow's and timed parameter's
    four inputs) and the initial-value overrides by state index, for a scenario (None: the
    model as written) with `params` set on top."""
    from dataclasses import replace

    from .compiler.ir.scenarios import as_written
    from .runtime._scenario_inputs import encode

    base = scenario if scenario is not None else as_written()
    chosen = [replace(base, sweeps=(), samples=(), draws=1, from_fit=None)]  # one run: the spec's values

    def vector(over: Mapping[str, float]) -> np.ndarray:
        return np.asarray(model.param_vector({**over, **(params or {})}), dtype=np.float64)

    p = model.plan()
    vecs, override, mask, _ = encode(chosen, p, vector, model.initial_vectors, js.scaled, js.timed)
    initial = {i: float(override[0][i]) for i in range(len(js.stocks)) if mask[0][i]}
    return [float(v) for v in vecs[0]], initial

