"""The system map: stocks and flows laid out by rule, as SVG for the explorer and reports.

Each conserved group's stocks stand in one row, in group order; flows between them arc above
the row when they escalate (tag `escalation`, or forward along the row when untagged) and
below when they de-escalate; flows to and from outside enter and leave at the stocks' sides;
other stocks stand in rows of their own. Causal links from stocks to the flows they drive
(through auxiliaries) are drawn hidden, for the page to show on request. Every text from the
spec is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..analysis.causal import CausalGraph, Sign
from ..ir import graph as G
from ..ir.model import CheckedModel

COL, BOX_W, BOX_H, ROW_GAP = 250, 130, 56, 300
SHORT = 18  # characters that fit on one line of a box
PIPE = 40  # a flow to or from outside: short enough that one box's cloud clears the next one's
MIN_SCALE = 0.7  # drawn no smaller than this (13 px text at 9 px): a wider map scrolls sideways
ROW_SPACE = 90  # between one row's lowest point and the next one's highest: room for flows between rows
RED, GREEN, GREY, LINK = "#c0392b", "#1e8449", "#566573", "#b9770e"
UP_TAGS, DOWN_TAGS = {"escalation"}, {"de-escalation", "deescalation"}


@dataclass
class MapLayout:
    width: float = 0.0
    height: float = 0.0
    stocks: dict[str, tuple[float, float]] = field(default_factory=dict)  # centre of each box
    valves: dict[str, tuple[float, float]] = field(default_factory=dict)  # each flow's valve
    bottom: float = 0.0  # the lowest point drawn
    bottom_plain: float = 0.0  # the lowest point drawn but for the causal links, hidden until asked for
    parts: list[str] = field(default_factory=list)  # SVG elements, in drawing order


def system_map(model: CheckedModel, cg: CausalGraph, links: bool = False) -> str:
    """The map as one SVG element (no script, no external reference), as tall as its causal
    links need where `links`, else as tall as the rest; `data-heights` gives both, for a page
    that shows the links on request."""
    g = model.graph
    rows = _rows(g)
    lay = _laid_out(g, cg, rows, [200 + r * ROW_GAP for r in range(len(rows))])
    lay = _laid_out(g, cg, rows, _tops(g, lay, rows))  # each row as close as its arcs allow
    names = {s.id: s.display for s in g.stocks}
    labels = _labels({sid: names[sid] for sid in lay.stocks})
    for sid, (x, y) in lay.stocks.items():
        text = _box_text(x, y, *labels[sid])
        lay.parts.append(
            f'<g class="stock" data-id="{_e(sid)}" tabindex="0"><title>{_e(names[sid])}</title>'
            f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'{text}<text x="{x:.1f}" y="{y + 18:.1f}" class="value" data-value="{_e(sid)}"></text></g>')
    lay.width = 170 * 2 + COL * (max((len(r) for r in rows), default=1) - 1)
    boxes = max((y for _, y in lay.stocks.values()), default=0) + BOX_H
    plain, full = max(lay.bottom_plain, boxes) + 30, max(lay.bottom, boxes) + 30
    lay.height = full if links else plain
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
            f'data-heights="{plain:.0f} {full:.0f}" '
            f'style="max-width:{lay.width * 1.15:.0f}px;min-width:{lay.width * MIN_SCALE:.0f}px" role="img" '
            f'aria-label="system map">{_DEFS}'
            f'{_legend(lay, _caption(g, lay, labels))}' + "".join(lay.parts) + "</svg>")


def _caption(g: G.Graph, lay: MapLayout, labels: dict[str, tuple[str, str | None]]) -> str | None:
    """`looked_after[authority, placement]` where the boxes name only their elements (one array
    on the map): else a map of `dundee`, `fife` boxes never says what they count."""
    by_id = {v: a for a in g.arrays for v, _ in a.elements}
    drawn = {by_id[sid].name: by_id[sid] for sid in lay.stocks if sid in by_id}
    if len(drawn) != 1:
        return None
    arr = next(iter(drawn.values()))
    if any(labels[v][0] == arr.name for v, _ in arr.elements if v in labels):
        return None
    return f"{arr.name}[{', '.join(arr.indices)}]: a box per element"


def _laid_out(g: G.Graph, cg: CausalGraph, rows: list[list[str]], tops: list[float]) -> MapLayout:
    """Stocks row by row, each row at its height in `tops`, then the flows and links between them."""
    lay = MapLayout()
    for r, row in enumerate(rows):
        for c, sid in enumerate(row):
            lay.stocks[sid] = (170 + c * COL, tops[r])
    _arcs(g, lay, rows)
    _outside(g, lay)
    lay.bottom_plain = lay.bottom
    _links(g, cg, lay)
    return lay


def _tops(g: G.Graph, lay: MapLayout, rows: list[list[str]]) -> list[float]:
    """Each row's height from a first layout: the first just under the key, each next one
    below the arcs under the row above it and above its own arcs over it, with room between
    for the flows that run from row to row. Rows without arcs stand close together."""
    row_of = {sid: r for r, row in enumerate(rows) for sid in row}
    above = [BOX_H / 2] * len(rows)
    below = [BOX_H / 2] * len(rows)
    for f in g.flows:
        if f.source in row_of and f.target in row_of and row_of[f.source] == row_of[f.target]:
            r = row_of[f.source]
            y = lay.stocks[f.source][1]
            vy = lay.valves[f.id][1]
            above[r] = max(above[r], y - vy + 10)
            below[r] = max(below[r], vy - y + 10)
    tops: list[float] = []
    for r in range(len(rows)):
        tops.append(60 + above[0] if r == 0 else tops[-1] + below[r - 1] + ROW_SPACE + above[r])
    return tops


def _legend(lay: MapLayout, caption: str | None = None) -> str:
    """A key for the colours the map uses, and what its boxes are where they do not say."""
    used = "".join(lay.parts)
    out, x = [], 16
    if caption is not None:
        out.append(f'<rect x="{x - 6}" y="10" width="14" height="12" rx="2" class="key-box"/>'
                   f'<text x="{x + 14}" y="20">{_e(caption)}</text>')
        x += 36 + round(6.3 * len(caption))
    for colour, words in ((RED, "escalation"), (GREEN, "de-escalation"), (GREY, "other flows")):
        if f'stroke="{colour}"' in used:
            out.append(f'<circle cx="{x}" cy="16" r="6" fill="{colour}"/><text x="{x + 12}" y="20">{words}</text>')
            x += 24 + 8 * len(words)
    return '<g class="legend">' + "".join(out) + "</g>"


STYLE = (".pipe{fill:none;stroke-width:2.5;opacity:.85}.stock rect{fill:#d6eaf8;stroke:#1f618d;stroke-width:1.5}"
         ".stock text{text-anchor:middle;font:13px Helvetica,Arial,sans-serif}.stock text.element{font-size:12px;fill:#34495e}.cloud{fill:#fff;stroke:#95a5a6;"
         "stroke-dasharray:3 2}.legend text{font:12px Helvetica,Arial,sans-serif;fill:#566573}"
         ".key-box{fill:#d6eaf8;stroke:#1f618d}.link path{fill:none;stroke-dasharray:5 4;stroke-width:1.5}.link text{font:bold 14px Helvetica;fill:#b9770e}")


def standalone(svg: str, links: bool = False) -> str:
    """The map as a file of its own (or inside a report): its styles inside it, causal links
    shown or left out."""
    hide = "" if links else ".link{display:none}"
    return svg.replace("</svg>", f"<style>{STYLE}{hide}</style></svg>", 1)


_DEFS = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
         'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>')


def _rows(g: G.Graph) -> list[list[str]]:
    """Each group's stocks in group order, then the other visible stocks, a row each of at
    most six (those joined by flows together)."""
    visible = [s.id for s in g.stocks if not s.hidden]
    rows: list[list[str]] = []
    placed: set[str] = set()
    for grp in g.groups:
        row = [s for s in grp.stocks if s in visible and s not in placed]
        if row:
            rows += _by_last_index(g, row)
            placed |= set(row)
    rest = [s for s in visible if s not in placed]
    array_of = {vid: a.name for a in g.arrays for vid, _ in a.elements}
    runs: list[list[str]] = []  # each array's elements together, and the scalars between them
    for s in rest:
        if runs and array_of.get(s) == array_of.get(runs[-1][0]):
            runs[-1].append(s)
        else:
            runs.append([s])
    for run in runs:  # an array over two dimensions as a grid, as a group's; at most six across
        for row in _by_last_index(g, run) if run[0] in array_of else [run]:
            rows += [row[i:i + 6] for i in range(0, len(row), 6)]
    return rows


def _by_last_index(g: G.Graph, row: list[str]) -> list[list[str]]:
    """A row of array elements as a grid: one row per array (susceptible, infected, recovered
    down; age bands across), and an array over two or more dimensions one row per element of
    its last dimension (levels across, age bands down). Where those rows would be longer than
    six and wrap (32 authorities across), the grid turns: a row per element of the leading
    dimensions, the last one's elements across (each authority's levels side by side)."""
    at = {vid: (a.name, key) for a in g.arrays for vid, key in a.elements}
    if not all(s in at for s in row):
        return [row]
    by_last = _grouped(row, lambda s: (at[s][0], at[s][1][-1:] if len(at[s][1]) > 1 else ()))
    if max(map(len, by_last)) <= 6:
        return by_last
    turned = _grouped(row, lambda s: (at[s][0], at[s][1][:-1]))
    return turned if max(map(len, turned)) <= 6 else by_last


def _grouped(row: list[str], key_of: Callable[[str], tuple[str, tuple[str, ...]]]) -> list[list[str]]:
    out: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for s in row:
        out.setdefault(key_of(s), []).append(s)
    return list(out.values())


def _colour(f: G.Flow) -> str:
    if set(f.tags) & UP_TAGS:
        return RED
    if set(f.tags) & DOWN_TAGS:
        return GREEN
    return GREY


def _arcs(g: G.Graph, lay: MapLayout, rows: list[list[str]]) -> None:
    """Flows between two stocks on the map: arcs above (escalation) or below the row."""
    row_of = {sid: r for r, row in enumerate(rows) for sid in row}
    drawn: dict[tuple[int, float, bool], list[tuple[float, float]]] = {}  # arcs so far, by row, span and side
    pairs: dict[frozenset[str], int] = {}  # flows drawn so far between two stocks in different rows
    for f in g.flows:
        if f.source not in lay.stocks or f.target not in lay.stocks:
            continue
        (x0, y0), (x1, _) = lay.stocks[f.source], lay.stocks[f.target]
        tagged_up, tagged_down = bool(set(f.tags) & UP_TAGS), bool(set(f.tags) & DOWN_TAGS)
        up = tagged_up or (not tagged_down and x1 > x0)
        if row_of[f.source] != row_of[f.target]:
            lo, hi = sorted((row_of[f.source], row_of[f.target]))
            _between_rows(lay, f, pairs, [sid for row in rows[lo + 1:hi] for sid in row])
            continue
        span = abs(x1 - x0) / COL
        left, right = sorted((x0, x1))
        # lift an arc only over those it would overlap: a chain's arcs, box to box, stay low
        same = drawn.setdefault((row_of[f.source], span, up), [])
        k = sum(1 for a, b in same if a < right and left < b)
        same.append((left, right))
        sign = -1 if up else 1
        edge = y0 + sign * BOX_H / 2
        lift = 36 + 30 * (span - 1) + 14 * k
        sx = x0 + (12 if x1 > x0 else -12) + sign * 6 * k
        ex = x1 - (12 if x1 > x0 else -12) + sign * 6 * k
        cy = edge + sign * lift * 2
        path = f"M{sx:.1f},{edge:.1f} Q{(sx + ex) / 2:.1f},{cy:.1f} {ex:.1f},{edge:.1f}"
        _valve(lay, f, (sx + ex) / 2, edge + sign * lift, path, _colour(f))
        lay.bottom = max(lay.bottom, edge + sign * lift + 10)


def _between_rows(lay: MapLayout, f: G.Flow, pairs: dict[frozenset[str], int], passed: list[str]) -> None:
    """A pipe from box edge to box edge. Flows each way between two stocks run side by side,
    not on one line; a pipe that would cross a box of the rows it passes (`passed`) bows
    round it."""
    src, dst = str(f.source), str(f.target)  # both stocks on the map
    (x0, y0), (x1, y1) = lay.stocks[src], lay.stocks[dst]
    a, b = sorted((src, dst))
    (ax, ay), (bx, by) = lay.stocks[a], lay.stocks[b]
    length = math.hypot(bx - ax, by - ay) or 1.0
    px, py = (by - ay) / length, (ax - bx) / length  # one side of the pair, whichever way a flow runs
    key = frozenset((a, b))
    k = pairs.get(key, 0)
    pairs[key] = k + 1
    side = 9 * (1 + k // 2) * (1 if src == a else -1)  # each way on its own side
    (sx, sy), (ex, ey) = _edge(x0, y0, x1, y1), _edge(x1, y1, x0, y0)
    sx, sy, ex, ey = sx + side * px, sy + side * py, ex + side * px, ey + side * py
    crossed = any(_hits(sx, sy, ex, ey, *lay.stocks[sid]) for sid in passed)
    if not crossed:
        _valve(lay, f, (sx + ex) / 2, (sy + ey) / 2, f"M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}", _colour(f))
        return
    bow = math.copysign(BOX_W / 2 + 25, side)  # the curve clears the box in the way
    cx, cy = (sx + ex) / 2 + bow * 2 * px, (sy + ey) / 2 + bow * 2 * py
    t = 0.3  # the valve nearer the source: at the middle it would sit on the passed box's own pipes
    vx, vy = ((1 - t) ** 2 * sx + 2 * (1 - t) * t * cx + t * t * ex, (1 - t) ** 2 * sy + 2 * (1 - t) * t * cy + t * t * ey)
    _valve(lay, f, vx, vy, f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}", _colour(f))


def _hits(sx: float, sy: float, ex: float, ey: float, cx: float, cy: float) -> bool:
    """Whether the segment from (sx, sy) to (ex, ey) passes through the box centred at (cx, cy)."""
    for i in range(1, 40):
        t = i / 40
        if abs(sx + t * (ex - sx) - cx) < BOX_W / 2 and abs(sy + t * (ey - sy) - cy) < BOX_H / 2:
            return True
    return False


def _edge(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float]:
    """Where the line from the box at (x0, y0) towards (x1, y1) leaves the box."""
    dx, dy = x1 - x0, y1 - y0
    t = min(BOX_W / 2 / abs(dx) if dx else float("inf"), BOX_H / 2 / abs(dy) if dy else float("inf"))
    return x0 + dx * t, y0 + dy * t


def _outside(g: G.Graph, lay: MapLayout) -> None:
    """Flows from outside enter a stock's left side; flows to outside leave its right side."""
    for sid, (x, y) in lay.stocks.items():
        ins = [f for f in g.flows if f.target == sid and f.source not in lay.stocks]
        outs = [f for f in g.flows if f.source == sid and f.target not in lay.stocks]
        for k, f in enumerate(ins):
            yy = y - 16 + 12 * k
            x0, x1 = x - BOX_W / 2 - PIPE, x - BOX_W / 2
            lay.parts.append(_cloud(x0 - 8, yy))
            _valve(lay, f, (x0 + x1) / 2, yy, f"M{x0:.1f},{yy:.1f} L{x1:.1f},{yy:.1f}", _colour(f))
        for k, f in enumerate(outs):
            yy = y - 10 + 12 * k
            x0, x1 = x + BOX_W / 2, x + BOX_W / 2 + PIPE
            lay.parts.append(_cloud(x1 + 8, yy))
            _valve(lay, f, (x0 + x1) / 2, yy, f"M{x0:.1f},{yy:.1f} L{x1:.1f},{yy:.1f}", _colour(f))


