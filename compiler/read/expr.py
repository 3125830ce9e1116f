"""Lark grammar loading and the builder from lark trees to AST expressions and units."""

from __future__ import annotations

import io
import json
import math
import re
import sys
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..base import cache
from ..base.diagnostics import Diagnostic, Span, error, printable, refused_char, refused_char_message
from ..base.limits import MAX_CALL_ARGS, MAX_EXPR_CHARS, MAX_EXPR_DEPTH
from ..base.names import KEYWORDS
from ..ir import ast as A
from .chains import balanced
from .slips import slip_hint

PosMap = Callable[[int, int], tuple[int, int]]


def _identity(line: int, col: int) -> tuple[int, int]:
    return line, col


def _grammar_text(name: str) -> str:
    return resources.files("stockflow.grammars").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def parser() -> Lark:
    text = _grammar_text("model.lark") + "\n" + _grammar_text("expr.lark")
    return cached_lark(text, start=["start", "expr", "unit_expr"])


def cached_lark(text: str, **options: object) -> Lark:
    """A LALR parser for `text`, its tables kept in stockflow's cache: building them takes
    about 0.25 s of every fresh process, loading them 0.02 s."""
    import lark

    options = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True, **options}
    name = "lark-" + cache.key(lark.__version__, sys.version, repr(sorted(options.items())), text) + ".pickle"

    def dump(p: Lark) -> bytes:
        buf = io.BytesIO()
        p.save(buf)
        return buf.getvalue()

    return cache.cached(name, lambda: Lark(text, **options), dump, lambda b: Lark.load(io.BytesIO(b)))


# each backslash of a quoted string and what it escapes, left to right (`\\f` is `\\` then `f`)
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")


