"""The `stockflow` command line: check, run, format, and the rest (`stockflow --help`).

Exit codes: 0 success, 1 errors in a spec or run (or warnings with --strict), 2 usage.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from . import __version__


def _die_internal(exc: BaseException) -> None:
    click.echo(f"stockflow: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo("This is a bug in stockflow, not in your spec; please report it with the spec attached.", err=True)
    if os.environ.get("STOCKFLOW_DEBUG"):
        traceback.print_exc()
    sys.exit(3)


def _print_diagnostics(diags: Any, sources: dict[str, str], fmt: str) -> None:
    from .compiler.base.diagnostics import render_github, render_json, render_text

    if fmt == "json":
        click.echo(render_json(list(diags)))
        return
    for d in diags:
        click.echo(render_github(d) if fmt == "github" else render_text(d, sources) + "\n",
                   err=fmt == "text")


def _sources_for(diags: Any, hidden: frozenset[str] = frozenset()) -> dict[str, str]:
    """The text of each file the diagnostics point into, to show their lines; never of a file
    that did not parse as a spec (`hidden`), whose lines may hold anything."""
    out: dict[str, str] = {}
    for d in diags:
        if d.span is not None and d.span.file not in out and d.span.file not in hidden:
            try:
                from .compiler.base.diagnostics import SpecError
                from .compiler.pipeline import read_source

                out[d.span.file] = read_source(d.span.file).text
            except (OSError, UnicodeDecodeError, SpecError):
                pass
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stockflow")
@click.option("--allow-read", "allow_read", multiple=True, type=click.Path(file_okay=False), metavar="FOLDER",
              help="Let specs read bases and data in FOLDER too (besides their own folder and the bundled specs).")
def main(allow_read: tuple[str, ...]) -> None:
    """Write, check and run stock-and-flow models as plain text (YAML or .sfm)."""
    if allow_read:
        from .compiler.base.files import ALLOW_ENV

        os.environ[ALLOW_ENV] = os.pathsep.join([*allow_read, *filter(None, [os.environ.get(ALLOW_ENV)])])


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="How to print diagnostics.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--run", "run_checks", is_flag=True,
              help="Also run each spec and test its reality checks (`expect`).")
def check(specs: tuple[str, ...], fmt: str, strict: bool, run_checks: bool) -> None:
    """Check SPECS for errors and warnings; with --run, also run them against their expectations."""
    try:
        from .api import RunError, load
        from .compiler.base.diagnostics import SpecError
        from .compiler.base.registry import resolve_spec_path
        from .compiler.pipeline import diagnose

        every = []
        sources: dict[str, str] = {}  # only files that parsed as specs are shown
        for spec in specs:
            try:
                found, read = diagnose(resolve_spec_path(spec))
            except SpecError as exc:
                found, read = list(exc.diagnostics), {}
            sources.update(read)
            every.extend(found)
            if run_checks and not any(d.is_error for d in found):
                model = load(spec)
                try:
                    every.extend(model.check_expectations())
                except RunError as exc:
                    every.extend(exc.diagnostics)
        _print_diagnostics(every, sources, fmt)
        errors = sum(d.is_error for d in every)
        warnings = len(every) - errors
        if fmt == "text":
            click.echo(f"{len(specs)} spec(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
        sys.exit(1 if errors or (strict and warnings) else 0)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
        _die_internal(exc)


def _parse_sets(sets: tuple[str, ...], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        try:
            if not eq or not name.strip():
                raise ValueError
            number = float(value)
        except ValueError:
            raise click.BadParameter(f"expected NAME=NUMBER, got {_shown(item)}", param_hint=option) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise click.BadParameter(f"{_shown(item)}: the value must be a finite number", param_hint=option)
        out[name.strip()] = number
    return out


def _shown(text: str) -> str:
    from .compiler.base.diagnostics import printable

    return f"'{printable(text)}'"


def _fmt(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    a = abs(v)
    if a >= 1e6:  # whole numbers with separators: people misread 1.496e+08
        return f"{v:,.0f}" if a < 1e15 else f"{v:.4e}"
    if a < 1e-3 and a != 0:
        return f"{v:.4g}"
    return f"{v:,.2f}" if a >= 100 else f"{v:.4g}"


def _table(rows: list[list[str]], header: list[str], numeric: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


@main.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write results to a .csv or .parquet file.")
@click.option("--method", type=click.Choice(["euler", "rk4"]), help="Override the spec's integration method.")
@click.option("--dt", type=float, help="Override the spec's time step.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("--initial", "initials", multiple=True, metavar="NAME=VALUE",
              help="Override a stock's initial value (repeatable).")
@click.option("--scenarios", "scenario_names", metavar="all|NAME,...",
              help="Run the spec's scenarios (all, or a comma-separated list) with the baseline, and compare.")
@click.option("--break-even", "break_even", metavar="RATE",
              help="With --scenarios: when each scenario's cumulative RATE (e.g. cost_rate) falls below the "
                   "baseline's for good.")
def run(spec: str, output: str | None, method: str | None, dt: float | None, sets: tuple[str, ...],
        initials: tuple[str, ...], scenario_names: str | None, break_even: str | None) -> None:
    """Run SPEC; print a summary and optionally write the tidy results."""
    from .compiler.base.diagnostics import SpecError

    overrides = _parse_sets(sets, "--set")
    initial = _parse_sets(initials, "--initial")
    if break_even is not None and scenario_names is None:
        raise click.BadParameter("needs --scenarios", param_hint="--break-even")
    if scenario_names is not None and (overrides or initial):
        raise click.BadParameter("use either --set/--initial or --scenarios (scenarios set their own values)",
                                 param_hint="--set")
    if output is not None:
        out = Path(output)
        if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise click.BadParameter("use a file name ending in .csv or .parquet", param_hint="--output")
    try:
        from .api import load

        model = load(spec)
        for w in model.warnings:
            _print_diagnostics([w], _sources_for([w]), "text")
        if scenario_names is not None:
            names = None if scenario_names.strip().lower() == "all" else [
                n.strip() for n in scenario_names.split(",") if n.strip()]
            results = model.run_scenarios(names, method=method, dt=dt)
            _print_scenarios(model, results, output)
            if break_even is not None:
                _print_break_even(model, results, break_even)
            return
        res = model.run(params=overrides, initial=initial, method=method, dt=dt)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        _die_internal(exc)
    p = model.plan(method, dt)
    click.echo(f"{model.checked.graph.info.title or model.name}: {p.method}, dt {p.dt:g}, "
               f"{p.n_steps} steps, time {p.start:g} to {p.stop:g} {model.checked.graph.time.unit}")
    stocks = [v for v in res.variables if v.kind == "stock"]
    rows = [[v.name, _fmt(res[v.id][0]), _fmt(res[v.id][-1]), v.units] for v in stocks]
    click.echo("\n" + _table(rows, ["stock", "start", "end", "units"], {1, 2}))
    if res.metrics:
        mrows = [[m.name, _fmt(res.metric(m.id)), m.units] for m in res.metrics]
        click.echo("\n" + _table(mrows, ["metric", "value", "units"], {1}))
    for name, drift in res.conservation.items():
        click.echo(f"\nconserved group {name}: largest relative drift {drift:.1e}")
    for w in res.warnings:
        _print_diagnostics([w], {}, "text")
    if output is not None:
        _write_results(res, output, f"{len(res.to_frame())} rows", model.inputs)


def _print_scenarios(model: Any, res: Any, output: str | None) -> None:
    p = model.plan()
    click.echo(f"{model.checked.graph.info.title or model.name}: {len(res.runs)} runs of {len(res.names)} "
               f"scenarios in one call ({p.method}, dt {p.dt:g}, time {p.start:g} to {p.stop:g} "
               f"{model.checked.graph.time.unit}); baseline: {res.baseline}")
    table = res.metrics_table()
    table = table[table.metric.isin(res.shown_metrics())]
    spread = bool((table.runs > 1).any())
    points = bool((table.point != "").any())
    for metric, block in table.groupby("metric", sort=False):
        rows = []
        for _, r in block.iterrows():
            is_base = r.scenario == res.baseline and r.point == ""
            row = [r.scenario] + ([r.point] if points else []) + [_fmt(r.value)]
            row += [_fmt(r.p5), _fmt(r.p95)] if spread else []
            row += ["" if is_base else _fmt(r.difference),
                    "" if is_base or r.relative != r.relative else f"{r.relative:+.2%}"]
            rows.append(row)
        header = ["scenario"] + (["point"] if points else []) + ["value" if not spread else "median"]
        header += ["p5", "p95"] if spread else []
        header += ["vs baseline", "change"]
        units = block.units.iloc[0]
        numeric = set(range(len(header))) - {0} - ({1} if points else set())
        click.echo(f"\n{metric}" + (f" [{units}]" if units else ""))
        click.echo(_table(rows, header, numeric))
    if output is not None:
        _write_results(res, output, f"results of {len(res.runs)} runs", model.inputs)


def _write_results(res: Any, output: str, what: str, inputs: tuple[str, ...]) -> None:
    path = _writing(output, res.write, output, inputs)
    click.echo(f"\nwrote {what} to {path}")


def _print_break_even(model: Any, res: Any, rate: str) -> None:
    table = res.break_even(rate)
    unit = model.checked.graph.time.unit
    rows = []
    for _, r in table.iterrows():
        if r.scenario == res.baseline and r.point == "":
            continue
        when = "not within the run" if r.break_even != r.break_even else f"{r.break_even:.1f} {unit}"
        share = "" if r.runs == 1 else f"{r.share:.0%} of {r.runs} runs"
        rows.append([r.scenario, r.point, when, share])
    click.echo(f"\ncumulative {rate} below the baseline's for good from:")
    click.echo(_table(rows, ["scenario", "point", "break-even", "runs that break even"], set()))


@main.command(name="format")
@click.argument("specs", nargs=-1, required=True)
@click.option("--to", "to", type=click.Choice(["dsl", "yaml"]),
              help="Print canonical DSL text or YAML (default: DSL; with --check, each file's own form).")
@click.option("--check", "check_only", is_flag=True,
              help="Exit 1 if any SPEC is not in canonical form (comments are kept); prints nothing else.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of printing.")
def format_cmd(specs: tuple[str, ...], to: str | None, check_only: bool, output: str | None) -> None:
    """Print SPEC in canonical form (never modifies SPEC); --check accepts many files."""
    from .compiler.base.diagnostics import SpecError
    from .compiler.base.registry import resolve_spec_path
    from .compiler.pipeline import parse_source, read_source
    from .compiler.write.format import format_dsl, format_yaml

    if len(specs) > 1 and not check_only:
        raise click.BadParameter("give one SPEC, or use --check for many", param_hint="SPECS")
    failed = False
    for spec in specs:
        try:
            src = read_source(resolve_spec_path(spec))
            parsed = parse_source(src)
        except SpecError as exc:
            _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001
            _die_internal(exc)
        own = "yaml" if src.path.lower().endswith((".yaml", ".yml")) else "dsl"
        form = to or (own if check_only else "dsl")
        text = format_yaml(parsed) if form == "yaml" else format_dsl(parsed)
        if check_only and text != src.text.replace("\r\n", "\n"):
            click.echo(f"{spec}: not in canonical form (run `stockflow format {spec}` to see it)", err=True)
            failed = True
    if check_only:
        sys.exit(1 if failed else 0)
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomic(Path(output), text, (src.path,))


def _or_exit(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args): a spec's diagnostics print and exit 1; anything else is an internal error."""
    from .compiler.base.diagnostics import SpecError

    try:
        return fn(*args, **kwargs)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        _die_internal(exc)


