"""Putting a spec's comments back around the formatted declarations.

Own-line comments go before the next declaration (a blank line after a comment is kept),
end-of-line comments after the declaration they sit on, and comments after the last
declaration at the end. Blank lines between declarations are kept (one at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..ir.layout import Comment, Layout


@dataclass(frozen=True)
class Placed:
    leading: dict[int, list[Comment]]  # by item: own-line comments before it
    trailing: dict[int, list[Comment]]  # by item: end-of-line comments on its lines
    footer: list[Comment]  # after the last item


def place(comments: Sequence[Comment], starts: Sequence[int | None], ends: Sequence[int | None]) -> Placed:
    """Attach comments to items (given by their first and last source lines; None: no place).
    An own-line comment goes before the first item that starts after it, or, inside an item,
    before that item; an end-of-line comment goes with the item whose lines hold it."""
    order = sorted((s, i) for i, s in enumerate(starts) if s is not None)
    leading: dict[int, list[Comment]] = {}
    trailing: dict[int, list[Comment]] = {}
    footer: list[Comment] = []
    for c in comments:
        holder = None
        for s, i in order:  # the last item starting at or before the comment
            if s <= c.line:
                holder = i
        end = ends[holder] if holder is not None else None
        inside = holder is not None and end is not None and c.line <= end
        if not c.own_line and holder is not None:
            trailing.setdefault(holder, []).append(c)
        elif inside and holder is not None:
            leading.setdefault(holder, []).append(c)
        else:
            nxt = next((i for s, i in order if s > c.line), None)
            (leading.setdefault(nxt, []) if nxt is not None else footer).append(c)
    return Placed(leading, trailing, footer)


def render(items: Sequence[tuple[str, int | None, int | None]], layout: Layout | None,
           always_blank: bool = False, tail_on_first_line: bool = False) -> str:
    """Join rendered items (text, first and last source line), putting each item's comments
    around it. Items are separated by a blank line where the source had one (or had no place
    for them), else by a line break; `always_blank` keeps a blank line between all items. An
    item ending in `:` with no place is a YAML section head: its first item follows directly."""
    if layout is None:
        return "\n\n".join(t for t, _, _ in items)
    placed = place(layout.comments, [s for _, s, _ in items], [e for _, _, e in items])
    out: list[str] = []
    prev_end: int | None = None
    for i, (text, start, end) in enumerate(items):
        lead = placed.leading.get(i, [])
        first = min([c.line for c in lead] + ([start] if start is not None else []), default=None)
        if out:
            section_head = items[i - 1][1] is None and items[i - 1][0].endswith(":")
            gap = not section_head and (always_blank or first is None or prev_end is None or first <= prev_end or any(
                n in layout.blank for n in range(prev_end + 1, first)))
            out.append("\n\n" if gap else "\n")
        indent = text[:len(text) - len(text.lstrip(" "))]  # a YAML declaration's comments sit with it
        for c in lead:
            out.append(indent + c.text + ("\n\n" if c.blank_after else "\n"))
        tail = placed.trailing.get(i, [])
        note = "  " + " ".join(c.text for c in tail) if tail else ""
        if note and tail_on_first_line and "\n" in text:
            head, rest = text.split("\n", 1)
            out.append(f"{head}{note}\n{rest}")
        else:
            out.append(text + note)
        prev_end = max([end or start or 0] + [c.line for c in tail]) if start is not None else None
    if placed.footer:
        out.append("\n\n" + "\n".join(c.text for c in placed.footer))
    return "".join(out)
