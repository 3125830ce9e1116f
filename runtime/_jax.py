"""JAX, used in float64 inside stockflow's own calls only, with a disk cache of its own.

Nothing here changes the process's JAX settings: float64 is switched on with
`jax.enable_x64` around each call (`x64()`), and compiled runs are kept in stockflow's own
folder by serialising executables, not through JAX's process-wide compilation cache. A user's
own JAX code runs exactly as it would without stockflow.

STOCKFLOW_CACHE_DIR moves the cache; an empty string turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

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


def cache_dir() -> Path | None:
    where = os.environ.get("STOCKFLOW_CACHE_DIR")
    if where is not None:
        return Path(where) if where else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stockflow" / "compiled"


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

    folder = cache_dir()
    if folder is None:
        return lowered.compile()
    digest = hashlib.sha256()
    for part in (jax.__version__, jax.default_backend(), str(jax.devices()[0].device_kind), lowered.as_text()):
        digest.update(part.encode("utf-8") + b"\0")
    path = folder / f"{digest.hexdigest()}.bin"
    if _trusted(path):
        try:
            with path.open("rb") as fh:
                payload, in_tree, out_tree = pickle.load(fh)  # noqa: S301 - our own cache, owner-checked
            return se.deserialize_and_load(payload, in_tree, out_tree)
        except Exception:  # noqa: BLE001 - a stale or broken entry: compile again
            pass
    compiled = lowered.compile()
    try:
        from ..compiler.base.files import write_atomic

        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, pickle.dumps(se.serialize(compiled)))
    except Exception:  # noqa: BLE001 - a read-only home or an unserialisable program: run uncached
        pass
    return compiled


def _trusted(path: Path) -> bool:
    """Only entries this user wrote, in a folder no one else can write to, are read back."""
    try:
        st, parent = path.stat(), path.parent.stat()
    except OSError:
        return False
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and (st.st_uid != uid or parent.st_uid != uid):
        return False
    return not (st.st_mode & 0o022 or parent.st_mode & 0o022)
