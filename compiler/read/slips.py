"""Slips that people bring from other tools (Stella's `IF ... THEN`, Python's `**`, a
spreadsheet's `10%` or decimal comma), recognised at a syntax error's place so that the hint
says what to write instead of listing the tokens the parser wanted."""

from __future__ import annotations

import re
import unicodedata

from ..base.names import KEYWORDS, as_element_name
from .array_slips import array_slip

_UPPER_IF = re.compile(r"\b(IF|THEN|ELSE|AND|OR|NOT)\b")
_DECIMAL_COMMA = re.compile(r"\d,\d")
_THOUSANDS = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+)(?![\d,])")
_PERCENT = re.compile(r"(\d+\.?\d*|\.\d+)\s*$")
_WORD = re.compile(r"\w+")
_INVISIBLE = {*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF}  # zero-width spaces and marks, BOM
_WINDOW = 1000  # characters either side of a fault that a slip is looked for in
_TIMED = re.compile(r"\b(from|over|until)\s+(-?\d[\d.eE+-]*)\s*$")  # `from 26 week` in a scenario
_SET_KIND = re.compile(r"^\s*(set|remove)\s+(?:stock|flow|aux|param|parameter|lookup|metric|scenario|group|"
                       r"expect|dim)\s+([A-Za-z_]\w*)")
_SCALE_TAGGED = re.compile(r"\bscale\s+(?:all\s+)?(?:the\s+)?flows?\s+(?:tagged|with\s+tag|with)\b\s*(\w*)")
_HEADER = re.compile(r"^\s*(stock|flow|aux|param|lookup|metric|group|dim)\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)")


def slip_hint(line: str, column: int, found: str, rows: list[str] | None = None) -> str | None:
    """A hint for the syntax error at `column` (from 1) of `line`, where the parser met
    `found` (a token's text or a character), if it looks like a known slip; else None.
    `rows`, the text's lines, let a hint name a dimension's elements."""
    if len(line) > 2 * _WINDOW:  # slips are local: a long line is read around the fault, in linear time
        cut = max(0, column - 1 - _WINDOW)
        line, column = line[cut:column - 1 + _WINDOW], column - cut
    before, at = line[:column - 1], line[column - 1:]
    last = before.split()[-1] if before.split() else ""  # `Stock` after a number reads as its unit
    if _UPPER_IF.search(before + found):
        return "keywords are lower case: `if a > b then x else y`, `and`, `or`, `not`"
    for word in (found, last):
        if word.lower() in KEYWORDS and word != word.lower():
            return f"keywords are lower case: write `{word.lower()}`"
    operator = _operator_slip(line, before, at, found)
    if operator is not None:
        return operator
    if at.startswith("**") or (found == "*" and before.endswith("*")):
        return "a power is written `^`: `x^2`"
    words = before.split()
    if len(words) >= 2 and words[-1] == "per" and before[-1:].isspace():
        return f"units go in brackets after a number: `{words[-2]} [1/{found}]`"
    if re.search(r"\[\s*per\s*$", before):
        return f"a rate's units are written `[1/{found}]`"
    if found == "%":
        n = _PERCENT.search(before)
        return number_slip(n.group(1) + "%") if n else "a percentage is a number: write 10% as `0.1`"
    if found == ";":
        return "a declaration ends with its line: remove the `;`"
    if found == ",":
        grouped = next((m for m in _THOUSANDS.finditer(line) if m.start() < column - 1 < m.end()), None)
        if grouped:
            return number_slip(grouped.group(1))
        if _DECIMAL_COMMA.search(line[max(0, column - 3):column + 1]):
            return "numbers take a decimal point: write `0.1`, not `0,1`"
    if found == "/" and (before.rstrip().endswith("/") or at.startswith("//")):
        return "a comment starts with `#`; a whole-number division is `floor(a / b)`"
    if found in ("£", "$", "€"):
        return "money is a unit like any other: declare `unit GBP` and write `[GBP/year]`; reports show it in £"
    if found == "\u00a0":
        return "a no-break space (a word processor's) stands here: type an ordinary space"
    if found and ord(found[0]) in _INVISIBLE:
        return ("an invisible character (a zero-width space or mark, often pasted from a web page or a "
                "word processor) stands here: delete it")
    if found.isalpha() and not found.isascii():
        return _ascii_name(line, column)
    file = re.search(r"([\w./-]*)$", before).group(1) + re.match(r"[\w.]*", at).group(0)  # type: ignore[union-attr]
    if found == "." and file.lower().endswith((".csv", ".txt", ".xlsx")):
        return (f"an array's values are read from a file with `csv \"{file}\"` (YAML: `table: {file}`, in place "
                "of `initial:` or `value:`); an equation cannot name a file")
    arrays = array_slip(line, before, at, found, rows or [])
    if arrays is not None:
        return arrays
    dim = _dim_slip(line)
    if dim is not None:
        return dim
    timed = _TIMED.search(before)
    if timed and (found.isidentifier() or found == "["):
        return (f"a scenario's times are numbers in the model's time unit, without units: "
                f"write `{timed.group(1)} {timed.group(2)}`")
    tagged = next((m for m in _SCALE_TAGGED.finditer(line) if m.start() < column - 1 <= m.end()), None)
    if tagged is not None:
        return (f"a tag's name scales every flow it tags: write `scale {tagged.group(1) or 'TAG'} by ...` "
                "(a flow's name scales that flow)")
    kind = _SET_KIND.match(line)
    if kind and kind.start(2) == column - 1:
        return (f"`set` keeps the declaration's kind: write `set {kind.group(2)} = ...`" if kind.group(1) == "set"
                else f"`remove` takes the name alone: write `remove {kind.group(2)}`")
    m = _HEADER.match(line)
    if m and m.group(1) == "flow" and m.group(3) == "from":
        return f"a flow is written `flow {m.group(2)}: FROM -> TO = RATE`"
    if m and m.start(3) == column - 1:
        return f"a name has no spaces: write `{m.group(2)}_{m.group(3)}`"
    return None


