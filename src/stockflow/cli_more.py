"""`stockflow import`/`export` (XMILE in and out) and `stockflow calibrate`."""

from __future__ import annotations

from pathlib import Path

import click

from .cli import _load_or_exit, _or_exit, _print_diagnostics, _sources_for, _write_atomic, main


@main.command(name="import")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="write the spec here: *.sfm (DSL) or *.yaml; default: DSL on standard output")
def import_cmd(model: str, output: str | None) -> None:
    """Convert an XMILE model (.xmile, .stmx) into a stockflow spec that `check` accepts.

    Names that are not identifiers get one (the XMILE name stays in the description);
    constructs stockflow does not support are reported with their place, never dropped.
    """
    from .compiler.pipeline import XMILE_SUFFIXES, compile_spec, import_xmile, read_source
    from .compiler.write.format import format_dsl, format_yaml

    if not model.lower().endswith(XMILE_SUFFIXES):
        raise click.BadParameter("give an XMILE file: *.xmile, *.stmx or *.xml", param_hint="MODEL")
    to_yaml = output is not None and output.lower().endswith((".yaml", ".yml"))
    if output is not None and not to_yaml and not output.lower().endswith((".sfm", ".stockflow")):
        raise click.BadParameter("name the output *.sfm or *.yaml", param_hint="--output")
    src = _or_exit(read_source, model)
    spec = _or_exit(import_xmile, src.text, src.path)
    checked = _or_exit(compile_spec, spec)
    _print_diagnostics([d for d in checked.diagnostics if d.code == "W106"], _sources_for(checked.diagnostics), "text")
    head = f"Imported from {Path(model).name} by `stockflow import`; edit freely."
    text = format_yaml(spec) if to_yaml else format_dsl(spec)
    text = f"# {head}\n{text}"
    if output is None:
        click.echo(text, nl=False)
        return
    _write_atomic(Path(output), text, (src.path,))
    click.echo(f"wrote {output}", err=True)


@main.command(name="export")
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write XMILE here (default: standard output)")
def export_cmd(spec: str, output: str | None) -> None:
    """Write SPEC as XMILE 1.0 for Stella, Vensim or PySD.

    Equations are written with every unit conversion explicit, so other tools compute the same
    numbers; smooth, delay and init become the stocks stockflow integrates for them. Metrics,
    reality checks, scenarios and groups have no XMILE form and are listed on standard error.
    """
    from .compiler.write.xmile import write_xmile

    model = _load_or_exit(spec)
    out = write_xmile(model.checked)
    if out.dropped:
        click.echo("not in the XMILE file (XMILE has no form for them): " + ", ".join(out.dropped), err=True)
    if output is None:
        click.echo(out.text, nl=False)
        return
    _write_atomic(Path(output), out.text, model.inputs)
    click.echo(f"wrote {output}", err=True)


@main.command(name="calibrate")
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
    from .calibrate import calibrate
    from .compiler.base.files import refuse_inputs, safe_csv_frame

    fit = _or_exit(calibrate, calibration, starts=starts, seed=seed)
    text = fit.report()
    for name in profiles:
        text += f"\nProfile of {name} (others re-fitted; a rise of 1.92 bounds the 95% interval):\n"
        text += "".join(f"  {v:12.5g}  {d:10.4g}\n" for v, d in _or_exit(fit.profile, name))
    click.echo(text, nl=False)
    if output is None:
        return
    from .report_calibration import plot

    out = Path(output)
    inputs = fit.inputs()
    overlay = out / "calibrated.sfm"
    names = [overlay, out / "report.txt", out / "estimates.csv", out / "residuals.csv", out / "correlation.csv",
             out / "fit.png"]
    for name in names:  # refuse before writing anything, so no output is half-written
        _or_exit(refuse_inputs, name, inputs)
    _write_atomic(overlay, fit.overlay(overlay), inputs)
    _write_atomic(out / "report.txt", text, inputs)
    import pandas as pd

    est = pd.DataFrame([e.__dict__ for e in fit.estimates])
    _write_atomic(out / "estimates.csv", safe_csv_frame(est).to_csv(index=False), inputs)
    _write_atomic(out / "residuals.csv", safe_csv_frame(fit.residuals()).to_csv(index=False), inputs)
    _write_atomic(out / "correlation.csv", safe_csv_frame(fit.correlation).to_csv(), inputs)
    plot(fit, out / "fit.png", inputs)
    click.echo(f"wrote {overlay}, fit.png, estimates.csv, correlation.csv, residuals.csv and report.txt in {out}",
               err=True)
