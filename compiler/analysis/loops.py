"""Feedback loops: the elementary cycles of the causal graph, with their polarity.

A loop is reinforcing when the product of its links' signs is positive, balancing when it is
negative, and undetermined when the sign of some link depends on values; for those, the
polarity at the start of a default run is given as well.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import Enum

import networkx as nx

from ..ir.graph import Kind
from .causal import CausalGraph, Sign

MAX_LOOPS = 10_000


class Polarity(Enum):
    REINFORCING = "reinforcing"
    BALANCING = "balancing"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, slots=True)
class Loop:
    id: str
    nodes: tuple[str, ...]  # in causal order; the last links back to the first
    names: tuple[str, ...]
    polarity: Polarity
    at_start: Polarity  # from the signs at the start of a default run
    stocks: tuple[str, ...]
    # The product of the links' partial derivatives at the start (per model time unit for a
    # loop through stocks): how strongly the loop acts then. None where a link's is unknown.
    gain: float | None = None


@dataclass(frozen=True, slots=True)
class LoopReport:
    loops: tuple[Loop, ...]
    truncated: bool


def _polarity(signs: list[Sign]) -> Polarity:
    if any(s is Sign.UNKNOWN for s in signs):
        return Polarity.UNDETERMINED
    negative = sum(s is Sign.NEGATIVE for s in signs)
    return Polarity.BALANCING if negative % 2 else Polarity.REINFORCING


def _inside_one_function(cycle: list[str], hidden: set[str]) -> bool:
    """A loop within one smooth or delay (its own stages, `owner$smooth1`): part of how the
    function works, not a loop of the model, as Stella and Vensim show none for SMTH1 or DELAY3."""
    return all(n in hidden for n in cycle) and len({n.split("$", 1)[0] for n in cycle}) == 1


def find_loops(cg: CausalGraph, limit: int = MAX_LOOPS) -> LoopReport:
    g: nx.DiGraph[str] = nx.DiGraph()
    kinds = {n.id: n.kind for n in cg.nodes}
    links = {}
    for link in cg.links:
        if kinds[link.source] is not Kind.PARAM:
            g.add_edge(link.source, link.target)
            links[(link.source, link.target)] = link
    hidden = {n.id for n in cg.nodes if n.hidden}
    cycles = (c for c in nx.simple_cycles(g) if not _inside_one_function(c, hidden))
    found = list(itertools.islice(cycles, limit + 1))
    truncated = len(found) > limit
    loops = []
    order = {n.id: i for i, n in reversed(list(enumerate(cg.nodes)))}  # once, not a list searched a loop
    for cycle in found[:limit]:
        # Start each loop at its first stock (in declaration order) so the text reads naturally.
        start = min(range(len(cycle)), key=lambda i: (kinds[cycle[i]] is not Kind.STOCK, order[cycle[i]]))
        cycle = cycle[start:] + cycle[:start]
        pairs = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        values = [links[p].value_at_start for p in pairs]
        gain = math.prod(v for v in values if v is not None) if all(v is not None for v in values) else None
        loops.append((cycle, _polarity([links[p].sign for p in pairs]),
                      _polarity([links[p].sign_at_start for p in pairs]), gain))
    loops.sort(key=lambda item: (len(item[0]), [cg.node(n).name for n in item[0]]))
    out = tuple(Loop(f"L{i + 1}", tuple(c), tuple(cg.node(n).name for n in c), pol, start_pol,
                     tuple(n for n in c if kinds[n] is Kind.STOCK), gain)
                for i, (c, pol, start_pol, gain) in enumerate(loops))
    return LoopReport(out, truncated)
