"""Bounds a DSL text must keep before the parser reads it: the parser costs about a second per
25,000 tokens, so a hostile file is refused by a scan of its text instead (E006)."""

from __future__ import annotations

import re

from ..base.diagnostics import Diagnostic, Span, error
from ..base.limits import MAX_CALL_ARGS, MAX_DECLS, MAX_EXPR_CHARS, MAX_LOOKUP_POINTS
from ..ir.kinds import BY_WORD

DECL_WORDS = frozenset({*BY_WORD, "set"})  # the words that start a declaration (or an override)
_DECL = re.compile(r"(?m)^[ \t]*(" + "|".join(sorted(DECL_WORDS)) + r")\b")
# A declaration's own text may hold its equation, its properties and their texts.
MAX_DECL_CHARS = 4 * MAX_EXPR_CHARS
_ENTRY = re.compile(r"[\w\]\)\"']\s*:\s*[-+.\d]")  # `key: 1.5` in a table (an element, a quoted name)


def oversized(text: str, file: str) -> Diagnostic | None:
    """The first bound the text breaks, found without parsing: too many declarations, a lookup
    with too many points, or a declaration too long to be one equation."""
    starts = list(_DECL.finditer(text))
    if len(starts) > MAX_DECLS:
        return error("E006", f"{len(starts):,} declarations; the limit is {MAX_DECLS:,}", Span(file, 1, 1, 1, 2),
                     "split the model")
    following: list[re.Match[str] | None] = [*starts[1:], None] if starts else []
    for m, nxt in zip(starts, following, strict=True):
        end = nxt.start() if nxt is not None else len(text)
        line = text.count("\n", 0, m.start()) + 1
        span = Span(file, line, 1, line, 2)
        if m.group(1) == "lookup":
            points = text.count("(", m.end(), end)
            if points > MAX_LOOKUP_POINTS:
                return error("E006", f"a lookup of about {points:,} points; the limit is {MAX_LOOKUP_POINTS:,}",
                             span, "thin the table, or interpolate a coarser one")
        elif end - m.start() > MAX_DECL_CHARS:
            return _long(text, m.start(), end, span)
    return None


def _long(text: str, start: int, end: int, span: Span) -> Diagnostic:
    """A declaration too long to read: a table of values written out belongs in a CSV file,
    anything else in several auxiliaries."""
    commas = text.count(",", start, end)
    entries = len(_ENTRY.findall(text, start, end))
    if entries > commas // 2:  # most of it is `key: value` pairs: an array's table
        return error("E006", f"a table of about {entries:,} entries written in the spec; a declaration may "
                     f"have at most {MAX_DECL_CHARS:,} characters", span,
                     'put the values in a CSV file beside the spec, one column per dimension and one named '
                     '`value`, and write `= csv "FILE.csv"` (docs/language.md, "arrays")')
    what = (f"a call of up to {commas + 1:,} arguments; the limit is {MAX_CALL_ARGS:,}" if commas > MAX_CALL_ARGS
            else f"{end - start:,} characters in one declaration; an equation may have at most {MAX_EXPR_CHARS:,}")
    return error("E006", what, span, "split the equation into auxiliaries")
