"""Non-negative stocks: what drains one is scaled down so that a step cannot take it below
zero, and the scaled flow is used at both ends, so conservation still holds exactly."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

import numpy as np
import sympy

from ..ir.model import CheckedModel
from .backend import barrier
from .emit import Emitter, Env


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

    def factor(self, env: Env) -> Any:
        base = env[self.stock] / env["dt"]
        return _ratio(self.xp, self._drain(env), self._supply(env, base))

    def _drain(self, env: Env) -> Any:
        xp = self.xp
        return _total([_part(xp, env[f], c, 1.0) for f, c in self.outs]) + \
            _total([_part(xp, env[f], c, -1.0) for f, c in self.ins])

    def _supply(self, env: Env, base: Any) -> Any:
        xp = self.xp
        return base + _total([_part(xp, env[f], c, 1.0) for f, c in self.ins]) + \
            _total([_part(xp, env[f], c, -1.0) for f, c in self.outs])

    def apply(self, env: Env, k: Any) -> None:
        xp = self.xp
        for f, _ in self.outs:
            env[f] = xp.where(env[f] > 0, env[f] * k, env[f])
        for f, _ in self.ins:
            env[f] = xp.where(env[f] < 0, env[f] * k, env[f])

    def cut(self, env: Env) -> None:
        """factor and apply at once, on NumPy, where no barrier stands between them. Where the
        stock alone covers the drain in every run (the usual step) nothing is cut: the supply
        is at least the stock, and a factor of 1 would leave every flow as it is. For runs side
        by side the stock's flows are one array, a few calls for the cap instead of several a
        flow, with the same arithmetic in the same order, so the same numbers."""
        rows = [env[f] for f, _ in self.outs + self.ins]
        base = env[self.stock] / env["dt"]
        if not (self._stackable and all(type(r) is np.ndarray and r.ndim == 1 and r.shape[0] > 1 for r in rows)):
            drain = self._drain(env)
            if _covered(drain, base):
                return
            self.apply(env, _ratio(self.xp, drain, self._supply(env, base)))
            return
        flows, o = np.array(rows, dtype=np.float64), len(self.outs)
        out, into = flows[:o], flows[o:]
        # a sum over the first axis adds the rows in order, as _total does (rows of 2+ runs)
        drain = self._scaled(np.maximum(out, 0.0), 0).sum(axis=0) + self._scaled(np.maximum(-into, 0.0), o).sum(axis=0)
        if _covered(drain, base):
            return
        supply = base + self._scaled(np.maximum(into, 0.0), o).sum(axis=0) + \
            self._scaled(np.maximum(-out, 0.0), 0).sum(axis=0)
        k = _ratio(self.xp, drain, supply)
        cut = np.concatenate([np.where(out > 0, out * k, out), np.where(into < 0, into * k, into)])
        for i, (f, _) in enumerate(self.outs + self.ins):
            env[f] = cut[i]

    def _scaled(self, parts: np.ndarray, at: int) -> np.ndarray:
        """Rows of positive or negative parts times their units factors (outs from 0, ins from
        len(outs)); factors of 1, the usual case, cost nothing."""
        c = self._coefficients
        return parts if self._unit_factors else parts * c[at:at + parts.shape[0]]

    @cached_property
    def _unit_factors(self) -> bool:
        return all(c == 1.0 for _, c in self.outs + self.ins)

    @cached_property
    def _coefficients(self) -> np.ndarray:
        return np.array([[c] for _, c in self.outs + self.ins], dtype=np.float64)

    @cached_property
    def _stackable(self) -> bool:
        """A flow both into and out of the stock would be cut twice, one after the other."""
        return bool(self.outs or self.ins) and not {f for f, _ in self.outs} & {f for f, _ in self.ins}


def _part(xp: Any, flow: Any, c: float, sign: float) -> Any:
    """c times the flow's positive part (sign 1) or negative part (sign -1)."""
    return c * xp.maximum(flow if sign > 0 else -flow, 0.0)


def _total(terms: list[Any]) -> Any:
    """The terms added in order, as a sum over an array's first axis adds its rows."""
    return reduce(operator.add, terms) if terms else 0.0


def _covered(drain: Any, base: Any) -> bool:
    """Whether the stock alone covers the drain in every run (then nothing is short)."""
    ok = drain <= base
    return bool(ok.all()) if isinstance(ok, np.ndarray) else bool(ok)


def _ratio(xp: Any, drain: Any, supply: Any) -> Any:
    """The factor that cuts the drain back to the supply, where it exceeds it; else 1."""
    short = (drain > supply) & (drain > 0)
    # Divide only where the ratio is used and lies in (-inf, 1): no overflow warnings.
    return xp.where(short, xp.clip(supply / xp.where(short, drain, 1.0), 0.0, 1.0), 1.0)


def cut_back(caps: list[Cap], env: Env, xp: Any) -> None:
    """Each cap in turn cuts back what drains its stock, on the flows as the caps before it
    leave them. Under JAX the factors pass a barrier first, so that each step is two fused
    kernels instead of every derivative recomputing the chain of caps."""
    if not xp.__name__.startswith("jax"):
        for cap in caps:
            cap.cut(env)
        return
    work = env.copy()  # a LazyEnv stays lazy (codegen.vector)
    factors = []
    for cap in caps:
        k = cap.factor(work)
        cap.apply(work, k)
        factors.append(k)
    for cap, k in zip(caps, barrier(xp, factors), strict=True):
        cap.apply(env, k)


def caps_of(model: CheckedModel, emit: Emitter) -> list[Cap]:
    out = []
    for s in model.graph.stocks:
        if not s.non_negative or not (s.outflows or s.inflows):
            continue
        ins = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.inflows)
        outs = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.outflows)
        out.append(Cap(s.id, ins, outs, emit.xp))
    return out
