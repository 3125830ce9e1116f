"""What only the array backend needs, kept apart from the model's meaning: vectors built in a
form XLA:CPU fuses, and the barrier that keeps the chain of caps out of every derivative.
With numpy these are plain concatenation and a no-op."""

from __future__ import annotations

from typing import Any

import numpy as np

# XLA:CPU will not fuse a concatenate of more than 8 operands: a wider stack would end every
# step's fused kernel and split the derivatives into one kernel each.
_MAX_STACK = 8
# Single numbers as NumPy runs see them: checked by type, as `np.ndim` per value costs a
# microsecond and a one-run step stacks a few hundred of them.
NUMBERS = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32, np.bool_})


def join(xp: Any, vectors: list[Any]) -> Any:
    """Arrays end to end along their first axis, in a form XLA:CPU fuses into the kernel that
    computes them: groups of at most 8, each padded to the full length, then added."""
    vectors = [v for v in vectors if v.shape[0]]
    if not vectors:
        return xp.zeros((0,), dtype=xp.float64)
    if len(vectors) <= _MAX_STACK or not xp.__name__.startswith("jax"):
        return xp.concatenate(vectors)
    n, rest = sum(v.shape[0] for v in vectors), [(0, 0)] * (vectors[0].ndim - 1)
    out, at = None, 0
    for i in range(0, len(vectors), _MAX_STACK):
        part = xp.concatenate(vectors[i:i + _MAX_STACK])
        padded = xp.pad(part, [(at, n - at - part.shape[0])] + rest)
        out = padded if out is None else out + padded
        at += part.shape[0]
    return out


def stack(xp: Any, values: list[Any]) -> Any:
    """The values stacked on a new first axis (scalars, or arrays of one shape for runs side
    by side)."""
    if not values:
        return xp.zeros((0,), dtype=xp.float64)
    if not xp.__name__.startswith("jax"):
        first = values[0]
        if all(type(v) in NUMBERS for v in values) or all(np.ndim(v) == 0 for v in values) or (
                type(first) is np.ndarray and all(type(v) is np.ndarray and v.shape == first.shape for v in values)):
            return np.array(values, dtype=np.float64)  # numbers, or runs side by side: one C call
    values = xp.broadcast_arrays(*[xp.asarray(v, dtype=xp.float64) for v in values])
    return join(xp, [v[None] for v in values])




def barrier(xp: Any, values: list[Any]) -> list[Any]:
    """The values, computed once: under JAX they pass an optimisation barrier, so that XLA does
    not recompute them inside every kernel that uses them."""
    if not xp.__name__.startswith("jax") or not values:
        return values
    import jax

    vec = jax.lax.optimization_barrier(stack(xp, values))
    return [vec[i] for i in range(len(values))]
