"""`stockflow report`: one self-contained HTML file for a programme board.

Assumptions (every parameter with value, units, source and where it was set), scenarios,
the metric table against the baseline with percentiles and break-even times, plots, the
stock-and-flow diagram, feedback loops and reality checks. No external files or scripts.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from . import plots
from .compiler.base.names import canonical
from .compiler.ir import ast as A
from .compiler.ir.text import expr_text, scenario_items, unit_text
from .numbers import column_texts, counted, percent_text, time_words, units_shown, value_text
from .report_arrays import end_tables
from .report_drivers import drivers_section

CSS = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; color: #1c2833; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #d5d8dc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
th, td { border: 1px solid #d5d8dc; padding: .25em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f4f4; } .fail { color: #c0392b; font-weight: bold; } .ok { color: #1e8449; }
.note { color: #566573; font-size: .85em; } img { max-width: 100%; height: auto; }
.wide { overflow-x: auto; }
@media print { .wide { overflow: visible; } h2, h3 { break-after: avoid; } img { break-inside: avoid; } }
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<div class="wide"><table><tr>{head}</tr>{body}</table></div>'  # scrolls, where too wide, not cut off


def _where(spec: Any, key: str) -> str:
    steps = dict(spec.origins).get(key, ())
    return "<br>".join(f"{_e(o.action)} {_e(Path(o.span.file).name)}:{o.span.line}" for o in steps if o.span)


def build(model: Any, results: Any, break_even: str | None = None, cost: str | None = None,
          quality: str | None = None, variables: list[str] | None = None) -> str:
    """The report; `variables` chooses the trajectories drawn (default: the stocks)."""
    g = model.checked.graph
    parts = _head(model, results)
    parts += _results(model, results, break_even)
    parts += _trajectories(model, results, cost, quality, variables)
    parts += _assumptions(model)
    parts += _scenarios(model)
    from .compiler.analysis.causal import causal_graph

    cg = causal_graph(model.checked)  # once: the map and the loops both read it
    parts += ["<h2>Stocks, flows and feedback loops</h2>", _diagram(model, cg), _loops(model, cg)]
    parts += _checks(model, results)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(g.info.title or g.info.name)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _head(model: Any, results: Any) -> list[str]:
    g = model.checked.graph
    unit, p = time_words(g.time.unit)[1], model.plan()  # `dt 0.25 months`, `from 0 to 120 months`
    parts = [f"<h1>{_e(g.info.title or g.info.name)}</h1>"]
    if g.info.description:
        parts.append(f"<p>{_e(g.info.description)}</p>")
    parts.append(f'<p class="note">Spec: {_e(Path(model.path).name)}. {p.method.value}, dt {p.dt:g} {unit}, from {p.start:g} '
                 f"to {p.stop:g} {unit}. {counted(len(results.runs), 'run')} of {counted(len(results.names), 'scenario')}; baseline: "
                 f"<b>{_e(results.baseline)}</b>.</p>")
    return parts


MAX_ACROSS = 6  # scenario columns that fit across a page; more, and the table turns to a row per scenario


def _results(model: Any, results: Any, break_even: str | None) -> list[str]:
    """Metrics as rows and scenarios as columns: each scenario's value (the median of its draws,
    with the 5-95% range under it) and its change against the baseline."""
    g = model.checked.graph
    by_metric = results.shown_metric_rows()
    columns = list(dict.fromkeys((r.scenario, r.point) for block in by_metric.values() for r in block))
    names = [sc + (f" ({pt})" if pt else "") for sc, pt in columns]
    heads = []  # each metric with its units, as written (headers are escaped where drawn)
    rows = []
    for metric, block in by_metric.items():
        cells = [{(r.scenario, r.point): r for r in block}[c] for c in columns]
        units = str(block[0].units)
        heads.append((metric, _units_shown(units)))
        row = [_e(metric), _e(_units_shown(units))]
        # a metric's numbers in one number of decimals: 17,137 beside 19,920, not 17,136.85
        n = len(cells)
        shown = column_texts([r.value for r in cells] + [r.p5 for r in cells] + [r.p95 for r in cells], units)
        diffs = iter(column_texts([r.difference for r, (sc, _) in zip(cells, columns, strict=True)
                                   if sc != results.baseline], units))
        for i, (r, (sc, _)) in enumerate(zip(cells, columns, strict=True)):
            cell = shown[i]
            if r.runs > 1:
                cell += f'<br><span class="note">5-95%: {shown[n + i]} to {shown[2 * n + i]}</span>'
            if sc != results.baseline:
                cell += f'<br><span class="note">{_change(r.difference, r.relative, units, next(diffs))}</span>'
            row.append(cell)
        rows.append(row)
    if not rows:
        return ["<h2>Results against the baseline</h2>", "<p>The spec declares no metrics; the trajectories below "
                "show the run.</p>"]
    if len(columns) > MAX_ACROSS and len(rows) < len(columns):  # many scenarios: a row each, or the page cuts them off
        across = ["scenario"] + [f"{m} ({u})" if u else m for m, u in heads]
        table = _table(across, [[_e(name)] + [r[2 + i] for r in rows] for i, name in enumerate(names)],
                       set(range(1, len(across))))
    else:
        table = _table(["metric", "units", *names], rows, set(range(2, len(names) + 2)))
    parts = ["<h2>Results against the baseline</h2>",
             "<p class='note'>Each scenario's value, and under it the change against the baseline. "
             "A sampled scenario shows the median of its runs and the range of the middle 90%.</p>", table]
    parts += _definitions(model)
    if break_even:
        be = results.break_even_rows(break_even)
        unit = time_words(g.time.unit)[0]  # `month 115`
        last_step = float(results.batch.times[-2]) if len(results.batch.times) > 1 else math.inf
        parts.append(f"<h3>When savings appear: cumulative {_e(break_even)} below the baseline's for good</h3>")
        parts.append(_break_even_table([r for r in be if r.scenario != results.baseline], unit, last_step))
    return parts + drivers_section(results, _table)


def _break_even_table(rows: list[Any], unit: str, last_step: float) -> str:
    """A column for the sweep's point and the draws only where some row has them: empty
    columns on a board's page read as missing results."""
    points = any(r.point for r in rows)
    draws = any(r.runs > 1 for r in rows)
    heads = ["scenario"] + ["point"] * points + ["break-even" + " (median of runs that do)" * draws]
    heads += ["share of runs", "over the draws"] * draws
    out = []
    for r in rows:
        when = ("no savings within the run" if r.break_even != r.break_even
                else f"{unit} {_whole(r.break_even)}" + (" (in the run's last step: a longer run would show "
                                                         "whether they last)" if r.break_even > last_step else ""))
        out.append([_e(r.scenario)] + [_e(r.point)] * points + [when]
                   + [f"{r.share:.0%}", _by_when(r, unit)] * draws)
    first = 1 + points
    return _table(heads, out, {first, first + 1} if draws else {first})


