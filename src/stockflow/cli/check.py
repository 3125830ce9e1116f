"""stockflow check: find every problem in a spec, and optionally run it."""

from __future__ import annotations

import sys

import click

from .common import SPEC_SUFFIXES, calibration_text, die_internal, in_folders, print_diagnostics


@click.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="How to print diagnostics.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--run", "run_checks", is_flag=True,
              help="Also run each spec and test its reality checks (`expect`).")
def check(specs: tuple[str, ...], fmt: str, strict: bool, run_checks: bool) -> None:
    """Check SPECS for errors and warnings; with --run, also run them against their expectations."""
    try:
        from ..compiler.base.diagnostics import SpecError
        from ..compiler.base.registry import resolve_spec_path
        from ..compiler.pipeline import diagnose_built

        every = []
        sources: dict[str, str] = {}  # only files that parsed as specs are shown
        specs = in_folders(specs, SPEC_SUFFIXES)
        for spec in specs:
            built = None
            calibration = calibration_text(spec)
            if calibration is not None:  # a calibration file among the specs: checked as one, not fitted
                from ..calibrate import check_calibration

                every.extend(check_calibration(spec))
                sources.update(calibration)
                continue
            try:
                found, read, built = diagnose_built(resolve_spec_path(spec))
            except SpecError as exc:
                found, read = list(exc.diagnostics), {}
            sources.update(read)
            every.extend(found)
            if run_checks and built is not None:  # built: it compiled, so only warnings were found
                from ..api import Model, RunError  # the runtime, only when running

                model = Model(built.checked, built.path, built.spec, built.inputs)  # compiled once, above
                try:
                    every.extend(model.check_expectations())
                except RunError as exc:
                    every.extend(exc.diagnostics)
        print_diagnostics(every, sources, fmt)
        errors = sum(d.is_error for d in every)
        warnings = len(every) - errors
        if fmt == "text":
            click.echo(f"{len(specs)} spec(s) checked: {errors} error(s), {warnings} warning(s)", err=True)
        sys.exit(1 if errors or (strict and warnings) else 0)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence against tracebacks
        die_internal(exc)
