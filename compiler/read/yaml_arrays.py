"""The YAML form's arrays: a `dimensions:` section, `dims:` and `where:` on a declaration, and
a main value given as a table (element, or "e1, e2", or `else` -> value)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..base.diagnostics import Span
from ..base.limits import MAX_DIM_ELEMENTS
from ..ir import ast as A
from .expr import parse_expr_text
from .yaml_nodes import NodeReader

T = TypeVar("T")


def dim_decl(r: NodeReader, name: str, node: Node, span: Span) -> A.DimDecl | None:
    """`level: [a, b]`, `high: {elements: [b], in: level}` or `age: {range: [0, 17]}`."""
    if isinstance(node, SequenceNode):
        props: dict[str, Node] = {"elements": node}
    else:
        props = dict((k.value, v) for k, v in r.mapping(node, f"`{name}`"))
        unknown = set(props) - {"elements", "range", "in", "maps", "description", "source", "assumption"}
        if unknown:
            r.err("E003", f"unknown key `{sorted(unknown)[0]}` in dimension `{name}`", node,
                  "a dimension has `elements` (or `range`), and may have `in`")
            return None
    doc = r.doc(props)
    parent = r.string(props["in"], "`in`") if "in" in props else None
    maps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if "maps" in props:
        maps = tuple((str(k.value), tuple(str(x.value) for x in v.value if isinstance(x, ScalarNode)))
                     for k, v in r.mapping(props["maps"], "`maps`") if isinstance(v, SequenceNode))
    if "range" in props:
        lo, hi = r.bounds(props["range"]) or (0.0, -1.0)
        if lo != int(lo) or hi != int(hi) or hi < lo or hi - lo + 1 > MAX_DIM_ELEMENTS:
            r.err("E090", f"dimension `{name}`: `range` is [first, last], whole numbers, first <= last",
                  props["range"], "e.g. `range: [0, 17]`")
            return None
        elements = tuple(str(i) for i in range(int(lo), int(hi) + 1))
        return A.DimDecl(name, elements, parent, doc, span, (r.span(props["range"]),) * len(elements), maps)
    seq = props.get("elements")
    if not isinstance(seq, SequenceNode):
        r.err("E090", f"dimension `{name}` needs a list of `elements`", node, "e.g. `level: [universal, additional]`")
        return None
    items = [m for m in seq.value if isinstance(m, ScalarNode)]
    return A.DimDecl(name, tuple(str(m.value) for m in items), parent, doc, span, tuple(r.span(m) for m in items),
                     maps)


def dims_of(r: NodeReader, node: Node) -> tuple[A.DimRef, ...]:
    """`[level]`, `[level, band]` or `[{from: level}, {to: level}]` (also "from: level")."""
    if isinstance(node, ScalarNode):
        node = SequenceNode("tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark)
    if not isinstance(node, SequenceNode):
        r.err("E092", "`dims` is a list of dimensions", node, "e.g. `dims: [level]` or `dims: [{from: level}, {to: level}]`")
        return ()
    out = []
    for item in node.value:
        if isinstance(item, MappingNode) and len(item.value) == 1:
            k, v = item.value[0]
            out.append(A.DimRef(str(v.value), str(k.value), r.span(item)))
        elif isinstance(item, ScalarNode) and ":" in str(item.value):
            alias, dim = (x.strip() for x in str(item.value).split(":", 1))
            out.append(A.DimRef(dim, alias, r.span(item)))
        elif isinstance(item, ScalarNode):
            out.append(A.DimRef(str(item.value), None, r.span(item)))
        else:
            r.err("E092", "each of `dims` is a dimension's name, or `alias: dimension`", item, "e.g. `from: level`")
    return tuple(out)


def cases_of(r: NodeReader, node: Node, what: str) -> tuple[A.Expr | None, tuple[A.Case, ...]]:
    """A table of per-element values; `else` gives the default."""
    default, entries = keyed(r, node, what, lambda v, k: r.expr(v, f"{what}[{k}]"))
    return default, tuple(A.Case(k, v, sp) for k, v, sp in entries)


def keyed(r: NodeReader, node: Node, what: str, read: Callable[[Node, str], T]
          ) -> tuple[T | None, list[tuple[tuple[str, ...], T, Span | None]]]:
    """element (or "e1, e2", or `else`) -> value, each value read by `read`: the default and
    each element's (key, value, span)."""
    default: T | None = None
    out: list[tuple[tuple[str, ...], T, Span | None]] = []
    for k, v in r.mapping(node, what):
        value = read(v, str(k.value))
        if str(k.value) == "else":
            default = value
        else:
            out.append((tuple(x.strip() for x in str(k.value).strip("()").split(",")), value, r.span(k)))
    return default, out


def main_value(r: NodeReader, node: Node, what: str, arrayed: bool) -> tuple[A.Expr | None, tuple[A.Case, ...]]:
    if isinstance(node, MappingNode):
        if not arrayed:
            r.err("E092", f"{what} is a table of elements, but the declaration has no `dims`", node,
                  "add `dims: [level]`")
        return cases_of(r, node, what)
    return r.expr(node, what), ()


def endpoint(r: NodeReader, node: Node | None) -> tuple[str | None, tuple[A.Expr, ...]]:
    """A flow end: a stock's name, `children[from]`, or `outside`/null."""
    if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
        return None, ()
    s = r.string(node, "a flow end")
    if s in (None, "outside"):
        return None, ()
    if "[" not in s:
        return s, ()
    e, errs = parse_expr_text(s, r.file, r.posmap(node))  # type: ignore[arg-type]
    r.errors.extend(errs)
    if isinstance(e, A.Subscript):
        return e.name, e.indices
    if e is not None:
        r.err("E010", f"a flow end is a stock, or one element of one: not `{s}`", node, "e.g. `children[from]`")
    return s, ()