def _whole(t: float) -> int:
    """The whole time unit in which savings begin (114.2 -> month 115), as the explorer says it."""
    return math.ceil(t - 1e-9)


def _by_when(r: Any, unit: str) -> str:
    """'savings by month 60 in half the draws, by month 84 in 9 in 10' for a sampled scenario."""
    if r.runs <= 1:
        return ""
    said = [f"by {unit} {_whole(t)} in {words}" for t, words in ((r.by_50, "half the draws"), (r.by_90, "9 in 10"))
            if t == t]
    if said and r.by_90 != r.by_90:
        said.append("not in 9 in 10 within the run")
    return _e("savings " + ", ".join(said) if said else "fewer than half the draws show savings within the run")


def _change(diff: float, relative: float, units: str, shown: str | None = None) -> str:
    """`+105.4 (+13.1%)`; `shown` is the difference as its column writes it."""
    if diff == 0 or abs(relative) < 1e-9:
        return "no change"
    text = ("+" if diff > 0 else "") + (value_text(diff, units) if shown is None else shown)
    return text + (f" ({percent_text(relative)})" if relative == relative else "")


def _units_shown(units: str) -> str:
    return units_shown(units)


def _definitions(model: Any) -> list[str]:
    g = model.checked.graph
    decls = {d.name: d for d in model.spec.decls}
    c = model.checked  # units declared, or as computed: as the results table shows them
    shown = {m.id: unit_text(m.units) if m.units else c.unitsys.show(u) for m in g.metrics
             if (u := c.units.get(m.id)) is not None}
    return ["<h3>How the metrics are defined</h3>", _table(["metric", "definition", "units", "meaning"], [
        [_e(m.display), f"<code>{_e(expr_text(decls[m.display].expr))}</code>",
         _e(_units_shown(shown.get(m.id) or "")), _e(m.doc.description or m.doc.source or m.doc.assumption or "")]
        for m in g.metrics if m.display in decls])]