def _ascii_name(line: str, column: int) -> str:
    """A name with a letter outside a-z (`café`): the same name in plain letters, if it has one."""
    word = next((m.group(0) for m in _WORD.finditer(line) if m.start() < column <= m.end()), "")
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    if plain and re.fullmatch(r"[A-Za-z_]\w*", plain):
        return f"names use the letters a-z, digits and `_`: write `{plain}`"
    return "names use the letters a-z, digits and `_`"


def number_slip(text: str) -> str | None:
    """What to write for a number written as a spreadsheet shows it (`7%`, `1,000`, `£50`)."""
    t = text.strip()
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)\s*%", t):
        return f"a percentage is a number: write {t} as `{float(t.rstrip('% ')) / 100:.10g}`"
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        return f"numbers have no thousands separators: write `{t.replace(',', '')}`"
    if t[:1] in ("£", "$", "€"):
        return f"write the number alone (`{t[1:].replace(',', '')}`) and give the units: `units: GBP`"
    return None


_DIM = re.compile(r"^\s*dim\s+(\w+)\s*=\s*(.*?)\s*(#.*)?$")


def _dim_slip(line: str) -> str | None:
    """A dimension written as other tools or spreadsheets write one: `0..17`, `range(17)`,
    elements without brackets, or labels such as `0-4`."""
    m = _DIM.match(line)
    if m is None:
        return None
    name, rhs = m.group(1), m.group(2)
    numbers = re.findall(r"-?\d+", rhs)
    if re.search(r"\d\s*(\.\.|:)\s*-?\d", rhs) or re.fullmatch(r"range\(\s*\d+\s*\)", rhs):
        lo, hi = (numbers[0], numbers[-1]) if len(numbers) > 1 else ("1", numbers[0])
        return f"numbered elements are written `dim {name} = range({lo}, {hi})` (first and last, both included)"
    if not rhs.startswith(("[", "range")) and "," in rhs:
        return f"a dimension's elements go in brackets: `dim {name} = [{rhs}]`"
    inside = rhs[1:-1] if rhs.startswith("[") and rhs.endswith("]") else ""
    for element in (e.strip().strip("\"'") for e in inside.split(",")):
        if re.fullmatch(r"\w+(\s+\w+)+", element):
            words = element.split()
            return (f"elements are separated by commas, and a name has no spaces: `{', '.join(words)}` "
                    f"for several, `{'_'.join(words)}` for one")
        if element and not re.fullmatch(r"[A-Za-z_]\w*|-?\d+", element):
            return f"an element is a name or a whole number: write `{as_element_name(name, element)}` for `{element}`"
    return None


_PROPERTIES = ("description", "source", "assumption", "tags", "bounds", "non_negative", "where")


def _operator_slip(line: str, before: str, at: str, found: str) -> str | None:
    """Operators and layout from other languages: `=>`, `==` in a definition, `=` or `<>` in a
    condition, `&&`, Python's `if`, curly quotes, `time { start = 0 }`, properties without braces."""
    if at.startswith("=>") or found == "\u2192":
        return "a flow runs `FROM -> TO`: `flow f: a -> b = RATE`"
    if re.match(r"^\s*flow\s+\w+\s*=", line) and found == "=":
        return "a flow is written `flow NAME: FROM -> TO = RATE`"
    if re.match(r"^\s*time\s*\{", line) and found in ("=", ":", ","):
        return "time settings are written without `=` or commas: `time { start 0  stop 10  dt 0.25  units year }`"
    if found in ("\u201c", "\u201d", "\u2018", "\u2019"):
        return 'text takes straight quotes, `"..."`: a word processor\'s curly quotes are not quotes here'
    if at.startswith("<>") or (found == ">" and before.endswith("<")):
        return "not equal is written `!=`"
    if found in ("&", "|"):
        return "write `and`, `or` (and `not`)"
    cond = re.search(r"\bif\b(?!.*\bthen\b)", before)
    if found == "=" and cond and not before.rstrip().endswith(("<", ">", "!", "=")):
        return "a comparison is written `==`: `if a == b then x else y`"
    code = re.sub(r'"[^"]*"', '""', line)  # words inside a description are not code
    if re.search(r"\bif\b", code) and re.search(r"\belse\b", code) and not re.search(r"\bthen\b", code):
        return "a choice is written `if c then a else b`"  # Python's `a if c else b`, `if c: a else b`
    if found == "=" and before.rstrip().endswith("="):
        return "a definition takes one `=` (`==` compares)"
    if found in _PROPERTIES:
        return f"properties go in braces after the equation: `{{ {found} ... }}`"
    return None
