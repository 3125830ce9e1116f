"""What every command shares: printing diagnostics, exiting on errors, writing outputs."""

from __future__ import annotations

import glob
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import click


def die_internal(exc: BaseException) -> None:
    if isinstance(exc, BrokenPipeError):  # output piped into `head`: click ends quietly
        raise exc
    click.echo(f"stockflow: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo("This is a bug in stockflow, not in your spec; please report it with the spec attached.", err=True)
    if os.environ.get("STOCKFLOW_DEBUG"):
        traceback.print_exc()
    sys.exit(3)


def print_diagnostics(diags: Any, sources: dict[str, str], fmt: str) -> None:
    from ..compiler.base.diagnostics import render_github, render_json, render_text

    if fmt == "json":
        click.echo(render_json(list(diags)))
        return
    for d in diags:
        click.echo(render_github(d) if fmt == "github" else render_text(d, sources) + "\n",
                   err=fmt == "text")


def sources_for(diags: Any, hidden: frozenset[str] = frozenset()) -> dict[str, str]:
    """The text of each file the diagnostics point into, to show their lines; never of a file
    that did not parse as a spec (`hidden`), whose lines may hold anything."""
    out: dict[str, str] = {}
    for d in diags:
        if d.span is not None and d.span.file not in out and d.span.file not in hidden:
            try:
                from ..compiler.base.diagnostics import SpecError
                from ..compiler.pipeline import read_source

                out[d.span.file] = read_source(d.span.file).text
            except (OSError, UnicodeDecodeError, SpecError):
                pass
    return out


def or_exit(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args): a spec's diagnostics print and exit 1; anything else is an internal error."""
    from ..compiler.base.diagnostics import SpecError

    try:
        return fn(*args, **kwargs)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, sources_for(exc.diagnostics, exc.hidden), "text")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        die_internal(exc)


def load_or_exit(spec: str) -> Any:
    from ..api import load

    return or_exit(load, spec)


def write_atomic(path: Path, data: Any, inputs: tuple[str, ...] = ()) -> None:
    """Write an output atomically; refusing to replace an input, or failing to write, exits 1."""
    from ..compiler.base.files import write_atomic

    writing(path, write_atomic, path, data, inputs)


def writing(path: str | Path, fn: Any, *args: Any) -> Any:
    """fn(*args), a write to `path`: a refusal (E007) or a failed write prints and exits 1."""
    from ..compiler.base.diagnostics import SpecError

    try:
        return fn(*args)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, {}, "text")
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc.strerror or exc}", err=True)
        sys.exit(1)


def parse_sets(sets: tuple[str, ...], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        try:
            if not eq or not name.strip():
                raise ValueError
            number = float(value)
        except ValueError:
            raise click.BadParameter(f"expected NAME=NUMBER, got {shown_text(item)}" + _set_slip(name, eq, value),
                                     param_hint=option) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise click.BadParameter(f"{shown_text(item)}: the value must be a finite number", param_hint=option)
        out[name.strip()] = number
    return out


def _set_slip(name: str, eq: str, value: str) -> str:
    """What to write for a --set or --initial as a spreadsheet or a spec writes a value."""
    from ..compiler.read.slips import number_slip

    if not eq and len(name.split()) == 2:
        return f" (write `{'='.join(name.split())}`)"
    slip = number_slip(value)
    if slip is not None:
        return f" ({slip})"
    if re.search(r"\d\s*(\[|[A-Za-z])", value):
        return " (give the number alone, in the variable's own units: `stockflow explain SPEC NAME` shows them)"
    return ""


def shown_text(text: str) -> str:
    from ..compiler.base.diagnostics import printable

    return f"'{printable(text)}'"


def text_table(rows: list[list[str]], header: list[str], numeric: set[int]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


SPEC_SUFFIXES = (".sfm", ".stockflow", ".yaml", ".yml", ".xmile", ".stmx")


def in_folders(specs: tuple[str, ...], suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """Each folder among SPECS as the files in it and below with one of `suffixes`
    (`stockflow check specs/` in CI), in name order; hidden folders and links to folders are
    not entered. A folder with none stays, to be reported as a folder. A pattern
    (`specs/**/*.sfm`) that the shell left as it is stands for the files it matches."""
    out: list[str] = []
    for spec in specs:
        if any(c in spec for c in "*?[") and not Path(spec).exists():  # a pattern no shell expanded (Windows, CI)
            matched = sorted(glob.glob(spec, recursive=True))
            out += [m for m in matched if not Path(m).is_dir() and m.lower().endswith(suffixes)] or [spec]
            continue
        if not Path(spec).is_dir():
            out.append(spec)
            continue
        found = []
        for root, dirs, files in os.walk(spec):  # links to folders are not followed: no cycles
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            found += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(suffixes)]
        out += found or [spec]
    return tuple(out)


def calibration_text(spec: str) -> dict[str, str] | None:
    """{path: text} of a YAML calibration file among specs given on the command line (`check`
    checks it as `calibrate` would; `format` leaves it alone); None for a spec."""
    if not spec.lower().endswith((".yaml", ".yml")) or not Path(spec).is_file():
        return None  # a DSL spec: no YAML reader loaded
    from ..compiler.base.diagnostics import SpecError
    from ..compiler.pipeline import read_source
    from ..compiler.read.calibration import is_calibration

    try:
        src = read_source(spec)
    except SpecError:
        return None  # read as a spec, with its own error
    return {src.path: src.text} if is_calibration(src.text, src.path) else None


def names_list(text: str | None) -> list[str] | None:
    """`A,B` as names, split at the commas outside brackets: `children[*, intensive],cost_rate`
    is two names."""
    if not text:
        return None
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [n.strip() for n in out if n.strip()]
