"""What is wrong with an element named by a caller (`--initial kids[18,targeted]=5`,
`explain SPEC 'kids[18,targeted]'`): the nearest name by spelling is often the wrong answer
(`kids[8,targeted]` for an age past the end), so the hint says which index is at fault."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import permutations
from typing import Protocol

from .hints import closest
from .names import canonical


class ArrayShape(Protocol):
    """What this needs of an expanded array (ir.ast.Expanded)."""

    @property
    def name(self) -> str: ...
    @property
    def dims(self) -> tuple[str, ...]: ...
    @property
    def dim_elements(self) -> tuple[tuple[str, ...], ...]: ...


def element_fault(name: str, arrays: Iterable[ArrayShape]) -> str | None:
    """A hint for `name`, written `array[e1,e2]` for an array that has no such element; None
    where `name` does not name an array so."""
    text = name.strip()
    if "[" not in text or not text.endswith("]"):
        return None
    head, inner = text[:-1].split("[", 1)
    arr = next((a for a in arrays if a.name == canonical(head)), None)
    if arr is None or not arr.dim_elements:
        return None
    words = [w.strip() for w in inner.split(",")]
    form = f"`{arr.name}[{', '.join(arr.dims)}]`"
    if len(words) != len(arr.dims) or "*" in words:
        every = ", ".join(["*"] * (len(arr.dims) - 1) + [arr.dim_elements[-1][0]])
        return (f"`{arr.name}` is indexed {form}: name one element of each, or `*` for every element of "
                f"one (`{arr.name}[{every}]`)")
    sets = [{canonical(e): e for e in es} for es in arr.dim_elements]
    orders = permutations(range(len(words))) if len(words) <= 4 else iter(())
    for order in orders:  # the right elements in the wrong order
        if order != tuple(range(len(words))) and all(canonical(words[j]) in sets[i] for i, j in enumerate(order)):
            fixed = ",".join(sets[i][canonical(words[j])] for i, j in enumerate(order))
            return f"`{arr.name}` is indexed {form}: did you mean `{arr.name}[{fixed}]`?"
    for i, (word, dim, elements) in enumerate(zip(words, arr.dims, arr.dim_elements, strict=True)):
        if canonical(word) not in {canonical(e) for e in elements}:
            near = None if _number(word) is not None else closest(word, elements)  # 18 is not "near" 8
            fixed = f"; did you mean `{arr.name}[{','.join([*words[:i], near, *words[i + 1:]])}]`?" if near else ""
            return f"`{arr.name}` is indexed {form}, and {_not_in(word, dim, elements)}{fixed}"
    return None


def _not_in(word: str, dim: str, elements: Sequence[str]) -> str:
    if _number(word) is not None and all(_number(e) is not None for e in elements):
        lo, hi = _number(elements[0]), _number(elements[-1])
        if lo is not None and hi is not None and not lo <= (_number(word) or 0) <= hi:
            return f"`{word}` is outside `{dim}`, which runs from {elements[0]} to {elements[-1]}"
    shown = ", ".join(elements[:8]) + (", ..." if len(elements) > 8 else "")
    return f"`{word}` is not an element of `{dim}` ({shown})"


def _number(word: str) -> float | None:
    try:
        value = float(word)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # `nan` names no position


def slice_picks(name: str, keys: Sequence[tuple[str, ...]]) -> list[int] | None:
    """The positions among `keys` (the element keys of one array, in order) that a slice
    `name` picks: `looked_after[dundee]` (some dimensions named, each element found in one
    dimension only) or `looked_after[*, kinship]` (every dimension, `*` for all of one).
    None where `name` is no such slice: a whole name, one element, an unknown element, or an
    element that two dimensions share (`rate[universal]` over [from, to]: say which with `*`)."""
    text = name.strip()
    if not keys or "[" not in text or not text.endswith("]"):
        return None
    words = [canonical(w.strip()) for w in text[:-1].split("[", 1)[1].split(",")]
    held = [tuple(canonical(e) for e in k) for k in keys]
    n = len(held[0])
    if len(words) == n and "*" in words:
        return [i for i, k in enumerate(held) if all(w in ("*", e) for w, e in zip(words, k, strict=True))]
    if not 0 < len(words) < n or "*" in words:
        return None
    positions = []
    for w in words:
        at = {p for k in held for p, e in enumerate(k) if e == w}
        if len(at) != 1:
            return None
        positions.append(at.pop())
    if len(set(positions)) < len(positions):
        return None
    return [i for i, k in enumerate(held) if all(k[p] == w for p, w in zip(positions, words, strict=True))]
