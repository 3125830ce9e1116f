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
        return _ratio(self.xp, *self._drain_and_supply(env))

    def _drain_and_supply(self, env: Env) -> tuple[Any, Any]:
        xp = self.xp
        drain = _total([_part(xp, env[f], c, 1.0) for f, c in self.outs]) + \
            _total([_part(xp, env[f], c, -1.0) for f, c in self.ins])
        supply = env[self.stock] / env["dt"] + _total([_part(xp, env[f], c, 1.0) for f, c in self.ins]) + \
            _total([_part(xp, env[f], c, -1.0) for f, c in self.outs])
        return drain, supply

    def apply(self, env: Env, k: Any) -> None:
        xp = self.xp
        for f, _ in self.outs:
            env[f] = xp.where(env[f] > 0, env[f] * k, env[f])
        for f, _ in self.ins:
            env[f] = xp.where(env[f] < 0, env[f] * k, env[f])

    def cut(self, env: Env) -> None:
        """factor and apply at once, on NumPy, where no barrier stands between them. Where no
        run is short (the usual step) nothing is cut: a factor of 1 would leave every flow as
        it is. For runs side by side the stock's flows are one array, a few calls for the cap
        instead of several a flow, with the same arithmetic in the same order."""
        rows = [env[f] for f, _ in self.outs + self.ins]
        if self._stackable and all(type(r) is np.ndarray and r.ndim == 1 and r.shape[0] > 1 for r in rows):
            flows, c, o = np.stack(rows), self._coefficients, len(self.outs)
            pos, neg = np.maximum(flows, 0.0) * c, np.maximum(-flows, 0.0) * c
            # a sum over the first axis adds the rows in order, as _total does (rows of 2+ runs)
            drain = pos[:o].sum(axis=0) + neg[o:].sum(axis=0)
            supply = env[self.stock] / env["dt"] + pos[o:].sum(axis=0) + neg[:o].sum(axis=0)
        else:
            flows, (drain, supply) = None, self._drain_and_supply(env)
        short = (drain > supply) & (drain > 0)
        if not (short.any() if isinstance(short, np.ndarray) else short):
            return
        k = _ratio(self.xp, drain, supply)
        if flows is None:
            self.apply(env, k)
            return
        out, into = flows[:o], flows[o:]
        cut = np.concatenate([np.where(out > 0, out * k, out), np.where(into < 0, into * k, into)])
        for i, (f, _) in enumerate(self.outs + self.ins):
            env[f] = cut[i]

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
