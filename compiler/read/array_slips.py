"""Slips in writing arrays and what is measured of them, as other tools and languages write
them: a list of values (`= [100, 20, 5]`), an element after a dot (`x.universal`), a key of two
elements as `a.b`, `[a, b]` or `"a, b"`, a metric over a dimension, `x at end`, and a sweep
`from 1 to 2`. Each hint says what to write instead."""

from __future__ import annotations

import re

_HEAD = re.compile(r"^\s*(stock|aux|param|flow|lookup)\s+\w+\s*\[([^\]]*)\]")
_DIM_LIST = r"^\s*dim\s+{name}\s*=\s*\[([^\]]*)\]"
_DIM_RANGE = r"^\s*dim\s+{name}\s*=\s*range\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)"
_KEY_START = re.compile(r"[{,]\s*$")
_DOTTED = re.compile(r"[{,]\s*(\w+)$")
_SWEEP = re.compile(r"\bsweep\s+([\w\[\], ]+?)\s+from\s+(-?[\d.]+)\s+to\s+(-?[\d.]+)")
MAX_SHOWN = 6  # elements written out in a hint's table


def array_slip(line: str, before: str, at: str, found: str, rows: list[str]) -> str | None:
    """A hint for an array slip at this place, or None."""
    if found == "(" and re.search(r"\bcsv\s*$", before):  # `csv("start.csv")`, as a function call
        named = re.match(r"\(\s*(\"[^\"]*\"|'[^']*'|[^)\s]*)\s*\)?", at)
        file = named.group(1).strip("'\"") if named and named.group(1) else "FILE.csv"
        return f"the file's name follows `csv` in quotes, without brackets: `csv \"{file}\"`"
    if found == "[" and re.search(r"=\s*$", before) and _HEAD.match(line):
        return _list_value(line, at, rows)
    if found in ("[", ".") or found.startswith('"'):
        key = _key(before, at, found)
        if key is not None:
            return f"an entry for two or more dimensions is keyed `({', '.join(key)}): VALUE`"
    if found == "." and re.search(r"[A-Za-z_]\w*$", before) and re.match(r"\.[A-Za-z_]\w*", at):
        element = re.match(r"\.(\w+)", at).group(1)  # type: ignore[union-attr]
        name = re.search(r"(\w+)$", before).group(1)  # type: ignore[union-attr]
        return f"an element is named in brackets: `{name}[{element}]`"
    if re.match(r"^\s*metric\s+\w+\s*(\[[^\]]*\]\s*)?$", before) and found == "[":
        return ("a metric is one number per run: measure one element, `final(x[universal])`, or all of "
                "them, `final(sum(x))`; an auxiliary may run over a dimension")
    if found == "at" and before.strip():  # `x at end`
        return _at(before, at)
    if re.search(r"\S\s+at\s+$", before):  # after a number, `at` was read as its unit
        return _at(before[:before.rstrip().rfind(" at")], "at " + at)
    sweep = _SWEEP.search(line)
    if sweep is not None and found == "from":
        lo, hi = float(sweep.group(2)), float(sweep.group(3))
        steps = re.search(r"\b(?:steps|points|n)\s*=?\s*(\d+)", line)
        n = int(steps.group(1)) if steps and 2 <= int(steps.group(1)) <= 11 else 5
        points = ", ".join(f"{lo + (hi - lo) * i / (n - 1):g}" for i in range(n))
        return f"a sweep lists its values: `sweep {sweep.group(1)} over [{points}]`"
    return None


def _list_value(line: str, at: str, rows: list[str]) -> str:
    """`stock x[level] = [100, 20, 5, 1]`: the same values keyed by the dimension's elements,
    where the dimension is declared in this file with as many elements as values."""
    head = _HEAD.match(line)
    values = [v.strip() for v in at[1:at.find("]")].split(",")] if "]" in at else []
    dims = [d.split(":")[-1].strip() for d in head.group(2).split(",")] if head else []
    elements = _elements(dims[0], rows) if len(dims) == 1 else None
    if elements is not None and len(elements) == len(values) and all(values):
        return keyed_hint(elements, values, "`csv \"FILE.csv\"`")
    return keyed_hint(None, values, "`csv \"FILE.csv\"`")


def keyed_hint(elements: list[str] | None, values: list[str], from_file: str) -> str:
    """A list of an array's values, as a table keyed by `elements` (one a value), or the
    table's form where the elements are not known. Both spec forms say it so."""
    if elements is None:
        return ("an array's values are keyed by element, `{universal: 100, additional: 20}` (`else:` for the "
                f"rest), or read from a file: {from_file}")
    pairs = [f"{e}: {v}" for e, v in zip(elements, values, strict=True)]
    shown = ", ".join(pairs[:MAX_SHOWN]) + (", ..." if len(pairs) > MAX_SHOWN else "")
    return f"an array's values are keyed by element: `{{{shown}}}`"


def _elements(dim: str, rows: list[str]) -> list[str] | None:
    for row in rows:
        m = re.match(_DIM_LIST.format(name=re.escape(dim)), row)
        if m is not None:
            return [e.strip() for e in m.group(1).split(",") if e.strip()]
        m = re.match(_DIM_RANGE.format(name=re.escape(dim)), row)
        if m is not None and int(m.group(2)) - int(m.group(1)) < 10_000:
            return [str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1)]
    return None


def _key(before: str, at: str, found: str) -> list[str] | None:
    """The elements of a table key written `a.b`, `[a, b]` or `"a, b"` (YAML's form), if any."""
    if found == "." and _DOTTED.search(before) and "{" in before:
        rest = re.match(r"((?:\.\w+)+)\s*:", at)
        return [_DOTTED.search(before).group(1), *rest.group(1)[1:].split(".")] if rest else None  # type: ignore[union-attr]
    if not _KEY_START.search(before) or "{" not in before:
        return None
    m = re.match(r"\[([\w\s,]+)\]\s*:", at) if found == "[" else re.match(r"\"([\w\s,]+)\"\s*:", at)
    if m is None:
        return None
    parts = [p.strip() for p in m.group(1).split(",")]
    return parts if len(parts) > 1 and all(parts) else None


def _at(before: str, at: str) -> str:
    """`metric m = x at end` (or `at 2030`): the summary that says it."""
    what = re.search(r"=\s*(.+?)\s*$", before)  # the DSL's `metric m = x`; YAML gives `x` alone
    x = what.group(1) if what else before.strip().strip("\"'") or "x"
    x = x if len(x) <= 60 else "x"  # a hint quotes a short equation whole, never a long one
    when = re.match(r"at\s+(\w[\w.]*)", at)
    word = when.group(1) if when else ""
    if word in ("end", "stop", "final", "last"):
        return f"a metric takes a summary of the run: `final({x})`"
    if word in ("start", "beginning", "first"):
        return f"a metric takes a summary of the run: `initial({x})`"
    if re.fullmatch(r"-?\d+(\.\d+)?", word):
        return f"a metric takes a summary of the run: `at({x}, {word})`"
    return f"a metric takes a summary of the run: `final({x})`, `at({x}, 2030)`, `maximum({x})`"
