"""stockflow report and stockflow plot: outputs for people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .common import load_or_exit, names_list, print_diagnostics, sources_for, write_atomic


@click.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The .html file to write.")
@click.option("--scenarios", "scenario_names", default="all", show_default=True, metavar="all|NAME,...")
@click.option("--break-even", "break_even", metavar="RATE", help="Report when cumulative RATE falls below the baseline's.")
@click.option("--cost", metavar="METRIC", help="Plot this metric against --quality for each scenario.")
@click.option("--quality", metavar="METRIC", help="The quality-of-life metric for --cost.")
@click.option("--vars", "variables", metavar="A,B",
              help="The trajectories to draw (default: the stocks); an array by its name draws its elements.")
def report(spec: str, output: str, scenario_names: str, break_even: str | None, cost: str | None,
           quality: str | None, variables: str | None) -> None:
    """Write one self-contained HTML report: results, plots, assumptions, scenarios, diagram, loops."""
    from ..compiler.base.diagnostics import SpecError
    from ..report import build

    if not output.lower().endswith((".html", ".htm")):
        raise click.BadParameter("use a file name ending in .html", param_hint="--output")
    if (cost is None) != (quality is None):
        raise click.BadParameter("give both --cost and --quality", param_hint="--cost")
    model = load_or_exit(spec)
    names = None if scenario_names.strip().lower() == "all" else [n.strip() for n in scenario_names.split(",")]
    try:
        results = model.run_scenarios(names)
        chosen = names_list(variables)
        text = build(model, results, break_even, cost, quality, chosen)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    write_atomic(Path(output), text, model.inputs)
    click.echo(f"wrote {output}")


# the options each kind of plot reads
_FOR_KIND = {"trajectories": {"--vars"}, "flows": {"--stock", "--scenario"}, "flows-by-scenario": {"--stock"},
             "cost-quality": {"--cost", "--quality"}}


@click.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="A .png or .svg file.")
@click.option("--kind", type=click.Choice(list(_FOR_KIND)),
              help="default: flows with --stock, cost-quality with --cost and --quality, else trajectories")
@click.option("--vars", "variables", metavar="A,B", help="trajectories: the variables (default: the stocks).")
@click.option("--stock", metavar="NAME", help="flows: the stock to explain.")
@click.option("--scenario", metavar="NAME", help="flows: the scenario (default: the baseline).")
@click.option("--scenarios", "scenario_names", default="all", show_default=True, metavar="all|NAME,...")
@click.option("--cost", metavar="METRIC")
@click.option("--quality", metavar="METRIC")
def plot(spec: str, output: str, kind: str | None, variables: str | None, stock: str | None, scenario: str | None,
         scenario_names: str, cost: str | None, quality: str | None) -> None:
    """Draw trajectories by scenario, a stock with its flows, or cost against quality of life."""
    from .. import plots
    from ..compiler.base.diagnostics import SpecError

    if not output.lower().endswith((".png", ".svg")):
        raise click.BadParameter("use a file name ending in .png or .svg", param_hint="--output")
    kind = kind or ("flows" if stock else "cost-quality" if cost or quality else "trajectories")
    given = {"--vars": variables, "--stock": stock, "--scenario": scenario, "--cost": cost, "--quality": quality}
    for option, value in given.items():  # an option another kind reads would be ignored without a word
        if value is not None and option not in _FOR_KIND[kind]:
            users = [k for k, options in _FOR_KIND.items() if option in options]
            raise click.UsageError(f"{option} is read by --kind {' or '.join(users)}, not by {kind}")
    model = load_or_exit(spec)
    names = None if scenario_names.strip().lower() == "all" else [n.strip() for n in scenario_names.split(",")]
    unit = model.checked.graph.time.unit
    try:
        res = model.run_scenarios(names)
        if kind == "trajectories":
            chosen = names_list(variables) or _default_panels(model)
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
        print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    write_atomic(Path(output), plots.writer(fig, output), model.inputs)
    click.echo(f"wrote {output}")


def _default_panels(model: Any) -> list[str]:
    """The stocks, or a model without stocks' auxiliaries and flows: at most MAX_PANELS, the
    rest named."""
    every = model.stocks or [v.name for v in model.variables() if not v.hidden]
    if not every:
        raise click.BadParameter("the model has no stocks, flows or auxiliaries to draw", param_hint="SPEC")
    from ..plots import MAX_PANELS

    if len(every) > MAX_PANELS:
        click.echo(f"drew the first {MAX_PANELS} of {len(every)}; --vars chooses which", err=True)
    return every[:MAX_PANELS]
