"""Comments and blank lines of a spec, so that `format` keeps what the modeller wrote.

Readers record each comment with its line and whether it stands on a line of its own; the
formatters place own-line comments before the next declaration (a blank line after a comment
is kept), end-of-line comments after the declaration they sit on, and comments after the
last declaration at the end. Blank lines between declarations are kept (one at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str  # from the `#` to the end of the line, trailing spaces removed
    own_line: bool
    blank_after: bool = False  # a blank line follows before the next line with anything on it


@dataclass(frozen=True, slots=True)
class Layout:
    """What a formatter needs of the source's look: its comments and its blank lines."""

    comments: tuple[Comment, ...] = ()
    blank: frozenset[int] = field(default_factory=frozenset)
    extents: tuple[tuple[int, int], ...] = ()  # first and last line of each item, in order

    def extent(self, line: int | None) -> tuple[int | None, int | None]:
        """The item holding `line` (a declaration's name): its first and last lines."""
        if line is None:
            return None, None
        for a, b in self.extents:
            if a <= line <= b:
                return a, b
        return line, line

    def with_extents(self, extents: Sequence[tuple[int, int]]) -> Layout:
        return Layout(self.comments, self.blank, tuple(sorted(extents)))


def dsl_layout(text: str) -> Layout:
    """Comments of DSL text: a `#` outside a string ("...", one line each) to the line's end."""
    found: list[tuple[int, str, bool]] = []
    lines = text.split("\n")
    for n, row in enumerate(lines, start=1):
        at = _comment_start(row)
        if at is not None:
            found.append((n, row[at:].rstrip(), row[:at].strip() == ""))
    return _layout(lines, found)


def _comment_start(row: str) -> int | None:
    code = code_of(row)
    return len(code) if len(code) < len(row) else None


def code_of(row: str) -> str:
    """A DSL line up to its comment, with the insides of strings blanked (so `{` or `#` in a
    string is not code)."""
    out = []
    in_string = escaped = False
    for c in row:
        if in_string:
            in_string = escaped or c != '"'
            escaped = not escaped and c == "\\"
            out.append(" " if in_string else c)
        elif c == '"':
            in_string = True
            out.append(c)
        elif c == "#":
            break
        else:
            out.append(c)
    return "".join(out)


def yaml_layout(text: str) -> Layout:
    """Comments of YAML text: every `#` in the gaps between the scanner's tokens (so never
    one inside a quoted or block scalar)."""
    import yaml

    found: list[tuple[int, str, bool]] = []
    pos = 0
    try:
        tokens = list(yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return Layout()
    for tok in [*tokens, None]:
        end = tok.start_mark.index if tok is not None else len(text)
        gap = text[pos:end]
        k = gap.find("#")
        while k >= 0:
            start = pos + k
            stop = text.find("\n", start)
            stop = len(text) if stop < 0 else stop
            line_start = text.rfind("\n", 0, start) + 1
            found.append((text.count("\n", 0, start) + 1, text[start:stop].rstrip(),
                          text[line_start:start].strip() == ""))
            k = gap.find("#", stop - pos) if stop < end else -1
        if tok is not None:
            pos = max(pos, tok.end_mark.index)
    return _layout(text.split("\n"), found)


def _layout(lines: list[str], found: list[tuple[int, str, bool]]) -> Layout:
    blank = frozenset(n for n, row in enumerate(lines, start=1) if not row.strip())
    return Layout(tuple(Comment(n, t, own, n + 1 in blank) for n, t, own in found), blank)


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
            head = items[i - 1][1] is None and items[i - 1][0].endswith(":")
            gap = not head and (always_blank or first is None or prev_end is None or first <= prev_end or any(
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
