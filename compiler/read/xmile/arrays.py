"""XMILE arrays: `<dimensions>` of the document and of each variable, and per-element
equations (`<element subscript="...">`), as the AST's dimensions and arrayed declarations."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace

from ...base.diagnostics import Diagnostic, error
from ...base.limits import MAX_DIM_ELEMENTS
from ...ir import ast as A
from ...ir.text import expr_text
from ...ir.walk import rebuild
from .names import _plain, ascii_ident, key
from .xml import Node


@dataclass
class Dimensions:
    decls: list[A.DimDecl] = field(default_factory=list)
    idents: dict[str, str] = field(default_factory=dict)  # dimension key -> identifier
    elements: dict[str, str] = field(default_factory=dict)  # element key -> identifier


def element_ident(name: str) -> str:
    """An element's identifier, in the file's own case (matching ignores case)."""
    plain = _plain(name)
    return plain if plain.isdigit() else ascii_ident(plain)


def read_dimensions(node: Node | None, file: str, errors: list[Diagnostic]) -> Dimensions:
    """`<dim name="City"><elem name="Boston"/>...</dim>`, or `<dim name="Age" size="3"/>` (elements 1 to 3)."""
    out = Dimensions()
    if node is None:
        return out
    for d in node.all("dim"):
        name = d.attrs.get("name", "")
        span = d.span(file, 4)
        if not name:
            errors.append(error("E072", "a <dim> without a name", span, 'give it name="..."'))
            continue
        elems = [e.attrs.get("name", "") for e in d.all("elem")]
        if not elems and d.attrs.get("size", "").strip().isdigit():
            size = int(d.attrs["size"])
            if size > MAX_DIM_ELEMENTS:
                errors.append(error("E006", f"dimension `{name}` has {size:,} elements", span, "use fewer elements"))
                continue
            elems = [str(i) for i in range(1, size + 1)]
        ident = ascii_ident(_plain(name))
        out.idents[key(name)] = ident
        idents = tuple(element_ident(e) for e in elems)
        for e, i in zip(elems, idents, strict=True):
            out.elements.setdefault(key(e), i)
        out.decls.append(A.DimDecl(ident, idents, None, A.Doc(), span))
    return out


def var_dims(node: Node, dims: Dimensions, file: str, errors: list[Diagnostic]) -> tuple[str, ...]:
    inner = node.child("dimensions")
    if inner is None:
        return ()
    out = []
    for d in inner.all("dim"):
        k = key(d.attrs.get("name", ""))
        if k not in dims.idents:
            errors.append(error("E091", f"`{d.attrs.get('name', '')}` is not a dimension of this file",
                                d.span(file, 4), "declare it under <dimensions> at the top of the file"))
            return ()
        out.append(dims.idents[k])
    return tuple(out)


def element_key(subscript: str, dims: Dimensions) -> tuple[str, ...]:
    """`subscript="Boston, 2"` -> the elements' identifiers."""
    return tuple(dims.elements.get(key(p), element_ident(p)) for p in subscript.split(","))


def array_part(dims: tuple[str, ...], cases: tuple[A.Case, ...], has_default: bool) -> A.ArrayPart | None:
    """A variable's dimensions; one named twice (a matrix over `age` by `age`) takes the alias
    `age_2` at its second place, as the language needs one index name per place."""
    refs: list[A.DimRef] = []
    for i, d in enumerate(dims):
        n = dims[:i].count(d)
        refs.append(A.DimRef(d, f"{d}_{n + 1}" if n else None))
    return A.ArrayPart(tuple(refs), None, cases, has_default) if dims else None


_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def constant_list(text: str) -> list[float] | None:
    """`1, 2, 3` (or in rows, `1, 2; 3, 4`) as the equation of an array: its values in order,
    as xmutil writes Vensim's lists of constants. None for any other equation."""
    parts = re.split(r"\s*[,;]\s*", text.strip().rstrip(";").strip())
    if len(parts) < 2 or not all(_NUMBER.fullmatch(p) for p in parts):
        return None
    return [float(p) for p in parts]


def dim_elements(var_dims: tuple[str, ...], dims: Dimensions) -> list[tuple[str, ...]]:
    """The elements of each of `var_dims`, in order."""
    elements = {d.name: d.elements for d in dims.decls}
    return [elements[d] for d in var_dims]


def element_keys(var_dims: tuple[str, ...], dims: Dimensions) -> list[tuple[str, ...]]:
    """Every element of an array over `var_dims`, the last dimension fastest."""
    return list(itertools.product(*dim_elements(var_dims, dims)))


def rolled(var_dims: tuple[str, ...], elements: list[tuple[str, ...]], cases: tuple[A.Case, ...]) -> A.Expr | None:
    """One equation for every element where the `<element>` equations differ only in naming
    their own element (`pop[young]` in young's, `pop[old]` in old's): `pop[age]`, as the model
    was most likely written (and as our own export writes an apply-to-all array). None where
    they differ otherwise, or leave an element out, or a dimension stands twice."""
    if len(set(var_dims)) < len(var_dims) or len(cases) != math.prod(len(e) for e in elements) or not cases:
        return None
    texts, first = set(), None
    for case in cases:
        if len(case.key) != len(var_dims):
            return None
        own = {el: A.Name(d) for el, d in zip(case.key, var_dims, strict=True)}
        rolled_expr = _own_to_index(case.value, own)
        texts.add(expr_text(rolled_expr))
        if len(texts) > 1:
            return None
        first = first or rolled_expr
    return first


def _own_to_index(e: A.Expr, own: dict[str, A.Name]) -> A.Expr:
    """`e` with each subscript naming one of `own`'s elements naming its dimension instead."""
    def index(i: A.Expr) -> A.Expr:
        return replace(own[i.name], span=i.span) if isinstance(i, A.Name) and i.name in own else _own_to_index(i, own)

    if isinstance(e, A.Subscript):
        return replace(e, indices=tuple(index(i) for i in e.indices))
    if isinstance(e, A.Call) and e.at:
        e = replace(e, at=tuple(index(i) for i in e.at))
    return rebuild(e, lambda x: _own_to_index(x, own))
