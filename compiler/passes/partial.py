"""A spec with the declarations that failed set aside, so later stages can check the rest."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

from ..base.diagnostics import Diagnostic
from ..ir import ast as A


def without_failing(spec: A.Spec, errors: tuple[Diagnostic, ...]) -> A.Spec | None:
    """`spec` less every declaration holding one of `errors` and every declaration that uses
    one of those (transitively); None when nothing would be left to check, or nothing changes."""
    failing = _holding(spec, errors)
    if not failing:
        return None
    uses = {d.name.lower(): _words(d) for d in spec.decls}
    dropped = set(failing)
    changed = True
    while changed:
        changed = False
        for name, words in uses.items():
            if name not in dropped and words & dropped:
                dropped.add(name)
                changed = True
    kept = tuple(d for d in spec.decls if d.name.lower() not in dropped)
    if not kept or len(kept) == len(spec.decls):
        return None
    return replace(spec, decls=kept)


def _holding(spec: A.Spec, errors: tuple[Diagnostic, ...]) -> set[str]:
    """The declarations whose lines hold an error (by the items' extents as read)."""
    lay = spec.layout
    out = set()
    for e in errors:
        if e.span is None or e.span.file != spec.file:
            continue
        for d in spec.decls:
            if d.span is None:
                continue
            start, end = lay.extent(d.span.line) if lay else (d.span.line, d.span.line)
            if start is not None and end is not None and start <= e.span.line <= end:
                out.add(d.name.lower())
    return out


def _words(node: Any) -> set[str]:
    """Every name-like string a declaration holds (its references, over-approximated)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            out.add(x.lower())
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, (A.Doc, type)):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x) if f.compare)
    return out
