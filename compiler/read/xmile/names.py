"""XMILE names: how they are matched, and the stockflow identifiers they become.

XMILE names are case-insensitive, treat spaces and underscores alike, may be quoted in
equations, and may hold any character. stockflow names are identifiers, so each XMILE name is
given one; the original stays in the description when it differs.
"""

from __future__ import annotations

import re
import unicodedata

from ...base.names import AGGREGATES, BUILTINS, RESERVED, STATEFUL

XMILE_NAME = "XMILE name: "  # the last line of an imported description, when the name had to change


def original_name(description: str | None) -> str | None:
    """The XMILE name an imported declaration had, when it differs from its identifier."""
    last = (description or "").rsplit("\n", 1)[-1]
    return last[len(XMILE_NAME):] if last.startswith(XMILE_NAME) else None


def key(name: str) -> str:
    """The identity of an XMILE name: `Stock A`, `stock_a` and `"Stock  A"` are one variable."""
    return _plain(name).lower()


def _plain(name: str) -> str:
    s = name.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = re.sub(r'\\(.)', r"\1", s[1:-1])
    s = s.replace("\\n", " ")
    return re.sub(r"[\s_]+", "_", s.strip())


def display(name: str) -> str:
    """A name as a person reads it (escaped newlines and underscores as spaces)."""
    return re.sub(r"\s+", " ", name.replace("\\n", " ").replace("_", " ")).strip()


_TAKEN = RESERVED | set(BUILTINS) | set(STATEFUL) | set(AGGREGATES) | {"outside", "dt", "time", "pi"}


class Namer:
    """Gives each XMILE name a distinct stockflow identifier, stable across runs."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def ident(self, name: str) -> str:
        base = ascii_ident(_plain(name))
        out, n = base, 2
        while out.lower() in self.used:
            out, n = f"{base}_{n}", n + 1
        self.used.add(out.lower())
        return out


def ascii_ident(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^0-9A-Za-z_]+", "_", s).strip("_") or "v"
    s = re.sub(r"_+", "_", s)
    if s[0].isdigit():
        s = "v_" + s
    if s.lower() in _TAKEN:
        s += "_"
    return s
