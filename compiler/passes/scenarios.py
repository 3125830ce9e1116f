"""Scenarios: resolved, flattened (`extends` followed) and checked against the model.

A scenario never changes the model's structure: it becomes input values, parameters and
initial values set, and per-flow scaling factors with the time they start and how long they
take to ramp in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..base.diagnostics import Diagnostic, error
from ..base.elements import ArrayShape, element_fault
from ..base.hints import did_you_mean
from ..base.limits import MAX_RUNS
from ..base.names import canonical
from ..ir import ast as A
from ..ir.scenarios import DEFAULT_DRAWS, DISTRIBUTIONS, Draw, FlowScale, Scenario, TimedSet


@dataclass
class _Merged:
    """A scenario with its `extends` chain followed: the base first, so later scenarios win."""

    params: dict[str, float] = field(default_factory=dict)
    timed: dict[str, TimedSet] = field(default_factory=dict)
    initial: dict[str, float] = field(default_factory=dict)
    scales: dict[str, A.ScenarioScale] = field(default_factory=dict)  # by flow name or tag
    sweeps: dict[str, A.Sweep] = field(default_factory=dict)
    samples: dict[str, A.Sample] = field(default_factory=dict)
    draws: int | None = None
    seed: int | None = None
    lhs: bool = False
    report: tuple[str, ...] = ()
    from_fit: tuple[str, str] | None = None  # the folder as written, and the spec file it is relative to


def resolve_scenarios(decls: dict[str, A.Decl], errors: list[Diagnostic],
                      time: A.TimeSpec | None = None, arrays: Iterable[ArrayShape] = ()) -> tuple[Scenario, ...]:
    scenarios = {k: d for k, d in decls.items() if isinstance(d, A.ScenarioDecl)}
    shapes = tuple(arrays)
    if time is not None:
        _within_run(scenarios.values(), time, errors)
    out = []
    for key, sc in scenarios.items():
        chain = _chain(key, scenarios, errors)
        if chain is None:
            continue
        merged = _Merged()
        for link in reversed(chain):
            _merge(decls, sc, scenarios[link], merged, errors, shapes)
        scales = _flow_scales(decls, sc, merged.scales, errors)
        sweeps = [(k, x.values) for k, x in merged.sweeps.items() if _varied(decls, sc, x, errors)]
        _check_sweeps(decls, sc, merged.sweeps, errors)
        drawn = [_draw(decls, sc, k, x, errors) for k, x in merged.samples.items() if _varied(decls, sc, x, errors)]
        n, seed = _expansion(sc, merged, sweeps, errors)
        out.append(Scenario(key, sc.name, sc.title, tuple(merged.params.items()), tuple(merged.initial.items()),
                            tuple(scales.values()), sc.doc, tuple(sweeps), tuple(d for d in drawn if d is not None),
                            n, seed, merged.lhs, tuple(merged.timed.values()), merged.report, merged.from_fit,
                            sc.span))
    return tuple(out)


def _merge(decls: dict[str, A.Decl], sc: A.ScenarioDecl, decl: A.ScenarioDecl, into: _Merged,
           errors: list[Diagnostic], arrays: tuple[ArrayShape, ...] = ()) -> None:
    """One link of `sc`'s chain, applied over the links before it."""
    into.sweeps.update({canonical(x.name): x for x in decl.sweeps})
    into.samples.update({canonical(x.name): x for x in decl.samples})
    into.draws = decl.draws if decl.draws is not None else into.draws
    into.seed = decl.seed if decl.seed is not None else into.seed
    into.lhs = into.lhs or decl.latin_hypercube
    if decl.from_fit is not None:
        into.from_fit = (decl.from_fit, decl.span.file if decl.span is not None else "")
    into.report = tuple(canonical(r) for r in decl.report) or into.report
    for r in decl.report:
        if not isinstance(decls.get(canonical(r)), A.MetricDecl):
            metrics = [d.name for d in decls.values() if isinstance(d, A.MetricDecl)]
            errors.append(error("E010", f"scenario `{decl.name}` reports `{r}`, which is not a metric",
                                decl.span, did_you_mean(r, metrics) or "list metrics"))
    for item in decl.sets:
        _set(decls, sc, item, into, errors, arrays)
    for scale in decl.scales:
        into.scales[scale.target] = scale


