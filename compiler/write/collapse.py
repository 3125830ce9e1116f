"""A model's diagram with each array drawn once, as Vensim and Stella draw them: one box
`children[level]`, one valve `escalation[from, to]`, one causal arrow where any element of one
array feeds any element of another. Twelve stocks by ten flows each are otherwise hundreds
of arrows that no one can follow."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..analysis.causal import CausalGraph, Link, Node, Sign
from ..ir import graph as G
from ..ir.model import CheckedModel


def collapse_arrays(model: CheckedModel, cg: CausalGraph) -> tuple[CheckedModel, CausalGraph]:
    """`model` and `cg` with every array's elements as one variable named by the array, its
    label the array with its indices (`contact[a, b]`); `model` and `cg` where there are none."""
    g = model.graph
    if not g.arrays:
        return model, cg
    to = {vid: a.name for a in g.arrays for vid, _ in a.elements}
    label = {a.name: f"{_base(a.elements[0][0], g)}[{', '.join(a.indices)}]" for a in g.arrays}

    def one(vid: str | None) -> str | None:
        return None if vid is None else to.get(vid, vid)

    graph = replace(g, stocks=_merged(g.stocks, to, label, one), flows=_flows(g.flows, to, label, one),
                    auxes=_merged(g.auxes, to, label, one), params=_merged(g.params, to, label, one),
                    groups=tuple(replace(grp, stocks=tuple(dict.fromkeys(to.get(s, s) for s in grp.stocks)))
                                 for grp in g.groups))
    nodes: dict[str, Node] = {}
    for n in cg.nodes:
        key = to.get(n.id, n.id)
        nodes.setdefault(key, Node(key, label.get(key, n.name), n.kind, n.hidden))
    signs: dict[tuple[str, str], Sign] = {}
    for link in cg.links:
        pair = (to.get(link.source, link.source), to.get(link.target, link.target))
        signs[pair] = link.sign if signs.get(pair, link.sign) == link.sign else Sign.UNKNOWN
    links = tuple(Link(a, b, s, s) for (a, b), s in signs.items())
    return replace(model, graph=graph), CausalGraph(tuple(nodes.values()), links)


def _base(vid: str, g: G.Graph) -> str:
    named: list[Any] = [*g.stocks, *g.flows, *g.auxes, *g.params, *g.lookups]
    display = next((x.display for x in named if x.id == vid), vid)
    return display.split("[", 1)[0]


def _merged(items: tuple[Any, ...], to: dict[str, str], label: dict[str, str], one: Any) -> tuple[Any, ...]:
    """Stocks, auxiliaries or parameters, each array once (its first element standing for all)."""
    out: dict[str, Any] = {}
    for x in items:
        key = to.get(x.id, x.id)
        if key in out:
            continue
        fields: dict[str, Any] = {"id": key, "display": label.get(key, x.display)}
        if isinstance(x, G.Stock):
            fields |= {"inflows": tuple(dict.fromkeys(one(f) for f in x.inflows)),
                       "outflows": tuple(dict.fromkeys(one(f) for f in x.outflows))}
        out[key] = replace(x, **fields)
    return tuple(out.values())


def _flows(flows: tuple[G.Flow, ...], to: dict[str, str], label: dict[str, str], one: Any) -> tuple[G.Flow, ...]:
    """Each flow array once, between the arrays its elements join (an element from or to
    outside does not hide the stocks the others join)."""
    out: dict[str, G.Flow] = {}
    for f in flows:
        key = to.get(f.id, f.id)
        seen = out.get(key)
        if seen is None:
            out[key] = replace(f, id=key, display=label.get(key, f.display), source=one(f.source), target=one(f.target))
        else:
            out[key] = replace(seen, source=seen.source or one(f.source), target=seen.target or one(f.target))
    return tuple(out.values())