def _valve(lay: MapLayout, f: G.Flow, vx: float, vy: float, path: str, colour: str) -> None:
    lay.valves[f.id] = (vx, vy)
    lay.parts.append(
        f'<g class="flow" data-id="{_e(f.id)}" tabindex="0"><title>{_e(f.display)}</title>'
        f'<path d="{path}" stroke="{colour}" class="pipe" marker-end="url(#arrow)"/>'
        f'<circle cx="{vx:.1f}" cy="{vy:.1f}" r="6" fill="{colour}"/></g>')


def _cloud(x: float, y: float) -> str:
    return f'<ellipse class="cloud" cx="{x:.1f}" cy="{y:.1f}" rx="9" ry="6"/>'


def _links(g: G.Graph, cg: CausalGraph, lay: MapLayout) -> None:
    """Each map stock's influence on each flow through auxiliaries (not through other stocks
    or flows), with its sign where every path agrees; hidden until asked for."""
    stocks = set(lay.stocks)
    into: dict[str, list[tuple[str, Sign]]] = {}
    for link in cg.links:
        into.setdefault(link.target, []).append((link.source, link.sign))
    passes = {n.id for n in cg.nodes if n.kind is G.Kind.AUX or n.hidden}  # auxes, smooth and delay stages
    for f in g.flows:
        for sid, sign in _stock_inputs(into, passes, f.id, stocks):
            if sid in (f.source, f.target):
                continue  # a flow drawn from its own stock: the pipe shows it already
            if f.id not in lay.valves:
                continue
            (x0, y0), (tx, ty) = lay.stocks[sid], lay.valves[f.id]
            label = {Sign.POSITIVE: "+", Sign.NEGATIVE: "−"}.get(sign, "")
            # along a row, bow below its de-escalation arcs; between rows, bow sideways
            cx, cy = ((x0 + tx) / 2, max(y0, ty) + 330) if abs(y0 - ty) < BOX_H else ((x0 + tx) / 2 + 60,
                                                                                     (y0 + ty) / 2)
            mx, my = (x0 + 2 * cx + tx) / 4, (y0 + 2 * cy + ty) / 4
            lay.bottom = max(lay.bottom, my + 10)
            lay.parts.append(
                f'<g class="link" data-from="{_e(sid)}" data-to="{_e(f.id)}"><path d="M{x0:.1f},{y0 + BOX_H / 2:.1f} '
                f'Q{cx:.1f},{cy:.1f} {tx:.1f},{ty:.1f}" stroke="{LINK}"/>'
                f'<text x="{mx + 6:.1f}" y="{my:.1f}">{label}</text></g>')