def _load_or_exit(spec: str) -> Any:
    from .api import load

    return _or_exit(load, spec)


_RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
_TEXT = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


@main.command()
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
def diagram(spec: str, output: str | None, focus: str | None, depth: int, params: bool, mermaid: bool,
            loop_id: str | None) -> None:
    """Draw SPEC's stocks, flows and causal links (the Connection Explorer view)."""
    from .compiler.analysis.causal import causal_graph
    from .compiler.base.hints import did_you_mean
    from .compiler.write.diagram import DiagramOptions, to_dot, to_mermaid

    kind = "mermaid" if mermaid else "dot"
    if output is not None:
        suffix = Path(output).suffix.lower()
        if suffix not in _RENDERED and suffix not in _TEXT:
            raise click.BadParameter("use .svg, .png, .pdf, .dot or .mmd", param_hint="--output")
        kind = _RENDERED.get(suffix) or _TEXT[suffix]
    model = _load_or_exit(spec)
    cg = causal_graph(model.checked)
    if focus is not None:
        visible = {n.id: n.name for n in cg.nodes if not n.hidden}
        if focus.lower() not in visible:
            raise click.BadParameter(f"`{focus}` is not a variable of {model.name}; "
                                     f"{did_you_mean(focus, visible.values()) or 'see stockflow explain'}",
                                     param_hint="--focus")
        focus = focus.lower()
    highlight: tuple[str, ...] = ()
    if loop_id is not None:
        from .compiler.analysis.loops import find_loops

        found = {lp.id.lower(): lp for lp in find_loops(cg).loops}
        if loop_id.lower() not in found:
            raise click.BadParameter(f"no loop `{loop_id}`; `stockflow loops {spec}` lists them (L1 to "
                                     f"L{len(found)})", param_hint="--loop")
        highlight = found[loop_id.lower()].nodes
    opts = DiagramOptions(focus, depth, params, highlight)
    if kind == "mermaid":
        text = to_mermaid(model.checked, cg, opts)
    else:
        dot = to_dot(model.checked, cg, opts)
        text = dot.source
    if output is None:
        click.echo(text, nl=False)
        return
    if kind in ("dot", "mermaid"):
        _write_atomic(Path(output), text, model.inputs)
        return
    import graphviz

    try:
        data = dot.pipe(format=kind)
    except graphviz.ExecutableNotFound:
        click.echo("error: drawing SVG, PNG or PDF needs Graphviz's `dot` program, which was not found.\n"
                   "  install it: `sudo apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` "
                   "(macOS),\n  or write `.dot` or `.mmd` text instead, which needs nothing more.", err=True)
        sys.exit(1)
    _write_atomic(Path(output), data, model.inputs)


