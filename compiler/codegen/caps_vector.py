"""The caps of an arrayed model as array operations on JAX (codegen.caps for their meaning).

Caps run in passes over the stocks in order, each factor from the latest of the others, so
they are sequential; but stocks whose caps never read one another's factors (each authority's
four levels, say) form separate chains that can run side by side. Where every such chain has
the same shape, cap j of every chain is one vector operation, and each vector holds exactly
the numbers the scalar passes give: within a chain the order is the same, and chains do not
meet. (The second pass's first cap, skipped by the scalar passes where it is the model's
last, is recomputed in the other chains from values unchanged since, so it comes out the
same.) Per element, the caps cost tens of scalar operations in every derivative; traced for a
calibration's gradient, 32 capped stocks took 20 s to compile, and a model of 32 authorities
far more. Where the chains differ in shape, the scalar caps run as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from jax import numpy as jnp

from . import caps_jax as L
from .backend import barrier, join
from .caps import Caps, passes
from .vector import Gatherer, LazyEnv, Segment

MIN_CHAINS = 2  # fewer chains than this: the scalar caps are as short


@dataclass(frozen=True)
class Slot:
    """One term of position j in every chain: the flows (one a chain), their units factors,
    and (for a supply term) the position whose factor scales it, or None."""

    flows: tuple[str, ...]
    factors: np.ndarray
    sign: float
    by: int | None


@dataclass(frozen=True)
class Position:
    stocks: tuple[str, ...]  # the j-th capped stock of every chain
    outs: tuple[Slot, ...]
    ins: tuple[Slot, ...]
    terms: tuple[Slot, ...]  # its supply's terms, as Caps.terms orders them


def chains(caps: Caps) -> list[list[int]] | None:
    """The caps as chains that read none of one another's factors, each in stock order; None
    unless there are several and all have the same shape."""
    parent = list(range(len(caps)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, terms in enumerate(caps.terms):
        for *_, by in terms:
            if by is not None:
                parent[root(i)] = root(by)
    found: dict[int, list[int]] = {}
    for i in range(len(caps)):
        found.setdefault(root(i), []).append(i)
    out = list(found.values())
    if len(out) < MIN_CHAINS or len({len(c) for c in out}) != 1:
        return None
    where = {i: (k, j) for k, c in enumerate(out) for j, i in enumerate(c)}
    shape = [_shape(caps, c, where) for c in out]
    return out if all(s == shape[0] for s in shape) else None


def _shape(caps: Caps, chain: list[int], where: dict[int, tuple[int, int]]) -> tuple[Any, ...]:
    return tuple((len(caps[i].outs), len(caps[i].ins),
                  tuple((sign, None if by is None else where[by][1]) for _, sign, _, by in caps.terms[i]))
                 for i in chain)


def positions(caps: Caps, found: list[list[int]]) -> tuple[Position, ...]:
    """Position j of every chain: its stocks, drains and supply terms, each a vector across
    the chains."""
    index = {i: n for n, i in enumerate(found[0])}  # a cap's position in its chain (all chains alike)
    out = []
    for j in range(len(found[0])):
        at = [caps[c[j]] for c in found]
        terms = [caps.terms[c[j]] for c in found]
        supply = []
        for s, (_, sign, _, by) in enumerate(terms[0]):
            supply.append(Slot(tuple(t[s][0] for t in terms), np.array([t[s][2] for t in terms]), sign,
                               None if by is None else index[by]))
        out.append(Position(tuple(c.stock for c in at), _slots([c.outs for c in at], 1.0),
                            _slots([c.ins for c in at], -1.0), tuple(supply)))
    return tuple(out)


def _slots(lists: list[tuple[tuple[str, float], ...]], sign: float) -> tuple[Slot, ...]:
    """The s-th (flow, factor) of every chain's list, for each s."""
    return tuple(Slot(tuple(x[s][0] for x in lists), np.array([x[s][1] for x in lists]), sign, None)
                 for s in range(len(lists[0])))


