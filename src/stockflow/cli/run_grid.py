"""A stock of two or more dimensions in `run`'s summary as a grid: 32 authorities at four
levels were 128 rows cut to 35, so a board could not find its own authority; as a grid each
authority is a row, the levels side by side, with its total now and at the start."""

from __future__ import annotations

from typing import Any

from ..numbers import column_texts, units_shown
from .common import text_table

MAX_GRID_ROWS = 60  # a summary: past this, the first and last rows and a count between


def grids(model: Any, res: Any) -> tuple[list[str], set[str]]:
    """Each stock array of two or more dimensions as a grid of its end values; and the
    stocks the grids show, left out of the summary's table."""
    out: list[str] = []
    shown: set[str] = set()
    for a, units in stock_grids(model, res.variables):
        out.append(grid(a, lambda vid: res[vid], units, ""))
        shown.update(vid for vid, _ in a.elements)
    return out, shown


def stock_grids(model: Any, variables: Any) -> list[tuple[Any, str | None]]:
    """The stock arrays of two or more dimensions, with their units."""
    stocks = {v.id: v for v in variables if v.kind == "stock"}
    return [(a, stocks[a.elements[0][0]].units) for a in model.checked.graph.arrays
            if len(a.dims) >= 2 and all(vid in stocks for vid, _ in a.elements)]


def grid(a: Any, series: Any, units: str | None, under: str) -> str:
    """The grid of array `a`, each element's values over time given by `series(id)`; `under`
    names the scenario the values are of, if any."""
    cols = list(dict.fromkeys(key[-1] for _, key in a.elements))
    rows = list(dict.fromkeys(key[:-1] for _, key in a.elements))
    values = {key: series(vid) for vid, key in a.elements}
    end = {key: float(v[-1]) for key, v in values.items()}
    start = {key: float(v[0]) for key, v in values.items()}

    def line(label: str, keys: list[tuple[str, ...]]) -> list[Any]:
        cells = [sum(end[k] for k in keys if k[-1] == c) if any(k[-1] == c for k in keys) else None for c in cols]
        return [label, *cells, sum(end[k] for k in keys), sum(start[k] for k in keys)]

    lines = [line(", ".join(r), [k for k in end if k[:-1] == r]) for r in rows]
    lines.append(line("total", list(end)))
    texts = [column_texts([x for x in col if x is not None], units) for col in list(zip(*lines, strict=True))[1:]]
    body = [[ln[0]] + ["" if x is None else next(it) for x, it in zip(ln[1:], its, strict=True)]
            for its in [[iter(t) for t in texts]] for ln in lines]
    if len(body) > MAX_GRID_ROWS + 1:  # the total row stays
        body = [*body[:50], [f"… {len(body) - 56:,} more rows", *[""] * (len(cols) + 2)], *body[-6:]]
    head = [" x ".join(a.dims[:-1]), *cols, "total", "at start"]
    title = f"{a.name} at the end{under}, by {' and '.join(a.dims)} [{units_shown(units) or 'no units'}]"
    return title + "\n" + text_table(body, head, set(range(1, len(head))))
