"""Stock-and-flow diagrams ("Connection Explorer") as Graphviz DOT or Mermaid text.

Stocks are boxes; flows are pipes with a valve, from a stock or a cloud to a stock or a cloud,
red for `escalation` and green for `de-escalation` tags; auxiliaries and parameters join by
dashed causal arrows marked + or - where the sign is known. Hidden stocks (smooth, delay,
metric accumulators) are drawn through: their inputs point at their users. Each conserved
group is a cluster with its stocks in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import graphviz

from ..analysis.causal import CausalGraph, Sign
from ..ir import graph as G
from ..ir.graph import Kind
from ..ir.model import CheckedModel

TAG_COLOURS = {"escalation": "#c0392b", "de-escalation": "#1e8449"}
PIPE = "#34495e"
HIGHLIGHT = "#d68910"


@dataclass(frozen=True, slots=True)
class DiagramOptions:
    focus: str | None = None
    depth: int = 2
    params: bool = True
    highlight: tuple[str, ...] = ()  # a feedback loop's variables, in causal order


@dataclass(frozen=True, slots=True)
class _Visible:
    nodes: tuple[str, ...]
    causal: tuple[tuple[str, str, Sign], ...]  # source, target, sign


def _visible(model: CheckedModel, cg: CausalGraph, opts: DiagramOptions) -> _Visible:
    kinds = {n.id: n.kind for n in cg.nodes}
    causal = [(source, n.id, sign)
              for n in cg.nodes if not n.hidden and n.kind in (Kind.AUX, Kind.FLOW)
              for source, sign in cg.visible_inputs(n.id)
              if kinds[source] is not Kind.PARAM or opts.params]
    nodes = [n.id for n in cg.nodes if not n.hidden and (opts.params or n.kind is not Kind.PARAM)]
    if opts.focus is not None:
        adj: dict[str, set[str]] = {n: set() for n in nodes}
        for a, b, _ in causal:
            adj[a].add(b)
            adj[b].add(a)
        for f in model.graph.flows:
            for end in (f.source, f.target):
                if end is not None:
                    adj[f.id].add(end)
                    adj[end].add(f.id)
        keep = {opts.focus}
        frontier = {opts.focus}
        for _ in range(opts.depth):
            frontier = {m for n in frontier for m in adj[n]} - keep
            keep |= frontier
        nodes = [n for n in nodes if n in keep]
        causal = [c for c in causal if c[0] in keep and c[1] in keep]
    return _Visible(tuple(nodes), tuple(causal))


def _text(s: str) -> str:
    """Spec text as a plain DOT label: never an HTML-like label (`<...>`), never an escape."""
    from ..base.diagnostics import printable

    escaped: str = graphviz.escape(printable(s))  # a str that graphviz will not read as HTML
    return escaped


def to_dot(model: CheckedModel, cg: CausalGraph, opts: DiagramOptions = DiagramOptions()) -> graphviz.Digraph:
    g = model.graph
    vis = _visible(model, cg, opts)
    shown = set(vis.nodes)
    names = {n.id: _text(n.name) for n in cg.nodes}
    dot = graphviz.Digraph(_text(g.info.name), graph_attr={
        "rankdir": "LR", "splines": "spline", "nodesep": "0.35", "ranksep": "0.6", "fontname": "Helvetica",
        "label": _text(g.info.title or g.info.name), "labelloc": "t"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"}, edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    order = _dot_stocks(dot, g, shown, names)
    _dot_flows(dot, g, shown, names, order)
    for aux in g.auxes:
        if aux.id in shown and not aux.hidden:
            dot.node(aux.id, names[aux.id], shape="ellipse", color="#7f8c8d")
    for p in g.params:
        if p.id in shown:
            dot.node(p.id, names[p.id], shape="plaintext", fontsize="9", fontcolor="#566573")
    _dot_links(dot, g, vis.causal, opts)
    for node in opts.highlight:
        if node in shown:
            dot.node(node, penwidth="3", color=HIGHLIGHT)
    return dot


def _dot_stocks(dot: graphviz.Digraph, g: G.Graph, shown: set[str], names: dict[str, str]) -> dict[str, int]:
    """Stocks, each conserved group in a dashed frame with its stocks in declared order as
    columns left to right; returns each grouped stock's column."""
    grouped = set()
    for grp in g.groups:
        members = [s for s in grp.stocks if s in shown]
        if not members:
            continue
        with dot.subgraph(name=f"cluster_{grp.id}") as c:
            c.attr(label=_text(grp.display), style="rounded,dashed", color="#7f8c8d")
            for sid in members:
                c.node(sid, names[sid], shape="box", style="filled", fillcolor="#d6eaf8", penwidth="1.5",
                       width="1.3", height="0.6")
                grouped.add(sid)
    for s in g.stocks:
        if s.id in shown and s.id not in grouped and not s.hidden:
            dot.node(s.id, names[s.id], shape="box", style="filled", fillcolor="#d6eaf8", penwidth="1.5")
    order: dict[str, int] = {}
    for grp in g.groups:
        members = [s for s in grp.stocks if s in shown]
        order.update({s: i for i, s in enumerate(members)})
        for a, b in zip(members, members[1:], strict=False):
            dot.edge(a, b, style="invis", weight="20")
    return order


