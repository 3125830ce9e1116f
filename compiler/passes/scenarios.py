"""Scenarios: resolved, flattened (`extends` followed) and checked against the model.

A scenario never changes the model's structure: it becomes input values, parameters and
initial values set, and per-flow scaling factors with the time they start and how long they
take to ramp in.
"""

from __future__ import annotations

import math

from ..base.diagnostics import Diagnostic, error
from ..base.hints import did_you_mean
from ..base.limits import MAX_RUNS
from ..base.names import canonical
from ..ir import ast as A
from ..ir.scenarios import DEFAULT_DRAWS, DISTRIBUTIONS, Draw, FlowScale, Scenario, TimedSet


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
        timed: dict[str, TimedSet] = {}
        initial: dict[str, float] = {}
        by_target: dict[str, A.ScenarioScale] = {}
        sweeps: dict[str, A.Sweep] = {}
        samples: dict[str, A.Sample] = {}
        draws = seed = None
        lhs = False
        report: tuple[str, ...] = ()
        for link in reversed(chain):  # the base first, so later scenarios win
            decl = scenarios[link]
            sweeps.update({canonical(x.name): x for x in decl.sweeps})
            samples.update({canonical(x.name): x for x in decl.samples})
            draws = decl.draws if decl.draws is not None else draws
            seed = decl.seed if decl.seed is not None else seed
            lhs = lhs or decl.latin_hypercube
            report = tuple(canonical(r) for r in decl.report) or report
            for r in decl.report:
                if not isinstance(decls.get(canonical(r)), A.MetricDecl):
                    metrics = [d.name for d in decls.values() if isinstance(d, A.MetricDecl)]
                    errors.append(error("E010", f"scenario `{decl.name}` reports `{r}`, which is not a metric",
                                        decl.span, did_you_mean(r, metrics) or "list metrics"))
            for s in scenarios[link].sets:
                target = decls.get(canonical(s.name))
                if isinstance(target, A.ParamDecl):
                    lo, hi = target.bounds or (float("-inf"), float("inf"))
                    if not lo <= s.value <= hi:
                        errors.append(error("E051", f"scenario `{sc.name}` sets `{s.name}` = {s.value:g}, outside its "
                                            f"bounds [{lo:g}, {hi:g}]", s.span, "change the value or the bounds"))
                    param = canonical(s.name)
                    if s.change.start is None:
                        params[param] = s.value
                        timed.pop(param, None)
                    else:
                        _check_change(sc, s.change, s.span, errors)
                        timed[param] = TimedSet(param, s.value, s.change.start, s.change.over, s.change.until)
                elif isinstance(target, A.StockDecl) and s.change.start is not None:
                    errors.append(error("E015", f"scenario `{sc.name}` sets the initial value of `{s.name}` from a "
                                        "time; initial values hold at the start only", s.span,
                                        "remove `from ...`, or scale the stock's flows from that time"))
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
                scales[k] = FlowScale(k, factor, s.change.start, s.change.over, s.change.until)
            _check_change(sc, s.change, s.span, errors)
        checked_sweeps = [(k, x.values) for k, x in sweeps.items() if _varied(decls, sc, x, errors)]
        for k, x in sweeps.items():
            lo, hi = _bounds(decls, k)
            outside = [v for v in x.values if not lo <= v <= hi]
            if outside:
                errors.append(error("E051", f"scenario `{sc.name}` sweeps `{x.name}` to {outside[0]:g}, outside its "
                                    f"bounds [{lo:g}, {hi:g}]", x.span, "sweep within the bounds"))
        draw_list = [_draw(decls, sc, k, x, errors) for k, x in samples.items() if _varied(decls, sc, x, errors)]
        n = draws if draws is not None else (DEFAULT_DRAWS if samples else 1)
        if n < 1:
            errors.append(error("E053", f"scenario `{sc.name}` asks for {n} draws", sc.span, "use `draws 1` or more"))
        runs = n * math.prod(len(v) for _, v in checked_sweeps)
        if runs > MAX_RUNS:  # before anything is drawn or laid out
            errors.append(error("E006", f"scenario `{sc.name}` expands to {runs:,} runs; the limit is {MAX_RUNS:,}",
                                sc.span, "fewer draws or sweep values, or split it into several scenarios"))
            n = 1
        if seed is not None and not 0 <= seed < 2**63:
            errors.append(error("E053", f"scenario `{sc.name}` has seed {seed}", sc.span,
                                "a seed is a whole number from 0 to 2^63 - 1"))
            seed = 0
        out.append(Scenario(key, sc.name, sc.title, tuple(params.items()), tuple(initial.items()),
                            tuple(scales.values()), sc.doc, tuple(checked_sweeps),
                            tuple(d for d in draw_list if d is not None), max(n, 1), seed or 0, lhs,
                            tuple(timed.values()), report))
    return tuple(out)


