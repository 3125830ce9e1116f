"""`stockflow explore`: the Connection Explorer, one self-contained HTML file that runs the
model in the browser. Nothing is fetched when it is opened (a content security policy says
so); spec text reaches the page only as escaped JSON or escaped SVG text."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np

from .compiler.analysis.causal import causal_graph
from .compiler.ir.model import sym as sympy_symbol
from .compiler.ir.text import expr_text, unit_text
from .compiler.ir.units import TIME, Unit
from .compiler.write.map import system_map
from .explorer_model import generate, inputs_of, plan_of
from .numbers import time_words
from .runtime._drivers import rho_text
from .stock_flows import into_stock

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"


def build(model: Any) -> str:
    js = generate(model)
    data = page_data(model, js)
    map_svg = system_map(model.checked, causal_graph(model.checked))
    g = model.checked.graph
    title = _html(g.info.title or g.info.name)
    return (_asset("explorer/page.html")
            .replace("{{CSP}}", CSP)
            .replace("{{TITLE}}", title)
            .replace("{{DESCRIPTION}}", _html(g.info.description or ""))
            .replace("{{STYLE}}", _asset("uplot/uPlot.min.css") + "\n" + _asset("explorer/explorer.css"))
            .replace("{{MAP}}", map_svg)
            .replace("{{SCRIPTS}}", _script(_asset("uplot/uPlot.iife.min.js")) + _script(_asset("explorer/runtime.js"))
                     + _script("var SF_MODEL = " + js.code + ";")
                     + '<script type="application/json" id="sf-data">' + _json(data) + "</script>"
                     + _script(_asset("explorer/ui.js"))))


def page_data(model: Any, js: Any) -> dict[str, Any]:
    """Everything the page shows, as plain data."""
    m = model.checked
    g = m.graph
    decls = {d.name.lower(): d for d in (model.spec.decls if model.spec else ())}
    plan = plan_of(model, js)
    rate = _break_even(model, js)
    scenarios = _scenarios(model, js, rate)
    visible = [v for v in model.variables() if not v.hidden]
    return {
        "timeUnit": time_words(g.time.unit)[0], "timeUnits": time_words(g.time.unit)[1], "plan": plan,
        "slots": js.slots,
        "params": _params(model, js, g),
        "stocks": [_stock(model, s) for s in g.stocks if not s.hidden],
        "metrics": [{"id": mm.id, "name": mm.display, "slot": js.slots[mm.id], "units": info.units,
                     "description": mm.doc.description or ""}
                    for mm, info in zip(g.metrics, model.metric_infos(), strict=True)],
        "vars": {v.id: {"name": v.name, "units": v.units, "equation": _equation(decls.get(v.id))} for v in visible},
        "outputs": [v.id for v in visible],
        "scenarios": scenarios,
        "baseline": scenarios[0]["id"],
        "start": next((s["id"] for s in scenarios[1:] if not s["uncertain"]), scenarios[0]["id"]),
        "firstStock": next((s.id for s in g.stocks if not s.hidden), None),
        "breakEven": rate,
    }


def _params(model: Any, js: Any, g: Any) -> list[dict[str, Any]]:
    """Each parameter's slider. The elements of an arrayed one share its text, so it is shown
    with the first of them in each group only."""
    array_of = {vid: a.name for a in g.arrays for vid, _ in a.elements}
    seen: set[tuple[str, str]] = set()
    out = []
    for p in g.params:
        group = _group(model, p)
        key = (array_of.get(p.id, p.id), group)
        out.append(_param(model, js, p, key not in seen))
        seen.add(key)
    return out


def _param(model: Any, js: Any, p: Any, with_doc: bool = True) -> dict[str, Any]:
    lo, hi = p.bounds if p.bounds else (None, None)
    doc = p.doc if with_doc else None
    return {"id": p.id, "name": p.display, "slot": js.slots[p.id], "value": p.value, "lo": lo, "hi": hi,
            "units": unit_text(p.units) if p.units else "", "description": doc.description or "" if doc else "",
            "source": doc.source or "" if doc else "", "assumption": doc.assumption or "" if doc else "",
            "group": _group(model, p)}


def _group(model: Any, p: Any) -> str:
    """Parameters grouped by what they drive: money, flows of one tag, or the rest."""
    if p.units is not None and any(name.lower() == "gbp" for name, _ in p.units.factors):
        return "Costs (£)"
    m = model.checked
    tags = {t for f in m.graph.flows for t in f.tags if sympy_symbol(p.id) in m.equations[f.id].free_symbols}
    if len(tags) == 1:
        return f"{next(iter(tags)).capitalize()} rates"
    return "Assumptions you can move" if p.bounds else "Other values"


def _stock(model: Any, s: Any) -> dict[str, Any]:
    m = model.checked
    units = m.units.get(s.id)
    outs = list(s.outflows)
    flows = into_stock(model, s)  # every flow in one unit, whatever units each is declared in
    stay = _stay(model, s, flows.unit)
    shown = unit_text(s.units) if s.units else m.unitsys.show(units) if units is not None else ""
    return {"id": s.id, "name": s.display, "units": shown, "flowUnits": flows.text, "factors": flows.factors,
            "description": s.doc.description or "", "inflows": list(s.inflows), "outflows": outs,
            "stayUnit": stay}


def _stay(model: Any, s: Any, flows: Unit | None) -> str | None:
    """The unit of a stock's average length of stay: the stock over its outflows, added in the
    unit `flows` (`years` for outflows in child/year)."""
    units = model.checked.units.get(s.id)
    if units is None or flows is None or not s.outflows or (units / flows).dim != TIME:
        return None
    name = model.checked.unitsys.show(units / flows)
    return time_words(name)[1]  # a length of stay in `month` reads `months`


def _scenarios(model: Any, js: Any, rate: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The baseline first (the spec's `baseline` scenario, or the model as written), then each
    declared scenario, as the inputs the generated model takes."""
    g = model.checked.graph
    declared = {sc.id: sc for sc in g.scenarios}
    order = [declared.get("baseline")] + [sc for sc in g.scenarios if sc.id != "baseline"]
    sampled = [sc for sc in order if sc and (sc.samples or sc.from_fit) and not sc.sweeps]
    res = model.run_scenarios([sc.id for sc in sampled]) if sampled else None  # one batch for all their draws
    drivers = _strongest(res) if res is not None else {}
    out = []
    for sc in order:
        P, initial = inputs_of(model, js, sc)
        out.append({"id": sc.id if sc else "baseline", "name": sc.display if sc else "baseline",
                    "title": (sc.title if sc else "the model as written") or "",
                    "description": (sc.doc.description or "") if sc else "",
                    "P": P, "initial": {str(k): v for k, v in initial.items()},
                    "uncertain": bool(sc and (sc.samples or sc.sweeps or sc.from_fit)),
                    "spread": _spread(model, res, sc, rate, drivers) if sc in sampled else None})
    return out


