"""XMILE unit strings -> stockflow units.

XMILE units are free text (`Widgets/Month`, `1/Day`, `Dmnl`, `$`, `people per year`). Known
time units and dimensionless spellings map to stockflow's built-ins; other words become base
units that the imported spec declares.
"""

from __future__ import annotations

import re

from ...base.names import BUILTIN_UNITS
from ...ir import ast as A
from ..expr import parse_unit_text
from .names import ascii_ident

_ONE = {"dmnl", "dimensionless", "unitless", "fraction", "dimless", "1", "none", "nondimensional"}
_SYMBOLS = {"$": "dollar", "%": "percent", "£": "GBP", "€": "euro"}
_TOKEN = re.compile(r"\s*(?:(?P<op>[*/^()])|(?P<num>-?[0-9]+(?:\.[0-9]*)?)|(?P<word>[^*/^()]+))")


class UnitReader:
    """Turns unit strings into UnitExprs, collecting the base units they need."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.bases: dict[str, str] = {}  # identifier (lower) -> identifier as first written
        self.aliases: dict[str, str] = {}  # alias (lower) -> identifier

    def word(self, raw: str) -> str:
        w = raw.strip()
        low = re.sub(r"\s+", " ", w).lower()
        if low in self.aliases:
            return self.aliases[low]
        if low in _ONE:
            return "1"
        if low in _SYMBOLS:
            w = _SYMBOLS[low]
            low = w.lower()
        if low in BUILTIN_UNITS:
            return low
        ident = ascii_ident(w)
        return self.bases.setdefault(ident.lower(), ident)

    def text(self, raw: str) -> str | None:
        """The stockflow spelling of a unit string, or None when it cannot be read."""
        s = re.sub(r"\bper\b", "/", raw.strip(), flags=re.IGNORECASE)
        if not s:
            return None
        out: list[str] = []
        pos = 0
        while pos < len(s):
            m = _TOKEN.match(s, pos)
            if m is None or m.end() == pos:
                return None
            pos = m.end()
            if m.group("op"):
                out.append(m.group("op"))
            elif m.group("num"):
                out.append(m.group("num"))
            elif m.group("word").strip():
                out.append(self.word(m.group("word")))
        return " ".join(out)

    def read(self, raw: str) -> A.UnitExpr | None:
        text = self.text(raw)
        if text is None:
            return None
        unit, errors = parse_unit_text(text, self.file)
        return None if errors else unit

    def declarations(self) -> list[A.UnitDecl]:
        return [A.UnitDecl(name) for name in self.bases.values()]
