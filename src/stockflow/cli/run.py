"""stockflow run: one run or every scenario, as tables or a results file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..numbers import column_texts, counted, percent_text, time_words, units_shown, value_text
from .common import die_internal, parse_sets, print_diagnostics, sources_for, text_table, writing


@click.command()
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
@click.option("--wide", is_flag=True,
              help="With -o: a column per variable and a row per time, as a spreadsheet lays results out "
                   "(default: tidy, a row per value).")
@click.option("--cluster", metavar="ADDRESS",
              help="With --scenarios: run the batch on a Dask cluster: a scheduler's address (tcp://HOST:8786), "
                   "or local (local:N) for worker processes on this machine.")
def run(spec: str, output: str | None, method: str | None, dt: float | None, sets: tuple[str, ...],
        initials: tuple[str, ...], scenario_names: str | None, break_even: str | None, wide: bool,
        cluster: str | None) -> None:
    """Run SPEC; print a summary and optionally write the tidy results."""
    from ..compiler.base.diagnostics import SpecError

    overrides = parse_sets(sets, "--set")
    initial = parse_sets(initials, "--initial")
    if wide and (output is None or scenario_names is not None):
        raise click.BadParameter("writes one run's results: give -o FILE, without --scenarios", param_hint="--wide")
    if break_even is not None and scenario_names is None:
        raise click.BadParameter("needs --scenarios", param_hint="--break-even")
    if cluster is not None and scenario_names is None:
        raise click.BadParameter("needs --scenarios (one run is quicker here)", param_hint="--cluster")
    if scenario_names is not None and (overrides or initial):
        raise click.BadParameter("use either --set/--initial or --scenarios (scenarios set their own values)",
                                 param_hint="--set")
    if output is not None:
        out = Path(output)
        if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise click.BadParameter("use a file name ending in .csv or .parquet", param_hint="--output")
    try:
        from ..api import load

        model = load(spec)
        for w in model.warnings:
            print_diagnostics([w], sources_for([w]), "text")
        if scenario_names is not None:
            names = None if scenario_names.strip().lower() == "all" else [
                n.strip() for n in scenario_names.split(",") if n.strip()]
            results = _run_scenarios(model, names, method, dt, cluster)
            _print_scenarios(model, model.plan(method, dt), results, output, cluster)
            if break_even is not None:
                _print_break_even(model, results, break_even)
            return
        res = model.run(params=overrides, initial=initial, method=method, dt=dt)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        die_internal(exc)
    p = model.plan(method, dt)
    click.echo(f"{model.checked.graph.info.title or model.name}: {p.method.value}, dt {p.dt:g}, "
               f"{p.n_steps} steps, time {p.start:g} to {p.stop:g} {time_words(model.checked.graph.time.unit)[1]}")
    from .run_grid import grids

    tables, in_grids = grids(model, res)
    stocks = [v for v in res.variables if v.kind == "stock"]
    shown = [v for v in stocks if v.id not in in_grids]
    shown = shown or ([] if stocks else [v for v in res.variables if not v.hidden])  # else what it computes
    if shown:
        rows = [[v.name, value_text(res[v.id][0], v.units), value_text(res[v.id][-1], v.units), units_shown(v.units)]
                for v in shown]
        head = "stock" if shown[0].kind == "stock" else "variable"
        click.echo("\n" + text_table(_cut(rows, head), [head, "start", "end", "units"], {1, 2}))
        if len(rows) > MAX_ROWS and output is None:
            click.echo(f"(every {head} is in the results: add -o results.csv)")
    for table in tables:
        click.echo("\n" + table)
    if res.metrics:
        mrows = [[m.name, value_text(res.metric(m.id), m.units), units_shown(m.units)] for m in res.metrics]
        click.echo("\n" + text_table(mrows, ["metric", "value", "units"], {1}))
    for name, drift in res.conservation.items():
        click.echo(f"\nconserved group {name}: largest relative drift {drift:.1e}")
    for w in res.warnings:
        print_diagnostics([w], {}, "text")
    if output is not None:
        if wide:
            path = writing(output, res.write, output, model.inputs, True)
            click.echo(f"\nwrote {len(res.times)} rows, a column per variable, to {path}")
        else:
            _write_results(res, output, f"{res.tidy_length()} rows", model.inputs)


MAX_ROWS = 40  # a summary, not the results: a chain of 3,200 elements printed 3,200 rows


def _cut(rows: list[list[str]], what: str) -> list[list[str]]:
    if len(rows) <= MAX_ROWS:
        return rows
    left = len(rows) - 35
    return [*rows[:30], [f"… {left:,} more {what}s"] + [""] * (len(rows[0]) - 1), *rows[-5:]]


def _run_scenarios(model: Any, names: list[str] | None, method: str | None, dt: float | None,
                   cluster: str | None) -> Any:
    if cluster is None:
        return model.run_scenarios(names, method=method, dt=dt)
    from ..api import connect

    with connect(cluster) as client:
        return model.run_scenarios(names, method=method, dt=dt, client=client)


def _print_scenarios(model: Any, p: Any, res: Any, output: str | None, cluster: str | None) -> None:
    where = "in one call" if cluster is None else f"on Dask at {cluster} ({model.last_backend} on {', '.join(model.last_devices)})"
    click.echo(f"{model.checked.graph.info.title or model.name}: {counted(len(res.runs), 'run')} of "
               f"{counted(len(res.names), 'scenario')} {where} ({p.method.value}, dt {p.dt:g}, time {p.start:g} to {p.stop:g} "
               f"{time_words(model.checked.graph.time.unit)[1]}); baseline: {res.baseline}")
    by_metric = res.shown_metric_rows()  # rows, not a DataFrame: no pandas import
    spread = any(r.runs > 1 for block in by_metric.values() for r in block)
    points = any(r.point != "" for block in by_metric.values() for r in block)
    for metric, block in by_metric.items():
        rows = []
        units = block[0].units
        base = [r.scenario == res.baseline and r.point == "" for r in block]
        # each column in one number of decimals: 19,920 beside -5,762, not 19,920.17 beside it
        value, p5, p95 = (column_texts([getattr(r, k) for r in block], units) for k in ("value", "p5", "p95"))
        diffs = iter(column_texts([r.difference for r, b in zip(block, base, strict=True) if not b], units))
        for i, (r, is_base) in enumerate(zip(block, base, strict=True)):
            row = [r.scenario] + ([r.point] if points else []) + [value[i]]
            row += [p5[i], p95[i]] if spread else []
            row += ["" if is_base else next(diffs),
                    "" if is_base or r.relative != r.relative else percent_text(r.relative, 2)]
            rows.append(row)
        header = ["scenario"] + (["point"] if points else []) + ["value" if not spread else "median"]
        header += ["p5", "p95"] if spread else []
        header += ["vs baseline", "change"]
        numeric = set(range(len(header))) - {0} - ({1} if points else set())
        click.echo(f"\n{metric}" + (f" [{units_shown(units)}]" if units_shown(units) else ""))
        click.echo(text_table(rows, header, numeric))
    if not by_metric:
        _print_stocks_by_scenario(model, res)
    _print_drivers(res, list(by_metric))
    if output is not None:
        _write_results(res, output, f"results of {len(res.runs)} runs", model.inputs)


def _print_stocks_by_scenario(model: Any, res: Any) -> None:
    """Without metrics there was nothing after the heading: each stock at the end of the run
    under each scenario (the median of a scenario's runs); a stock of two or more dimensions
    as a grid a scenario, as `run` shows it, not 128 rows cut to 35."""
    import numpy as np

    from .run_grid import grid, stock_grids

    names, runs = zip(*res.points(), strict=True)  # a sweep's points each their own column
    arrays = stock_grids(model, res.batch.variables)
    in_grids = {vid for a, _ in arrays for vid, _ in a.elements}
    stocks = [v for v in res.batch.variables if v.kind == "stock" and not v.hidden and v.id not in in_grids]
    if not stocks and not arrays:
        return
    click.echo("\nstocks at the end of the run (the spec declares no metrics to compare)")
    if stocks:
        ends = [_column([float(np.median(res.batch[v.id][idx, -1])) for v in stocks], stocks) for idx in runs]
        rows = [[v.name, *(col[i] for col in ends), units_shown(v.units)] for i, v in enumerate(stocks)]
        click.echo(text_table(_cut(rows, "stock"), ["stock", *names, "units"], set(range(1, len(names) + 1))))
    for a, units in arrays:
        for name, idx in zip(names, runs, strict=True):
            click.echo("\n" + grid(a, lambda vid, idx=idx: np.median(res.batch[vid][idx], axis=0), units,
                                   f" under {name}"))


def _column(values: list[float], stocks: list[Any]) -> list[str]:
    """One scenario's column: one number of decimals where the stocks share units, else each
    in its own (a £ among children keeps its £)."""
    if len({v.units for v in stocks}) == 1:
        return column_texts(values, stocks[0].units)
    return [value_text(x, v.units) for x, v in zip(values, stocks, strict=True)]


def _print_drivers(res: Any, metrics: list[str]) -> None:
    """For each sampled scenario, its assumptions by how strongly each moves each metric."""
    from ..runtime._drivers import rho_text

    rows = res.driver_rows(metrics)
    if not rows:
        return
    click.echo("\nwhich assumptions matter (rank correlation with each result over the draws, -1 to +1):")
    blocks: dict[tuple[str, str, str], list[Any]] = {}
    for r in rows:
        blocks.setdefault((r.scenario, r.point, r.metric), []).append(r)
    for (scenario, point, metric), block in blocks.items():
        said = ", ".join(f"{r.parameter} {rho_text(r.correlation)}" for r in block if r.correlation == r.correlation)
        click.echo(f"  {scenario}{f' ({point})' if point else ''}, {metric}: {said or 'does not vary'}")
    if any(r.entangled for r in rows):
        click.echo("  (where assumptions were drawn together from a calibration they move together, so a "
                   "correlation may carry another's effect)")


def _write_results(res: Any, output: str, what: str, inputs: tuple[str, ...]) -> None:
    path = writing(output, res.write, output, inputs)
    click.echo(f"\nwrote {what} to {path}")


def _print_break_even(model: Any, res: Any, rate: str) -> None:
    unit = model.checked.graph.time.unit
    rows = []
    for r in res.break_even_rows(rate):
        if r.scenario == res.baseline and r.point == "":
            continue
        when = "not within the run" if r.break_even != r.break_even else f"{r.break_even:.1f} {unit}"
        share = "" if r.runs == 1 else f"{r.share:.0%} of {r.runs} runs"
        by = "" if r.runs == 1 else ", ".join(f"{t:.1f} {unit} in {w}" for t, w in ((r.by_50, "half"), (r.by_90, "9 in 10"))
                                             if t == t) or "not in half the runs"
        rows.append([r.scenario, r.point, when, share, by])
    click.echo(f"\ncumulative {rate} below the baseline's for good from:")
    click.echo(text_table(rows, ["scenario", "point", "break-even (median)", "runs that break even", "by when"],
                          set()))