# Each stock-and-flows figure is a page of its own, so fewer of them than trajectory panels
# (plots.MAX_PANELS).
MAX_FLOW_PANELS = 6


def _trajectories(model: Any, results: Any, cost: str | None, quality: str | None,
                  variables: list[str] | None = None) -> list[str]:
    g = model.checked.graph
    unit = g.time.unit
    parts = ["<h2>Trajectories</h2>"]
    every = [s for s in g.stocks if not s.hidden]
    what = "stocks"
    if variables:  # chosen: an array's name stands for its elements
        by_id = {v.id: v for v in (*g.stocks, *g.auxes, *g.flows)}
        every, what = [by_id[n] for n in plots.trajectory_names(results, variables)], "variables chosen"
    elif not every:  # a model without stocks: what it computes
        every, what = [v for v in (*g.auxes, *g.flows) if not v.hidden], "variables"
    stocks = [s.id for s in every][:plots.MAX_PANELS]
    if stocks:
        parts.append(f'<img alt="{what} by scenario" src="{plots.to_data_uri(plots.trajectories(results, stocks, unit))}">')
    else:
        parts.append("<p>The spec declares nothing that changes over time.</p>")
    if len(every) > len(stocks):
        parts.append(_left_out(every[len(stocks):], f"The first {len(stocks)} of {len(every)} {what} are drawn",
                               "stockflow report SPEC --vars NAME,...", "the ones you name (an array by its name)"))
        parts += end_tables(model, results, every[len(stocks):], _change)
    if cost and quality:
        fig = plots.cost_and_quality(results, cost, quality)
        parts.append(f'<img alt="cost and quality" src="{plots.to_data_uri(fig)}">')
    base_run = results.run(results.indices(results.baseline)[0])
    moving = [x for x in g.stocks if not x.hidden and (x.inflows or x.outflows)
              and bool((abs(base_run[x.id]) > 0).any())]  # no panels of a stock that stays at zero
    if not moving:
        return parts
    parts.append("<h3>Why each stock moved (baseline)</h3><p class='note'>The same stock can rise through "
                 "different combinations of inflow and outflow; these panels show which.</p>")
    shown = _most_changed(moving, base_run, MAX_FLOW_PANELS)
    for s in shown:
        parts.append(f'<img alt="{_e(s.display)} and its flows" '
                     f'src="{plots.to_data_uri(plots.stock_and_flows(model, base_run, s.id, unit))}">')
    if len(moving) > len(shown):
        parts.append(_left_out([s for s in moving if s not in shown], f"These panels are for the {len(shown)} of "
                               f"{len(moving)} stocks that change most in the baseline",
                               "stockflow plot SPEC --kind flows --stock NAME", "any other"))
    return parts + _scenario_flows(model, results, moving, unit)


