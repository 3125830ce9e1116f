"""JAX, configured for float64. Imported only when a model is first run.

Compiled runs are cached on disk (XLA's persistent cache), so a new process running a model
it has run before skips compilation. STOCKFLOW_CACHE_DIR moves the cache; set it to an empty
string to turn the cache off.
"""

import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)


def _cache_dir() -> str | None:
    where = os.environ.get("STOCKFLOW_CACHE_DIR")
    if where is not None:
        return where or None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "stockflow" / "xla")


_dir = _cache_dir()
if _dir:
    try:
        Path(_dir).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", _dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except OSError:  # a read-only home: run without the cache
        pass

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp"]
