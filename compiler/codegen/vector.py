"""Arrays kept as arrays in the generated JAX code: the elements of one arrayed declaration
whose equations have the same form are computed by one array operation, not one scalar
operation each, so a step's program grows with the number of equations, not of elements.

The arrays pass writes every element out as its own scalar equation (units, conservation and
every check work per element). Here those equations are grouped again: two elements share a
form when their sympy trees are the same but for which variables stand at the leaves. One
element's closure then runs once on vectors: each leaf is a slice (or a gather) of the state,
the parameters or an earlier group's result. An element whose equation differs (the first of
a chain, a per-element table entry) stays scalar, so the numbers are those of the scalar code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy.core.function import UndefinedFunction

from .backend import join, stack
from .emit import Emitter, Env, Fn, _sum

MAX_PIECES = 8  # a leaf gathered from more pieces than XLA:CPU fuses in one concatenate is not worth it
Segment = tuple[Any, ...]  # ("slice", source, lo, hi) | ("take", source, indices) | ("env", names)


class LazyEnv(dict):
    """Values by name. An element of a vector (the state, the parameters, a group's result) is
    sliced out only when scalar code asks for it, so a vectorised step never slices them all."""

    def __init__(self, where: dict[str, tuple[Any, int]], vectors: dict[Any, Any], items: Iterable = ()):
        super().__init__(items)
        self.where = where
        self.vectors = vectors

    def __missing__(self, name: str) -> Any:
        source, i = self.where[name]
        v = self.vectors[source][i]
        dict.__setitem__(self, name, v)
        return v

    def copy(self) -> LazyEnv:
        return LazyEnv(self.where, dict(self.vectors), dict.items(self))


@dataclass(frozen=True)
class Group:
    """Elements computed together: `fn` is the first element's closure, and `leaves` says where
    each of its variables' values come from for every element."""

    source: int
    names: tuple[str, ...]
    fn: Any
    leaves: tuple[tuple[str, tuple[Segment, ...] | None], ...]  # (the first element's name, how to gather)


def form(e: sympy.Basic, symbols: dict[str, int], tables: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """The tree of `e` with each variable replaced by the order it first appears in: equal forms
    are computed by the same closure. Numbers and functions are part of the form, and so is
    each lookup, by name, or by the shape of its table where `tables` gives one (lookups with
    tables of one shape are then one stacked operation: codegen.stacked)."""
    if isinstance(e, sympy.Symbol):
        return ("S", symbols.setdefault(e.name, len(symbols)))
    if isinstance(e, (sympy.Number, sympy.NumberSymbol)):
        return ("N", type(e).__name__, float(e))
    if e is sympy.true or e is sympy.false:
        return ("B", bool(e))
    name = e.func.__name__ if isinstance(e.func, UndefinedFunction) else type(e).__name__
    key = (tables or {}).get(name, name) if isinstance(e.func, UndefinedFunction) else name
    return (key, *(form(a, symbols, tables) for a in e.args))


def schedule(order: list[str], exprs: dict[str, sympy.Basic], arrays: list[tuple[str, ...]],
             fixed: set[str], tables: dict[str, Any] | None = None) -> list[str | list[tuple[str, list[str]]]]:
    """The evaluation order, with each group of same-form elements of an array as one step,
    placed where its first element was, when everything its elements read is ready there.
    Names in `fixed` (changed after they are computed: scaled flows) stay scalar."""
    array_of = {n: k for k, names in enumerate(arrays) for n in names}
    computed = set(order)
    done: set[str] = set()
    tried: set[int] = set()
    steps: list[str | list[tuple[str, list[str]]]] = []
    for n in order:
        k = array_of.get(n)
        if n not in done and k is not None and k not in tried and n not in fixed:
            tried.add(k)
            for part in _same_form([m for m in arrays[k] if m in computed and m not in fixed], exprs, tables):
                inside = {m for m, _ in part}
                ready = [(m, syms) for m, syms in part
                         if all((s not in computed or s in done) and s not in inside for s in syms)]
                if len(ready) >= 2:
                    steps.append(ready)
                    done.update(m for m, _ in ready)
        if n not in done:
            steps.append(n)
            done.add(n)
    return steps


def _same_form(names: list[str], exprs: dict[str, sympy.Basic], tables: dict[str, Any] | None
               ) -> list[list[tuple[str, list[str]]]]:
    parts: dict[tuple[Any, ...], list[tuple[str, list[str]]]] = {}
    for m in names:
        symbols: dict[str, int] = {}
        key = form(exprs[m], symbols, tables)
        parts.setdefault(key, []).append((m, list(symbols)))
    return list(parts.values())


class Gatherer:
    """Where each name's value lives (a vector source and a position), and the segments that
    build a vector of several names from slices of those sources."""

    def __init__(self, xp: Any, dynamic: set[str]):
        self.xp = xp
        self.where: dict[str, tuple[Any, int]] = {}
        self.dynamic = dynamic  # changed after they are computed (caps, scenario blends): read from env

    def add(self, source: Any, names: Iterable[str]) -> None:
        for i, n in enumerate(names):
            self.where[n] = (source, i)

    def plan(self, names: list[str]) -> tuple[Segment, ...]:
        """Segments that build a vector of `names`."""
        segments: list[Segment] = []
        for n in names:
            loc = None if n in self.dynamic else self.where.get(n)
            last = segments[-1] if segments else None
            if loc is None:
                if last is not None and last[0] == "env":
                    last[1].append(n)
                else:
                    segments.append(("env", [n]))
            elif last is not None and last[0] == "take" and last[1] == loc[0]:
                last[2].append(loc[1])
            else:
                segments.append(("take", loc[0], [loc[1]]))
        return tuple(_tidy(s) for s in segments)

    def run(self, plan: tuple[Segment, ...], env: LazyEnv) -> Any:
        xp = self.xp
        if not plan:
            return xp.zeros((0,), dtype=xp.float64)
        parts = []
        for seg in plan:
            if seg[0] == "slice":
                parts.append(env.vectors[seg[1]][seg[2]:seg[3]])
            elif seg[0] == "take":
                parts.append(env.vectors[seg[1]][seg[2]])
            else:
                parts.append(stack(xp, [env[n] for n in seg[1]]))
        return parts[0] if len(parts) == 1 else join(xp, parts)


def _tidy(seg: Segment) -> Segment:
    """A run of consecutive positions is a slice; any other list of positions one gather."""
    if seg[0] == "env":
        return ("env", tuple(seg[1]))
    idx = seg[2]
    if idx == list(range(idx[0], idx[0] + len(idx))):
        return ("slice", seg[1], idx[0], idx[0] + len(idx))
    return ("take", seg[1], np.asarray(idx))


def group_of(gather: Gatherer, source: int, members: list[tuple[str, list[str]]], fn: Any) -> Group | None:
    """The members as one group, or None where a leaf would be built mostly from scalars (values
    changed after they are computed) or from many pieces: that costs more than it saves. A
    few scalars (the end of a chain) are gathered with the rest."""
    first = members[0][1]
    leaves = []
    for j, name in enumerate(first):
        names = [syms[j] for _, syms in members]
        plan = None if len(set(names)) == 1 else gather.plan(names)  # one name for all: a scalar
        if plan is not None and (len(plan) > MAX_PIECES or
                                 sum(len(seg[1]) for seg in plan if seg[0] == "env") > len(members) // 4):
            return None
        leaves.append((name, plan))
    gather.add(source, [m for m, _ in members])
    return Group(source, tuple(m for m, _ in members), fn, tuple(leaves))


def evaluate_group(gather: Gatherer, g: Group, env: LazyEnv) -> None:
    """The group's vector, from its leaves gathered as vectors (a leaf the same for every
    element stays a scalar and broadcasts)."""
    xp = gather.xp
    values = {name: env[name] if plan is None else gather.run(plan, env) for name, plan in g.leaves}
    out = xp.asarray(g.fn(values), dtype=xp.float64)
    env.vectors[g.source] = xp.broadcast_to(out, (len(g.names),))


MIN_SUM = 8  # a sum of at least this many variables is one reduction over a gathered vector


class SumEmitter(Emitter):
    """The scalar steps' emitter: a long sum of variables (a `sum` over a dimension) is one
    reduction over their vector instead of a chain of additions, so its size does not grow with
    the elements. Only its rounding can differ from the chain's (the tests hold it to 1e-12)."""

    def __init__(self, xp: Any, lookups: dict[str, Any], gather: Gatherer):
        super().__init__(xp, lookups)
        self.gather = gather

    def _Add(self, e: sympy.Add) -> Fn:
        names = [a.name for a in e.args if isinstance(a, sympy.Symbol)]
        if len(names) < MIN_SUM:
            return super()._Add(e)
        rest = [self(a) for a in e.args if not isinstance(a, sympy.Symbol)]
        gather, xp = self.gather, self.xp
        plan: list[tuple[Segment, ...]] = []

        def total(env: Env) -> Any:
            if not plan:  # planned when first run: every vector source is known by then
                plan.append(gather.plan(names))
            assert isinstance(env, LazyEnv)  # scalar steps run on one
            return xp.sum(gather.run(plan[0], env))

        return _sum([total, *rest])
