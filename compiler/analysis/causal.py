"""The causal graph of a checked model: who influences whom, and with what sign.

An edge x -> y means y's equation (or, for a stock, its rate of change) uses x. Its polarity
is the sign of the partial derivative, decided symbolically by sympy where it can be, under
what the spec says about signs: parameters have the sign of their value, `non_negative`
stocks and flows are >= 0, and auxiliaries are replaced by their (bounded) inlined equations.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import sympy

from ..codegen.build import build
from ..ir.graph import HiddenOrigin, Kind
from ..ir.model import DT_SYM, TIME_SYM, CheckedModel

_MAX_INLINED_OPS = 300


class Sign(Enum):
    POSITIVE = "+"
    NEGATIVE = "-"
    UNKNOWN = "?"


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    target: str
    sign: Sign  # decided symbolically
    sign_at_start: Sign  # the partial derivative's sign at the start of a run with default values
    value_at_start: float | None = None  # that partial derivative's value (None where unknown)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    name: str
    kind: Kind
    hidden: bool


@dataclass(frozen=True, slots=True)
class CausalGraph:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    _by_id: dict[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # `node` is asked once a loop's node: a scan each was quadratic
        object.__setattr__(self, "_by_id", {n.id: n for n in reversed(self.nodes)})

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    def visible_inputs(self, target: str) -> list[tuple[str, Sign]]:
        """What `target` depends on, seen through hidden stocks (smooth, delay, accumulators).
        A sign is kept for direct links only."""
        into: dict[str, list[str]] = {}
        for link in self.links:
            into.setdefault(link.target, []).append(link.source)
        direct = {link.source: link.sign for link in self.links if link.target == target}
        return [(n, direct.get(n, Sign.UNKNOWN)) for n in self._through_hidden(list(direct), into)]

    def visible_outputs(self, source: str) -> list[str]:
        """What `source` feeds, seen through hidden stocks."""
        users: dict[str, list[str]] = {}
        for link in self.links:
            users.setdefault(link.source, []).append(link.target)
        return self._through_hidden(users.get(source, []), users)

    def _through_hidden(self, start: list[str], step: dict[str, list[str]]) -> list[str]:
        """Visible nodes reached from `start`, following `step` only through hidden nodes."""
        hidden = {n.id for n in self.nodes if n.hidden}
        out, seen, queue = [], set(), deque(start)
        while queue:
            node = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            if node in hidden:
                queue.extend(step.get(node, []))
            else:
                out.append(node)
        return out


def causal_graph(model: CheckedModel) -> CausalGraph:
    g = model.graph
    nodes = [Node(s.id, _name(s.display, s.origin), Kind.STOCK, s.hidden) for s in g.stocks]
    nodes += [Node(f.id, f.display, Kind.FLOW, False) for f in g.flows]
    nodes += [Node(a.id, _name(a.display, a.origin), Kind.AUX, a.hidden) for a in g.auxes]
    nodes += [Node(p.id, p.display, Kind.PARAM, False) for p in g.params]
    known = {n.id for n in nodes}
    exprs: dict[str, sympy.Expr] = dict(model.equations)
    exprs.update({s.id: model.derivatives[s.id] for s in g.stocks})
    signs = _SignOracle(model)
    links = []
    for target, e in exprs.items():
        parts = _terms_by_symbol(e)
        for x in sorted(e.free_symbols, key=lambda s: s.name):
            if x.name in known:
                d = _partial(e, x) if parts is None else sympy.Add(*[_partial(t, x) for t in parts[x]])
                value = signs.value_at_start(d)
                links.append(Link(x.name, target, signs.symbolic(d), _sign_of(value), value))
    return CausalGraph(tuple(nodes), tuple(links))


def _partial(e: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """d e / d x. A product with `x` as a plain factor (`stock * rate * multiplier`, most flows)
    is the product of the other factors, what sympy's `diff` finds in a millisecond a term."""
    if e == x:
        return sympy.Integer(1)
    if isinstance(e, sympy.Mul):
        hits = [i for i, a in enumerate(e.args) if x in a.free_symbols]
        if len(hits) == 1 and e.args[hits[0]] == x:
            return sympy.Mul(*(a for i, a in enumerate(e.args) if i != hits[0]))
    return sympy.diff(e, x)


def _terms_by_symbol(e: sympy.Expr) -> dict[sympy.Symbol, list[sympy.Expr]] | None:
    """For a sum (`sum(x[i!])` over 3,200 elements, a stock's flows), the terms each symbol is
    in: its derivative is theirs alone, as sympy would find it. sympy's `diff` of the whole
    sum, once a symbol, walked every term each time, quadratic in the sum's length."""
    if not isinstance(e, sympy.Add):
        return None
    out: dict[sympy.Symbol, list[sympy.Expr]] = {}
    for t in e.args:
        for x in t.free_symbols:
            out.setdefault(x, []).append(t)
    return out


def _steps_bounded(e: sympy.Expr) -> sympy.Expr:
    """Each Heaviside step as a symbol in [0, 1], which sympy cannot see of Heaviside itself:
    the derivative of `min(waiting / 1 week, capacity)` is a step, and the loop through it
    balancing, not undetermined. One symbol per distinct step, so that a step less itself
    stays of unknown sign."""
    steps = e.atoms(sympy.Heaviside)
    if not steps:
        return e
    return e.xreplace({h: sympy.Dummy(f"step{i}", nonnegative=True) for i, h in enumerate(steps)})


