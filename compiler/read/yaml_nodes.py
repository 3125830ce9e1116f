"""Safe YAML loading and the node reader that the spec and calibration readers share."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..base.diagnostics import (
    Diagnostic,
    Span,
    SpecError,
    error,
    printable,
    refused_char,
    refused_char_message,
)
from ..ir import ast as A
from ..ir.kinds import DOC_KEYS
from .array_slips import keyed_hint
from .expr import parse_expr_text, parse_unit_text
from .slips import number_slip


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loading without anchors/aliases, which can multiply a small file into a huge tree."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError("while composing", None,
                                       "aliases (*name) are not allowed in stockflow specs",
                                       event.start_mark)
        node = super().compose_node(parent, index)
        if isinstance(node, ScalarNode) and _HALF.search(node.value):  # no file or terminal can hold one
            raise yaml.MarkedYAMLError("while composing", None, _LONE_SURROGATE, node.start_mark)
        if isinstance(node, ScalarNode) and (refused := refused_char(node.value)) is not None:
            raise _Refused(refused, node)
        return node


class _Refused(yaml.MarkedYAMLError):
    """A scalar holding a character no spec text may hold (`refused_char`)."""

    def __init__(self, char: str, node: ScalarNode):
        super().__init__("while composing", None, refused_char_message(char)[0], node.start_mark)
        self.hint = refused_char_message(char)[1]
        if node.style == '"':  # `"S:\finance"`: YAML read `\f` as a form feed
            self.hint += ("; in double quotes YAML reads `\\` as the start of an escape (`\\f` is a form feed): "
                          "write `\\\\` for a backslash, or use single quotes")


_HALF = re.compile("[\ud800-\udfff]")
_LONE_SURROGATE = "a `\\uXXXX` escape names half of a character (a lone surrogate)"


# YAML 1.2's floats: PyYAML follows YAML 1.1, where `1e3` and `2.5e3` (no dot, or no sign in
# the exponent) are text, so `value: 1e3` was "must be a number"
_NoAliasLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))

MAX_YAML_DEPTH = 32


def _too_deep(text: str) -> Any:
    """The place where nesting first exceeds the limit, found without recursion."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if getattr(event, "tag", None) is not None and not (isinstance(event, yaml.ScalarEvent) and any(event.implicit)):
            raise yaml.MarkedYAMLError(problem="YAML tags (`!!int`, `!!python/...`) are not allowed in a spec",
                                       problem_mark=event.start_mark)  # type: ignore[arg-type]
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return event.start_mark
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def compose(text: str, file: str) -> Node | None:
    """The YAML node tree of `text`, loaded safely: no tags, no aliases, bounded depth; YAML
    errors become E002 (E006 for depth) at their place, with a hint for the usual slips."""
    try:
        mark = _too_deep(text)
        if mark is not None:
            line, col = mark.line + 1, mark.column + 1
            raise SpecError([error("E006", f"YAML nested deeper than {MAX_YAML_DEPTH} levels",
                                   Span(file, line, col, line, col + 1), "a spec needs only a few levels")])
        root = yaml.compose(text, Loader=_NoAliasLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = exc.problem or "invalid YAML"
        hint = "check indentation, colons and quotes here"
        if isinstance(exc, _Refused):
            hint = exc.hint
        elif msg == _LONE_SURROGATE:
            hint = "write the character itself (YAML writes one past `\\uFFFF` as `\\U0001F600`)"
        if "'\\t'" in msg:
            hint = "YAML indents with spaces, never tabs: replace the tab with spaces"
        rows = text.split("\n")
        glued = _glued(rows[line - 1][:col]) if 0 < line <= len(rows) else None
        if glued:  # `time:{...}`, `name:{...}`: the first colon lacks its space
            hint = f"a key takes a space after its colon: `{glued[0]}: {glued[1]}`"
        row = rows[line - 1] if 0 < line <= len(rows) else ""
        colon = _colon_in_value(row, col - 1, flow="flow" in (exc.context or ""))
        if colon is not None:
            hint = colon
        elif msg == "mapping values are not allowed here" or msg.startswith("expected <block end>"):
            hint = _indent_hint(rows, line - 1) or hint
        elif "flow" in (exc.context or "") and "got ':'" in msg and exc.context_mark is not None:
            hint = (f"the `{{` or `[` opened at line {exc.context_mark.line + 1} is not closed: "
                    "close it on that line")
        elif "flow" in (exc.context or ""):
            hint = ("inside `{...}` or `[...]`, quote a value that holds `[`, `]`, `{`, `}` or `,`: "
                    "`rate: \"200 [child/year]\"`; or give each key its own line")
        raise SpecError([error("E002", f"YAML: {msg}", Span(file, line, col, line, col + 1), hint)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([error("E002", f"YAML: {exc}", Span(file, 1, 1, 1, 2))]) from None
    return root


def _glued(text: str) -> tuple[str, str] | None:
    """The first `word:x`, a key whose colon has no space after it. A colon at a time, and
    back over its word: `re.search(r"([A-Za-z_]\\w*):...")` took 44 s on a hostile line of
    100,000 letters, trying every start."""
    for m in re.finditer(r":(?=[^\s:/])", text):
        i = j = m.start()
        while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_") and text[j - 1].isascii():
            j -= 1
        while j < i and text[j].isdigit():
            j += 1
        if j < i:
            return text[j:i], text[i + 1]
    return None


def _colon_in_value(row: str, at: int, flow: bool) -> str | None:
    """`description: Note: this`: a value holding `: ` must be quoted; the hint quotes it.
    Anchored matches only: a hostile line of 100,000 characters is read once, not once a
    position."""
    if at >= len(row) or row[at] != ":":
        return None
    before = row[:at]
    start = max(before.rfind("{"), before.rfind(","), before.rfind("[")) + 1 if flow else 0
    found = re.match(r"\s*(?:-\s+)?([\w$-]+):\s+(.*)", before[start:])
    if found is None or not found.group(2).strip() or any(c in found.group(2) for c in ":{}[],"):
        return None
    value_at = start + found.start(2)
    rest = row[value_at:]
    if flow:
        cut = min((i for i in (rest.find(","), rest.find("}"), rest.find("]")) if i >= 0), default=-1)
        if cut < 0 or cut <= at - value_at:
            return None  # the bracket is not closed on this line: that hint is the better one
        rest = rest[:cut]
    value = rest.rstrip() if len(rest.rstrip()) <= 60 else rest[:57] + "…"
    return f'a value with `: ` in it must be quoted: `{found.group(1)[:40]}: "{value}"`'


def _indent_hint(rows: list[str], i: int) -> str | None:
    """A key indented unlike the entries around it: which line to line it up with."""
    if not 0 <= i < len(rows):
        return None
    key = re.match(r"(\s*)([^\s:#][^:]*):", rows[i])
    if key is None:
        return None
    mine = len(key.group(1))
    for j in range(i - 1, -1, -1):
        prev = re.match(r"(\s*)([^\s:#][^:]*):(.*)", rows[j])
        if prev is None:
            continue
        theirs = len(prev.group(1))
        mine_key, their_key, value = _cut(key.group(2)), _cut(prev.group(2)), _cut(prev.group(3).strip())
        if theirs < mine and value and not value.startswith("#"):
            return (f"`{mine_key}:` is indented under `{their_key}: {value}`, which already "
                    f"has its value: line it up with `{their_key}:` ({theirs} spaces in)")
        if theirs != mine:
            return f"line `{mine_key}:` up with `{their_key}:` on line {j + 1} ({theirs} spaces in)"
        return None
    return None


def _cut(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def cut_at_commas(root: yaml.Node | None, file: str) -> list[Diagnostic]:
    """E003 where a flow mapping split an unquoted expression at its commas: `{x: f(1, 2)}`
    reads as `x: f(1` and keys `2)`; one diagnostic per mapping, with the fix."""
    out: list[Diagnostic] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
            if not node.flow_style:
                continue
            for key, value in node.value:
                text = value.value if isinstance(value, yaml.ScalarNode) and value.style is None else ""
                if isinstance(text, str) and text.count("(") > text.count(")"):
                    m = value.start_mark
                    out.append(error("E003", f"the value of `{key.value}` was cut at a comma: `{text}`",
                                     Span(file, m.line + 1, m.column + 1, m.line + 1, m.column + 1 + len(text)),
                                     f"inside `{{...}}` quote an expression with commas: "
                                     f"`{key.value}: \"{text}, ...)\"`, or give each key its own line"))
                    break
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


def glued_colons(root: yaml.Node | None, file: str) -> list[Diagnostic]:
    """E003 where a key's colon has no space after it: `s:{initial: 1}` reads as a key
    `s:{initial`, which then lacked `initial`."""
    out: list[Diagnostic] = []
    stack = [root] if root is not None else []
    while stack and len(out) < 20:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(value)
                text = key.value if isinstance(key, yaml.ScalarNode) and key.style is None else ""
                if isinstance(text, str) and ":" in text:
                    head, _, rest = text.partition(":")
                    m = key.start_mark
                    out.append(error("E003", f"`{printable(text)}`: a colon here has no space after it",
                                     Span(file, m.line + 1, m.column + 1, m.line + 1, m.column + 1 + len(text)),
                                     f"a key takes a space after its colon: `{printable(head)}: {printable(rest)}...`"))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return out


class NodeReader:
    """Reading YAML nodes into values, collecting diagnostics at each node's place."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.lines = text.splitlines()
        self.errors: list[Diagnostic] = []
        self.ctor = yaml.constructor.SafeConstructor()
        self.listed_dims: dict[str, list[str]] = {}  # each dimension's elements, for hints

    # ---------------------------------------------------------------- helpers
    def span(self, node: Node) -> Span:
        s, e = node.start_mark, node.end_mark
        return Span(self.file, s.line + 1, s.column + 1, e.line + 1, max(e.column + 1, s.column + 2)
                    if e.line == s.line else e.column + 1)

    def err(self, code: str, msg: str, node: Node | Span | None, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) or node is None else self.span(node)
        self.errors.append(error(code, msg, span, hint))

    def err_unless_told(self, code: str, msg: str, node: Node, hint: str | None = None) -> None:
        """`err`, unless that place has an error already: a value that is not a finite number
        reads as 0, and "must be positive, not 0" after it would be about a 0 nobody wrote."""
        if all(d.span != self.span(node) for d in self.errors):
            self.err(code, msg, node, hint)

    def scalar(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            return node
        if node.tag.endswith(":int") and len(node.value) > 400:  # past any float; Python refuses > 4300 digits
            return float("inf")
        try:
            return self.ctor.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError):  # a date such as 2024-13-45
            self.err("E003", f"cannot read `{printable(str(node.value))[:60]}` as a value", node,
                     "write a number, a date as YYYY-MM-DD, or quote it as text")
            return str(node.value)

    def mapping(self, node: Node, what: str) -> list[tuple[ScalarNode, Node]]:
        if not isinstance(node, MappingNode):
            self.err("E003", f"{what} must be a mapping of `key: value` lines", node)
            return []
        seen: dict[str, ScalarNode] = {}
        out = []
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                self.err("E003", "keys must be plain names", k)
                continue
            if k.value in seen:
                first = seen[k.value].start_mark.line + 1
                self.err("E011", f"`{k.value}` appears twice in {what} (first on line {first})", k,
                         "remove or rename one")
                continue
            seen[k.value] = k
            out.append((k, v))
        return out

    def string(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode):
            self.err("E003", f"{what} must be text", node)
            return None
        return str(node.value)

    def posmap(self, node: ScalarNode):
        """Map positions inside a scalar's text to the file, exactly for one-line scalars."""
        sl, sc = node.start_mark.line, node.start_mark.column
        raw = self.lines[sl] if sl < len(self.lines) else ""
        quoted = node.style in ("'", '"')
        offset = 1 if quoted else 0
        exact = (node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"')
                 and raw[sc + offset: sc + offset + len(node.value)] == node.value)

        def m(line: int, col: int) -> tuple[int, int]:
            if exact and line == 1:
                return sl + 1, sc + offset + col
            return sl + 1, sc + 1

        return m

    def expr(self, node: Node, what: str) -> A.Expr:
        if isinstance(node, ScalarNode) and node.tag.endswith((":int", ":float")):
            value = float(self.scalar(node))
            if math.copysign(1.0, value) < 0:  # `-5` as the DSL reads it, a minus before a number
                return A.Neg(A.Num(-value, None, self.span(node)), self.span(node))
            return A.Num(value, None, self.span(node))
        if not isinstance(node, ScalarNode) or node.tag.endswith((":bool", ":null")):
            self.err("E003", f"{what} must be an expression (text or a number)", node,
                     _listed(node, self.listed_dims) or "quote it if it looks like something else")
            return A.Num(0.0, None, self.span(node))
        e, errs = parse_expr_text(str(node.value), self.file, self.posmap(node))
        self.errors.extend(errs)
        return e if e is not None else A.Num(0.0, None, self.span(node))

    def unit(self, node: Node) -> A.UnitExpr | None:
        if isinstance(node, ScalarNode) and node.tag.endswith(":int") and node.value.strip() == "1":
            return A.UnitExpr((), span=self.span(node))
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            self.err("E003", "units must be written as text, e.g. `child/year`", node)
            return None
        u, errs = parse_unit_text(str(node.value), self.file, self.posmap(node))
        self.errors.extend(errs)
        return u

    def number(self, node: Node, what: str) -> float:
        if isinstance(node, ScalarNode) and node.tag.endswith((":int", ":float")):
            v = float(self.scalar(node))
            if v != v or v in (float("inf"), float("-inf")):
                self.err("E053", f"{what} must be a finite number", node)
                return 0.0
            return v
        text = str(node.value) if isinstance(node, ScalarNode) else ""
        timed = what in ("`from`", "`over`", "`until`") and re.match(r"\s*(-?\d[\d.eE+-]*)\s*\S", text)
        hint = (f"a scenario's times are numbers in the model's time unit, without units: `{timed.group(1)}`"
                if timed else number_slip(text) or _listed(node, self.listed_dims) or "e.g. `0.25`")
        self.err("E003", f"{what} must be a number", node, hint)
        return 0.0

    def flag(self, node: Node, what: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return bool(self.scalar(node))
        self.err("E003", f"{what} must be true or false", node)
        return False

    def doc(self, props: dict[str, Node]) -> A.Doc:
        vals = [self.string(props[k], f"`{k}`") if k in props else None for k in DOC_KEYS]
        return A.Doc(*vals)

    # ---------------------------------------------------------------- the document

    def bounds(self, node: Node) -> tuple[float, float] | None:
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            self.err("E003", "this must be a list of two numbers", node, "e.g. `[0, 1]`")
            return None
        lo, hi = (self.number(n, "a bound") for n in node.value)
        return (lo, hi)


def _listed(node: Node, dims: dict[str, list[str]]) -> str | None:
    """A list of values where one value or a table is wanted: an array's values by position,
    as a spreadsheet row or Vensim writes them. Keyed by the elements of the one dimension of
    the file with as many elements as the list has values, where there is one."""
    if not isinstance(node, SequenceNode) or not node.value:
        return None
    values = [str(v.value) if isinstance(v, ScalarNode) else "..." for v in node.value]
    fits = [els for els in dims.values() if len(els) == len(values)]
    return keyed_hint(fits[0] if len(fits) == 1 else None, values, "`table: FILE.csv`")


MAX_SHOWN_DIM = 1000  # longer dimensions are not matched against a list


def dim_lists(node: Node | None) -> dict[str, list[str]]:
    """The elements of each dimension a `dimensions:` section lists, read from its nodes as
    written, for hints that name elements before the section is read."""
    out: dict[str, list[str]] = {}
    for k, v in node.value if isinstance(node, MappingNode) else ():
        if isinstance(v, MappingNode):
            v = next((x for key, x in v.value if getattr(key, "value", None) == "elements"), v)
        if isinstance(v, SequenceNode) and len(v.value) <= MAX_SHOWN_DIM:
            out[str(k.value)] = [str(x.value) for x in v.value if isinstance(x, ScalarNode)]
    return out

