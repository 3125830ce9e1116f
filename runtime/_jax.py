"""JAX, used in float64 inside stockflow's own calls only, with a disk cache of its own.

Nothing here changes the process's JAX settings: float64 is switched on with
`jax.enable_x64` around each call (`x64()`), and compiled runs are kept in stockflow's own
folder by serialising executables, not through JAX's process-wide compilation cache. A user's
own JAX code runs exactly as it would without stockflow.

STOCKFLOW_CACHE_DIR moves the cache; an empty string turns it off (compiler.base.cache).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from ..compiler.base.cache import cache_dir, cached, key

__all__ = ["jax", "jnp", "x64", "in_x64", "Compiled", "cache_dir"]

F = TypeVar("F", bound=Callable[..., Any])
# JAX 0.8 moved the scoped switch to `jax.enable_x64`; older releases have it in experimental.
_enable_x64: Any = getattr(jax, "enable_x64", None)
if _enable_x64 is None:  # pragma: no cover - JAX before 0.8
    import jax.experimental

    _enable_x64 = jax.experimental.enable_x64  # type: ignore[attr-defined]


@contextmanager
def x64() -> Iterator[None]:
    """float64 for the JAX work inside, whatever the caller's setting."""
    with _enable_x64(True):
        yield


def in_x64(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Compiled:
    """A function jitted in float64 and compiled once per argument shape; each compiled
    executable is kept on disk, so a new process running the same model skips XLA."""

    def __init__(self, fn: Callable[..., Any]):
        self.jitted = jax.jit(fn)
        self._by_shape: dict[tuple[Any, ...], Any] = {}

    def __call__(self, *args: Any) -> Any:
        key = tuple((tuple(np.shape(a)), np.result_type(a).str) for a in args)
        with _enable_x64(True):
            compiled = self._by_shape.get(key)
            if compiled is None:
                compiled = self._by_shape[key] = _load_or_compile(self.jitted.lower(*args))
            return compiled(*args)


def _load_or_compile(lowered: Any) -> Any:
    """The executable for a lowered function: from the cache when this machine compiled the
    same program before (same JAX, same backend), else compiled and stored."""
    from jax.experimental import serialize_executable as se

    if cache_dir() is None:
        return lowered.compile()
    name = key(jax.__version__, jax.default_backend(), str(jax.devices()[0].device_kind), lowered.as_text()) + ".bin"
    return cached(name, lowered.compile, se.serialize, lambda saved: se.deserialize_and_load(*saved))
