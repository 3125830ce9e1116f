"""Long chains of `+`/`-` or `*`/`/` (a sum written out term by term, as Vensim's and
stockflow's own XMILE exports write one over every element) parse as a left-deep tree as deep
as the chain is long, which the nesting limit refuses and recursive tree walks could not
bear. A chain longer than LONG is rebuilt as a balanced tree of the same value: about log2(n)
deep, left-deep blocks of at most BLOCK terms at the bottom. Shorter chains are left as
written, so ordinary equations keep their shape (and `format` its output). The printed form
of a rebuilt chain parses back to the same tree, as its top-level chain is short."""

from __future__ import annotations

from lark import Token, Tree
from lark.tree import Meta

LONG = 32
BLOCK = 16  # BLOCK + log2(the longest chain a spec may hold) stays under LONG: printed, it parses back alike
_FAMILY = {"add": "sum", "sub": "sum", "mul": "product", "div": "product"}
_PLUS = {"sum": "add", "product": "mul"}
_MINUS = {"sum": "sub", "product": "div"}

Term = tuple[bool, Tree | Token]  # (added or multiplied: True; subtracted or divided: False, the term)


def balanced(tree: Tree) -> Tree:
    """`tree` with every chain longer than LONG rebuilt balanced (in place, without recursion
    over the chain, which may be thousands of terms long)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        family = _FAMILY.get(node.data)
        if family is None:
            stack.extend(node.children)
            continue
        terms = _terms(node, family)
        if len(terms) > LONG:
            rebuilt = _build(terms, family)
            assert isinstance(rebuilt, Tree)  # more than one term
            node.data, node.children = rebuilt.data, rebuilt.children
        stack.extend(t for _, t in terms)
    return tree


def _terms(node: Tree | Token, family: str) -> list[Term]:
    """The chain under `node`, first term first: down the left spine, without recursion."""
    out: list[Term] = []
    while isinstance(node, Tree) and _FAMILY.get(node.data) == family:
        left, right = node.children
        out.append((node.data == _PLUS[family], right))
        node = left
    out.append((True, node))
    return out[::-1]


def _build(terms: list[Term], family: str) -> Tree | Token:
    """The terms (the first one positive) as a tree: left-deep up to BLOCK terms, otherwise two
    halves; a half that starts with a subtraction is subtracted with its signs turned."""
    if len(terms) <= BLOCK:
        tree = terms[0][1]
        for positive, term in terms[1:]:
            tree = Tree(_PLUS[family] if positive else _MINUS[family], [tree, term], _meta(tree, term))
        return tree
    half = len(terms) // 2
    left, right = terms[:half], terms[half:]
    positive = right[0][0]
    if not positive:
        right = [(not p, t) for p, t in right]
    a, b = _build(left, family), _build(right, family)
    return Tree(_PLUS[family] if positive else _MINUS[family], [a, b], _meta(a, b))


def _meta(first: Tree | Token, last: Tree | Token) -> Meta:
    """From the start of `first` to the end of `last`, as lark's own positions."""
    meta = Meta()
    a, b = _where(first), _where(last)
    if a is not None and b is not None:
        meta.line, meta.column, meta.start_pos = a[0], a[1], a[2]
        meta.end_line, meta.end_column, meta.end_pos = b[3], b[4], b[5]
        meta.empty = False
    return meta


def _where(node: Tree | Token) -> tuple[int, int, int, int, int, int] | None:
    m = node.meta if isinstance(node, Tree) else None
    if m is not None and not getattr(m, "empty", True):
        return m.line, m.column, m.start_pos, m.end_line, m.end_column, m.end_pos
    if m is None and getattr(node, "line", None) is not None:  # a bare token under a `?` rule
        return node.line, node.column, node.start_pos, node.end_line, node.end_column, node.end_pos
    return None
