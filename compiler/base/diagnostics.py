"""Diagnostics: one type for every problem found in a spec, with a stable code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a source file; lines and columns count from 1, end is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    notes: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "span": self.span.to_json() if self.span else None,
            "hint": self.hint,
            "notes": list(self.notes),
        }


def error(code: str, message: str, span: Span | None, hint: str | None = None,
          notes: tuple[str, ...] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, hint, Severity.ERROR, notes)


def warning(code: str, message: str, span: Span | None, hint: str | None = None,
            notes: tuple[str, ...] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, hint, Severity.WARNING, notes)


# `leaving[intensive,old]`: an element's subscript after a name (not `[child/year]` units)
_SUBSCRIPT = re.compile(r"(?<=\w)\[[^\[\]`]*\]")
_ELEMENT = re.compile(r"`(\w+\[[^\[\]`]*\])`")
_SHOWN = 3


def by_position(diags: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    """Diagnostics in reading order: by file, line and column; those without a place first.
    Each once: an equation written for every element of an array repeats its faults, so the
    faults at one place that differ only in their elements' subscripts are one diagnostic."""
    def key(d: Diagnostic) -> tuple[str, int, int]:
        return (d.span.file, d.span.line, d.span.column) if d.span else ("", 0, 0)

    alike: dict[tuple[object, ...], list[Diagnostic]] = {}
    for d in dict.fromkeys(diags):
        k = (d.code, d.severity, d.span, d.notes, _SUBSCRIPT.sub("[]", d.message), _SUBSCRIPT.sub("[]", d.hint or ""))
        alike.setdefault(k, []).append(d)
    return sorted((_one_for_all(group) for group in alike.values()), key=key)


def _one_for_all(group: list[Diagnostic]) -> Diagnostic:
    """The first of faults alike, naming the other elements that have it."""
    first = group[0]
    if len(group) == 1:
        return first
    others = list(dict.fromkeys(m.group(1) for d in group[1:] if (m := _ELEMENT.search(d.message))))
    shown = ", ".join(f"`{n}`" for n in others[:_SHOWN]) + (f" and {len(others) - _SHOWN} more"
                                                           if len(others) > _SHOWN else "")
    also = f" (and the same for {shown})" if others else f" (and {len(group) - 1} more alike)"
    return Diagnostic(first.code, first.message + also, first.span, first.hint, first.severity, first.notes)


