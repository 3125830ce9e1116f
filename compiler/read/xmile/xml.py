"""Safe XML reading with source positions.

Hostile files are refused the way defusedxml refuses them: any DTD, entity declaration or
external reference stops the parse, so nothing can expand entities or read other files.
Namespaces are not processed: Vensim's and Stella's exports often use the `isee:` prefix
without declaring it, and only the local names matter here.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field

from ...base.diagnostics import REFUSED as _REFUSED
from ...base.diagnostics import Span, SpecError, error, refused_char
from ...base.limits import MAX_EXPR_DEPTH


@dataclass
class Node:
    """An element with its prefix split off and its place in the file."""

    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    text: str = ""
    children: list[Node] = field(default_factory=list)
    prefix: str = ""  # a vendor prefix such as isee:, whose elements readers skip

    def child(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag and not c.prefix), None)

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag and not c.prefix]

    def span(self, file: str, width: int = 1) -> Span:
        return Span(file, self.line, self.column, self.line, self.column + width)


class _Refused(Exception):
    pass


def _text(s: str) -> str:
    """Element text or an attribute, with a line break written `&#13;` read as one, and no
    character a terminal would act on (`refused_char`): files come from other tools, whose
    users cannot always edit them, so where a spec's text is refused these are replaced. A C1
    control is what Windows-1252 meant by its byte (Vensim's `doesn\x92t` is `doesn’t`),
    anything else U+FFFD."""
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _REFUSED.sub(_replacement, s) if refused_char(s) is not None else s


def _replacement(m: re.Match[str]) -> str:
    c = m.group(0)
    if 0x80 <= ord(c) <= 0x9F:
        try:
            shown = bytes([ord(c)]).decode("cp1252")
            return shown if refused_char(shown) is None else "\ufffd"
        except UnicodeDecodeError:
            pass
    return "\ufffd"


def parse_xml(text: str, file: str) -> Node:
    p = expat.ParserCreate()
    p.buffer_text = True  # one call per run of text, not one per line
    stack: list[Node] = []
    texts: list[list[str]] = []  # each open element's text, joined once at its end (never += in a loop)
    roots: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        prefix, _, local = tag.rpartition(":")
        node = Node(local, {k.rpartition(":")[2]: _text(v) for k, v in attrs.items() if not k.startswith("xmlns")},
                    p.CurrentLineNumber, p.CurrentColumnNumber + 1, prefix=prefix)
        if len(stack) > 4 * MAX_EXPR_DEPTH:
            raise _Refused(f"elements nested more than {4 * MAX_EXPR_DEPTH} deep")
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
        texts.append([])

    def end(tag: str) -> None:
        stack.pop().text = "".join(texts.pop())

    def data(s: str) -> None:
        if texts:
            texts[-1].append(_text(s))

    def refuse(*_: object) -> None:
        raise _Refused("the file declares a DTD, entities or external references")

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = data
    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.UnparsedEntityDeclHandler = refuse
    p.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        p.Parse(text, True)
    except expat.ExpatError as exc:
        line, col = exc.lineno, exc.offset + 1
        reason = expat.ErrorString(exc.code)
        raise SpecError([error("E070", f"not well-formed XML: {reason}", Span(file, line, col, line, col + 1),
                               "fix the XML at this place; stockflow does not guess at broken files")]) from None
    except _Refused as exc:
        line, col = p.CurrentLineNumber, p.CurrentColumnNumber + 1
        raise SpecError([error("E070", f"refused: {exc}", Span(file, line, col, line, col + 1),
                               "XMILE files need no DTD or entities; remove the <!DOCTYPE ...> block")]) from None
    return roots[0]