def _spread(model: Any, res: Any, sc: Any, rate: dict[str, Any] | None,
            drivers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A sampled scenario's draws at the spec's values (`res`, run once for all of them): each
    metric's 5th, 50th and 95th percentiles, each stock's 5-95% band over time, and when savings
    appear over the draws. The page shows them while the scenario's assumptions are as the
    spec sets them."""
    g = model.checked.graph
    rows = {r.metric: r for r in res.metric_rows() if r.scenario == sc.display}
    ids = {m.display: m.id for m in g.metrics}
    idx = res.indices(sc.display)
    out: dict[str, Any] = {
        "runs": len(idx), "times": [float(t) for t in res.batch.times],
        "metrics": {ids[name]: [float(r.p5), float(r.value), float(r.p95)] for name, r in rows.items()
                    if name in ids},
        # a band on a chart: six significant figures are more than a screen shows, and halve the page
        "stocks": {s.id: [[float(f"{v:.6g}") for v in np.percentile(res.batch[s.id][idx], q, axis=0)]
                          for q in (5, 95)] for s in g.stocks if not s.hidden},
        "breakEven": None,
        # which assumption moves each metric most over the draws (where one clearly does)
        "drivers": {ids[m]: [r.parameter, rho_text(r.correlation)] for m, r in drivers.get(sc.display, {}).items()
                    if m in ids}}
    if rate is not None:
        r = next(r for r in res.break_even_rows(rate["id"]) if r.scenario == sc.display)
        out["breakEven"] = {k: (None if v != v else float(v)) for k, v in
                            (("share", r.share), ("by50", r.by_50), ("by90", r.by_90))}
        out["breakEven"]["shareText"] = f"{r.share:.0%}"  # rounded as the report rounds it
    return out


def _strongest(res: Any) -> dict[str, dict[str, Any]]:
    """By scenario, then metric, the sampled assumption with the largest rank correlation, if
    0.3 or more (the rows come strongest first), ranked once for every sampled scenario."""
    out: dict[str, dict[str, Any]] = {}
    for r in res.driver_rows([m.name for m in res.batch.metrics]):
        if r.metric not in out.setdefault(r.scenario, {}) and abs(r.correlation) >= 0.3:
            out[r.scenario][r.metric] = r
    return out


def _break_even(model: Any, js: Any) -> dict[str, Any] | None:
    """The rate behind the first money metric that integrates it over the whole run: when its
    cumulative total falls below the baseline's for good is when savings appear."""
    from .compiler.ir.graph import AggKind

    m = model.checked
    g = m.graph
    hidden = {s.id: s for s in g.stocks if s.hidden}
    for metric, info in zip(g.metrics, model.metric_infos(), strict=True):
        if info.units.strip().lower() != "gbp":
            continue
        for a in g.aggregates:
            acc = hidden.get(a.var)
            if (a.kind is AggKind.INTEGRAL and a.when is None and acc is not None and acc.rate is not None
                    and getattr(acc.rate, "name", None) in js.slots and a.id in {s.name for s in m.metric_equations[metric.id].free_symbols}):
                rate = acc.rate.name
                name = next((v.name for v in model.variables() if v.id == rate), rate)
                return {"slot": js.slots[rate], "name": name, "isStock": False, "id": rate}
    return None


def _equation(decl: Any) -> str:
    for field in ("rate", "equation", "initial", "expr"):
        e = getattr(decl, field, None)
        if e is not None:
            return expr_text(e)
    return ""


def _asset(name: str) -> str:
    return resources.files("stockflow").joinpath("assets", *name.split("/")).read_text(encoding="utf-8")


def _script(code: str) -> str:
    return "<script>" + code.replace("</script", "<\\/script") + "</script>\n"


def _json(data: Any) -> str:
    """JSON safe inside a script element: no `<`, `>` or `&` as such, no line separators."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=True)