class SpecError(Exception):
    """Raised by a stage that cannot go on; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], hidden: frozenset[str] = frozenset()):
        self.diagnostics = tuple(by_position(diagnostics))
        self.hidden = hidden  # files named in the diagnostics whose text must not be shown
        super().__init__("\n".join(f"{d.code}: {d.message}" for d in self.diagnostics))


class RunError(SpecError):
    """A run produced NaN or infinity, or was given inputs it cannot use."""


class NameNotFound(RunError, KeyError):
    """A name asked for by a caller (a CLI option, an API argument) that the model lacks. A
    KeyError too, so results behave like mappings; its text is the one clean message."""

    def __str__(self) -> str:
        return "; ".join(f"{d.message}" + (f" ({d.hint})" if d.hint else "") for d in self.diagnostics)


def unknown_name(name: str, what: str, pool: Iterable[str], fallback: str | None = None,
                 elsewhere: dict[str, str] | None = None, arrays: Iterable[Any] = ()) -> NameNotFound:
    """E061 for `name`, which is not one of `pool` (what: "a parameter of girfec"). `elsewhere`
    maps names of other kinds to what to do instead (a stock given where a parameter is asked);
    with `arrays` (the model's), an element that an array lacks is told which index is wrong."""
    from .elements import element_fault
    from .hints import did_you_mean

    fix = (elsewhere or {}).get(name.lower())
    if fix is not None:
        return NameNotFound([error("E061", f"`{printable(name)}` is not {what}", None, fix)])
    names = list(pool)
    hint = element_fault(name, arrays) or did_you_mean(name, names) or fallback or (
        f"choose one of: {', '.join(names[:12])}" + (", ..." if len(names) > 12 else "") if names else None)
    return NameNotFound([error("E061", f"`{printable(name)}` is not {what}", None, hint)])


# C0 and C1 controls, DEL, and the bidirectional overrides that reorder text on screen.
_UNSAFE = {*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
           *range(0x2066, 0x206A),
           *range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF}  # invisible: zero-width spaces, marks, BOM
_ESCAPES = {i: (f"\\x{i:02x}" if i < 0x100 else f"\\u{i:04x}") for i in _UNSAFE} | {9: " "}


# What a spec's text may not hold, whether written raw or as an escape: characters a terminal
# acts on (C0 and C1 controls but tab and line feed, DEL) and the bidirectional overrides that
# reorder text on screen. Titles and descriptions reach every output; refused once, at reading,
# no output has to remember to clean them.
REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def refused_char(text: str) -> str | None:
    """A spec text's first character that no spec text may hold (see `REFUSED`), if any."""
    m = REFUSED.search(text)
    return m.group(0) if m else None


def refused_char_message(c: str) -> tuple[str, str]:
    """The message and hint for `refused_char`'s find."""
    what = "reorders the text around it on screen" if ord(c) > 0xFF else "is a control character"
    return (f"text holds `{printable(c)}`, which {what}",
            "delete it: a terminal or a page showing this text would act on it (tabs and line breaks are fine)")


def printable(text: str) -> str:
    """Text with control characters shown escaped (`\x1b` as `\\x1b`), so a spec cannot move
    the cursor, erase lines or set a terminal's title through a message that quotes it."""
    return text.translate(_ESCAPES)


def render_text(d: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """`file:line:col: error[E0xx]: message`, the source line, a caret and the hint."""
    head = f"{d.severity.value}[{d.code}]: {printable(d.message)}"
    if d.span is None:
        lines = [head]
    else:
        s = d.span
        lines = [f"{printable(s.file)}:{s.line}:{s.column}: {head}"]
        text = (sources or {}).get(s.file)
        if text is not None:
            src_lines = text.splitlines()
            if 1 <= s.line <= len(src_lines):
                lines += _quoted(src_lines[s.line - 1], s)
    for n in d.notes:
        lines.append(f"  note: {printable(n)}")
    if d.hint:
        lines.append(f"  hint: {printable(d.hint)}")
    return "\n".join(lines)


SHOWN = 120  # characters of a source line quoted under a message


def _quoted(raw: str, s: Span) -> list[str]:
    """The source line and a caret under the span; a long line (a table of 3,200 entries on
    one line, or a hostile one) only around the span, cut with `…`."""
    col = max(0, min(s.column - 1, len(raw)))
    width = (s.end_column - s.column) if s.end_line == s.line else len(raw) - col
    start = 0 if len(raw) <= SHOWN else max(0, min(col - 40, len(raw) - SHOWN))
    end = min(len(raw), start + SHOWN)
    mark = printable(raw[col:min(col + max(1, width), end)])
    gutter = f"{s.line:>4} | " + ("…" if start else "")
    shown = printable(raw[start:end]) + ("…" if end < len(raw) else "")
    return [gutter + shown, " " * (len(gutter) + len(printable(raw[start:col]))) + "^" * max(1, len(mark))]


def render_json(diags: list[Diagnostic] | tuple[Diagnostic, ...]) -> str:
    return json.dumps([d.to_json() for d in diags], indent=2)


def render_github(d: Diagnostic) -> str:
    """A GitHub Actions workflow command, so CI shows the problem on the line."""
    kind = "error" if d.is_error else "warning"
    msg = printable(d.message + (f" (hint: {d.hint})" if d.hint else ""))
    msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if d.span is None:
        return f"::{kind} title={d.code}::{msg}"
    s = d.span
    where = printable(s.file).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    return f"::{kind} file={where},line={s.line},col={s.column},title={d.code}::{msg}"
