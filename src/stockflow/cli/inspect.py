"""stockflow diagram, loops, explain and diff: the structure of a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..compiler.base.diagnostics import printable
from ..compiler.base.names import canonical
from ..numbers import percent_text, units_shown, value_text
from .common import (
    die_internal,
    load_or_exit,
    print_diagnostics,
    sources_for,
    text_table,
    write_atomic,
)

_RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_TEXT = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


@click.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="File to write: .svg, .png, .pdf (need Graphviz's `dot`), .dot or .mmd (Mermaid). "
                   "Without it, DOT text is printed.")
@click.option("--focus", metavar="NAME", help="Draw only the neighbourhood of this variable.")
@click.option("--depth", type=click.IntRange(0, 50), default=2, show_default=True,
              help="How many links from --focus to draw.")
@click.option("--params/--no-params", default=True, show_default=True, help="Draw parameters.")
@click.option("--mermaid", is_flag=True, help="Print Mermaid text instead of DOT.")
@click.option("--loop", "loop_id", metavar="ID", help="Highlight a feedback loop (an id from `stockflow loops`).")
@click.option("--graph", "as_graph", is_flag=True,
              help="For .svg: draw every variable and causal link with Graphviz instead of the system map.")
@click.option("--links", is_flag=True, help="On the system map, draw how stocks drive flows.")
@click.option("--elements", is_flag=True,
              help="With Graphviz, draw every element of an array (default: each array once, as `x[level]`).")
def diagram(spec: str, output: str | None, focus: str | None, depth: int, params: bool, mermaid: bool,
            loop_id: str | None, as_graph: bool, links: bool, elements: bool) -> None:
    """Draw SPEC's stocks and flows. An .svg is the system map of the Connection Explorer
    (stocks in rows, escalation above, de-escalation below; --links adds causal links); with
    --graph, --focus or --loop, and for .png, .pdf, .dot and .mmd, Graphviz draws every
    variable and causal link, each array once unless --elements (or a loop, or an element
    given to --focus) asks for its elements."""
    from ..compiler.analysis.causal import causal_graph
    from ..compiler.base.hints import did_you_mean
    from ..compiler.write.diagram import DiagramOptions, to_dot, to_mermaid

    kind = "mermaid" if mermaid else "dot"
    if output is not None:
        suffix = Path(output).suffix.lower()
        if suffix not in _RENDERED and suffix not in _TEXT:
            raise click.BadParameter("use .svg, .png, .pdf, .dot or .mmd", param_hint="--output")
        kind = _RENDERED.get(suffix) or _TEXT[suffix]
    model = load_or_exit(spec)
    cg = causal_graph(model.checked)
    if kind == "svg" and not (as_graph or focus or loop_id):
        from ..compiler.write.map import standalone, system_map

        write_atomic(Path(output or ""), standalone(system_map(model.checked, cg, links), links), model.inputs)
        click.echo(f"wrote {output}")
        return
    checked = model.checked
    if not elements and loop_id is None and "[" not in (focus or ""):  # a loop runs through elements
        from ..compiler.write.collapse import collapse_arrays

        checked, cg = collapse_arrays(checked, cg)
    if focus is not None:
        visible = {n.id: n.name for n in cg.nodes if not n.hidden}
        if focus.lower() not in visible:
            raise click.BadParameter(f"`{printable(focus)}` is not a variable of {model.name}; "
                                     f"{did_you_mean(focus, list(visible)) or 'see stockflow explain'}",
                                     param_hint="--focus")
        focus = focus.lower()
    highlight: tuple[str, ...] = ()
    if loop_id is not None:
        from ..compiler.analysis.loops import find_loops

        found = {lp.id.lower(): lp for lp in find_loops(cg).loops}
        if loop_id.lower() not in found:
            raise click.BadParameter(f"no loop `{printable(loop_id)}`; `stockflow loops {printable(spec)}` lists them (L1 to "
                                     f"L{len(found)})", param_hint="--loop")
        highlight = found[loop_id.lower()].nodes
    opts = DiagramOptions(focus, depth, params, highlight)
    if kind == "mermaid":
        text = to_mermaid(checked, cg, opts)
    else:
        dot = to_dot(checked, cg, opts)
        text = dot.source
    if output is None:
        click.echo(text, nl=False)
        return
    if kind in ("dot", "mermaid"):
        write_atomic(Path(output), text, model.inputs)
        click.echo(f"wrote {output}")
        return
    import graphviz

    try:
        data = dot.pipe(format=kind)
    except graphviz.ExecutableNotFound:
        click.echo("error: drawing SVG, PNG or PDF needs Graphviz's `dot` program, which was not found.\n"
                   "  install it: `sudo apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` "
                   "(macOS),\n  or write `.dot` or `.mmd` text instead, which needs nothing more.", err=True)
        sys.exit(1)
    write_atomic(Path(output), data, model.inputs)
    click.echo(f"wrote {output}")


@click.command()
@click.argument("spec")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--each", is_flag=True, help="List every element's loop of an array, not each shape once.")
@click.option("--all", "every", is_flag=True,
              help="List every shape, where over 100 would list the first 50 and count the rest by the variables "
                   "they pass through (or the stocks).")
def loops(spec: str, fmt: str, each: bool, every: bool) -> None:
    """List SPEC's feedback loops with their polarity (reinforcing or balancing); an array's
    loops of one shape once, with the dimension in place of its elements. Of over 100 shapes,
    the first 50 (shortest first) are listed and the rest counted by the variables they pass
    through."""
    from ..compiler.analysis.causal import causal_graph
    from ..compiler.analysis.loop_families import FIRST_SHAPES, MAX_SHAPES, loop_families
    from ..compiler.analysis.loops import Polarity, find_loops
    from ..numbers import counted

    model = load_or_exit(spec)
    report = find_loops(causal_graph(model.checked))
    if fmt == "json":
        click.echo(json.dumps({"truncated": report.truncated, "loops": [
            {"id": lp.id, "polarity": lp.polarity.value, "polarity_at_start": lp.at_start.value,
             "variables": list(lp.names), "stocks": list(lp.stocks)} for lp in report.loops]}, indent=2))
        return
    families = loop_families(report.loops, () if each else model.checked.graph.arrays)
    shown = families if each or every or len(families) <= MAX_SHAPES else families[:FIRST_SHAPES]
    for fam in shown:
        lp = fam.loops[0]
        pol = lp.polarity.value
        if lp.polarity is Polarity.UNDETERMINED and lp.at_start is not Polarity.UNDETERMINED:
            pol += f" ({lp.at_start.value} at the start)"
        click.echo(f"{lp.id:>5}  {pol:<38} {' -> '.join(fam.names)} -> {fam.names[0]}")
        if len(fam.loops) > 1:
            ids = ", ".join(x.id for x in fam.loops) if len(fam.loops) <= 5 else \
                f"{', '.join(x.id for x in fam.loops[:3])} ... {fam.loops[-1].id}"
            click.echo(f"{'':>7}{len(fam.loops)} loops, one for each {' and '.join(fam.over)} ({ids})")
    if len(shown) < len(families):
        _loops_counted(families[len(shown):])
    counts = {p: sum(lp.polarity is p for lp in report.loops) for p in Polarity}
    click.echo(f"\n{len(report.loops):,} loop(s): {counts[Polarity.REINFORCING]:,} reinforcing, "
               f"{counts[Polarity.BALANCING]:,} balancing, {counts[Polarity.UNDETERMINED]:,} undetermined "
               "(a link's sign depends on values)" + ("; stopped at the limit" if report.truncated else ""))
    if len(families) < len(report.loops):
        click.echo(f"shown as {counted(len(families), 'shape')}, an array's loops once for all its elements; "
                   "`--each` lists every loop" + ("" if len(shown) == len(families) else ", `--all` every shape"))
    elif len(shown) < len(families):
        click.echo("`--all` lists every loop")


def _loops_counted(rest: list[Any]) -> None:
    """The shapes past the first FIRST_SHAPES, counted by what their loops pass through."""
    from ..compiler.analysis.loop_families import counted_rest
    from ..numbers import counted

    n = sum(len(f.loops) for f in rest)
    click.echo(f"\n... and {counted(len(rest), 'longer shape')} ({counted(n, 'loop')}), by what they pass through:")
    for through, loops, polarities in counted_rest(rest):
        click.echo(f"{len(loops):>7,}  {through} ({polarities})")


@click.command()
@click.argument("spec")
@click.argument("name")
def explain(spec: str, name: str) -> None:
    """Show NAME's definition, units, the files that set it, and what it depends on and feeds."""
    from ..compiler.analysis.causal import causal_graph
    from ..compiler.analysis.explain import explain as explain_text
    from ..compiler.base.elements import element_fault
    from ..compiler.base.hints import did_you_mean

    model = load_or_exit(spec)
    graph = causal_graph(model.checked)
    text = explain_text(model.spec, model.checked, graph, name) or _slice(model, graph, name)
    if text is None:
        head = name.split("[", 1)[0].strip().lower()
        elements = [vid for a in model.checked.graph.arrays if a.name == head for vid, _ in a.elements]
        hint = element_fault(name, model.checked.graph.arrays) or (
            did_you_mean(name.replace(" ", ""), elements) if elements else did_you_mean(
                name, [d.name for d in model.spec.decls]))  # an element of an array: one of its own
        click.echo(printable(f"error: {model.name} has nothing named `{name}`" + (f"; {hint}" if hint else "")),
                   err=True)  # a terminal would act on the control characters of a name pasted in
        sys.exit(1)
    click.echo(text, nl=False)