class Builder:
    """Turns lark trees into AST nodes, mapping positions into the original file."""

    def __init__(self, file: str, posmap: PosMap = _identity):
        self.file = file
        self.posmap = posmap
        self.errors: list[Diagnostic] = []

    # ---------------------------------------------------------------- spans
    def span_of(self, node: Tree | Token) -> Span | None:
        if isinstance(node, Token):
            if node.line is None:
                return None
            l0, c0 = self.posmap(node.line, node.column)
            l1, c1 = self.posmap(node.end_line or node.line, node.end_column or node.column + 1)
            return Span(self.file, l0, c0, l1, c1)
        meta = node.meta
        if getattr(meta, "empty", True):
            return None
        l0, c0 = self.posmap(meta.line, meta.column)
        l1, c1 = self.posmap(meta.end_line, meta.end_column)
        return Span(self.file, l0, c0, l1, c1)

    # ---------------------------------------------------------------- strings
    def string(self, tok: Token) -> str:
        r"""A quoted string's text. The escapes are `\\`, `\"`, `\n` and `\uXXXX`: JSON's others
        would turn a Windows path (`S:\finance\budget`) or TeX (`\frac`) into control
        characters without a word."""
        raw = str(tok)
        bad = next((m.group(0) for m in _ESCAPE.finditer(raw)
                    if m.group(1) not in ('"', "\\", "n") and len(m.group(1)) != 5), None)  # 5: uXXXX
        if bad is not None:
            self.errors.append(error(
                "E001", f"`{printable(bad)}` is not an escape a string may hold", self.span_of(tok),
                r"write `\\` for a backslash (`S:\\finance`); the escapes are `\\`, `\"`, `\n`, `\uXXXX`"))
            return raw[1:-1]
        text = str(json.loads(raw, strict=False))  # strict=False: a tab is text
        refused = refused_char(text)  # raw or escaped: `\u001b` too
        if refused is not None:
            message, hint = refused_char_message(refused)
            self.errors.append(error("E001", message, self.span_of(tok), hint))
            return raw[1:-1]
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):  # half of a pair: no file or terminal can hold it
            self.errors.append(error("E001", "a `\\uXXXX` escape names half of a character (a lone surrogate)",
                                     self.span_of(tok), "write the character itself, or both halves of the pair"))
            return raw[1:-1]
        return text

    # ---------------------------------------------------------------- numbers
    def number(self, tok: Token, sign: bool = False) -> float:
        if str(tok)[:1] == "0" and str(tok)[1:2].isdigit():  # `max(1,000, x)` is max(1, 000, x): never guess
            self.errors.append(error("E001", f"`{tok}` starts with a 0: a number is never written so",
                                     self.span_of(tok), "numbers have no thousands separators: write a thousand as "
                                     "`1000`, not `1,000` (which reads as two numbers, 1 and 000)"))
        v = float(tok)
        if math.isinf(v):
            self.errors.append(error("E053", f"number `{tok}` is too large for a 64-bit float",
                                     self.span_of(tok), "use a smaller number or a scaled unit"))
            v = 0.0
        return -v if sign else v

    def signed_number(self, tree: Tree) -> float:
        sign, num = tree.children
        return self.number(num, sign is not None)

    # ---------------------------------------------------------------- units
    def unit(self, tree: Tree) -> A.UnitExpr:
        if depth(tree) > MAX_EXPR_DEPTH:
            self.errors.append(error("E006", "unit nested too deeply", self.span_of(tree)))
            return A.UnitExpr((), Fraction(1), self.span_of(tree))
        scale, factors = self._unit(tree.children[0] if tree.data == "unit_expr" else tree)
        merged: dict[str, int] = {}
        for name, p in factors:
            merged[name] = merged.get(name, 0) + p
        # Sorted, so that the same unit always has the same AST (and prints the same way).
        return A.UnitExpr(tuple(sorted((n, p) for n, p in merged.items() if p != 0)), scale,
                          self.span_of(tree))

    def _unit(self, t: Tree | Token) -> tuple[Fraction, list[tuple[str, int]]]:
        kind = t.data if isinstance(t, Tree) else "uname"
        if kind == "uname":
            return Fraction(1), [(str(t.children[0]), 1)]
        if kind == "unum":
            value = Fraction(str(t.children[0]))
            if value == 0:
                self.errors.append(error("E030", "a unit cannot have a zero factor",
                                         self.span_of(t), "write a positive number"))
                value = Fraction(1)
            return value, []
        if kind == "upow":
            base, power = t.children
            s, f = self._unit(base)
            p = int(power)
            if abs(p) > 12:
                self.errors.append(error("E030", f"unit power {p} is out of range",
                                         self.span_of(t), "use powers between -12 and 12"))
                p = 1
            return s**p, [(n, q * p) for n, q in f]
        left, right = t.children
        s1, f1 = self._unit(left)
        s2, f2 = self._unit(right)
        if kind == "umul":
            return s1 * s2, f1 + f2
        return s1 / s2, f1 + [(n, -p) for n, p in f2]

    # ---------------------------------------------------------------- expressions
    def expr(self, t: Tree | Token) -> A.Expr:
        if isinstance(t, Tree):
            t = balanced(t)  # a sum written out over many terms is not nesting
        if depth(t) > MAX_EXPR_DEPTH:
            self.errors.append(error("E006", f"expression nested deeper than {MAX_EXPR_DEPTH} levels",
                                     self.span_of(t), "split it into auxiliaries"))
            return A.Num(0.0, None, self.span_of(t))
        return self._expr(t)

    def _expr(self, t: Tree | Token) -> A.Expr:
        sp = self.span_of(t)
        if isinstance(t, Token):  # only reached for bare tokens under `?` rules
            return A.Name(str(t), sp)
        k, ch = t.data, t.children
        if k == "number":
            return A.Num(self.number(ch[0]), None, sp)
        if k == "quantity":
            u = ch[1]
            unit = self.unit(u) if isinstance(u, Tree) else A.UnitExpr(((str(u), 1),), Fraction(1), self.span_of(u))
            return A.Num(self.number(ch[0]), unit, sp)
        if k == "name":
            return A.Name(str(ch[0]), sp)
        if k == "time_ref":
            return A.Name("time", sp)
        if k == "call":
            if len(ch) - 1 > MAX_CALL_ARGS:
                self.errors.append(error("E006", f"`{ch[0]}` has {len(ch) - 1:,} arguments; the limit is "
                                         f"{MAX_CALL_ARGS:,}", sp, "combine them in auxiliaries"))
                ch = ch[:2]
            args = tuple(self._expr(a) for a in ch[1:] if a is not None)
            return A.Call(str(ch[0]), args, sp)
        if k == "subscript_call":
            at = tuple(self._expr(i) for i in ch[1].children)
            args = tuple(self._expr(a) for a in ch[2:2 + MAX_CALL_ARGS] if a is not None)
            return A.Call(str(ch[0]), args, sp, at)
        if k == "subscript":
            return A.Subscript(str(ch[0]), tuple(self._expr(a) for a in ch[1:]), sp)
        if k == "reduce_index":
            return A.Name(str(ch[0]) + "!", sp)
        if k in _BINOPS:
            return A.BinOp(_BINOPS[k], self._expr(ch[0]), self._expr(ch[1]), sp)
        if k == "neg":
            return A.Neg(self._expr(ch[0]), sp)
        if k == "pos":
            return self._expr(ch[0])
        if k == "compare":
            return A.Compare(A.CompareKind(str(ch[1])), self._expr(ch[0]), self._expr(ch[2]), sp)
        if k in ("and_", "or_"):
            return A.Logic("and" if k == "and_" else "or", self._expr(ch[0]), self._expr(ch[1]), sp)
        if k == "not_":
            return A.Not(self._expr(ch[0]), sp)
        if k == "if_":
            return A.If(self._expr(ch[0]), self._expr(ch[1]), self._expr(ch[2]), sp)
        raise AssertionError(f"unhandled grammar rule {k}")


