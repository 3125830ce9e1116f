"""Loops of an array told once for all its elements: a model of 32 authorities has each
authority's loops, the same 36 shapes 32 times over, 1,152 lines that no board reads. A family
is the loops that differ only in the element of dimensions each of them keeps to (one
authority's stocks and flows throughout), written with the dimension in the element's place:
`children[area,universal] -> escalation[area,universal,targeted] -> ...`, one for each area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .loops import Loop, Polarity

# A list of over MAX_SHAPES loops is read by nobody: past the first FIRST_SHAPES the rest are
# counted by what they pass through (`counted_rest`)
MAX_SHAPES, FIRST_SHAPES = 100, 50


@dataclass(frozen=True, slots=True)
class Family:
    loops: tuple[Loop, ...]  # in the report's order; one where no other loop shares its shape
    names: tuple[str, ...]  # the first loop's names, with the dimensions of `over` in place of elements
    over: tuple[str, ...]  # the dimensions it runs over, one loop for each of their elements


def loop_families(loops: tuple[Loop, ...], arrays: tuple[Any, ...]) -> list[Family]:
    """The loops grouped by shape, each family where its first loop stands."""
    where = {vid: (a, key) for a in arrays for vid, key in a.elements}
    groups: dict[tuple[Any, ...], list[tuple[Loop, dict[str, str]]]] = {}
    for lp in loops:
        kept = _kept(lp.nodes, where)
        names = tuple(_shape(n, name, where, set(kept)) for n, name in zip(lp.nodes, lp.names, strict=True))
        groups.setdefault((names, lp.polarity, lp.at_start, tuple(sorted(kept))), []).append((lp, kept))
    out = []
    for members in groups.values():
        first, kept = members[0]
        # only the dimensions the loops differ in: a loop kept to `high` by its flow is `high`
        over = tuple(d for d in kept if len({k[d] for _, k in members}) > 1)  # in the order the loop meets them
        names = tuple(_shape(n, name, where, set(over)) for n, name in zip(first.nodes, first.names, strict=True))
        out.append(Family(tuple(lp for lp, _ in members), names if over else first.names, over))
    return out


def _kept(nodes: tuple[str, ...], where: dict[str, tuple[Any, tuple[str, ...]]]) -> dict[str, str]:
    """The dimensions whose element is one and the same wherever the loop's nodes have them."""
    seen: dict[str, set[str]] = {}
    for n in nodes:
        found = where.get(n) or where.get(n.split("$", 1)[0])  # a smooth's stage by its owner
        if found is not None:
            a, key = found
            for dim, element in zip(a.dims, key, strict=True):
                seen.setdefault(dim, set()).add(element)
    return {dim: next(iter(els)) for dim, els in seen.items() if len(els) == 1}


def _shape(node: str, name: str, where: dict[str, tuple[Any, tuple[str, ...]]], kept: set[str]) -> str:
    """`name` with the element of each dimension in `kept` replaced by the dimension."""
    owner = node if node in where else node.split("$", 1)[0]
    if owner not in where or "[" not in name:
        return name
    a, key = where[owner]
    head, rest = name.split("[", 1)
    inside, after = rest.split("]", 1)
    if inside != ",".join(key):  # not written as its key (never expected): left as it is
        return name
    return f"{head}[{','.join(dim if dim in kept else e for dim, e in zip(a.dims, key, strict=True))}]{after}"


def counted_rest(rest: list[Family]) -> list[tuple[str, tuple[Loop, ...], str]]:
    """The shapes past the first of a long list, counted where a board can read the counts
    (with the polarities of each count):
    by the variables they pass through, an array by its name (a model with ageing between
    bands had 4,662 shapes through 15 sets of variables), or where that leaves over 20 groups
    (each loop of a scalar model has its own variables), by how many stocks they pass through."""
    groups: dict[frozenset[str], tuple[list[str], list[Loop]]] = {}
    for fam in rest:
        names = list(dict.fromkeys(n.split("[", 1)[0] for n in fam.names))
        groups.setdefault(frozenset(names), (names, []))[1].extend(fam.loops)
    if len(groups) <= 20:
        out = [(", ".join(names), tuple(lps)) for names, lps in groups.values()]
    else:
        sizes: dict[int, list[Loop]] = {}
        for fam in rest:
            for lp in fam.loops:
                sizes.setdefault(len(lp.stocks), []).append(lp)
        out = [(f"{n} stock" + ("" if n == 1 else "s"), tuple(lps)) for n, lps in sorted(sizes.items())]
    return [(through, lps, _polarities(lps)) for through, lps in sorted(out, key=lambda t: -len(t[1]))]


def _polarities(loops: tuple[Loop, ...]) -> str:
    """`4,527 undetermined, 3 reinforcing`: the loops' count of each polarity they have."""
    counts = {p: sum(lp.polarity is p for lp in loops) for p in Polarity}
    return ", ".join(f"{c:,} {p.value}" for p, c in counts.items() if c)