def _dot_flows(dot: graphviz.Digraph, g: G.Graph, shown: set[str], names: dict[str, str],
               order: dict[str, int]) -> None:
    """Each flow as a valve on a pipe, coloured by tag, from a cloud where it enters or
    leaves the model; an end outside the focus is a dashed stand-in."""
    ghosts: set[str] = set()
    for f in g.flows:
        if f.id not in shown:
            continue
        colour = next((TAG_COLOURS[t] for t in f.tags if t in TAG_COLOURS), PIPE)
        dot.node(f.id, "", shape="circle", width="0.18", fixedsize="true",
                 xlabel=names[f.id], style="filled", fillcolor=colour, color=colour)
        ends = []
        for role, end in (("from", f.source), ("to", f.target)):
            if end is None:
                cloud = f"{f.id}__{role}_cloud"
                dot.node(cloud, "", shape="ellipse", style="dashed", width="0.35", height="0.22", color="#95a5a6")
                end = cloud
            elif end not in shown and end not in ghosts:
                dot.node(end, names[end], shape="box", style="dashed", color="#95a5a6", fontcolor="#7f8c8d")
                ghosts.add(end)
            ends.append(end)
        backward = f.source in order and f.target in order and order[f.source] > order[f.target]
        # A flow back along a group's row keeps its valve between the two columns without
        # pulling the row out of order.
        constraint = "false" if backward else "true"
        dot.edge(ends[0], f.id, color=colour, penwidth="2.5", arrowhead="none", constraint=constraint)
        dot.edge(f.id, ends[1], color=colour, penwidth="2.5", constraint=constraint)
        if backward:
            dot.edge(ends[1], f.id, style="invis")
            dot.edge(f.id, ends[0], style="invis")


def _dot_links(dot: graphviz.Digraph, g: G.Graph, causal: Any, opts: DiagramOptions) -> None:
    flow_ids = {f.id for f in g.flows}
    loop_links = set(zip(opts.highlight, opts.highlight[1:] + opts.highlight[:1], strict=True))
    for source, target, sign in causal:
        label = {Sign.POSITIVE: "+", Sign.NEGATIVE: "−"}.get(sign, "")
        look = ({"style": "solid", "color": HIGHLIGHT, "penwidth": "2.5"} if (source, target) in loop_links
                else {"style": "dashed", "color": "#808b96"})
        # Information links into valves do not move the stock-and-flow skeleton.
        dot.edge(source, target, arrowsize="0.6", headlabel=label,
                 constraint="false" if target in flow_ids else "true", **look)


def _mermaid(s: str) -> str:
    """Spec text inside a Mermaid label's quotes: entity codes for what Mermaid would read."""
    from ..base.diagnostics import printable

    return "".join(f"#{ord(c)};" if c in '"<>&#[](){}|`' else c for c in printable(s))


def to_mermaid(model: CheckedModel, cg: CausalGraph, opts: DiagramOptions = DiagramOptions()) -> str:
    g = model.graph
    vis = _visible(model, cg, opts)
    shown = set(vis.nodes)
    names = {n.id: _mermaid(n.name) for n in cg.nodes}
    lines = ["flowchart TB"]
    styles: list[str] = ["  classDef ghost stroke-dasharray: 4 4,color:#7f8c8d"]
    ghosts: set[str] = set()
    edge_count = 0
    for grp in g.groups:
        members = [s for s in grp.stocks if s in shown]
        if members:
            lines.append(f'  subgraph {grp.id}["{_mermaid(grp.display)}"]')
            lines += [f'    {s}["{names[s]}"]' for s in members]
            lines.append("  end")
    grouped = {s for grp in g.groups for s in grp.stocks}
    lines += [f'  {s.id}["{names[s.id]}"]' for s in g.stocks if s.id in shown and s.id not in grouped and not s.hidden]
    for f in g.flows:
        if f.id not in shown:
            continue
        colour = next((TAG_COLOURS[t] for t in f.tags if t in TAG_COLOURS), PIPE)
        lines.append(f'  {f.id}(("{names[f.id]}"))')
        ends = []
        for role, end in (("from", f.source), ("to", f.target)):
            if end is None:
                end = f"{f.id}__{role}_cloud"
                lines.append(f"  {end}(( ))")
            elif end not in shown and end not in ghosts:  # outside the focus: a stand-in
                lines.append(f'  {end}["{names[end]}"]:::ghost')
                ghosts.add(end)
            ends.append(end)
        lines.append(f"  {ends[0]} === {f.id}")
        lines.append(f"  {f.id} ==> {ends[1]}")
        styles.append(f"  linkStyle {edge_count},{edge_count + 1} stroke:{colour},stroke-width:3px")
        edge_count += 2
    lines += [f'  {a.id}(["{names[a.id]}"])' for a in g.auxes if a.id in shown and not a.hidden]
    lines += [f'  {p.id}["{names[p.id]}"]' for p in g.params if p.id in shown]
    for source, target, sign in vis.causal:
        label = {Sign.POSITIVE: "|+|", Sign.NEGATIVE: "|-|"}.get(sign, "")
        lines.append(f"  {source} -.->{label} {target}")
    return "\n".join(lines + styles) + "\n"
