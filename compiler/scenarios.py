"""Scenarios: resolved, flattened (`extends` followed) and checked against the model.

A scenario never changes the model's structure: it becomes input values, parameters and
initial values set, and per-flow scaling factors with the time they start and how long they
take to ramp in.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ast as A
from .common import did_you_mean
from .diagnostics import Diagnostic, error
from .names import canonical

BASELINE = "baseline"


@dataclass(frozen=True, slots=True)
class FlowScale:
    flow: str
    factor: float
    start: float | None  # None: from the start of the run
    over: float | None  # None: at once


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    display: str
    title: str | None
    params: tuple[tuple[str, float], ...]
    initial: tuple[tuple[str, float], ...]
    scales: tuple[FlowScale, ...]
    doc: A.Doc


def resolve_scenarios(decls: dict[str, A.Decl], errors: list[Diagnostic]) -> tuple[Scenario, ...]:
    scenarios = {k: d for k, d in decls.items() if isinstance(d, A.ScenarioDecl)}
    flows = {k: d for k, d in decls.items() if isinstance(d, A.FlowDecl)}
    tags = {t for f in flows.values() for t in f.tags}
    out = []
    for key, sc in scenarios.items():
        chain = _chain(key, scenarios, errors)
        if chain is None:
            continue
        params: dict[str, float] = {}
        initial: dict[str, float] = {}
        by_target: dict[str, A.ScenarioScale] = {}
        for link in reversed(chain):  # the base first, so later scenarios win
            for s in scenarios[link].sets:
                target = decls.get(canonical(s.name))
                if isinstance(target, A.ParamDecl):
                    lo, hi = target.bounds or (float("-inf"), float("inf"))
                    if not lo <= s.value <= hi:
                        errors.append(error("E051", f"scenario `{sc.name}` sets `{s.name}` = {s.value:g}, outside its "
                                            f"bounds [{lo:g}, {hi:g}]", s.span, "change the value or the bounds"))
                    params[canonical(s.name)] = s.value
                elif isinstance(target, A.StockDecl):
                    initial[canonical(s.name)] = s.value
                elif target is None:
                    pool = [d.name for d in decls.values() if isinstance(d, A.ParamDecl | A.StockDecl)]
                    errors.append(error("E010", f"scenario `{sc.name}` sets `{s.name}`, which is not defined",
                                        s.span, did_you_mean(s.name, pool) or "set parameters or stocks"))
                else:
                    errors.append(error("E015", f"scenario `{sc.name}` sets `{s.name}`, which is neither a parameter "
                                        "nor a stock", s.span, "a scenario sets parameters and initial values; "
                                        "to change an equation, extend the model"))
            for s in scenarios[link].scales:
                by_target[s.target] = s
        scales: dict[str, FlowScale] = {}
        for target, s in by_target.items():
            matched = [k for k, f in flows.items() if k == canonical(target) or target in f.tags]
            if not matched:
                errors.append(error("E010", f"scenario `{sc.name}` scales `{target}`: no flow has that name or tag",
                                    s.span, did_you_mean(target, [f.name for f in flows.values()] + sorted(tags))
                                    or "name a flow, or a tag given with `tags`"))
            for k in matched:
                old = scales.get(k)
                if old is not None and (old.start, old.over) != (s.change.start, s.change.over):
                    errors.append(error("E016", f"scenario `{sc.name}` scales flow `{flows[k].name}` twice, with "
                                        "different timing", s.span, "give both scalings the same `from` and `over`"))
                    continue
                factor = s.factor * (old.factor if old else 1.0)
                scales[k] = FlowScale(k, factor, s.change.start, s.change.over)
            if s.change.over is not None and s.change.over <= 0:
                errors.append(error("E050", f"a scaling in scenario `{sc.name}` ramps over {s.change.over:g}", s.span,
                                    "`over` must be a positive length of time"))
        out.append(Scenario(key, sc.name, sc.title, tuple(params.items()), tuple(initial.items()),
                            tuple(scales.values()), sc.doc))
    return tuple(out)


def _chain(key: str, scenarios: dict[str, A.ScenarioDecl], errors: list[Diagnostic]) -> list[str] | None:
    chain = [key]
    while scenarios[chain[-1]].extends is not None:
        sc = scenarios[chain[-1]]
        parent = canonical(sc.extends or "")
        if parent not in scenarios:
            errors.append(error("E010", f"scenario `{sc.name}` extends `{sc.extends}`, which is not a scenario",
                                sc.span, did_you_mean(sc.extends or "", [s.name for s in scenarios.values()])
                                or "declare that scenario"))
            return None
        if parent in chain:
            names = " -> ".join(scenarios[c].name for c in chain + [parent])
            if chain[0] == key and key == min(chain):  # report each circle once
                errors.append(error("E017", f"scenarios extend each other in a circle: {names}", sc.span,
                                    "one of them must not extend another"))
            return None
        chain.append(parent)
    return chain
