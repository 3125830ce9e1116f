"""Walking expressions of the AST."""

from __future__ import annotations

from .ast import BinOp, Call, Compare, Expr, If, Logic, Name, Neg, Not


def names_in(e: Expr) -> set[str]:
    """Every name an expression uses, including lookup names in calls."""
    out: set[str] = set()
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Name):
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
