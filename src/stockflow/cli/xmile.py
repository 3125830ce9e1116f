"""stockflow import and export: XMILE in and out."""

from __future__ import annotations

from pathlib import Path

import click

from .common import load_or_exit, or_exit, print_diagnostics, sources_for, write_atomic


@click.command(name="import")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="write the spec here: *.sfm (DSL) or *.yaml; default: DSL on standard output")
def import_cmd(model: str, output: str | None) -> None:
    """Convert an XMILE model (.xmile, .stmx) into a stockflow spec that `check` accepts.

    Names that are not identifiers get one (the XMILE name stays in the description);
    constructs stockflow does not support are reported with their place, never dropped.
    """
    from ..compiler.pipeline import (
        VENSIM_HINT,
        VENSIM_SUFFIXES,
        XMILE_SUFFIXES,
        compile_spec,
        import_xmile,
        read_source,
    )
    from ..compiler.write.format import format_dsl, format_yaml

    if not model.lower().endswith(XMILE_SUFFIXES):
        raise click.BadParameter(VENSIM_HINT if model.lower().endswith(VENSIM_SUFFIXES) else
                                 "give an XMILE file: *.xmile, *.stmx or *.xml", param_hint="MODEL")
    to_yaml = output is not None and output.lower().endswith((".yaml", ".yml"))
    if output is not None and not to_yaml and not output.lower().endswith((".sfm", ".stockflow")):
        raise click.BadParameter("name the output *.sfm or *.yaml", param_hint="--output")
    src = or_exit(read_source, model)
    spec = or_exit(import_xmile, src.text, src.path)
    checked = or_exit(compile_spec, spec)
    print_diagnostics([d for d in checked.diagnostics if d.code == "W106"], sources_for(checked.diagnostics), "text")
    head = f"Imported from {Path(model).name} by `stockflow import`; edit freely."
    text = format_yaml(spec) if to_yaml else format_dsl(spec)
    text = f"# {head}\n{text}"
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomic(Path(output), text, (src.path,))
    click.echo(f"wrote {output}", err=True)


@click.command(name="export")
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write XMILE here (default: standard output)")
def export_cmd(spec: str, output: str | None) -> None:
    """Write SPEC as XMILE 1.0 for Stella, Vensim or PySD.

    Equations are written with every unit conversion explicit, so other tools compute the same
    numbers; smooth, delay and init become the stocks stockflow integrates for them. Metrics,
    reality checks, scenarios and groups have no XMILE form and are listed on standard error.
    """
    from ..compiler.write.xmile import write_xmile

    model = load_or_exit(spec)
    out = write_xmile(model.checked)
    if out.dropped:
        click.echo("not in the XMILE file (XMILE has no form for them): " + ", ".join(out.dropped), err=True)
    if output is None:
        click.echo(out.text, nl=False)
        return
    write_atomic(Path(output), out.text, model.inputs)
    click.echo(f"wrote {output}", err=True)
