"""Non-negative stocks: what drains one is scaled down so that a step cannot take it below
zero, and the scaled flow is used at both ends, so conservation still holds exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..ir.model import CheckedModel
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
        xp, ins, outs = self.xp, self.ins, self.outs
        drain = sum((c * xp.maximum(env[f], 0.0) for f, c in outs), 0.0) + \
            sum((c * xp.maximum(-env[f], 0.0) for f, c in ins), 0.0)
        supply = env[self.stock] / env["dt"] + sum((c * xp.maximum(env[f], 0.0) for f, c in ins), 0.0) + \
            sum((c * xp.maximum(-env[f], 0.0) for f, c in outs), 0.0)
        short = (drain > supply) & (drain > 0)
        # Divide only where the ratio is used and lies in (-inf, 1): no overflow warnings.
        return xp.where(short, xp.clip(supply / xp.where(short, drain, 1.0), 0.0, 1.0), 1.0)

    def apply(self, env: Env, k: Any) -> None:
        xp = self.xp
        for f, _ in self.outs:
            env[f] = xp.where(env[f] > 0, env[f] * k, env[f])
        for f, _ in self.ins:
            env[f] = xp.where(env[f] < 0, env[f] * k, env[f])


def cap_factors(caps: list[Cap], env: Env, xp: Any) -> list[Any]:
    """Each cap's factor, computed on the flows as the caps before it leave them."""
    work = env.copy()  # a LazyEnv stays lazy (codegen.vector)
    out = []
    for cap in caps:
        k = cap.factor(work)
        cap.apply(work, k)
        out.append(k)
    return out


def caps_of(model: CheckedModel, emit: Emitter) -> list[Cap]:
    out = []
    for s in model.graph.stocks:
        if not s.non_negative or not (s.outflows or s.inflows):
            continue
        ins = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.inflows)
        outs = tuple((f, float(model.flow_factors.get((f, s.id), sympy.Integer(1)))) for f in s.outflows)
        out.append(Cap(s.id, ins, outs, emit.xp))
    return out
