"""stockflow format and stockflow schema: the spec as text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import calibration_text, die_internal, in_folders, print_diagnostics, sources_for, write_atomic


@click.command(name="format")
@click.argument("specs", nargs=-1, required=True)
@click.option("--to", "to", type=click.Choice(["dsl", "yaml"]),
              help="Print canonical DSL text or YAML (default: DSL; with --check, each file's own form).")
@click.option("--check", "check_only", is_flag=True,
              help="Exit 1 if any SPEC is not in canonical form (comments are kept); prints nothing else.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of printing.")
def format_cmd(specs: tuple[str, ...], to: str | None, check_only: bool, output: str | None) -> None:
    """Print SPEC in canonical form (never modifies SPEC); --check accepts many files."""
    from ..compiler.base.diagnostics import SpecError
    from ..compiler.base.registry import resolve_spec_path
    from ..compiler.pipeline import parse_source, read_source
    from ..compiler.write.format import format_dsl, format_yaml

    if (len(specs) > 1 or any(Path(x).is_dir() for x in specs)) and not check_only:
        raise click.BadParameter("give one SPEC, or use --check for many (or a folder)", param_hint="SPECS")
    failed = False
    for spec in _own_form_specs(specs):
        try:
            src = read_source(resolve_spec_path(spec))
            parsed = parse_source(src)
        except SpecError as exc:
            print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001
            die_internal(exc)
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
    write_atomic(Path(output), text, (src.path,))


def _own_form_specs(specs: tuple[str, ...]) -> tuple[str, ...]:
    """SPECS with each folder as the DSL and YAML specs in it and below: calibration files in
    it are not specs, and XMILE files have no canonical form of their own."""
    given = set(specs)
    return tuple(spec for spec in in_folders(specs, (".sfm", ".stockflow", ".yaml", ".yml"))
                 if spec in given or calibration_text(spec) is None)


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of printing.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the YAML spec form (for editors and CI)."""
    from ..compiler.write.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(Path(output), text)