@main.command()
@click.argument("spec")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def loops(spec: str, fmt: str) -> None:
    """List SPEC's feedback loops with their polarity (reinforcing or balancing)."""
    from .compiler.analysis.causal import causal_graph
    from .compiler.analysis.loops import Polarity, find_loops

    model = _load_or_exit(spec)
    report = find_loops(causal_graph(model.checked))
    if fmt == "json":
        click.echo(json.dumps({"truncated": report.truncated, "loops": [
            {"id": lp.id, "polarity": lp.polarity.value, "polarity_at_start": lp.at_start.value,
             "variables": list(lp.names), "stocks": list(lp.stocks)} for lp in report.loops]}, indent=2))
        return
    for lp in report.loops:
        pol = lp.polarity.value
        if lp.polarity is Polarity.UNDETERMINED and lp.at_start is not Polarity.UNDETERMINED:
            pol += f" ({lp.at_start.value} at the start)"
        click.echo(f"{lp.id:>5}  {pol:<38} {' -> '.join(lp.names)} -> {lp.names[0]}")
    counts = {p: sum(lp.polarity is p for lp in report.loops) for p in Polarity}
    click.echo(f"\n{len(report.loops)} loop(s): {counts[Polarity.REINFORCING]} reinforcing, "
               f"{counts[Polarity.BALANCING]} balancing, {counts[Polarity.UNDETERMINED]} undetermined "
               "(a link's sign depends on values)" + ("; stopped at the limit" if report.truncated else ""))


