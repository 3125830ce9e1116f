"""Hints for names the user got slightly wrong."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` is most likely a slip for, if any is close (case aside)."""
    pool = list(candidates)
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in pool}
        found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        found = [lowered[f] for f in found]
    return found[0] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    found = closest(name, candidates)
    return f"did you mean `{found}`?" if found else None