def _sign_of(v: float | None) -> Sign:
    if v is None or v == 0:
        return Sign.UNKNOWN
    return Sign.POSITIVE if v > 0 else Sign.NEGATIVE


def _name(display: str, origin: HiddenOrigin | None) -> str:
    return display if origin is None else f"{origin.owner} ({origin.function} stage)"


class _SignOracle:
    def __init__(self, model: CheckedModel):
        g = model.graph
        self.model = model
        assume: dict[sympy.Symbol, sympy.Symbol] = {}
        for p in g.params:
            lo_ok = p.bounds is None or p.bounds[0] >= 0
            if p.value > 0 and lo_ok:
                assume[sympy.Symbol(p.id)] = sympy.Symbol(p.id, positive=True)
            elif p.value >= 0 and lo_ok:
                assume[sympy.Symbol(p.id)] = sympy.Symbol(p.id, nonnegative=True)
            elif p.value < 0 and (p.bounds is None or p.bounds[1] < 0):
                assume[sympy.Symbol(p.id)] = sympy.Symbol(p.id, negative=True)
        for s in g.stocks:
            if s.non_negative:
                assume[sympy.Symbol(s.id)] = sympy.Symbol(s.id, nonnegative=True)
        for f in g.flows:
            if f.non_negative:
                assume[sympy.Symbol(f.id)] = sympy.Symbol(f.id, nonnegative=True)
        assume[DT_SYM] = sympy.Symbol("dt", positive=True)
        if g.time.start >= 0:
            assume[TIME_SYM] = sympy.Symbol("time", nonnegative=True)
        # Auxiliaries replaced by their equations (bounded), so signs can be seen through them.
        inline: dict[sympy.Symbol, sympy.Expr] = {}
        auxes = {a.id for a in g.auxes}
        for n in g.order:
            e = model.equations[n]
            if n in auxes and sympy.count_ops(e) <= _MAX_INLINED_OPS:
                full = e.xreplace(inline)
                if sympy.count_ops(full) <= _MAX_INLINED_OPS:
                    inline[sympy.Symbol(n)] = full
        self.inline = {k: v.xreplace(assume) for k, v in inline.items()}
        self.assume = assume
        self._start: dict[str, object] | None = None
        # A model's links share few derivatives (a flow into a stock is 1; each authority's
        # escalation, `rate[from, to] * multiplier`, is the same for all 320): each is judged once.
        self._signs: dict[sympy.Expr, Sign] = {}
        self._values: dict[sympy.Expr, float | None] = {}

    def symbolic(self, d: sympy.Expr) -> Sign:
        if d not in self._signs:
            fast = self.product_sign(d)
            self._signs[d] = self._symbolic(d) if fast is None else fast
        return self._signs[d]

    def product_sign(self, d: sympy.Expr) -> Sign | None:
        """The sign of a product of numbers and symbols of known sign (`children[a1, from] *
        multiplier`, a flow's link from its rate: 3,840 of them at 320 authorities), which
        sympy's assumptions take a millisecond to find; None for anything else."""
        negative = False
        for f in d.args if isinstance(d, sympy.Mul) else (d,):
            if f.is_Number:
                if f == 0 or not f.is_real:
                    return None
                negative ^= bool(f < 0)
                continue
            known = self.assume.get(f) if isinstance(f, sympy.Symbol) and f not in self.inline else None
            if known is None:
                return None
            if known.is_negative:
                negative = not negative
            elif not known.is_nonnegative:
                return None
        return Sign.NEGATIVE if negative else Sign.POSITIVE

    def _symbolic(self, d: sympy.Expr) -> Sign:
        try:
            e = _steps_bounded(d.xreplace(self.inline).xreplace(self.assume))
            # A link's polarity is the sign of the partial derivative where it is not zero.
            if e != 0 and e.is_nonnegative:
                return Sign.POSITIVE
            if e != 0 and e.is_nonpositive:
                return Sign.NEGATIVE
        except (TypeError, ValueError, RecursionError):
            pass
        return Sign.UNKNOWN

    def value_at_start(self, d: sympy.Expr) -> float | None:
        """The partial derivative's value at the start of a run with the spec's values."""
        if d not in self._values:
            self._values[d] = self._value_at_start(d)
        return self._values[d]

    def _value_at_start(self, d: sympy.Expr) -> float | None:
        env = self.start_env()
        if env is None:
            return None
        from ..codegen.emit import Emitter

        try:
            with np.errstate(all="ignore"):
                v = float(Emitter(np, {lk.id: lk for lk in self.model.graph.lookups})(d)(env))
        except (KeyError, TypeError, ValueError, NotImplementedError):
            return None
        return v if np.isfinite(v) else None

    def start_env(self) -> dict[str, object] | None:
        if self._start is None:
            g = self.model.graph
            fns = build(self.model, np)
            params = np.array([p.value for p in g.params], dtype=np.float64)
            zeros = np.zeros(fns.layout.n_state)
            with np.errstate(all="ignore"):
                try:
                    y0 = np.asarray(fns.init(params, g.time.start, g.time.dt, zeros, zeros.astype(bool)))
                    prep = fns.prepare(params, g.time.dt)
                    outs = fns.rhs(y0, g.time.start, prep)[1]
                except (ValueError, ZeroDivisionError, FloatingPointError):
                    self._start = {}
                    return None
            env: dict[str, object] = dict(fns.constants(prep))
            env["time"] = g.time.start
            env.update(zip(fns.layout.outputs, outs, strict=True))
            self._start = env
        return self._start or None
