"""Walking expressions of the AST."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .ast import BinOp, Call, Compare, Expr, If, Logic, Name, Neg, Not, Num, Subscript


def names_in(e: Expr) -> set[str]:
    """Every name an expression uses, including lookup names in calls."""
    out: set[str] = set()
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Name):
            out.add(x.name)
        elif isinstance(x, Subscript):
            out.add(x.name)
        elif isinstance(x, Call):
            out.add(x.func)
            stack.extend(x.args)
        elif isinstance(x, BinOp | Compare | Logic):
            stack.extend((x.left, x.right))
        elif isinstance(x, Neg | Not):
            stack.append(x.operand)
        elif isinstance(x, If):
            stack.extend((x.cond, x.then, x.orelse))
    return out


def children(e: Expr) -> tuple[Expr, ...]:
    """An expression's direct subexpressions (a subscript's indices included)."""
    if isinstance(e, Call):
        return e.args + e.at
    if isinstance(e, Subscript):
        return e.indices
    if isinstance(e, BinOp | Compare | Logic):
        return (e.left, e.right)
    if isinstance(e, Neg | Not):
        return (e.operand,)
    if isinstance(e, If):
        return (e.cond, e.then, e.orelse)
    return ()


def rebuild(e: Expr, f: Callable[[Expr], Expr]) -> Expr:
    """`e` with `f` applied to each direct subexpression (leaves come back as they are)."""
    if isinstance(e, Call):
        return replace(e, args=tuple(f(a) for a in e.args), at=tuple(f(i) for i in e.at))
    if isinstance(e, Subscript):
        return replace(e, indices=tuple(f(i) for i in e.indices))
    if isinstance(e, BinOp | Compare | Logic):
        return replace(e, left=f(e.left), right=f(e.right))
    if isinstance(e, Neg | Not):
        return replace(e, operand=f(e.operand))
    if isinstance(e, If):
        return replace(e, cond=f(e.cond), then=f(e.then), orelse=f(e.orelse))
    return e


def has_subscript(e: Expr) -> bool:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Subscript) or (isinstance(x, Call) and x.at):
            return True
        stack.extend(children(x))
    return False


def index_names(e: Expr) -> set[str]:
    """The bare names an expression indexes by (`level` in `x[level + 1]` or `sum(y[level!])`)."""
    out: set[str] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        at = x.indices if isinstance(x, Subscript) else x.at if isinstance(x, Call) else ()
        out |= {n.name.rstrip("!") for i in at for n in _names_under(i)}
        stack.extend(children(x))
    return out


def _names_under(e: Expr) -> list[Name]:
    stack, out = [e], []
    while stack:
        x = stack.pop()
        if isinstance(x, Name):
            out.append(x)
        stack.extend(children(x))
    return out


def literal(e: Expr) -> float | None:
    """The number a literal stands for (`2`, `-0.5`), or None for anything else."""
    sign = 1.0
    while isinstance(e, Neg):
        sign, e = -sign, e.operand
    return sign * e.value if isinstance(e, Num) and e.unit is None else None