def _slice(model: Any, graph: Any, name: str) -> str | None:
    """`children[dundee]`: the elements a slice names, then the first one explained."""
    from ..compiler.analysis.explain import explain as explain_text
    from ..compiler.base.elements import slice_picks

    head = name.split("[", 1)[0].strip().lower()
    array = next((a for a in model.checked.graph.arrays if a.name == head), None)
    picks = slice_picks(name, [k for _, k in array.elements]) if array is not None else None
    if array is None or not picks:
        return None
    ids = [array.elements[i][0] for i in picks]
    shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    first = explain_text(model.spec, model.checked, graph, ids[0]) or ""
    return f"{name}: {len(ids)} element(s) of `{array.name}`: {shown}\n\n{first}"


@click.command(name="diff")
@click.argument("spec_a")
@click.argument("spec_b")
@click.option("--run", "run_both", is_flag=True, help="Also run both models and compare their metrics.")
def diff_cmd(spec_a: str, spec_b: str, run_both: bool) -> None:
    """Show how SPEC_B differs from SPEC_A. Exit 0 if the same, 1 if different, 2 on errors."""
    from ..compiler.analysis.explain import describe, diff
    from ..compiler.base.diagnostics import SpecError

    try:
        from ..api import load

        a, b = load(spec_a), load(spec_b)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001
        die_internal(exc)
    assert a.spec is not None and b.spec is not None, "a loaded model keeps its spec"
    changes = diff(a.spec, b.spec)
    click.echo(f"A: {spec_a}\nB: {spec_b}\n")
    for d in changes:
        click.echo(describe(d))
    read = _values_read(a, b)
    for line in read:
        click.echo(line)
    if not changes and not read:
        click.echo("no differences in declarations or time settings")
    different = bool(changes or read)
    if run_both:
        different = _diff_runs(a, b) or different
    sys.exit(1 if different else 0)