def _scenario_flows(model: Any, results: Any, stocks: list[Any], unit: str) -> list[str]:
    """For the stock the scenarios move furthest from the baseline, its total inflow and
    outflow under each scenario: how each one got there (a fall from fewer arrivals reads
    differently from one through more leaving)."""
    if len(results.names) < 2 or not stocks:
        return []
    base = results.indices(results.baseline)[0]

    def moved(s: Any) -> float:
        runs = results.batch[s.id]
        return float(max(abs(runs[:, -1] - runs[base, -1])) / max(abs(runs[base]).max(), 1e-300))

    far = {s.id: moved(s) for s in stocks}
    stock = max(stocks, key=lambda s: far[s.id])
    if far[stock.id] == 0:
        return []
    fig = plots.flows_by_scenario(model, results, stock.id, unit)
    return [f"<h3>How the scenarios moved {_e(stock.display)}</h3><p class='note'>{_e(stock.display)} ends "
            "furthest from the baseline of all the stocks. Each panel is one scenario's total inflow and outflow "
            "(the stock behind them): where the scenarios differ, these say through which flows.</p>",
            f'<img alt="{_e(stock.display)}: inflow and outflow by scenario" src="{plots.to_data_uri(fig)}">']


def _most_changed(stocks: list[Any], run: Any, n: int) -> list[Any]:
    """The n stocks whose range over the run is largest against their size, in their own order."""
    def change(s: Any) -> float:
        x = run[s.id]
        return float((x.max() - x.min()) / max(abs(x).max(), 1e-300))

    keep = {s.id for s in sorted(stocks, key=change, reverse=True)[:n]}
    return [s for s in stocks if s.id in keep]


def _left_out(stocks: list[Any], what: str, command: str, which: str) -> str:
    """A note of the stocks a section does not draw, so that no reader takes it for all of them."""
    names = ", ".join(s.display for s in stocks[:12]) + (f" and {len(stocks) - 12} more" if len(stocks) > 12 else "")
    return (f"<p class='note'>Not drawn here: {_e(names)}. {_e(what)}; <code>{_e(command)}</code> "
            f"draws {which}.</p>")


def _assumptions(model: Any) -> list[str]:
    g = model.checked.graph
    files = {d.name.lower(): d.array.table for d in model.spec.decls
             if getattr(d, "array", None) is not None and d.array.table}
    prow = []
    for prm in g.params:
        bounds = f"[{prm.bounds[0]:g}, {prm.bounds[1]:g}]" if prm.bounds else ""
        units = unit_text(prm.units) if prm.units else ""
        prow.append([_e(prm.display), value_text(prm.value, units), _e(_units_shown(units)), bounds,
                     _where_from(prm.doc, files.get(prm.display.split("[", 1)[0].lower()), True),
                     _where(model.spec, prm.id) or _where(model.spec, prm.id.split("[", 1)[0])])  # an element: its array's
    srow = []
    for s in g.stocks:
        if s.hidden:
            continue
        number = model.checked.initials.get(s.id)  # a number other than 0 came from somewhere
        from_elsewhere = number is not None and number.is_Number and number != 0
        srow.append([_e(s.display), _e(expr_text(s.initial)) if not from_elsewhere else
                     value_text(float(number), unit_text(s.units) if s.units else None),
                     _e(_units_shown(unit_text(s.units))) if s.units else "",
                     _where_from(s.doc, files.get(s.display.split("[", 1)[0].lower()), from_elsewhere)])
    return ["<h2>Assumptions</h2><h3>Parameters</h3>",
            _table(["parameter", "value", "units", "bounds", "where from", "set in"], prow, {1}) if prow else
            "<p>The spec declares no parameters.</p>",
            "<h3>Initial values</h3>", _table(["stock", "initial value", "units", "where from"], srow, {1}) if srow
            else "<p>The spec declares no stocks.</p>"]


