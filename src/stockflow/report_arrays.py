"""The report's table of an array too large to draw whole: each element's value at the end of
the run under the baseline, with its change under each other scenario, laid out as the array
is (authorities down, levels across), so that a board can find its own authority."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from .numbers import units_shown, value_text

MAX_ROWS = 200  # elements down the table; a larger array is summarised by its sums in the spec


def end_tables(model: Any, results: Any, left_out: list[Any], change: Any) -> list[str]:
    """A table for each array of one or two dimensions with elements left out of the panels.
    `change(diff, relative, units)` writes a change as the report's results table does."""
    g = model.checked.graph
    left = {s.id for s in left_out}
    units = {v.id: v.units for v in model.variables()}
    (_, base), *others = results.points()  # the baseline first; a sweep's points each their own
    out: list[str] = []
    for a in g.arrays:
        ids = [vid for vid, _ in a.elements]
        if not left & set(ids) or len(a.dims) > 2 or len({k[0] for _, k in a.elements}) > MAX_ROWS:
            continue
        end = {vid: _end(results, vid, base) for vid in ids}
        moved = {n: {vid: _end(results, vid, idx) - end[vid] for vid in ids} for n, idx in others}
        out.append(_table(a, end, moved, units.get(ids[0], ""), change))
    return out


def _end(results: Any, vid: str, runs: list[int]) -> float:
    """The value at the end of the run: the median over a scenario's draws."""
    return float(np.median(np.asarray(results.batch[vid])[runs, -1]))


def _table(a: Any, end: dict[str, float], moved: dict[str, dict[str, float]], units: str, change: Any) -> str:
    across = list(dict.fromkeys(k[-1] for _, k in a.elements)) if len(a.dims) == 2 else [""]
    down = list(dict.fromkeys(k[0] for _, k in a.elements))
    at = {(k[0], k[-1] if len(a.dims) == 2 else ""): vid for vid, k in a.elements}
    shown = units_shown(units)
    said = ("; under it, the change under " + (", ".join(moved) if len(moved) > 1 else next(iter(moved)))
            if moved else "")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [a.dims[0], *across]) if across != [""] else \
        f"<th>{html.escape(a.dims[0])}</th><th>{html.escape(a.name)}</th>"
    rows = []
    for r in down:
        cells = [f"<td>{html.escape(r)}</td>"]
        for c in across:
            vid = at.get((r, c))
            if vid is None:  # left out by `where`
                cells.append("<td></td>")
                continue
            named = len(moved) > 1  # several scenarios: each line says whose it is
            diffs = "".join(f'<br><span class="note">{html.escape(n) + ": " if named else ""}'
                            f'{change(d[vid], d[vid] / end[vid] if end[vid] else float("nan"), units)}</span>'
                            for n, d in moved.items())
            cells.append(f'<td class="n">{value_text(end[vid], units)}{diffs}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<h3>{html.escape(a.name)} at the end of the run</h3><p class='note'>Each element of "
            f"<code>{html.escape(a.name)}</code> at the end of the baseline{' [' + html.escape(shown) + ']' if shown else ''}"
            f"{html.escape(said)}: the panels above draw only some of them.</p>"
            f'<div class="wide"><table><tr>{head}</tr>{"".join(rows)}</table></div>')