_BINOPS = {"add": A.BinOpKind.ADD, "sub": A.BinOpKind.SUB, "mul": A.BinOpKind.MUL,
           "div": A.BinOpKind.DIV, "pow": A.BinOpKind.POW}


def depth(t: Tree | Token) -> int:
    """Tree depth without recursion, so hostile nesting cannot overflow the stack."""
    best, stack = 0, [(t, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if isinstance(node, Tree):
            stack.extend((c, d + 1) for c in node.children if c is not None)
    return best


def syntax_error(exc: UnexpectedInput, file: str, code: str, posmap: PosMap = _identity,
                 what: str = "spec", text: str | None = None) -> Diagnostic:
    """A lark exception as a diagnostic that says what was expected, or, given the parsed
    `text`, what to write instead where the fault is a known slip (`IF`, `**`, `10%`)."""
    d = _syntax_error(exc, file, code, posmap, what)
    return _with_slip(d, exc, code, text) or d


def slip_error(exc: UnexpectedInput, file: str, code: str, text: str) -> Diagnostic | None:
    """`syntax_error`, only where the fault is a known slip: it comes before the readers' own
    guesses at what a declaration meant (a parameter's `= 7%` is a percentage, not an equation)."""
    return _with_slip(_syntax_error(exc, file, code, _identity, "spec"), exc, code, text)


def _with_slip(d: Diagnostic, exc: UnexpectedInput, code: str, text: str | None) -> Diagnostic | None:
    rows = text.split("\n") if text is not None else []
    if not 0 < exc.line <= len(rows) or d.code != code:
        return None
    found = str(exc.token) if isinstance(exc, UnexpectedToken) else getattr(exc, "char", "")
    hint = slip_hint(rows[exc.line - 1], exc.column, found, rows)
    return None if hint is None else error(d.code, d.message, d.span, hint)


def _syntax_error(exc: UnexpectedInput, file: str, code: str, posmap: PosMap, what: str) -> Diagnostic:
    line, col = posmap(exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1)
    span = Span(file, line, col, line, col + 1)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return error(code, f"unexpected end of {what}", span, _expected_hint(exc.expected))
    if isinstance(exc, UnexpectedEOF):
        return error(code, f"unexpected end of {what}", span, _expected_hint(exc.expected))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        span = Span(file, line, col, line, col + max(1, len(str(tok))))
        word = str(tok)
        if word in KEYWORDS and "NAME" in exc.expected:
            return error("E012", f"`{word}` is a reserved word and cannot be used as a name",
                         span, f"rename it, e.g. `{word}_value`")
        return error(code, f"unexpected `{word}`", span, _expected_hint(exc.expected))
    if isinstance(exc, UnexpectedCharacters):
        return error(code, f"unexpected character `{exc.char}`", span,
                     _expected_hint(exc.allowed or set()))
    return error(code, f"cannot parse this {what}", span, None)


_PRETTY = {"NAME": "a name", "NUMBER": "a number", "STRING": "a quoted string", "LPAR": "`(`",
           "RPAR": "`)`", "LBRACE": "`{`", "RBRACE": "`}`", "LSQB": "`[`", "RSQB": "`]`",
           "EQUAL": "`=`", "COLON": "`:`", "COMMA": "`,`", "__ANON_0": "`->`", "COMP_OP": "a comparison",
           "PLUS": "`+`", "MINUS": "`-`", "STAR": "`*`", "SLASH": "`/`", "CIRCUMFLEX": "`^`",
           "SIGN": "`-`", "POWER_INT": "a whole number", "OUTSIDE": "`outside`", "$END": "end of input",
           "QUOTED": "a quoted name", "EQ_OP": "`=`", "REL_OP": "a comparison",
           # lark's names for the punctuation a grammar writes as a literal
           "TILDE": "`~`", "BANG": "`!`", "DOT": "`.`", "SEMICOLON": "`;`", "LESSTHAN": "`<`",
           "MORETHAN": "`>`", "PERCENT": "`%`", "VBAR": "`|`", "AMPERSAND": "`&`", "QMARK": "`?`",
           "AT": "`@`", "HASH": "`#`", "DOLLAR": "`$`", "BACKQUOTE": "`` ` ``", "SLASH_SLASH": "`//`"}


def _expected_hint(expected: set[str] | frozenset[str]) -> str | None:
    names = sorted({_PRETTY.get(e, f"`{e.lower()}`" if e.isupper() and e.replace("_", "").isalpha() else e)
                    for e in expected if not e.startswith("__")})
    if not names:
        return None
    if len(names) > 8:
        names = names[:8] + ["..."]
    return "expected " + ", ".join(names)


def parse_expr_text(text: str, file: str, posmap: PosMap = _identity) -> tuple[A.Expr | None, list[Diagnostic]]:
    """Parse one expression (the YAML form's equations)."""
    if len(text) > MAX_EXPR_CHARS:
        line, col = posmap(1, 1)
        return None, [error("E006", f"expression longer than {MAX_EXPR_CHARS} characters",
                            Span(file, line, col, line, col + 1), "split it into auxiliaries")]
    try:
        tree = parser().parse(text, start="expr")
    except UnexpectedInput as exc:
        return None, [syntax_error(exc, file, "E004", posmap, "expression", text)]
    b = Builder(file, posmap)
    e = b.expr(tree)
    return e, b.errors


def parse_unit_text(text: str, file: str, posmap: PosMap = _identity) -> tuple[A.UnitExpr | None, list[Diagnostic]]:
    if len(text) > 1000:
        line, col = posmap(1, 1)
        return None, [error("E006", "unit longer than 1000 characters", Span(file, line, col, line, col + 1))]
    try:
        tree = parser().parse(text, start="unit_expr")
    except UnexpectedInput as exc:
        return None, [syntax_error(exc, file, "E004", posmap, "unit")]
    if depth(tree) > MAX_EXPR_DEPTH:
        line, col = posmap(1, 1)
        return None, [error("E006", "unit nested too deeply", Span(file, line, col, line, col + 1))]
    b = Builder(file, posmap)
    u = b.unit(tree)
    return u, b.errors
