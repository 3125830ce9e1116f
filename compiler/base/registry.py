"""Bundled specs, addressed as `stockflow:NAME` (e.g. `stockflow:girfec`)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .diagnostics import Span, SpecError, error, printable

PREFIX = "stockflow:"


def bundled() -> dict[str, Path]:
    root = resources.files("stockflow.specs")
    out: dict[str, Path] = {}
    for d in root.iterdir():
        if d.is_dir():
            for f in sorted(d.iterdir(), key=lambda x: x.name):
                if f.name.endswith(".sfm"):
                    out.setdefault(d.name, Path(str(f)))
    return out


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")


def resolve_spec_path(path: str | Path, span: Span | None = None) -> str | Path:
    """A bundled spec's path for `stockflow:NAME` (NAME: letters, digits, `_` and `-` only);
    any other path as given."""
    text = str(path)
    if not text.startswith(PREFIX):
        return path
    name = text[len(PREFIX):]
    if not _NAME.match(name):
        raise SpecError([error("E005", f"`{printable(name)}` is not a bundled spec's name", span,
                               "bundled names are letters, digits, `_` and `-`: " + ", ".join(sorted(bundled())))])
    specs = bundled()
    if name not in specs:
        raise SpecError([error("E005", f"no bundled spec named `{name}`", span,
                               "bundled: " + ", ".join(sorted(specs)))])
    return specs[name]
