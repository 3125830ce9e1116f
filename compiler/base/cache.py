"""stockflow's own cache folder, for what is slow to build and the same every time: parser
tables and compiled programs. Entries are pickles, so one is read back only when this user
wrote it, in a folder no one else can write to; anything else is rebuilt, never loaded.

STOCKFLOW_CACHE_DIR moves the folder; an empty string turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    where = os.environ.get("STOCKFLOW_CACHE_DIR")
    if where is not None:
        return Path(where) if where else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stockflow" / "compiled"


def key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def trusted(path: Path) -> bool:
    """Only entries this user wrote, in a folder no one else can write to, are read back."""
    try:
        st, parent = path.stat(), path.parent.stat()
    except OSError:
        return False
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and (st.st_uid != uid or parent.st_uid != uid):
        return False
    return not (st.st_mode & 0o022 or parent.st_mode & 0o022)


def load(name: str) -> Any | None:
    """The object cached under `name`, or None when there is none to trust or it is unreadable."""
    folder = cache_dir()
    if folder is None or not trusted(folder / name):
        return None
    try:
        with (folder / name).open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 - our own cache, owner-checked
    except Exception:  # noqa: BLE001 - a stale or broken entry: the caller rebuilds it
        return None


def store(name: str, value: Any) -> None:
    """Keep `value` under `name`, atomically; a read-only home just goes uncached."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        from .files import write_atomic

        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(folder / name, pickle.dumps(value))
    except Exception:  # noqa: BLE001 - unwritable folder or unpicklable value: run uncached
        pass


def cached(name: str, build: Callable[[], T], dump: Callable[[T], Any], restore: Callable[[Any], T]) -> T:
    """`restore(load(name))` when that works, else `build()`, stored as `dump(...)`."""
    saved = load(name)
    if saved is not None:
        try:
            return restore(saved)
        except Exception:  # noqa: BLE001 - made by another version of a library: rebuild
            pass
    value = build()
    store(name, dump(value))
    return value
