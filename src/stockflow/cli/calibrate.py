"""stockflow calibrate: fit parameters to data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import or_exit, write_atomic


@click.command(name="calibrate")
@click.argument("calibration", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="folder for calibrated.sfm (the model with the estimates), fit.png, estimates.csv, "
                   "correlation.csv, residuals.csv and report.txt")
@click.option("--starts", type=click.IntRange(1, 1000),
              help="optimiser starts, 1 to 1000 (default: the file's `starts`, else 4)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1),
              help="seed of the start design (default: the file's `seed`, else 0)")
@click.option("--profile", "profiles", multiple=True, help="also print the profile likelihood of this parameter")
@click.option("--posterior", is_flag=True,
              help="also sample the posterior by NUTS (needs the `bayes` extra); with -o, writes posterior.csv "
                   "(the draws), posterior_summary.csv and posterior.png; exits 1 if the chains have not mixed")
@click.option("--draws", type=click.IntRange(50, 100_000), default=1000, show_default=True,
              help="posterior draws per chain, after warm-up")
@click.option("--warmup", type=click.IntRange(50, 100_000), help="warm-up draws per chain (default: as --draws)")
@click.option("--chains", type=click.IntRange(2, 64), default=4, show_default=True, help="posterior chains")
@click.option("--cluster", metavar="ADDRESS",
              help="run the starts and the profile intervals on a Dask cluster: a scheduler's address "
                   "(tcp://HOST:8786), or local (local:N) for worker processes on this machine")
def calibrate_cmd(calibration: str, output: str | None, starts: int | None, seed: int | None,
                  profiles: tuple[str, ...], posterior: bool, draws: int, warmup: int | None, chains: int,
                  cluster: str | None) -> None:
    """Fit a model's parameters to data (see docs/calibration.md), with intervals, and say what
    the data cannot tell apart and which data would."""
    fit, curves = or_exit(_fit, calibration, starts, seed, cluster, list(profiles))
    text = fit.report()
    for name, curve in zip(profiles, curves, strict=True):
        text += (f"\nProfile of {name} (others re-fitted; a rise of 1.92 bounds the 95% interval when every "
                 "noise level is known, more in small samples with an estimated sd):\n")
        text += "".join(f"  {v:12.5g}  {d:10.4g}\n" for v, d in curve)
    post = None
    if posterior:
        from ..report_posterior import posterior_text

        post = or_exit(fit.posterior, draws, chains, warmup, seed or 0)
        text += posterior_text(fit, post)
    click.echo(text, nl=False)
    if output is not None:
        _write(fit, Path(output), text, post)
    if post is not None and not post.mixed:
        raise SystemExit(1)


def _fit(calibration: str, starts: int | None, seed: int | None, cluster: str | None,
         profiles: list[str]) -> tuple[Any, list[Any]]:
    """The fit and the profile of each name, on a Dask cluster if one is named."""
    from ..calibrate import calibrate

    if cluster is None:
        fit = calibrate(calibration, starts=starts, seed=seed)
        return fit, fit.profiles(profiles) if profiles else []
    from ..api import connect

    with connect(cluster) as client:
        fit = calibrate(calibration, starts=starts, seed=seed, client=client)
        return fit, fit.profiles(profiles, client=client) if profiles else []


def _write(fit: Any, out: Path, text: str, post: Any) -> None:
    from ..compiler.base.files import refuse_inputs, safe_csv_frame
    from ..report_calibration import plot

    inputs = fit.inputs()
    overlay = out / "calibrated.sfm"
    names = [overlay, out / "report.txt", out / "estimates.csv", out / "residuals.csv", out / "correlation.csv",
             out / "fit.png"]
    names.append(out / "draws.csv")
    if post is not None:
        names += [out / "posterior.csv", out / "posterior_summary.csv", out / "posterior.png"]
    for path in names:  # refuse before writing anything, so no output is half-written
        or_exit(refuse_inputs, path, inputs)
    write_atomic(overlay, fit.overlay(overlay), inputs)
    write_atomic(out / "report.txt", text, inputs)
    import pandas as pd

    est = pd.DataFrame([e.__dict__ for e in fit.estimates])
    write_atomic(out / "estimates.csv", safe_csv_frame(est).to_csv(index=False), inputs)
    write_atomic(out / "residuals.csv", safe_csv_frame(fit.residuals()).to_csv(index=False), inputs)
    write_atomic(out / "correlation.csv", safe_csv_frame(fit.correlation).to_csv(), inputs)
    plot(fit, out / "fit.png", inputs)
    from ..plots import MAX_PANELS

    drawn = f" (the first {MAX_PANELS} of {len(fit.series)} series; residuals.csv has all)" \
        if len(fit.series) > MAX_PANELS else ""
    wrote = [f"fit.png{drawn}", "estimates.csv", "correlation.csv", "residuals.csv", "report.txt"]
    chains = None
    if post is not None:
        from ..report_posterior import posterior_plot

        chains = post.frame()
        write_atomic(out / "posterior.csv", chains.to_csv(index=False), inputs)
        wrote.append("posterior.csv (the chains, for diagnosis)")
        if post.mixed:
            summary = safe_csv_frame(post.summary())
            write_atomic(out / "posterior_summary.csv", summary.to_csv(index=False), inputs)
            posterior_plot(fit, post, out / "posterior.png", inputs)
            wrote += ["posterior_summary.csv", "posterior.png"]
    draws = chains if post is not None and post.mixed else fit.laplace_draws()
    if draws is not None:  # what `sample from fit` reads
        model = {p.name for p in fit.problem.params if p.index is not None}
        for p in fit.problem.params:  # a value shared by an array's elements: a column for each
            for name in p.elements if p.name in draws.columns else ():
                draws[name] = draws[p.name]
        model |= {n for p in fit.problem.params for n in p.elements}
        draws = draws[["chain", "draw", *[c for c in draws.columns if c in model]]]
        write_atomic(out / "draws.csv", draws.to_csv(index=False), inputs)
        wrote.append("draws.csv (" + ("posterior" if post is not None and post.mixed else "Laplace") + " draws)")
    click.echo(f"wrote {overlay}, {', '.join(wrote[:-1])} and {wrote[-1]} in {out}", err=True)
    if draws is None:
        click.echo("no draws.csv: some intervals are profile ones or not determined, where Laplace draws would "
                   "mislead; `--posterior` gives draws that `sample from fit` can use", err=True)