def _set(decls: dict[str, A.Decl], sc: A.ScenarioDecl, s: A.ScenarioSet, into: _Merged,
         errors: list[Diagnostic], arrays: tuple[ArrayShape, ...] = ()) -> None:
    target = decls.get(canonical(s.name))
    if isinstance(target, A.ParamDecl):
        lo, hi = target.bounds or (float("-inf"), float("inf"))
        if not lo <= s.value <= hi:
            errors.append(error("E051", f"scenario `{sc.name}` sets `{s.name}` = {s.value:g}, outside its "
                                f"bounds [{lo:g}, {hi:g}]", s.span, "change the value or the bounds"))
        param = canonical(s.name)
        if s.change.start is None:
            into.params[param] = s.value
            into.timed.pop(param, None)
        else:
            _check_change(sc, s.change, s.span, errors)
            into.timed[param] = TimedSet(param, s.value, s.change.start, s.change.over, s.change.until)
    elif isinstance(target, A.StockDecl) and (s.change.start is not None or s.change.until is not None):
        errors.append(error("E015", f"scenario `{sc.name}` sets the initial value of `{s.name}` "
                            f"{'from' if s.change.start is not None else 'until'} a time; initial values hold at the "
                            "start only", s.span,
                            "remove the time (`from`, `until`), or scale the stock's flows over that time"))
    elif isinstance(target, A.StockDecl) and target.non_negative and s.value < 0:
        errors.append(error("E051", f"scenario `{sc.name}` starts `{s.name}` at {s.value:g}, but the spec marks it "
                            "non_negative", s.span, "give 0 or more"))
    elif isinstance(target, A.StockDecl):
        into.initial[canonical(s.name)] = s.value
    elif target is None:
        pool = [d.name for d in decls.values() if isinstance(d, A.ParamDecl | A.StockDecl)]
        errors.append(error("E010", f"scenario `{sc.name}` sets `{s.name}`, which is not defined",
                            s.span, element_fault(s.name, arrays) or did_you_mean(s.name, pool)
                            or "set parameters or stocks"))
    else:
        errors.append(error("E015", f"scenario `{sc.name}` sets `{s.name}`, which is neither a parameter "
                            "nor a stock", s.span, "a scenario sets parameters and initial values; "
                            "to change an equation, extend the model"))


def _flow_scales(decls: dict[str, A.Decl], sc: A.ScenarioDecl, by_target: dict[str, A.ScenarioScale],
                 errors: list[Diagnostic]) -> dict[str, FlowScale]:
    """Each flow's scaling: a flow named (an arrayed flow's name: each of its elements), or
    every flow with a tag named; factors multiply."""
    flows = {k: d for k, d in decls.items() if isinstance(d, A.FlowDecl)}
    tags = {t for f in flows.values() for t in f.tags}
    scales: dict[str, FlowScale] = {}
    for target, s in by_target.items():
        if s.factor < 0:  # a negative factor runs the flow backwards: an outflow becomes an inflow
            errors.append(error("E051", f"scenario `{sc.name}` scales `{target}` by {s.factor:g}, which would run it "
                                "backwards", s.span, "a scale is a factor of 0 or more: 0 stops a flow, 0.8 slows it by "
                                "a fifth, 1.2 speeds it up by a fifth"))
        named = canonical(target)
        matched = [k for k, f in flows.items() if named in (k, k.split("[", 1)[0]) or target in f.tags]
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
    return scales


def _check_sweeps(decls: dict[str, A.Decl], sc: A.ScenarioDecl, sweeps: dict[str, A.Sweep],
                  errors: list[Diagnostic]) -> None:
    for k, x in sweeps.items():
        lo, hi = _bounds(decls, k)
        outside = [v for v in x.values if not lo <= v <= hi]
        if outside:
            errors.append(error("E051", f"scenario `{sc.name}` sweeps `{x.name}` to {outside[0]:g}, outside its "
                                f"bounds [{lo:g}, {hi:g}]", x.span, "sweep within the bounds"))


def _expansion(sc: A.ScenarioDecl, merged: _Merged, sweeps: list[tuple[str, tuple[float, ...]]],
               errors: list[Diagnostic]) -> tuple[int, int]:
    """The number of draws and the seed, checked, with the runs they expand to bounded."""
    n = merged.draws if merged.draws is not None else (DEFAULT_DRAWS if merged.samples or merged.from_fit else 1)
    if n < 1:
        errors.append(error("E053", f"scenario `{sc.name}` asks for {n} draws", sc.span, "use `draws 1` or more"))
    runs = n * math.prod(len(v) for _, v in sweeps)
    if runs > MAX_RUNS:  # before anything is drawn or laid out
        errors.append(error("E006", f"scenario `{sc.name}` expands to {runs:,} runs; the limit is {MAX_RUNS:,}",
                            sc.span, "fewer draws or sweep values, or split it into several scenarios"))
        n = 1
    seed = merged.seed
    if seed is not None and not 0 <= seed < 2**63:
        errors.append(error("E053", f"scenario `{sc.name}` has seed {seed}", sc.span,
                            "a seed is a whole number from 0 to 2^63 - 1"))
        seed = 0
    return max(n, 1), seed or 0


def _within_run(scenarios: Iterable[A.ScenarioDecl], time: A.TimeSpec, errors: list[Diagnostic]) -> None:
    """E050 for a change that starts after the run ends or ends before it starts: it would
    change nothing, and the scenario would match the baseline without a word (times count in
    the model's time unit, so a spec moved from months to quarters keeps its old numbers)."""
    for sc in scenarios:
        for c, span in [(x.change, x.span) for x in sc.sets] + [(x.change, x.span) for x in sc.scales]:
            if c.start is not None and c.start >= time.stop:
                why = f"starts at {c.start:g}, when the run has ended"
            elif c.until is not None and c.until <= time.start:
                why = f"ends at {c.until:g}, before the run starts"
            else:
                continue
            errors.append(error("E050", f"a change in scenario `{sc.name}` {why} ({time.start:g} to {time.stop:g}, "
                                f"in {time.unit}s): it would change nothing", span,
                                f"times count in {time.unit}s, the model's time unit"))


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
