"""Reading a spec's comments and blank lines into a `Layout`, so that `format` keeps what the
modeller wrote: each comment with its line and whether it stands on a line of its own."""

from __future__ import annotations

from ..ir.layout import Comment, Layout


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
