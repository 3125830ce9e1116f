"""`stockflow report`: one self-contained HTML file for a programme board.

Assumptions (every parameter with value, units, source and where it was set), scenarios,
the metric table against the baseline with percentiles and break-even times, plots, the
stock-and-flow diagram, feedback loops and reality checks. No external files or scripts.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

from . import plots
from .compiler.ir.text import expr_text, unit_text
from .numbers import value_text

CSS = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; color: #1c2833; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #d5d8dc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
th, td { border: 1px solid #d5d8dc; padding: .25em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f4f4; } .fail { color: #c0392b; font-weight: bold; } .ok { color: #1e8449; }
.note { color: #566573; font-size: .85em; } img, svg { max-width: 100%; height: auto; }
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _where(spec: Any, key: str) -> str:
    steps = dict(spec.origins).get(key, ())
    return "<br>".join(f"{_e(o.action)} {_e(Path(o.span.file).name)}:{o.span.line}" for o in steps if o.span)


def build(model: Any, results: Any, break_even: str | None = None, cost: str | None = None,
          quality: str | None = None) -> str:
    g = model.checked.graph
    unit = g.time.unit
    p = model.plan()
    parts = [f"<h1>{_e(g.info.title or g.info.name)}</h1>"]
    if g.info.description:
        parts.append(f"<p>{_e(g.info.description)}</p>")
    parts.append(f'<p class="note">Spec: {_e(model.path)}. {p.method.value}, dt {p.dt:g} {unit}, from {p.start:g} to '
                 f"{p.stop:g} {unit}. {len(results.runs)} runs of {len(results.names)} scenarios; baseline: "
                 f"<b>{_e(results.baseline)}</b>.</p>")

    # -- results
    parts.append("<h2>Results against the baseline</h2>")
    table = results.metrics_table()
    table = table[table.metric.isin(results.shown_metrics())]
    spread = bool((table.runs > 1).any())
    rows = []
    for _, r in table.iterrows():
        row = [_e(r.metric), _e(r.scenario), _e(r.point), value_text(r.value)]
        row += [value_text(r.p5), value_text(r.p95)] if spread else []
        row += [value_text(r.difference), "" if r.relative != r.relative else f"{r.relative:+.2%}", _e(r.units)]
        rows.append(row)
    header = ["metric", "scenario", "point", "median" if spread else "value"] + (["p5", "p95"] if spread else [])
    parts.append(_table(header + ["vs baseline", "change", "units"], rows,
                        set(range(3, len(header) + 2))))
    parts.append("<h3>How the metrics are defined</h3>")
    decls = {d.name: d for d in model.spec.decls}
    parts.append(_table(["metric", "definition", "units", "meaning"], [
        [_e(m.display), f"<code>{_e(expr_text(decls[m.display].expr))}</code>",
         _e(unit_text(m.units)) if m.units else "", _e(m.doc.description or m.doc.source or m.doc.assumption or "")]
        for m in g.metrics if m.display in decls]))
    if break_even:
        be = results.break_even(break_even)
        parts.append(f"<h3>When savings appear: cumulative {_e(break_even)} below the baseline's for good</h3>")
        parts.append(_table(["scenario", "point", "break-even", "share of runs"], [
            [_e(r.scenario), _e(r.point), "not within the run" if r.break_even != r.break_even
             else f"{r.break_even:.1f} {_e(unit)}", f"{r.share:.0%}"]
            for _, r in be.iterrows() if r.scenario != results.baseline], {2, 3}))

    # -- plots
    parts.append("<h2>Trajectories</h2>")
    stocks = [s.id for s in g.stocks if not s.hidden][:6]
    if stocks:
        parts.append(f'<img alt="stocks by scenario" src="{plots.to_data_uri(plots.trajectories(results, stocks, unit))}">')
    if cost and quality:
        parts.append(f'<img alt="cost and quality" src="{plots.to_data_uri(plots.cost_and_quality(results, cost, quality))}">')
    base_run = results.run(results.indices(results.baseline)[0])
    parts.append("<h3>Why each stock moved (baseline)</h3><p class='note'>The same stock can rise through "
                 "different combinations of inflow and outflow; these panels show which.</p>")
    for s in [x for x in g.stocks if not x.hidden and (x.inflows or x.outflows)][:6]:
        parts.append(f'<img alt="{_e(s.display)} and its flows" '
                     f'src="{plots.to_data_uri(plots.stock_and_flows(model, base_run, s.id, unit))}">')

    # -- assumptions
    parts.append("<h2>Assumptions</h2><h3>Parameters</h3>")
    prow = []
    for prm in g.params:
        src = prm.doc.source and f"source: {_e(prm.doc.source)}" or prm.doc.assumption and \
            f"<i>assumption:</i> {_e(prm.doc.assumption)}" or '<span class="fail">no source or assumption given</span>'
        bounds = f"[{prm.bounds[0]:g}, {prm.bounds[1]:g}]" if prm.bounds else ""
        prow.append([_e(prm.display), value_text(prm.value), _e(unit_text(prm.units)) if prm.units else "", bounds, src,
                     _where(model.spec, prm.id)])
    parts.append(_table(["parameter", "value", "units", "bounds", "where from", "set in"], prow, {1}))
    parts.append("<h3>Initial values</h3>")
    parts.append(_table(["stock", "initial value", "units", "where from"], [
        [_e(s.display), _e(expr_text(s.initial)), _e(unit_text(s.units)) if s.units else "",
         _e(s.doc.source or s.doc.assumption or "")] for s in g.stocks if not s.hidden]))

    # -- scenarios
    parts.append("<h2>Scenarios</h2>")
    srows = []
    for sc in g.scenarios:
        what = [f"set {k} = {v:g}" for k, v in sc.params] + [f"initial {k} = {v:g}" for k, v in sc.initial]
        what += [f"scale {x.flow} by {x.factor:g}" + (f" from {x.start:g}" if x.start is not None else "")
                 + (f" over {x.over:g}" if x.over is not None else "") for x in sc.scales]
        what += [f"sweep {k} over {list(v)}" for k, v in sc.sweeps]
        what += [f"sample {d.param} ~ {d.dist}{d.args}" for d in sc.samples]
        what += [f"{sc.draws} draws, seed {sc.seed}" + (", Latin hypercube" if sc.latin_hypercube else "")] \
            if sc.samples else []
        srows.append([_e(sc.display), _e(sc.title or ""), "<br>".join(_e(w) for w in what),
                      _e(sc.doc.description or sc.doc.assumption or "")])
    parts.append(_table(["scenario", "title", "changes", "notes"], srows) if srows else
                 "<p>The spec declares no scenarios; the baseline is the model as written.</p>")

    # -- structure
    parts.append("<h2>Stocks, flows and feedback loops</h2>")
    parts.append(_diagram(model))
    parts.append(_loops(model))

    # -- reality checks
    parts.append("<h2>Reality checks</h2>")
    failures = model.check_expectations(results) if g.expectations else []
    failed = {d.message.split("`")[1] for d in failures}
    parts.append(_table(["check", "checked in", "result", "detail"], [
        [_e(ex.display), _e(ex.under or "the model as written"),
         '<span class="fail">fails</span>' if ex.display in failed else '<span class="ok">holds</span>',
         _e(next((d.message for d in failures if d.message.split("`")[1] == ex.display), ex.doc.description or ""))]
        for ex in g.expectations]) if g.expectations else "<p>The spec declares no reality checks.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(g.info.title or g.info.name)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _diagram(model: Any) -> str:
    from .compiler.analysis.causal import causal_graph
    from .compiler.write.diagram import DiagramOptions, to_dot

    dot = to_dot(model.checked, causal_graph(model.checked), DiagramOptions(params=False))
    if shutil.which("dot") is None:
        return ("<p class='note'>Graphviz's <code>dot</code> is not installed, so the diagram is given as DOT "
                f"text (render it with <code>dot -Tsvg</code>).</p><details><pre>{_e(dot.source)}</pre></details>")
    svg = dot.pipe(format="svg").decode("utf-8")
    return svg[svg.index("<svg"):]


def _loops(model: Any) -> str:
    from .compiler.analysis.causal import causal_graph
    from .compiler.analysis.loops import Polarity, find_loops

    report = find_loops(causal_graph(model.checked))
    rows = []
    for lp in report.loops:
        pol = lp.polarity.value + (f" ({lp.at_start.value} at the start)"
                                   if lp.polarity is Polarity.UNDETERMINED and lp.at_start is not Polarity.UNDETERMINED
                                   else "")
        rows.append([_e(lp.id), _e(pol), _e(" → ".join(lp.names + (lp.names[0],)))])
    return f"<h3>Feedback loops ({len(rows)})</h3>" + _table(["loop", "polarity", "path"], rows)
