"""XMILE equations -> stockflow expressions.

XMILE has one numeric type: a comparison is 1 or 0 and any non-zero number is true. stockflow
keeps conditions and numbers apart, so the translation adds `if c then 1 else 0` and `x != 0`
where XMILE mixes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from ...base.diagnostics import Diagnostic, Span, error
from ...base.limits import MAX_EXPR_CHARS, MAX_EXPR_DEPTH
from ...ir import ast as A
from ..chains import balanced
from ..expr import Builder, PosMap, _grammar_text, cached_lark, depth, syntax_error
from .names import key


@lru_cache(maxsize=1)
def parser() -> Lark:
    return cached_lark(_grammar_text("xmile.lark"))


@dataclass(frozen=True)
class Scope:
    """What names in equations mean: variable key -> identifier, lookups, and run settings."""

    names: dict[str, str]
    lookups: dict[str, str]
    start: float
    stop: float
    # Without units, TIME and DT are plain numbers as in XMILE: time / (1 time unit).
    time_unit: str | None = None
    dims: dict[str, str] = field(default_factory=dict)  # dimension key -> identifier
    elements: dict[str, str] = field(default_factory=dict)  # element key -> identifier (any dimension)
    arrayed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # variable key -> its dimensions
    here: tuple[str, ...] = ()  # the dimensions of the equation being read
    inline: dict[str, str] = field(default_factory=dict)  # variable key -> its inline <gf>'s table
    # With units: the model's time unit, which a bare number compared with or added to TIME is in
    clock: str | None = None


# XMILE function (lower case) -> stockflow function with the same arguments
_SAME = {"abs": "abs", "min": "min", "max": "max", "exp": "exp", "ln": "ln", "log10": "log",
         "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos",
         "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
         "int": "trunc", "integer": "trunc", "mod": "rem", "round": "round",
         "init": "init", "initial": "init", "step": "step", "ramp": "ramp",
         "smth1": "smooth", "smth3": "smooth3", "smthn": "smoothn",
         "delay1": "delay1", "delay3": "delay3", "delayn": "delayn",
         "sum": "sum", "mean": "mean", "prod": "prod"}
# how many arguments each takes (fewest, most)
_ARITY = {"abs": (1, 1), "min": (2, 99), "max": (2, 99), "exp": (1, 1), "ln": (1, 1), "log10": (1, 1),
          "sqrt": (1, 1), "sin": (1, 1), "cos": (1, 1), "tan": (1, 1), "arcsin": (1, 1), "arccos": (1, 1),
          "arctan": (1, 1), "sinh": (1, 1), "cosh": (1, 1), "tanh": (1, 1),
          "int": (1, 1), "integer": (1, 1), "mod": (2, 2), "round": (1, 1),
          "init": (1, 1), "initial": (1, 1), "step": (2, 2), "ramp": (2, 3), "smth1": (2, 3),
          "smth3": (2, 3), "smthn": (3, 4), "delay1": (2, 3), "delay3": (2, 3), "delayn": (3, 4),
          "pi": (0, 0), "safediv": (2, 3), "xidz": (3, 3), "zidz": (2, 2), "pulse": (2, 3),
          "if_then_else": (3, 3), "lookup": (2, 2), "sum": (1, 1), "mean": (1, 1), "prod": (1, 1),
          "delay": (2, 3)}
SUPPORTED = sorted(_ARITY)


def parse_equation(text: str, file: str, posmap: PosMap, scope: Scope) -> tuple[A.Expr | None, list[Diagnostic]]:
    if len(text) > MAX_EXPR_CHARS:
        line, col = posmap(1, 1)
        return None, [error("E006", f"equation longer than {MAX_EXPR_CHARS} characters",
                            Span(file, line, col, line, col + 1), "split it into auxiliaries")]
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        return None, [syntax_error(exc, file, "E004", posmap, "equation")]
    t = _Translator(Builder(file, posmap), scope)
    tree = balanced(tree)  # a sum written out over every element is not nesting
    if depth(tree) > MAX_EXPR_DEPTH:
        t.err("E006", f"equation nested deeper than {MAX_EXPR_DEPTH} levels", tree, "split it into auxiliaries")
        return None, t.errors
    return t.number(t.expr(tree)), t.errors


def is_bool(e: A.Expr) -> bool:
    return isinstance(e, A.Compare | A.Logic | A.Not)


class _Translator:
    def __init__(self, b: Builder, scope: Scope):
        self.b = b
        self.scope = scope
        self.errors: list[Diagnostic] = b.errors

    def err(self, code: str, msg: str, node: Tree | Token, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, self.b.span_of(node), hint))

    # XMILE mixes conditions and numbers; stockflow does not
    def number(self, e: A.Expr) -> A.Expr:
        return A.If(e, A.Num(1.0, None, e.span), A.Num(0.0, None, e.span), e.span) if is_bool(e) else e

    def cond(self, e: A.Expr) -> A.Expr:
        return e if is_bool(e) else A.Compare(A.CompareKind.NE, e, A.Num(0.0, None, e.span), e.span)

    def expr(self, t: Tree | Token) -> A.Expr:
        sp = self.b.span_of(t)
        k, ch = t.data, t.children
        if k == "number":
            return A.Num(self.b.number(ch[0]), None, sp)
        if k in ("name", "quoted"):
            return self.name(ch[0], sp)
        if k == "subscript":
            return self.subscript(ch[0], ch[1:], sp)
        if k == "call":
            return self.call(ch[0], [c for c in ch[1:] if c is not None], t, sp)
        if k in _ARITH:
            a, b = self.timed(self.number(self.expr(ch[0])), self.number(self.expr(ch[1])), k in ("add", "sub"))
            return A.BinOp(_ARITH[k], a, b, sp)
        if k == "mod":
            return A.Call("rem", (self.number(self.expr(ch[0])), self.number(self.expr(ch[1]))), sp)
        if k == "neg":
            return A.Neg(self.number(self.expr(ch[0])), sp)
        if k == "pos":
            return self.expr(ch[0])
        if k == "compare":
            op = _COMPARE[str(ch[1])]
            a, b = self.timed(self.number(self.expr(ch[0])), self.number(self.expr(ch[2])), True)
            return A.Compare(op, a, b, sp)
        if k in ("and_", "or_"):
            return A.Logic("and" if k == "and_" else "or", self.cond(self.expr(ch[0])), self.cond(self.expr(ch[1])), sp)
        if k == "not_":
            return A.Not(self.cond(self.expr(ch[0])), sp)
        if k == "if_":
            return A.If(self.cond(self.expr(ch[0])), self.number(self.expr(ch[1])), self.number(self.expr(ch[2])), sp)
        raise AssertionError(f"unhandled XMILE rule {k}")

    def timed(self, a: A.Expr, b: A.Expr, additive: bool) -> tuple[A.Expr, A.Expr]:
        """`TIME > 5`, `TIME - 2020`: the bare number is a time, in the model's time unit, as
        the file means it (stockflow would take it so with warning W105 at every such place)."""
        if not additive or self.scope.clock is None:
            return a, b
        unit = A.UnitExpr(((self.scope.clock, 1),))

        def clock(x: A.Expr) -> bool:
            return isinstance(x, A.Name) and x.name in ("time", "dt")

        if clock(a) and isinstance(b, A.Num) and b.unit is None and b.value != 0:
            return a, replace(b, unit=unit)
        if clock(b) and isinstance(a, A.Num) and a.unit is None and a.value != 0:
            return replace(a, unit=unit), b
        return a, b

    def name(self, tok: Token, sp: Span | None) -> A.Expr:
        k = key(str(tok))
        dims = self.scope.arrayed.get(k)
        if k in self.scope.names and dims and set(dims) <= set(self.scope.here):
            # an array named without subscripts in an equation over its dimensions: element by element
            return A.Subscript(self.scope.names[k], tuple(A.Name(d, sp) for d in dims), sp)
        if k in self.scope.names:
            return A.Name(self.scope.names[k], sp)
        if k in self.scope.dims:  # a dimension as a value: the element's position (or number)
            return A.Name(self.scope.dims[k], sp)
        if k in ("time", "dt"):
            if self.scope.time_unit is None:
                return A.Name(k, sp)
            one = A.Num(1.0, A.UnitExpr(((self.scope.time_unit, 1),)), sp)
            return A.BinOp(A.BinOpKind.DIV, A.Name(k, sp), one, sp)
        if k in ("starttime", "start_time"):
            return A.Num(self.scope.start, None, sp)
        if k in ("stoptime", "stop_time"):
            return A.Num(self.scope.stop, None, sp)
        if k == "pi":
            return A.Name("pi", sp)
        if k in self.scope.lookups:
            self.err("E015", f"graphical function `{tok}` is used as a value", tok,
                     f"call it with an input, e.g. `{tok}(TIME)`")
            return A.Num(0.0, None, sp)
        # Left for the resolver, which says the name is undefined and suggests near misses.
        from .names import ascii_ident
        return A.Name(ascii_ident(k), sp)

    def subscript(self, tok: Token, subs: list[Tree | Token], sp: Span | None) -> A.Expr:
        k = key(str(tok))
        dims = self.scope.arrayed.get(k, ())
        ident = self.scope.names.get(k)
        if ident is None:
            from .names import ascii_ident
            ident = ascii_ident(k)  # the resolver says it is undefined
        out: list[A.Expr] = []
        for i, sub in enumerate(subs):
            isp = self.b.span_of(sub)
            if isinstance(sub, Tree) and sub.data == "star":
                out.append(A.Name((dims[i] if i < len(dims) else "*") + "!", isp))
            elif isinstance(sub, Tree) and sub.data in ("name", "quoted"):
                word = key(str(sub.children[0]))
                if word in self.scope.dims:
                    out.append(A.Name(self.scope.dims[word], isp))
                elif word in self.scope.elements:
                    out.append(A.Name(self.scope.elements[word], isp))
                else:
                    out.append(A.Name(word, isp))
            else:
                out.append(self.number(self.expr(sub)))
        return A.Subscript(ident, tuple(out), sp)

    def call(self, ftok: Token, args_t: list[Tree], node: Tree, sp: Span | None) -> A.Expr:
        fname = key(str(ftok))
        skip = 1 if fname == "lookup" else 0  # LOOKUP(table, x): the table is a name, not a value
        args = [A.Num(0.0)] * skip + [self.number(self.expr(a)) for a in args_t[skip:]]
        if fname in self.scope.lookups:
            if len(args) != 1:
                self.err("E013", f"graphical function `{ftok}` takes one input, not {len(args)}", node)
                return A.Num(0.0, None, sp)
            return A.Call(self.scope.lookups[fname], tuple(args), sp)
        if fname not in _ARITY:
            self.err("E071", f"XMILE function `{ftok}` is not supported", ftok,
                     "supported: " + ", ".join(f.upper() for f in SUPPORTED))
            return A.Num(0.0, None, sp)
        lo, hi = _ARITY[fname]
        if fname in ("min", "max") and len(args) == 1 and isinstance(args[0], A.Subscript):
            return A.Call(fname, tuple(args), sp)  # the least or greatest over an array
        if not lo <= len(args) <= hi:
            if fname in ("min", "max") and len(args) == 1:
                self.err("E071", f"`{ftok}` of one argument that is not an array (the least or greatest over "
                         "time) is not supported", ftok, "give two or more values, or an array such as `x[*]`")
                return A.Num(0.0, None, sp)
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            self.err("E013", f"`{ftok}` takes {want} arguments, not {len(args)}", node)
            return A.Num(0.0, None, sp)
        return _SPECIAL.get(fname, _same)(self, fname, args, args_t, sp)


def _same(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    return A.Call(_SAME[fname], tuple(args), sp)


def _pi(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    return A.Name("pi", sp)


def _safediv(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    """SAFEDIV(a, b[, x]), XIDZ(a, b, x), ZIDZ(a, b): a / b, or x (default 0) where b is 0."""
    a, b = args[0], args[1]
    x = args[2] if len(args) > 2 else A.Num(0.0, None, sp)
    return A.If(A.Compare(A.CompareKind.EQ, b, A.Num(0.0, None, sp), sp), x, A.BinOp(A.BinOpKind.DIV, a, b, sp), sp)


def _if(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    return A.If(t.cond(args[0]), args[1], args[2], sp)


def _lookup(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    """LOOKUP(table, x): the graphical function named by the first argument."""
    first = args_t[0]
    if isinstance(first, Tree) and first.data in ("name", "quoted"):
        k = key(str(first.children[0]))
        if k in t.scope.lookups:
            return A.Call(t.scope.lookups[k], (args[1],), sp)
        if k in t.scope.inline and k not in t.scope.arrayed:  # a variable's own table, at another input
            return A.Call(t.scope.inline[k], (args[1],), sp)
    t.err("E015", "the first argument of LOOKUP must name a graphical function", args_t[0])
    return A.Num(0.0, None, sp)


def _pulse(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    """PULSE(volume, first[, interval]): volume/DT for one step at `first`, repeated every
    `interval` when it is given and positive (XMILE 1.0, 3.5.4); Stella writes 0 for "once"."""
    volume, first = args[0], args[1]
    dt = A.Name("dt", sp)
    height = A.BinOp(A.BinOpKind.DIV, volume, dt, sp)
    time = A.Name("time", sp)
    if len(args) == 2:
        return A.Call("pulse", (height, first), sp)
    interval = args[2]
    since = A.BinOp(A.BinOpKind.SUB, time, first, sp)
    # Half a step of slack so that rounding in `time` cannot miss a pulse. The phase divides by
    # at least DT: an interval that is 0 or less repeats nothing (`repeats` below), and one under
    # DT fires every step either way.
    phase = A.Call("mod", (A.BinOp(A.BinOpKind.ADD, since, A.BinOp(A.BinOpKind.DIV, dt, A.Num(2.0, None, sp), sp), sp),
                           A.Call("max", (interval, dt), sp)), sp)
    repeats = A.Logic("and", A.Compare(A.CompareKind.GT, interval, A.Num(0.0, None, sp), sp),
                      A.Compare(A.CompareKind.LT, phase, dt, sp), sp)
    once = A.Compare(A.CompareKind.LT, since, dt, sp)
    fire = A.Logic("and", A.Compare(A.CompareKind.GE, A.BinOp(A.BinOpKind.ADD, since, A.BinOp(
        A.BinOpKind.DIV, dt, A.Num(2.0, None, sp), sp), sp), A.Num(0.0, None, sp), sp),
        A.Logic("or", once, repeats, sp), sp)
    return A.If(fire, height, A.Num(0.0, None, sp), sp)


def _delay(t: _Translator, fname: str, args: list[A.Expr], args_t: list[Tree], sp: Span | None) -> A.Expr:
    """DELAY(input, time[, initial]): the input `time` earlier, a fixed pipeline (stockflow's
    delay_fixed, which needs Euler and a time that is a whole number of DT)."""
    return A.Call("delay_fixed", tuple(args), sp)


_SPECIAL: dict[str, Callable[..., A.Expr]] = {
    "delay": _delay,
    "pi": _pi, "safediv": _safediv, "xidz": _safediv, "zidz": _safediv, "if_then_else": _if,
    "lookup": _lookup, "pulse": _pulse,
}
_ARITH = {"add": A.BinOpKind.ADD, "sub": A.BinOpKind.SUB, "mul": A.BinOpKind.MUL, "div": A.BinOpKind.DIV,
          "pow": A.BinOpKind.POW}
_COMPARE = {"=": A.CompareKind.EQ, "==": A.CompareKind.EQ, "<>": A.CompareKind.NE, "!=": A.CompareKind.NE,
            "<": A.CompareKind.LT, "<=": A.CompareKind.LE, ">": A.CompareKind.GT, ">=": A.CompareKind.GE}
