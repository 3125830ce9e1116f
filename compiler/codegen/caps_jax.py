"""The caps' arithmetic under JAX, in lax primitives.

Each `jnp` operator on a traced value is a small jitted function of its own, so tracing the
caps through `jnp` cost more than the rest of a step: GIRFEC's RK4 step spent 0.8 s of its
1.2 s trace in them. The same operations as lax primitives trace at a fraction of that.
The positive part is a select, not a maximum: the derivative of a maximum splits ties in
halves, an equality test and a select more per term in every derivative taken forwards.
The numbers are the same as through `jnp` (a select and a maximum agree, NaN kept).
"""

from __future__ import annotations

from typing import Any

from jax import lax
from jax import numpy as jnp


def value(x: Any) -> Any:
    return jnp.asarray(x, dtype=jnp.float64)


def add(a: Any, b: Any) -> Any:
    return lax.add(value(a), value(b))


def mul(a: Any, b: Any) -> Any:
    return lax.mul(value(a), value(b))


def div(a: Any, b: Any) -> Any:
    return lax.div(value(a), value(b))


def part(flow: Any, c: Any, sign: float) -> Any:
    """c times the flow's positive part (sign 1) or negative part (sign -1), NaN kept."""
    v = value(flow) if sign > 0 else lax.neg(value(flow))
    keep = lax.bitwise_or(lax.ge(v, 0.0), lax.ne(v, v))
    return lax.mul(value(c), lax.select(keep, v, lax.full_like(v, 0.0)))


def covered(drain: Any, base: Any) -> Any:
    """1 where a stock's content covers its drain, else 0: the fixed point's first guess."""
    d, b = value(drain), value(base)
    ok = lax.le(d, b)
    return lax.select(ok, lax.full_like(d, 1.0), lax.full_like(d, 0.0))


def ratio(drain: Any, supply: Any) -> Any:
    """codegen.caps._ratio: the factor that cuts the drain back to the supply, else 1."""
    d, s = value(drain), value(supply)
    one = lax.full_like(d, 1.0)
    short = lax.bitwise_and(lax.gt(d, s), lax.gt(d, 0.0))
    cut = lax.clamp(0.0, lax.div(s, lax.select(short, d, one)), 1.0)
    return lax.select(short, cut, one)


def cut(flow: Any, k: Any, draining: float) -> Any:
    """The flow scaled by k where it drains the stock: where positive (an outflow, draining
    1) or negative (an inflow, draining -1)."""
    f = value(flow)
    hit = lax.gt(f, 0.0) if draining > 0 else lax.lt(f, 0.0)
    return lax.select(hit, lax.mul(f, value(k)), f)
