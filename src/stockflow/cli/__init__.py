"""The `stockflow` command line: check, run, format, and the rest (`stockflow --help`).

Each command group lives in its own module, imported only when that command runs (click's
lazy loading), so `stockflow --help` and `stockflow check` stay fast.
Exit codes: 0 success, 1 errors in a spec or run (or warnings with --strict), 2 usage.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os

import click

# command -> (module in this package, function)
COMMANDS = {
    "check": ("check", "check"),
    "run": ("run", "run"),
    "format": ("text", "format_cmd"),
    "schema": ("text", "schema"),
    "diagram": ("inspect", "diagram"),
    "loops": ("inspect", "loops"),
    "explain": ("inspect", "explain"),
    "diff": ("inspect", "diff_cmd"),
    "report": ("present", "report"),
    "explore": ("explore", "explore"),
    "plot": ("present", "plot"),
    "import": ("xmile", "import_cmd"),
    "export": ("xmile", "export_cmd"),
    "calibrate": ("calibrate", "calibrate_cmd"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        assert isinstance(command, click.Command)
        return command


def _version(ctx: click.Context, on: bool) -> None:
    """`--version`, reading the version only when asked: it costs a run some 40 ms."""
    if not on or ctx.resilient_parsing:
        return
    from .. import __version__

    click.echo(f"stockflow, version {__version__}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=lambda ctx, _, on: _version(ctx, on),
              help="Show the version and exit.")
@click.option("--allow-read", "allow_read", multiple=True, type=click.Path(file_okay=False), metavar="FOLDER",
              help="Let specs read bases and data in FOLDER too (besides their own folder and the bundled specs).")
def main(allow_read: tuple[str, ...]) -> None:
    """Write, check and run stock-and-flow models as plain text (YAML or .sfm)."""
    if allow_read:
        from ..compiler.base.files import ALLOW_ENV

        os.environ[ALLOW_ENV] = os.pathsep.join([*allow_read, *filter(None, [os.environ.get(ALLOW_ENV)])])


def entry() -> None:
    """The `stockflow` command: `main` in a process that is stockflow's own, not a user's."""
    # stockflow's matrices are small (a Jacobian, a Hessian), and OpenBLAS's threads cost more to
    # start (some 50 ms of CPU at numpy's import on two cores) than they save. A setting of the
    # user's stands.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # The process ends with the command, and the collector's last pass over its objects (sympy's,
    # the model's: 60-70 ms of a fresh `run`) frees what the exit frees anyway. atexit runs its
    # hooks last-registered first, so this one runs after every other.
    atexit.register(gc.freeze)
    main()
