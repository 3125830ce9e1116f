"""Non-negative stocks: what drains one is scaled down so that a step cannot take it below
zero, and the scaled flow is used at both ends, so conservation still holds exactly.

A stock's supply counts what flows in, and an inflow can be what drains another capped
stock, cut in turn. So the factors are a fixed point: each stock's factor is the share of
its drain that its content and its inflows, as the other factors leave them, cover. It is
found from below. The first guess is 1 for a stock whose content covers its drain and 0 for
the rest. Then passes over the caps set each factor from the latest of the others. Each
factor can only rise, and no inflow is counted at more than it will be. So every pass keeps
every stock at or above zero. The old way cut each stock in turn, from above, on the flows
as the caps before it left them. A later cap could cut an inflow that an earlier one had
counted on, and the stock went negative."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

import numpy as np
import sympy

from ..ir.model import CheckedModel
from .backend import barrier
from .emit import Env

# Passes over the caps: forwards, then backwards. Two reach the fixed point wherever the
# stocks short at once form chains in the order of the stocks, either way; elsewhere a flow
# can stay cut a little more than it need be, never less. A fixed count, so that every
# backend does the same arithmetic and XLA compiles no loop.
PASSES = 2


@dataclass(frozen=True)
class Cap:
    """Scales down what drains a non-negative stock so one step cannot take it below zero.

    What drains a stock is its positive outflows and its negative inflows. The scaled flow is
    used at both of its ends, so conservation still holds exactly.
    """
    stock: str
    ins: tuple[tuple[str, float], ...]  # (flow, units factor at this stock)
    outs: tuple[tuple[str, float], ...]
    xp: Any

    def drain(self, env: Env) -> Any:
        xp = self.xp
        add = _jax().add if _on_jax(xp) else operator.add
        return add(_total([_part(xp, env[f], c, 1.0) for f, c in self.outs], add),
                   _total([_part(xp, env[f], c, -1.0) for f, c in self.ins], add))

    def apply(self, env: Env, k: Any) -> None:
        xp = self.xp
        if _on_jax(xp):
            for f, _ in self.outs:
                env[f] = _jax().cut(env[f], k, 1.0)
            for f, _ in self.ins:
                env[f] = _jax().cut(env[f], k, -1.0)
            return
        for f, _ in self.outs:
            env[f] = xp.where(env[f] > 0, env[f] * k, env[f])
        for f, _ in self.ins:
            env[f] = xp.where(env[f] < 0, env[f] * k, env[f])


def _on_jax(xp: Any) -> bool:
    return bool(xp.__name__.startswith("jax"))


def _jax() -> Any:
    from . import caps_jax

    return caps_jax


def _part(xp: Any, flow: Any, c: float, sign: float) -> Any:
    """c times the flow's positive part (sign 1) or negative part (sign -1)."""
    if _on_jax(xp):
        return _jax().part(flow, c, sign)
    v = flow if sign > 0 else -flow
    if type(v) is np.float64:  # one run on NumPy: np.maximum's arithmetic, NaN kept, sans dispatch
        return c * (v if (v >= 0.0 or v != v) else _ZERO)
    return c * xp.maximum(v, 0.0)


_ZERO = np.float64(0.0)


def _total(terms: list[Any], add: Any = operator.add) -> Any:
    """The terms added in order (JavaScript's runtime adds them in the same order)."""
    return reduce(add, terms) if terms else 0.0


def _ratio(xp: Any, drain: Any, supply: Any) -> Any:
    """The factor that cuts the drain back to the supply, where it exceeds it; else 1."""
    if _on_jax(xp):
        return _jax().ratio(drain, supply)
    short = (drain > supply) & (drain > 0)
    # Divide only where the ratio is used and lies in (-inf, 1): no overflow warnings.
    return xp.where(short, xp.clip(supply / xp.where(short, drain, 1.0), 0.0, 1.0), 1.0)


def _every(x: Any) -> bool:
    """Whether every element holds: a single truth value as it is (np.all costs microseconds)."""
    return bool(x) if type(x) in (bool, np.bool_) else bool(np.all(x))


def passes(caps: list[Cap]) -> int:
    return min(len(caps), PASSES)


class Caps(list):
    """A model's caps, in the order of its stocks, with what each stock's supply counts."""

    @cached_property
    def terms(self) -> tuple[tuple[tuple[str, float, float, int | None], ...], ...]:
        """Per cap, its supply's terms (flow, sign of the part, units factor, the cap whose
        factor scales that part: the cap of the stock it drains, None for none)."""
        src = {f: i for i, c in enumerate(self) for f, _ in c.outs}  # its positive part drains
        dst = {f: i for i, c in enumerate(self) for f, _ in c.ins}  # its negative part drains
        return tuple(tuple((f, 1.0, c, src.get(f)) for f, c in cap.ins) +
                     tuple((f, -1.0, c, dst.get(f)) for f, c in cap.outs) for cap in self)


def factors(caps: Caps, env: Env, xp: Any) -> list[Any] | None:
    """Each cap's factor: the fixed point from below, by passes over the caps in turn
    (forwards, then backwards), each factor from the latest of the others. None on NumPy
    when every stock covers its own drain: every factor would be 1."""
    numpy = not _on_jax(xp)
    add, mul, div = (operator.add, operator.mul, operator.truediv) if numpy else (_jax().add, _jax().mul, _jax().div)
    bases = [div(env[c.stock], env["dt"]) for c in caps]
    drains = [c.drain(env) for c in caps]
    if numpy:
        own = [d <= b for d, b in zip(drains, bases, strict=True)]
        if all(_every(ok) for ok in own):
            return None
        k = [xp.where(ok, 1.0, 0.0) for ok in own]
    else:
        k = [_jax().covered(d, b) for d, b in zip(drains, bases, strict=True)]
    fixed, moving = [], []
    for b, terms in zip(bases, caps.terms, strict=True):
        fixed.append(add(b, _total([_part(xp, env[f], c, sign) for f, sign, c, by in terms if by is None], add)))
        moving.append([(_part(xp, env[f], c, sign), by) for f, sign, c, by in terms if by is not None])
    order = list(range(len(caps)))
    for p in range(passes(caps)):
        changed = False
        # a pass starts where the last ended: that cap's factor would come out the same
        for i in (order if p % 2 == 0 else order[::-1])[1 if p else 0:]:
            supply = add(fixed[i], _total([mul(part, k[by]) for part, by in moving[i]], add))
            new = _ratio(xp, drains[i], supply)
            changed = changed or (numpy and not _every(new == k[i]))
            k[i] = new
        if numpy and not changed:
            break  # a pass that changes nothing: every later one would repeat it
    return k


def cut_back(caps: Caps, env: Env, xp: Any) -> None:
    """Cuts back what drains each capped stock by its factor. Under JAX the factors pass a
    barrier first, so that each step is two fused kernels instead of every derivative
    recomputing the passes."""
    k = factors(caps, env, xp) if caps else None
    if k is None:
        return
    for cap, f in zip(caps, barrier(xp, k), strict=True):
        cap.apply(env, f)


def caps_of(model: CheckedModel, xp: Any) -> Caps:
    out = Caps()
    for s in model.graph.stocks:
        if not s.non_negative or not (s.outflows or s.inflows):
            continue
        ins = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.inflows)
        outs = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.outflows)
        out.append(Cap(s.id, ins, outs, xp))
    return out
