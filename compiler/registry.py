"""Bundled specs, addressed as `stockflow:NAME` (e.g. `stockflow:girfec`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .diagnostics import SpecError, error

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


def resolve_spec_path(path: str | Path) -> str | Path:
    text = str(path)
    if not text.startswith(PREFIX):
        return path
    name = text[len(PREFIX):]
    specs = bundled()
    if name not in specs:
        raise SpecError([error("E005", f"no bundled spec named `{name}`", None,
                               "bundled: " + ", ".join(sorted(specs)))])
    return specs[name]