def _check_change(sc: A.ScenarioDecl, c: A.Change, span: object, errors: list[Diagnostic]) -> None:
    if c.over is not None and c.over <= 0:
        errors.append(error("E050", f"a change in scenario `{sc.name}` ramps over {c.over:g}", span,  # type: ignore[arg-type]
                            "`over` must be a positive length of time"))
    if c.until is not None and c.start is not None and c.until <= c.start + (c.over or 0):
        errors.append(error("E050", f"a change in scenario `{sc.name}` ends at {c.until:g}, before it is complete",
                            span, "`until` must come after `from` (plus `over`)"))  # type: ignore[arg-type]


def _bounds(decls: dict[str, A.Decl], key: str) -> tuple[float, float]:
    d = decls.get(key)
    if isinstance(d, A.ParamDecl) and d.bounds is not None:
        return d.bounds
    return float("-inf"), float("inf")


def _varied(decls: dict[str, A.Decl], sc: A.ScenarioDecl, x: A.Sweep | A.Sample, errors: list[Diagnostic]) -> bool:
    target = decls.get(canonical(x.name))
    if isinstance(target, A.ParamDecl):
        return True
    what = "sweeps" if isinstance(x, A.Sweep) else "samples"
    if target is None:
        pool = [d.name for d in decls.values() if isinstance(d, A.ParamDecl)]
        errors.append(error("E010", f"scenario `{sc.name}` {what} `{x.name}`, which is not defined", x.span,
                            did_you_mean(x.name, pool) or "sweep and sample parameters"))
    else:
        errors.append(error("E015", f"scenario `{sc.name}` {what} `{x.name}`, which is not a parameter", x.span,
                            "sweeps and samples vary parameters"))
    return False


def _draw(decls: dict[str, A.Decl], sc: A.ScenarioDecl, key: str, x: A.Sample,
          errors: list[Diagnostic]) -> Draw | None:
    dist = x.dist.lower()
    if dist not in DISTRIBUTIONS:
        errors.append(error("E013", f"unknown distribution `{x.dist}`", x.span,
                            did_you_mean(x.dist, DISTRIBUTIONS) or "use " + ", ".join(DISTRIBUTIONS)))
        return None
    if len(x.args) != DISTRIBUTIONS[dist]:
        errors.append(error("E013", f"`{dist}` takes {DISTRIBUTIONS[dist]} arguments, not {len(x.args)}", x.span,
                            {"uniform": "uniform(low, high)", "normal": "normal(mean, sd)",
                             "lognormal": "lognormal(mu, sigma) of the log", "triangular": "triangular(low, mode, high)",
                             "beta": "beta(a, b) on [0, 1]"}[dist]))
        return None
    a = x.args
    bad = {"uniform": a[0] >= a[-1], "normal": a[-1] <= 0, "lognormal": a[-1] <= 0,
           "triangular": not a[0] <= a[1] <= a[-1] or a[0] == a[-1], "beta": min(a) <= 0}[dist]
    if bad:
        errors.append(error("E053", f"invalid arguments for `{dist}`: {', '.join(f'{v:g}' for v in a)}", x.span,
                            "low < high; standard deviations, sigma, a and b positive; low <= mode <= high"))
        return None
    lo, hi = _bounds(decls, key)
    # Bounded distributions must fit the bounds; normal and lognormal are truncated to them.
    support = (a[0], a[-1]) if dist in ("uniform", "triangular") else (0.0, 1.0) if dist == "beta" else None
    if support is not None and (support[0] < lo or support[1] > hi):
        errors.append(error("E051", f"`{dist}` draws of `{x.name}` can fall outside its bounds [{lo:g}, {hi:g}]",
                            x.span, "narrow the distribution to the bounds"))
        return None
    return Draw(key, dist, a, (lo, hi))


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
