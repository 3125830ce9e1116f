"""The text DSL's array syntax -> AST: `dim` declarations, `name[dims] [units]` heads,
per-element `{ key: value, else: value }` tables and element references in scenarios."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import TypeVar

from lark import Token, Tree

from ..base.diagnostics import Diagnostic, Span, error
from ..base.hints import closest
from ..base.limits import MAX_DIM_ELEMENTS
from ..base.names import BUILTIN_UNITS
from ..ir import ast as A
from ..ir.walk import literal
from .expr import Builder

T = TypeVar("T")


class ArrayReader:
    def __init__(self, b: Builder, file_dims: set[str]):
        self.b = b
        self.file_dims = file_dims  # dimensions declared in this file, lower case
        self.file_units: set[str] = set()  # units declared in this file
        self.own_units = True  # False where a base the file extends may declare more units
        self.errors: list[Diagnostic] = b.errors

    def err(self, code: str, msg: str, node: Tree | Token | Span | None, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) or node is None else self.b.span_of(node)
        self.errors.append(error(code, msg, span, hint))

    # ---------------------------------------------------------------- dimensions
    def dim(self, t: Tree, doc: A.Doc) -> A.DimDecl:
        name, *rest = t.children
        if t.data == "dim_range":
            word, lo_t, hi_t = rest[0], rest[1], rest[2]
            lo, hi = self.b.signed_number(lo_t), self.b.signed_number(hi_t)
            if str(word).lower() != "range" or lo != int(lo) or hi != int(hi) or hi < lo:
                self.err("E090", f"dimension `{name}`: write its elements as a list or as `range(first, last)` "
                         "of whole numbers, first <= last", t, "e.g. `dim age = range(0, 17)`")
                return A.DimDecl(str(name), (), None, doc, self.b.span_of(name))
            if hi - lo + 1 > MAX_DIM_ELEMENTS:
                self.err("E006", f"dimension `{name}` has {int(hi - lo + 1):,} elements; the limit is "
                         f"{MAX_DIM_ELEMENTS:,}", t, "use fewer elements")
                return A.DimDecl(str(name), (), None, doc, self.b.span_of(name))
            elements = tuple(str(i) for i in range(int(lo), int(hi) + 1))
            return A.DimDecl(str(name), elements, None, doc, self.b.span_of(name), (self.b.span_of(t),) * len(elements))
        *elems, parent, _props = rest
        return A.DimDecl(str(name), tuple(self.element(e) for e in elems), str(parent) if parent else None, doc,
                         self.b.span_of(name), tuple(self.b.span_of(e) for e in elems))

    def element(self, t: Tree) -> str:
        tok = t.children[0]
        if tok.type == "NUMBER":
            v = float(tok)
            if v != int(v):
                self.err("E090", f"element `{tok}` is not a whole number", tok, "number elements 0, 1, 2, ...")
            return str(int(v))
        return str(tok)

    # ---------------------------------------------------------------- declaration heads
    def head(self, first: Tree | None, second: Tree | None) -> tuple[tuple[A.DimRef, ...], A.UnitExpr | None]:
        """The dimensions and units after a declaration's name."""
        if first is None:
            return (), None
        if second is not None:
            return self.dims(first), self.units(second)
        items = first.children
        bare = _bare_name(items[0]) if len(items) == 1 else None
        alias = isinstance(items[0], Tree) and items[0].data == "dim_alias"  # `[a: level]` is never units
        if len(items) == 1 and not alias and (bare is None or bare.lower() not in self.file_dims):
            near = self.misspelt_dim(bare)
            if near is not None:
                self.err("E091", f"`{bare}` is neither a dimension nor a unit of this file", first,
                         f"did you mean the dimension `{near}`?")
                return (), None
            return (), self.units(first)
        return self.dims(first), None

    def base_dims(self, dims: tuple[A.DimRef, ...], units: A.UnitExpr | None, arrayed: bool,
                  indexed: AbstractSet[str] = frozenset()) -> tuple[tuple[A.DimRef, ...], A.UnitExpr | None]:
        """`param p[level] = {a: 1}` or `aux a[level] = x[level] * 2` in a spec that extends
        another: one name in brackets was read as units (the base may declare it either way),
        but a table of elements, a `where`, or the equation indexing by that name says it is
        the base's dimension."""
        if dims or self.own_units or units is None or units.scale != 1 or \
                len(units.factors) != 1 or units.factors[0][1] != 1:
            return dims, units
        if not arrayed and units.factors[0][0] not in indexed:
            return dims, units
        return (A.DimRef(units.factors[0][0], None, units.span),), None

    def misspelt_dim(self, name: str | None) -> str | None:
        """A dimension of this file that `name` (read as units) is a slip for: `[agee]` beside
        `dim age`; None where `name` is a unit this file or stockflow knows."""
        if name is None or name in self.file_units or name in BUILTIN_UNITS or not self.file_dims or not self.own_units:
            return None
        return closest(name, sorted(self.file_dims))

    def set_target(self, name: str, first: Tree | None, second: Tree | None
                   ) -> tuple[str, A.UnitExpr | None, str | None]:
        """`set rate[a, b] [units]`: the name (with its element), the units, and the one name
        that may be an element or a unit (`set rate[intensive] = 0.1`), which the base decides."""
        if first is None:
            return name, None, None
        items = first.children
        bare = [_bare_name(i) for i in items]
        if second is not None or len(items) > 1:
            if any(b is None for b in bare):
                self.err("E092", "an element is named by its elements, e.g. `set rate[universal, additional]`", first)
                return name, None, None
            return f"{name}[{','.join(b for b in bare if b)}]", self.units(second) if second else None, None
        units = self.units(first)
        return name, units, bare[0]

    def dims(self, t: Tree) -> tuple[A.DimRef, ...]:
        out = []
        for item in t.children:
            if isinstance(item, Tree) and item.data == "dim_alias":
                alias, dim = item.children
                out.append(A.DimRef(str(dim), str(alias), self.b.span_of(item)))
                continue
            bare = _bare_name(item)
            if bare is None:
                self.err("E092", "a declaration's first `[...]` lists its dimensions by name", item,
                         "e.g. `stock children[level] [child] = 0`, or `[from: level, to: level]`")
                continue
            out.append(A.DimRef(bare, None, self.b.span_of(item)))
        return tuple(out)

    def units(self, t: Tree) -> A.UnitExpr | None:
        items = t.children
        if len(items) != 1 or not (isinstance(items[0], Tree) and items[0].data == "unit_expr"):
            self.err("E092", "units are one unit in `[...]`", t,
                     "put the dimensions first: `stock children[level] [child] = 0`")
            return None
        return self.b.unit(items[0].children[0])

    # ---------------------------------------------------------------- values
    def value(self, t: Tree) -> tuple[A.Expr | None, tuple[A.Case, ...]]:
        """An equation for every element, or a table of per-element equations (whose `else`
        is the default)."""
        inner = t.children[0]
        if not (isinstance(inner, Tree) and inner.data == "cases"):
            return self.b.expr(inner), ()
        default, entries = self.entries(inner.children, self.b.expr)
        return default, tuple(A.Case(k, v, sp) for k, v, sp in entries)

    def entries(self, cases: list[Tree], read: Callable[[Tree], T]) -> tuple[T | None, list[tuple[tuple[str, ...], T, Span | None]]]:
        """`{ key: value, ..., else: value }` with each value read by `read`: the default and
        each element's (key, value, span)."""
        default: T | None = None
        out = []
        for case in cases:
            if case is None:
                continue
            key, value_t = case.children
            value = read(value_t)
            if key.data == "key_else":
                if default is not None:
                    self.err("E011", "`else` given twice", key, "keep one")
                default = value
            else:
                out.append((tuple(self.element(e) for e in key.children), value, self.b.span_of(case)))
        return default, out

    def csv_of(self, t: Tree) -> str | None:
        """The file named by `= csv "FILE"`, if that is the value."""
        inner = t.children[0]
        return self.b.string(inner) if isinstance(inner, Token) else None

    def param_value(self, t: Tree) -> tuple[float | None, tuple[A.Case, ...], str | None]:
        inner = t.children[0]
        if isinstance(inner, Token):
            return None, (), self.b.string(inner)
        if inner.data == "signed_number":
            return self.b.signed_number(inner), (), None
        default, cases = self.value(t)
        number = None
        if default is not None:
            number = self.number(default)
        for c in cases:
            self.number(c.value)
        return number, cases, None

    def number(self, e: A.Expr) -> float:
        value = literal(e)
        if value is None:
            self.err("E010", "a parameter's value is a number", e.span, "compute it in an `aux` instead")
        return value or 0.0

    # ---------------------------------------------------------------- references
    def ref(self, t: Tree) -> tuple[str, Span | None]:
        """`rate` or `rate[intensive]`, as the canonical text scenarios look up."""
        name, *elems = t.children
        elems = [e for e in elems if e is not None]
        if not elems:
            return str(name), self.b.span_of(name)
        return f"{name}[{','.join('*' if e.data == 'any_element' else self.element(e) for e in elems)}]", self.b.span_of(t)

    def endpoint(self, t: Tree) -> tuple[str | None, tuple[A.Expr, ...]]:
        tok, *idx = t.children
        if tok.type == "OUTSIDE":
            return None, ()
        return str(tok), tuple(self.b.expr(i) for i in idx if i is not None)


def _bare_name(item: Tree | Token) -> str | None:
    """The name when a bracket item is one plain name (a unit expression of one name)."""
    if isinstance(item, Tree) and item.data == "unit_expr":
        inner = item.children[0]
        if isinstance(inner, Tree) and inner.data == "uname":
            return str(inner.children[0])
    return None


def array_part(dims: tuple[A.DimRef, ...], where: A.Expr | None, cases: tuple[A.Case, ...], has_default: bool,
               table: str | None = None, table_span: Span | None = None) -> A.ArrayPart | None:
    if not dims:
        return None
    return A.ArrayPart(dims, where, cases, has_default, table, table_span)
