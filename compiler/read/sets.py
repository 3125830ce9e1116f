"""A scenario's `set` of several elements at once, `set share = {kinship: 0.45, else: 0.3}`,
in either form: the array as a whole for `else` (the rest), then each element named, which
overrides it. Each keeps the array's name in `table`, so that `format` writes it back as one."""

from __future__ import annotations

from collections.abc import Callable

from ..base.diagnostics import Span
from ..ir import ast as A


def table_sets(name: str, span: Span | None, change: A.Change, default: float | None,
               entries: list[tuple[tuple[str, ...], float, Span | None]],
               err: Callable[[str, str, Span | None, str], None]) -> list[A.ScenarioSet]:
    out = [] if default is None else [A.ScenarioSet(name, default, span, change, name)]
    seen: set[tuple[str, ...]] = set()
    for key, value, at in entries:
        element = f"{name}[{','.join(key)}]"
        if key in seen:
            err("E011", f"the table gives `{element}` twice", at, "keep one")
        seen.add(key)
        out.append(A.ScenarioSet(element, value, at, change, name))
    return out
