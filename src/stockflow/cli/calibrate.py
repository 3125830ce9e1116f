"""stockflow calibrate: fit parameters to data."""

from __future__ import annotations

from pathlib import Path

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
def calibrate_cmd(calibration: str, output: str | None, starts: int | None, seed: int | None,
                  profiles: tuple[str, ...]) -> None:
    """Fit a model's parameters to data (see docs/calibration.md), with intervals, and say what
    the data cannot tell apart and which data would."""
    from ..calibrate import calibrate
    from ..compiler.base.files import refuse_inputs, safe_csv_frame

    fit = or_exit(calibrate, calibration, starts=starts, seed=seed)
    text = fit.report()
    for name in profiles:
        text += f"\nProfile of {name} (others re-fitted; a rise of 1.92 bounds the 95% interval):\n"
        text += "".join(f"  {v:12.5g}  {d:10.4g}\n" for v, d in or_exit(fit.profile, name))
    click.echo(text, nl=False)
    if output is None:
        return
    from ..report_calibration import plot

    out = Path(output)
    inputs = fit.inputs()
    overlay = out / "calibrated.sfm"
    names = [overlay, out / "report.txt", out / "estimates.csv", out / "residuals.csv", out / "correlation.csv",
             out / "fit.png"]
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
    click.echo(f"wrote {overlay}, fit.png, estimates.csv, correlation.csv, residuals.csv and report.txt in {out}",
               err=True)
