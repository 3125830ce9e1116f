"""Which rows of a data file an observation reads: a tidy file's series cell or a wide file's
column, narrowed by a source's `where` (one area of a file that holds many) and by the cells
an array's element reads through `by` (`area` names the authority)."""

from __future__ import annotations

import re
from typing import Any

from ..compiler.base.diagnostics import Diagnostic, error, printable
from ..compiler.base.hints import did_you_mean
from ..compiler.read.calibration import DataSource

Key = tuple[str, tuple[tuple[str, str], ...]]  # (series, ((column, element), ...))


def norm(cell: Any) -> str:
    """A cell as an element's name would write it: `Dundee City` is `dundee_city`,
    `Na h-Eileanan Siar` is `na_h_eileanan_siar`."""
    return re.sub(r"[^0-9a-z]+", "_", str(cell).strip().lower()).strip("_")


class Picker:
    """For a row and the series it holds, the observation key it belongs to, if any."""

    def __init__(self, keys: list[Key]):
        self.by_series: dict[str, dict[tuple[str, ...], dict[tuple[str, ...], Key]]] = {}
        for key in keys:
            series, cells = key
            cols = tuple(c for c, _ in cells)
            self.by_series.setdefault(series, {}).setdefault(cols, {})[tuple(norm(e) for _, e in cells)] = key

    def columns(self) -> set[str]:
        return {c for groups in self.by_series.values() for cols in groups for c in cols}

    def __contains__(self, series: str) -> bool:
        return series in self.by_series

    def keys(self, series: str, rec: dict[str, Any]) -> list[Key]:
        out = []
        for cols, keys in self.by_series.get(series, {}).items():
            if all(c in rec for c in cols):
                key = keys.get(tuple(norm(rec[c]) for c in cols))
                if key is not None:
                    out.append(key)
        return out


def kept(table: Any, src: DataSource, name: str, errors: list[Diagnostic]) -> Any:
    """The rows `where` keeps; a value no row has is an error naming the values there are."""
    for column, values in src.where:
        cells = table[column].map(norm)
        wanted = {norm(v) for v in values}
        have = set(cells)
        for v in values:
            if norm(v) not in have:
                shown = sorted(str(x) for x in table[column].unique()[:200])
                errors.append(error("E081", f"`where`: no row of {name} has `{printable(column)}` "
                                    f"`{printable(v)}`", src.span,
                                    did_you_mean(v, shown) or f"`{printable(column)}` holds: " + listed(shown)))
        table = table[cells.isin(wanted)]
    return table


def differ_hint(table: Any, lines: list[int], skip: set[str], prefer_hint: str) -> str:
    """Where a series' duplicate rows differ in another column (`area`), a file of many areas:
    say how to keep one, or read an array's elements from it."""
    rows = table.loc[[line - 2 for line in lines]]
    for column in table.columns:
        if column in skip:
            continue
        values = list(dict.fromkeys(str(v) for v in rows[column]))
        if len(values) == len(lines):
            shown = ", ".join(f"`{printable(v)}`" for v in values[:4]) + (" ..." if len(values) > 4 else "")
            c, first = printable(column), printable(values[0])
            return (f"the rows differ in `{c}` ({shown}): for one {c}, `where: {{{c}: {first}}}` in the data "
                    f"source; for an array's elements, `by: {{DIMENSION: {c}}}` on the observation; for revised "
                    f"figures, `prefer: {{column: {c}, keep: ...}}`")
    return prefer_hint


def listed(values: list[str], most: int = 12) -> str:
    """`a`, `b`, ... : the first `most` values, for a hint."""
    return ", ".join(f"`{printable(x)}`" for x in values[:most]) + (" ..." if len(values) > most else "")


def cells_text(cells: tuple[tuple[str, str], ...]) -> str:
    return " and ".join(f"`{printable(c)}` `{printable(e)}`" for c, e in cells)
