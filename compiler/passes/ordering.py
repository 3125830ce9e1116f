"""Evaluation orders (auxiliaries and flows; initial values; metrics) by topological sort,
with every loop reported once by the names the user wrote (E020, E021)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ..ir import ast as A
from ..ir import graph as G
from ..ir.walk import names_in


class Ordering:
    """The resolver's part that orders equations (a mixin of `_Resolver`)."""

    decls: dict[str, A.Decl]
    hidden_stocks: list[G.Stock]
    hidden_auxes: list[G.Aux]

    err: Callable[..., None]

    def order(self, nodes: dict[str, A.Expr], code: str, what: str, hint: str,
              must_include: set[str] | None = None) -> tuple[str, ...]:
        """Topological order of `nodes` by the names their expressions use (Kahn, no recursion)."""
        deps = {n: {r for r in names_in(e) if r in nodes} for n, e in nodes.items()}
        users: dict[str, list[str]] = {n: [] for n in nodes}
        for n, ds in deps.items():
            for d in ds:
                users[d].append(n)
        remaining = {n: len(ds) for n, ds in deps.items()}
        ready = deque(n for n in nodes if remaining[n] == 0)
        out: list[str] = []
        while ready:
            n = ready.popleft()
            out.append(n)
            for u in users[n]:
                remaining[u] -= 1
                if remaining[u] == 0:
                    ready.append(u)
        if len(out) < len(nodes):
            stuck = {n for n in nodes if remaining[n] > 0}
            reported: set[str] = set()
            for start in [n for n in nodes if n in stuck]:
                if start in reported:
                    continue
                cycle = _find_cycle(start, deps, stuck)
                if cycle is None or reported & set(cycle):
                    continue
                if must_include is not None and not must_include & set(cycle):
                    continue  # a loop among auxiliaries alone is reported once, as E020
                reported |= set(cycle)
                names = " -> ".join(self.display(c) for c in cycle + [cycle[0]])
                decl = self.decls.get(self.owner_of(cycle[0]))
                self.err(code, f"{what}: {names}", decl.span if decl else None, hint)
        return tuple(out)

    @property
    def origins(self) -> dict[str, G.HiddenOrigin]:
        made: list[G.Stock | G.Aux] = [*self.hidden_stocks, *self.hidden_auxes]
        return {x.id: x.origin for x in made if x.origin is not None}

    def owner_of(self, cid: str) -> str:
        origin = self.origins.get(cid)
        return origin.owner if origin is not None else cid

    def display(self, cid: str) -> str:
        d = self.decls.get(cid)
        if d is not None:
            return d.name
        origin = self.origins.get(cid)
        if origin is None:
            return cid
        od = self.decls.get(origin.owner)
        return f"{od.name if od else origin.owner} (inside its {origin.function})"


def _find_cycle(start: str, deps: dict[str, set[str]], stuck: set[str]) -> list[str] | None:
    path: list[str] = []
    index: dict[str, int] = {}
    node = start
    while node not in index:
        index[node] = len(path)
        path.append(node)
        nxt = sorted(d for d in deps[node] if d in stuck)
        if not nxt:
            return None
        node = nxt[0]
    return path[index[node]:]