def _where_from(doc: Any, file: str | None, needs_source: bool) -> str:
    """A value's source or assumption, and the CSV file it was read from; a number without
    either is flagged, as a board must not take it for a fact."""
    said = (doc.source and f"source: {_e(doc.source)}" or doc.assumption and f"<i>assumption:</i> {_e(doc.assumption)}"
            or ('<span class="fail">no source or assumption given</span>' if needs_source else ""))
    return said + (f"{'; ' if said else ''}read from <code>{_e(file)}</code>" if file else "")


def _scenarios(model: Any) -> list[str]:
    g = model.checked.graph
    written = {canonical(d.name): d for d in model.spec.decls if isinstance(d, A.ScenarioDecl)}
    stocks = {s.id for s in g.stocks}
    stocks |= {a.name for a in g.arrays if a.elements[0][0] in stocks}  # an array of stocks by its name
    srows = []
    for sc in g.scenarios:
        what = _board_words(scenario_items(written[sc.id]), stocks)
        srows.append([_e(sc.display), _e(sc.title or ""), "<br>".join(_e(w) for w in what),
                      _e(sc.doc.description or sc.doc.assumption or "")])
    return ["<h2>Scenarios</h2>", _table(["scenario", "title", "changes", "notes"], srows) if srows else
            "<p>The spec declares no scenarios; the baseline is the model as written.</p>"]


def _board_words(items: list[str], stocks: set[str]) -> list[str]:
    """A scenario's items as written, with the spec's words for inheritance, starting values
    and draws put as a board would say them: `extends wm2u` is "all of wm2u, and:", a stock's
    `set intensive = 200` is "start intensive at 200", `draws 200` `seed 2026` is "200 draws,
    seed 2026"."""
    out, draws = [], []
    for w in items:
        word, _, rest = w.partition(" ")
        name, _, value = rest.partition(" = ")
        if word == "set" and canonical(name).split("[", 1)[0] in stocks:
            out.append(f"start {name} at {value}")
        elif word == "extends":
            out.append(f"all of {rest}, and:")
        elif word in ("draws", "seed", "latin_hypercube"):
            draws.append({"draws": f"{rest} draws", "seed": f"seed {rest}", "latin_hypercube": "Latin hypercube"}[word])
        elif w.startswith("sample from fit "):
            out.append(f"sample the fitted parameters from the calibration in {rest.removeprefix('from fit ')}")
        else:
            out.append(w)
    return out + ([", ".join(draws)] if draws else [])


def _checks(model: Any, results: Any) -> list[str]:
    g = model.checked.graph
    if not g.expectations:
        return ["<h2>Reality checks</h2>", "<p>The spec declares no reality checks.</p>"]
    failures = model.check_expectations(results)
    failed = {d.message.split("`")[1] for d in failures}
    return ["<h2>Reality checks</h2>", _table(["check", "checked in", "result", "detail"], [
        [_e(ex.display), _e(ex.under or "the model as written"),
         '<span class="fail">fails</span>' if ex.display in failed else '<span class="ok">holds</span>',
         _e(next((d.message for d in failures if d.message.split("`")[1] == ex.display), ex.doc.description or ""))]
        for ex in g.expectations])]


def _diagram(model: Any, cg: Any) -> str:
    """The system map (as in the explorer): stocks in rows, escalation above, de-escalation below."""
    from .compiler.write.map import standalone, system_map

    svg = standalone(system_map(model.checked, cg))
    return '<div class="wide">' + svg.replace(' style="max-width:', ' style="width:100%;height:auto;max-width:', 1) + "</div>"