class VectorCaps:
    """Cuts back every capped stock's drain, chain positions as vectors."""

    def __init__(self, caps: Caps, found: list[list[int]], gather: Gatherer):
        self.caps, self.gather = caps, gather
        self.at = positions(caps, found)
        self.n_passes = passes(caps)
        self.chains = len(found)
        self._plans: dict[tuple[str, ...], tuple[Segment, ...]] = {}
        self._writes: list[Any] | None = None

    def _read(self, names: tuple[str, ...], env: LazyEnv) -> Any:
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plans[names] = self.gather.plan(list(names))
        return self.gather.run(plan, env)

    def _part(self, slot: Slot, env: LazyEnv) -> Any:
        return L.part(self._read(slot.flows, env), slot.factors, slot.sign)

    def __call__(self, env: LazyEnv) -> None:
        dt = env["dt"]
        bases = [_div(self._read(p.stocks, env), dt) for p in self.at]
        drains = [_add(_total([self._part(s, env) for s in p.outs]), _total([self._part(s, env) for s in p.ins]))
                  for p in self.at]
        k = [L.covered(d, b) for d, b in zip(drains, bases, strict=True)]
        fixed = [_add(b, _total([self._part(s, env) for s in p.terms if s.by is None]))
                 for b, p in zip(bases, self.at, strict=True)]
        moving = [[(self._part(s, env), s.by) for s in p.terms if s.by is not None] for p in self.at]
        order = list(range(len(self.at)))
        for n in range(self.n_passes):
            for j in (order if n % 2 == 0 else order[::-1])[1 if n else 0:]:
                supply = _add(fixed[j], _total([L.mul(part, k[by]) for part, by in moving[j]]))
                k[j] = L.ratio(drains[j], supply)
        self._cut(env, barrier(self.gather.xp, k))

    def _cut(self, env: LazyEnv, k: list[Any]) -> None:
        """Each capped flow scaled by the factor of the stock it drains: a group's vector at
        once, with a factor of 1 where an element drains no capped stock."""
        xp = self.gather.xp
        flat = join(xp, [*k, xp.ones((1,), dtype=xp.float64)])
        for source, src, dst, scalars in self._targets():
            if source is None:  # flows computed one by one: cut one by one
                for name, s, d in scalars:
                    env[name] = L.cut(L.cut(env[name], flat[s], 1.0), flat[d], -1.0)
                continue
            v = env.vectors[source]
            env.vectors[source] = L.cut(L.cut(v, flat[src], 1.0), flat[dst], -1.0)
            for name in scalars:
                dict.pop(env, name, None)  # a scalar sliced before the cut: slice it again

    def _targets(self) -> list[Any]:
        if self._writes is not None:
            return self._writes
        m, one = self.chains, len(self.at) * self.chains  # `one`: the index of the factor 1
        src: dict[str, int] = {}
        dst: dict[str, int] = {}
        for j, p in enumerate(self.at):
            for slot in p.outs:
                src.update((f, j * m + c) for c, f in enumerate(slot.flows))
            for slot in p.ins:
                dst.update((f, j * m + c) for c, f in enumerate(slot.flows))
        sources: dict[Any, None] = {}  # the group vectors holding capped flows, in order
        loose = []
        for f in dict.fromkeys([*src, *dst]):
            loc = self.gather.where.get(f)
            if loc is None or f in self.gather.dynamic:
                loose.append((f, src.get(f, one), dst.get(f, one)))
            else:
                sources[loc[0]] = None
        writes: list[Any] = [(None, None, None, loose)] if loose else []
        members: dict[Any, list[tuple[int, str]]] = {}
        for name, (source, i) in self.gather.where.items():
            members.setdefault(source, []).append((i, name))
        for source in sources:
            names = [n for _, n in sorted(members[source])]
            writes.append((source, np.array([src.get(n, one) for n in names]),
                           np.array([dst.get(n, one) for n in names]), tuple(names)))
        self._writes = writes
        return writes


def _total(terms: list[Any]) -> Any:
    """The terms added in order, as codegen.caps adds them."""
    out = terms[0] if terms else 0.0
    for t in terms[1:]:
        out = L.add(out, t)
    return out


def _add(a: Any, b: Any) -> Any:
    """lax's add, a number broadcast to a vector beside it (lax itself broadcasts nothing)."""
    return L.add(*jnp.broadcast_arrays(L.value(a), L.value(b)))


def _div(a: Any, b: Any) -> Any:
    return L.div(*jnp.broadcast_arrays(L.value(a), L.value(b)))
