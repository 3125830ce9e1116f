"""A plain, stable text form of any stage's IR, for the golden files in tests/golden/passes.

It walks frozen dataclasses by field, leaves out fields excluded from equality (spans, layout),
prints enums by name and sympy expressions with sympy's own printer, and keeps the order of
tuples and dicts, since the passes' orders (evaluation, initialisation) are part of their output."""

from __future__ import annotations

import dataclasses
import enum
from fractions import Fraction
from typing import Any


def dump(obj: Any, indent: int = 0) -> str:
    return "\n".join(_lines(obj, indent)) + "\n"


def _lines(obj: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = [f"{pad}{type(obj).__name__}"]
        for f in dataclasses.fields(obj):
            if f.compare:
                out += _field(f.name, getattr(obj, f.name), indent + 1)
        return out
    if isinstance(obj, dict):
        out = [f"{pad}{{}}"] if not obj else []
        for k, v in obj.items():
            out += _field(_atom(k), v, indent)
        return out
    if isinstance(obj, (tuple, list, frozenset, set)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else list(obj)
        if not items:
            return [f"{pad}()"]
        return [line for it in items for line in _item(it, indent)]
    return [pad + _atom(obj)]


def _field(name: str, value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if _is_atom(value):
        return [f"{pad}{name}: {_atom(value)}"]
    return [f"{pad}{name}:"] + _lines(value, indent + 1)


def _item(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    if _is_atom(value):
        return [f"{pad}- {_atom(value)}"]
    inner = _lines(value, indent + 1)
    return [f"{pad}-"] + inner


def _is_atom(value: Any) -> bool:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return False
    if isinstance(value, (dict, list, set, frozenset)):
        return not value
    if isinstance(value, tuple):
        return not value
    return True


def _atom(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (tuple, list, set, frozenset, dict)) and not value:
        return "()" if not isinstance(value, dict) else "{}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, type):
        return value.__name__
    if callable(value) and not hasattr(value, "free_symbols"):
        return f"<{getattr(value, '__name__', type(value).__name__)}>"
    text = repr(value) if isinstance(value, str) else str(value)
    return f"<{type(value).__name__}>" if " object at 0x" in text else text