def _values_read(a: Any, b: Any) -> list[str]:
    """Values read from CSV files (parameters', stocks' initial values) that differ, though the
    declarations' text (`csv "rates.csv"`) may be the same: each changed element, A's and B's."""
    tables = {canonical(d.name) for spec in (a.spec, b.spec) for d in spec.decls
              if getattr(getattr(d, "array", None), "table", None)}
    pa, pb = _numbers(a), _numbers(b)
    out = [f"  {k}: A {value_text(pa[k])}, B {value_text(pb[k])}" for k in pa
           if k in pb and k.split("[", 1)[0] in tables and pa[k] != pb[k]]
    return (["~ values read from CSV files:"] + out[:40] + ([f"  ... and {len(out) - 40} more"] if len(out) > 40 else [])
            if out else [])


def _numbers(m: Any) -> dict[str, float]:
    """A model's parameters and the stocks' initial values that are numbers."""
    return {**m.parameters, **{k: float(e) for k, e in m.checked.initials.items() if e.is_Number}}


def _diff_runs(a: Any, b: Any) -> bool:
    """Metric by metric, under each scenario both models declare (the baseline always); a
    scenario with draws is compared by the median over its draws, and says so."""
    import numpy as np

    sa, sb = a.run_scenarios(), b.run_scenarios()
    different = False
    for name in [n for n in sa.names if n in sb.names]:
        ia, ib = sa.indices(name), sb.indices(name)
        if any(r.swept for r in (sa.runs[i] for i in ia)) or any(r.swept for r in (sb.runs[i] for i in ib)):
            click.echo(f"\nscenario {name}: left out (it sweeps values; compare with `stockflow run --scenarios`)")
            continue
        mb = {m.id: k for k, m in enumerate(sb.batch.metrics)}
        rows = []
        for k, m in enumerate(sa.batch.metrics):
            if m.id in mb:
                va = float(np.median(sa.batch.metric_values[ia, k]))
                vb = float(np.median(sb.batch.metric_values[ib, mb[m.id]]))
                rel = percent_text((vb - va) / abs(va), 2) if va else ""
                rows.append([m.name, value_text(va, m.units), value_text(vb, m.units), value_text(vb - va, m.units), rel, units_shown(m.units)])
                different = different or va != vb
        if rows:
            how = "" if len(ia) == len(ib) == 1 else f" (median over draws: {len(ia)} in A, {len(ib)} in B)"
            click.echo(f"\nscenario {name}{how}:\n" + text_table(rows, ["metric", "A", "B", "B - A", "change", "units"],
                                                                {1, 2, 3, 4}))
    return different