@main.command()
@click.argument("spec")
@click.argument("name")
def explain(spec: str, name: str) -> None:
    """Show NAME's definition, units, the files that set it, and what it depends on and feeds."""
    from .compiler.analysis.causal import causal_graph
    from .compiler.analysis.explain import explain as explain_text
    from .compiler.base.hints import did_you_mean

    model = _load_or_exit(spec)
    text = explain_text(model.spec, model.checked, causal_graph(model.checked), name)
    if text is None:
        hint = did_you_mean(name, [d.name for d in model.spec.decls])
        click.echo(f"error: {model.name} has nothing named `{name}`" + (f"; {hint}" if hint else ""), err=True)
        sys.exit(1)
    click.echo(text, nl=False)


@main.command(name="diff")
@click.argument("spec_a")
@click.argument("spec_b")
@click.option("--run", "run_both", is_flag=True, help="Also run both models and compare their metrics.")
def diff_cmd(spec_a: str, spec_b: str, run_both: bool) -> None:
    """Show how SPEC_B differs from SPEC_A. Exit 0 if the same, 1 if different, 2 on errors."""
    from .compiler.analysis.explain import describe, diff
    from .compiler.base.diagnostics import SpecError

    try:
        from .api import load

        a, b = load(spec_a), load(spec_b)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001
        _die_internal(exc)
    changes = diff(a.spec, b.spec)
    click.echo(f"A: {spec_a}\nB: {spec_b}\n")
    for d in changes:
        click.echo(describe(d))
    if not changes:
        click.echo("no differences in declarations or time settings")
    different = bool(changes)
    if run_both:
        different = _diff_runs(a, b) or different
    sys.exit(1 if different else 0)


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
                rel = f"{(vb - va) / abs(va):+.2%}" if va else ""
                rows.append([m.name, _fmt(va), _fmt(vb), _fmt(vb - va), rel, m.units])
                different = different or va != vb
        if rows:
            how = "" if len(ia) == len(ib) == 1 else f" (median over draws: {len(ia)} in A, {len(ib)} in B)"
            click.echo(f"\nscenario {name}{how}:\n" + _table(rows, ["metric", "A", "B", "B - A", "change", "units"],
                                                                {1, 2, 3, 4}))
    return different


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of printing.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the YAML spec form (for editors and CI)."""
    from .compiler.write.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(Path(output), text)


@main.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The .html file to write.")
@click.option("--scenarios", "scenario_names", default="all", show_default=True, metavar="all|NAME,...")
@click.option("--break-even", "break_even", metavar="RATE", help="Report when cumulative RATE falls below the baseline's.")
@click.option("--cost", metavar="METRIC", help="Plot this metric against --quality for each scenario.")
@click.option("--quality", metavar="METRIC", help="The quality-of-life metric for --cost.")
def report(spec: str, output: str, scenario_names: str, break_even: str | None, cost: str | None,
           quality: str | None) -> None:
    """Write one self-contained HTML report: results, plots, assumptions, scenarios, diagram, loops."""
    from .compiler.base.diagnostics import SpecError
    from .report import build

    if not output.lower().endswith((".html", ".htm")):
        raise click.BadParameter("use a file name ending in .html", param_hint="--output")
    if (cost is None) != (quality is None):
        raise click.BadParameter("give both --cost and --quality", param_hint="--cost")
    model = _load_or_exit(spec)
    names = None if scenario_names.strip().lower() == "all" else [n.strip() for n in scenario_names.split(",")]
    try:
        results = model.run_scenarios(names)
        text = build(model, results, break_even, cost, quality)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    _write_atomic(Path(output), text, model.inputs)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="A .png or .svg file.")
@click.option("--kind", type=click.Choice(["trajectories", "flows", "flows-by-scenario", "cost-quality"]),
              default="trajectories", show_default=True)
@click.option("--vars", "variables", metavar="A,B", help="trajectories: the variables (default: the stocks).")
@click.option("--stock", metavar="NAME", help="flows: the stock to explain.")
@click.option("--scenario", metavar="NAME", help="flows: the scenario (default: the baseline).")
@click.option("--scenarios", "scenario_names", default="all", show_default=True, metavar="all|NAME,...")
@click.option("--cost", metavar="METRIC")
@click.option("--quality", metavar="METRIC")
def plot(spec: str, output: str, kind: str, variables: str | None, stock: str | None, scenario: str | None,
         scenario_names: str, cost: str | None, quality: str | None) -> None:
    """Draw trajectories by scenario, a stock with its flows, or cost against quality of life."""
    from . import plots
    from .compiler.base.diagnostics import SpecError

    if not output.lower().endswith((".png", ".svg")):
        raise click.BadParameter("use a file name ending in .png or .svg", param_hint="--output")
    model = _load_or_exit(spec)
    names = None if scenario_names.strip().lower() == "all" else [n.strip() for n in scenario_names.split(",")]
    unit = model.checked.graph.time.unit
    try:
        res = model.run_scenarios(names)
        if kind == "trajectories":
            chosen = [v.strip() for v in variables.split(",")] if variables else model.stocks
            fig = plots.trajectories(res, chosen, unit)
        elif kind == "flows":
            if stock is None:
                raise click.BadParameter("name the stock to explain", param_hint="--stock")
            fig = plots.stock_and_flows(model, res[scenario or res.baseline], stock, unit)
        elif kind == "flows-by-scenario":
            if stock is None:
                raise click.BadParameter("name the stock to explain", param_hint="--stock")
            fig = plots.flows_by_scenario(model, res, stock, unit)
        else:
            if cost is None or quality is None:
                raise click.BadParameter("give --cost and --quality metrics", param_hint="--cost")
            fig = plots.cost_and_quality(res, cost, quality)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, _sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    _write_atomic(Path(output), plots.writer(fig, output), model.inputs)
    click.echo(f"wrote {output}")


def _write_atomic(path: Path, data: Any, inputs: tuple[str, ...] = ()) -> None:
    """Write an output atomically; refusing to replace an input, or failing to write, exits 1."""
    from .compiler.base.files import write_atomic

    _writing(path, write_atomic, path, data, inputs)


def _writing(path: str | Path, fn: Any, *args: Any) -> Any:
    """fn(*args), a write to `path`: a refusal (E007) or a failed write prints and exits 1."""
    from .compiler.base.diagnostics import SpecError

    try:
        return fn(*args)
    except SpecError as exc:
        _print_diagnostics(exc.diagnostics, {}, "text")
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc.strerror or exc}", err=True)
        sys.exit(1)


from . import cli_more  # noqa: E402,F401  (registers import, export and calibrate)

if __name__ == "__main__":  # pragma: no cover
    main()
