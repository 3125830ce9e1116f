"""stockflow explore: the Connection Explorer, one HTML file that runs the model in a browser."""

from __future__ import annotations

from pathlib import Path

import click

from .common import die_internal, load_or_exit, write_atomic


@click.command()
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="the HTML file to write, e.g. explorer.html")
def explore(spec: str, output: str) -> None:
    """Write the Connection Explorer for SPEC: one self-contained HTML file that a programme
    board opens in any browser, with no Python and nothing fetched from the network, to move
    the assumptions and see the stocks, costs, quality of life and break-even change."""
    model = load_or_exit(spec)
    try:
        from ..explorer import build

        page = build(model)
    except Exception as exc:  # noqa: BLE001
        die_internal(exc)
    write_atomic(Path(output), page, model.inputs)
    click.echo(f"wrote {output}")