def _loops(model: Any, cg: Any) -> str:
    """How many loops of each polarity, the few that act most strongly at the start (by the
    size of their loop gain, the product of their links' partial derivatives), and the full
    list folded away."""
    from .compiler.analysis.loops import Polarity, find_loops

    report = find_loops(cg)
    unit = model.checked.graph.time.unit
    counts = {pol: sum(lp.polarity is pol for lp in report.loops) for pol in Polarity}
    summary = ", ".join(f"{n:,} {pol.value}" for pol, n in counts.items() if n)
    rows = []
    for lp in report.loops:
        pol = lp.polarity.value + (f" ({lp.at_start.value} at the start)"
                                   if lp.polarity is Polarity.UNDETERMINED and lp.at_start is not Polarity.UNDETERMINED
                                   else "")
        gain = "" if lp.gain is None else f"{value_text(lp.gain)} per {_e(unit)}"
        rows.append([_e(lp.id), _e(pol), gain, _e(" → ".join(lp.names + (lp.names[0],)))])
    key = sorted(range(len(report.loops)), key=lambda i: -abs(report.loops[i].gain or 0.0))
    top = [rows[i] for i in key[:5]]
    head = f"<h3>Feedback loops ({len(rows):,})</h3>"
    if not rows:
        return head + "<p>The model has no feedback loops.</p>"
    header = ["loop", "polarity", "loop gain at the start", "path"]
    if len(rows) <= 5:  # all of them: no ranking and no folded list to speak of
        return (head + f"<p>{_e(summary)}, with each one's loop gain at the start (the product of the partial "
                "derivatives around the loop):</p>" + _table(header, rows, {2}))
    every, shapes, rest = _loop_shapes(model, report.loops, rows, unit)
    return (head + f"<p>{_e(summary)}. The five that act most strongly at the start (largest loop gain, the "
            "product of the partial derivatives around the loop):</p>" + _table(header, top, {2})
            + f"<details><summary>All {len(rows):,} loops{shapes}</summary>" + _table(header, every, {2}) + rest
            + "</details>")


def _loop_shapes(model: Any, loops: Any, rows: list[list[str]], unit: str) -> tuple[list[list[str]], str, str]:
    """The full list with an array's loops of one shape on one row (32 authorities' loops were
    1,152 rows, the same shapes over again), the words that say so, and past the first shapes
    of a long list, the rest counted by the variables they pass through (a model with ageing
    between bands had 4,662 shapes: a page of 4.7 MB)."""
    from .compiler.analysis.loop_families import FIRST_SHAPES, MAX_SHAPES, loop_families

    families = loop_families(loops, model.checked.graph.arrays)
    rest = _loops_counted(families[FIRST_SHAPES:]) if len(families) > MAX_SHAPES else ""
    if len(families) == len(loops) and not rest:
        return rows, "", ""
    words = (f", as {counted(len(families), 'shape')} (an array's loops of one shape on one row)"
             if len(families) < len(loops) else "")
    at = {lp.id: i for i, lp in enumerate(loops)}
    out = []
    for fam in families[:FIRST_SHAPES] if rest else families:
        row = list(rows[at[fam.loops[0].id]])
        if len(fam.loops) > 1:
            gains = [lp.gain for lp in fam.loops if lp.gain is not None]
            lo, hi = (min(gains), max(gains)) if len(gains) == len(fam.loops) else (0.0, 0.0)
            row[0] = _e(f"{fam.loops[0].id} and {len(fam.loops) - 1} more")
            row[2] = "" if len(gains) < len(fam.loops) else (f"{value_text(lo)} per {_e(unit)}" if lo == hi else
                                                              f"{value_text(lo)} to {value_text(hi)} per {_e(unit)}")
            row[3] = _e(" → ".join(fam.names + (fam.names[0],)) + f": one for each {' and '.join(fam.over)}")
        out.append(row)
    return out, words, rest


def _loops_counted(rest: list[Any]) -> str:
    """The shapes past the first of a long list, counted by what they pass through."""
    from .compiler.analysis.loop_families import counted_rest

    rows = [[f"{len(loops):,}", _e(polarities), _e(through)] for through, loops, polarities in counted_rest(rest)]
    n = sum(len(f.loops) for f in rest)
    return (f"<p>... and {counted(len(rest), 'longer shape')} ({counted(n, 'loop')}), by what they pass "
            "through (<code>stockflow loops --all</code> lists them):</p>" + _table(["loops", "polarity", "through"],
                                                                                  rows, {0}))
