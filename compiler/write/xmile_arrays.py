"""Which of a model's arrays XMILE can hold as arrays, and how they are written.

XMILE arrays have every element of their dimensions, each dimension once, and a flow fills or drains the element
of its stock with the same subscripts. An array that fits (no element left out by `where`,
its flows element by element between arrays of the same dimensions) is written as one
variable with `<dimensions>` and an `<element subscript="...">` equation per element; any
other is written element by element (`rate_a_b`), which every tool reads the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from ..ir import ast as A
from ..ir import graph as G


@dataclass(frozen=True)
class XArray:
    name: str  # the XMILE name of the whole array
    dims: tuple[str, ...]
    keys: dict[str, tuple[str, ...]]  # element variable id -> its subscripts


def xmile_arrays(g: G.Graph) -> dict[str, XArray]:
    """Array name -> how it is written, for the arrays that fit XMILE's form."""
    flows = {f.id: f for f in g.flows}
    stocks = {s.id: s for s in g.stocks}
    # every element, and each dimension once: XMILE names a variable's dimensions, not aliases,
    # so `contact[a: age, b: age]` is written element by element
    full = {a.name: a for a in g.arrays if len(a.elements) == math.prod(len(d) for d in a.dim_elements)
            and len(set(a.dims)) == len(a.dims)}
    key_of = {vid: (a.name, key) for a in full.values() for vid, key in a.elements}
    ok = set(full)
    changed = True
    while changed:  # a stock fits only with all its flows, a flow only with its stocks
        changed = False
        for a in list(ok):
            for vid, key in full[a].elements:
                if not _fits(vid, key, a, full, key_of, flows, stocks, ok):
                    ok.discard(a)
                    changed = True
                    break
    return {a: XArray(a, full[a].dims, dict(full[a].elements)) for a in ok}


def _fits(vid: str, key: tuple[str, ...], array: str, full: dict[str, A.Expanded],
          key_of: dict[str, tuple[str, tuple[str, ...]]], flows: dict[str, G.Flow], stocks: dict[str, G.Stock],
          ok: set[str]) -> bool:
    dims = full[array].dims

    def same(other: str) -> bool:
        found = key_of.get(other)
        return found is not None and found[0] in ok and found[1] == key and full[found[0]].dims == dims

    if vid in flows:
        return all(end is None or same(end) for end in (flows[vid].source, flows[vid].target))
    if vid in stocks:
        return all(same(f) for f in (*stocks[vid].inflows, *stocks[vid].outflows))
    return True


def dimensions_xml(g: G.Graph, arrays: dict[str, XArray]) -> list[str]:
    """The `<dimensions>` of the document: every dimension an exported array uses."""
    seen: dict[str, tuple[str, ...]] = {}
    for a in g.arrays:
        if a.name in arrays:
            for d, elems in zip(a.dims, a.dim_elements, strict=True):
                seen.setdefault(d, elems)
    if not seen:
        return []
    out = ["  <dimensions>"]
    for d, elems in seen.items():
        out.append(f"    <dim name={quoteattr(d)}>" + "".join(f"<elem name={quoteattr(e)}/>" for e in elems) + "</dim>")
    return out + ["  </dimensions>"]
