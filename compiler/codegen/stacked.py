"""An arrayed lookup's elements as one operation on JAX: a group of same-form elements whose
equations call each its own table (tables of one length, interpolation and extrapolation)
interpolates row by row in a matrix of the tables, instead of one operation per element."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy
from sympy.core.function import UndefinedFunction

from ..ir import ast as A
from ..ir.graph import Lookup
from .emit import Emitter, Fn


def table_form(lk: Lookup) -> tuple[Any, ...]:
    """What a lookup call contributes to an equation's form: tables that agree in these are
    computed by one closure."""
    return ("L", len(lk.xs), lk.interpolation.value, lk.extrapolation.value)


def lookup_calls(e: sympy.Basic) -> list[str]:
    """The lookups an equation calls, in the order `vector.form` visits its tree."""
    out: list[str] = []

    def walk(x: sympy.Basic) -> None:
        if isinstance(getattr(x, "func", None), UndefinedFunction):
            out.append(x.func.__name__)
        for a in x.args:
            walk(a)

    walk(e)
    return out


def stacks_of(exprs: list[sympy.Basic], lookups: dict[str, Lookup]) -> dict[str, tuple[Lookup, ...]]:
    """For the first member's lookup calls, each member's table at the same place, where they
    are not all one table."""
    calls = [lookup_calls(e) for e in exprs]
    out = {}
    for j, name in enumerate(calls[0]):
        names = [c[j] for c in calls]
        if len(set(names)) > 1:
            out[name] = tuple(lookups[n] for n in names)
    return out


class StackedEmitter(Emitter):
    """The first member's equation with its lookup calls reading every member's table."""

    def __init__(self, xp: Any, lookups: dict[str, Lookup], stacks: dict[str, tuple[Lookup, ...]]):
        super().__init__(xp, lookups)
        self.stacks = stacks

    def lookup(self, e: sympy.Function) -> Fn:
        rows = self.stacks.get(e.func.__name__)
        if rows is None:
            return super().lookup(e)
        f = self(e.args[0])
        table = Stacked(self.xp, rows)
        return lambda env: table(f(env))


class Stacked:
    """Tables of one length as matrices (a row per element), with numpy.interp's arithmetic
    row by row: the same numbers as each element's own call, to rounding."""

    def __init__(self, xp: Any, rows: tuple[Lookup, ...]):
        self.xp = xp
        self.xs = np.array([lk.xs for lk in rows], dtype=np.float64)
        self.ys = np.array([lk.ys for lk in rows], dtype=np.float64)
        first = rows[0]
        self.step = first.interpolation is A.Interpolation.STEP
        self.extend = first.extrapolation is not A.Extrapolation.CLAMP and not self.step

    def __call__(self, x: Any) -> Any:
        xp, xs, ys = self.xp, self.xs, self.ys
        m, n = xs.shape
        x = xp.broadcast_to(xp.asarray(x, dtype=xp.float64), (m,))
        below = (xs <= x[:, None]).sum(axis=1) - 1  # searchsorted(side="right") - 1, per row
        if self.step:
            return xp.take_along_axis(ys, xp.clip(below, 0, n - 1)[:, None], axis=1)[:, 0]
        j = xp.clip(below, 0, n - 2)[:, None]
        x0, x1 = xp.take_along_axis(xs, j, axis=1)[:, 0], xp.take_along_axis(xs, j + 1, axis=1)[:, 0]
        y0, y1 = xp.take_along_axis(ys, j, axis=1)[:, 0], xp.take_along_axis(ys, j + 1, axis=1)[:, 0]
        mid = (y1 - y0) / (x1 - x0) * (x - x0) + y0
        mid = xp.where(x <= xs[:, 0], ys[:, 0], xp.where(x >= xs[:, -1], ys[:, -1], mid))
        if not self.extend:
            return mid
        s0 = (ys[:, 1] - ys[:, 0]) / (xs[:, 1] - xs[:, 0])
        s1 = (ys[:, -1] - ys[:, -2]) / (xs[:, -1] - xs[:, -2])
        return xp.where(x < xs[:, 0], ys[:, 0] + (x - xs[:, 0]) * s0,
                        xp.where(x > xs[:, -1], ys[:, -1] + (x - xs[:, -1]) * s1, mid))


def stacked_fn(xp: Any, lookups: dict[str, Lookup], exprs: list[sympy.Basic], plain: Any) -> Any:
    """The group's closure: `plain` (the first member's) unless its members call different
    tables at the same place."""
    stacks = stacks_of(exprs, lookups)
    return StackedEmitter(xp, lookups, stacks)(exprs[0]) if stacks else plain