def _stock_inputs(into: dict[str, list[tuple[str, Sign]]], passes: set[str], flow: str,
                  stocks: set[str]) -> list[tuple[str, Sign]]:
    """Stocks a flow depends on through chains of the nodes in `passes` (auxiliaries, hidden
    smooth or delay stages), and the sign along them."""
    found: dict[str, set[Sign]] = {}
    stack: list[tuple[str, Sign, int]] = [(flow, Sign.POSITIVE, 0)]
    seen: set[tuple[str, Sign]] = set()
    while stack:
        node, sign, depth = stack.pop()
        for src, s in into.get(node, []):
            combined = _times(sign, s)
            if src in stocks:
                found.setdefault(src, set()).add(combined)
            elif src in passes and (src, combined) not in seen and depth < 50:
                seen.add((src, combined))
                stack.append((src, combined, depth + 1))
    return [(sid, next(iter(signs)) if len(signs) == 1 else Sign.UNKNOWN) for sid, signs in sorted(found.items())]


def _times(a: Sign, b: Sign) -> Sign:
    if Sign.UNKNOWN in (a, b):
        return Sign.UNKNOWN
    return Sign.POSITIVE if a == b else Sign.NEGATIVE


def _labels(names: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Each box's name line, and a second line where one is needed. With one arrayed stock on
    the map its elements say which box is which (`universal`; `universal` over `under_5` for two
    dimensions); with several, each box names its array over its elements (`infected` over
    `young`)."""
    parts = {sid: _split(n) for sid, n in names.items()}
    arrays = {a for a, e in parts.values() if e is not None}
    shown = [", ".join(e) if e is not None else a for a, e in parts.values()]
    alone = len(arrays) <= 1 and len(set(shown)) == len(shown)
    out: dict[str, tuple[str, str | None]] = {}
    for sid, (a, e) in parts.items():
        if e is None:
            out[sid] = (a if _wrap(a) else _short(a), None)
        elif alone:
            out[sid] = (_short(e[0]), None) if len(e) == 1 else (_short(", ".join(e[:-1])), _short(e[-1]))
        else:
            out[sid] = (_short(a), _short(", ".join(e)))
    return out


def _split(name: str) -> tuple[str, list[str] | None]:
    """`infected[young,girls]` -> (`infected`, [`young`, `girls`]); a scalar's name and None."""
    if name.endswith("]") and "[" in name:
        return name[:name.index("[")], name[name.index("[") + 1:-1].split(",")
    return name, None


def _box_text(x: float, y: float, name: str, second: str | None) -> str:
    """A box's one or two lines: the name, or a long name wrapped, or a name over its elements."""
    def line(dy: float, text: str, cls: str) -> str:
        return f'<text x="{x:.1f}" y="{y + dy:.1f}" class="{cls}">{_e(text)}</text>'

    if second is not None:
        return line(-11, name, "name") + line(4, second, "element")
    wrapped = _wrap(name)
    return line(-4, name, "name") if wrapped is None else line(-11, wrapped[0], "name") + line(4, wrapped[1], "name")


def _wrap(name: str) -> tuple[str, str] | None:
    """A long name on two lines, broken after an underscore (`enquiries_in_` over `process`):
    the most even break that fits, else the last that fits the first line, the rest shortened.
    None where the name fits on one line or has no such underscore."""
    if len(name) <= SHORT:
        return None
    cuts = [i + 1 for i, c in enumerate(name) if c == "_" and 1 <= i + 1 <= SHORT and i + 1 < len(name)]
    if not cuts:
        return None
    fits = [i for i in cuts if len(name) - i <= SHORT]
    cut = min(fits, key=lambda i: abs(len(name) - 2 * i)) if fits else max(cuts)
    return name[:cut], _short(name[cut:])


def _short(name: str) -> str:
    return name if len(name) <= SHORT else name[:SHORT - 1] + "…"


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
