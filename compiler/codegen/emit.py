"""Lower sympy expressions to closures over an array module (numpy or jax.numpy).

One method per sympy node kind. Nothing here builds source text or calls eval/exec: the
closures call array functions directly, so under `jax.jit` they trace to one XLA program.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Any

import sympy
from sympy.core.function import UndefinedFunction

from ..ir import ast as A
from ..ir.graph import Lookup

Env = dict[str, Any]
Fn = Callable[[Env], Any]


SNAP = 1e-12


def split_product(e: sympy.Mul) -> tuple[list[sympy.Basic], list[sympy.Basic]]:
    """A product's factors above and below the line, as both code generators compute it: a
    negative power is a division, and so is a rational 1/q."""
    num: list[sympy.Basic] = []
    den: list[sympy.Basic] = []
    for a in e.args:
        if isinstance(a, sympy.Pow) and a.exp.is_number and a.exp.is_negative:
            den.append(a.base if a.exp == -1 else sympy.Pow(a.base, -a.exp))
        elif isinstance(a, sympy.Rational) and not isinstance(a, sympy.Integer) and a.p == 1:
            den.append(sympy.Integer(a.q))
        else:
            num.append(a)
    return num, den


class Emitter:
    def __init__(self, xp: Any, lookups: dict[str, Lookup]):
        self.xp = xp
        self.lookups = lookups
        self._unary = {
            sympy.exp: xp.exp, sympy.log: xp.log, sympy.sin: xp.sin, sympy.cos: xp.cos,
            sympy.tan: xp.tan, sympy.asin: xp.arcsin, sympy.acos: xp.arccos, sympy.atan: xp.arctan,
            sympy.Abs: xp.abs, sympy.sinh: xp.sinh, sympy.cosh: xp.cosh, sympy.tanh: xp.tanh, sympy.floor: lambda x: xp.floor(self.snap(x)),
            sympy.ceiling: lambda x: xp.ceil(self.snap(x)),
        }

    def snap(self, x: Any) -> Any:
        """A value within SNAP (relative) of a whole number counts as that number, so that
        rounding in `time / 10` or a sum of steps cannot flip floor, ceil, trunc or round."""
        xp = self.xp
        r = xp.round(x)
        return xp.where(xp.abs(x - r) <= SNAP * xp.maximum(1.0, xp.abs(x)), r, x)

    def __call__(self, e: sympy.Basic) -> Fn:
        if isinstance(e, sympy.Symbol):
            name = e.name
            return lambda env: env[name]
        if isinstance(e, (sympy.Number, sympy.NumberSymbol)):
            c = float(e)
            return lambda env: c
        if e is sympy.true or e is sympy.false:
            b = bool(e)
            return lambda env: b
        if isinstance(e.func, UndefinedFunction):
            return self.lookup(e)
        method = getattr(self, "_" + type(e).__name__, None)
        if method is not None:
            return method(e)
        fn = self._unary.get(e.func)
        if fn is not None:
            (arg,) = e.args
            f = self(arg)
            return lambda env: fn(f(env))
        raise NotImplementedError(f"no code generation for {type(e).__name__}")

    # ---------------------------------------------------------------- arithmetic
    def _Add(self, e: sympy.Add) -> Fn:
        return _sum([self(a) for a in e.args])

    def _Mul(self, e: sympy.Mul) -> Fn:
        above, below = split_product(e)
        num, den = [self(a) for a in above], [self(a) for a in below]
        if not num:
            num = [lambda env: 1.0]

        top = _product(num)
        if not den:
            return top
        bottom = _product(den)
        return lambda env: top(env) / bottom(env)

    def _Pow(self, e: sympy.Pow) -> Fn:
        base = self(e.base)
        ex = e.exp
        xp = self.xp
        if ex == -1:
            return lambda env: 1.0 / base(env)
        if ex == sympy.Rational(1, 2):
            return lambda env: xp.sqrt(base(env))
        if ex.is_Integer:
            n = int(ex)
            if n < 0:
                return lambda env: 1.0 / base(env) ** (-n)
            return lambda env: base(env) ** n
        f = self(ex)
        return lambda env: xp.power(base(env), f(env))

    def _Mod(self, e: sympy.Mod) -> Fn:
        a, b = (self(x) for x in e.args)
        return lambda env: self.xp.mod(a(env), b(env))

    def _Min(self, e: sympy.Min) -> Fn:
        fs = [self(a) for a in e.args]
        return lambda env: reduce(lambda acc, f: self.xp.minimum(acc, f(env)), fs[1:], fs[0](env))

    def _Max(self, e: sympy.Max) -> Fn:
        fs = [self(a) for a in e.args]
        return lambda env: reduce(lambda acc, f: self.xp.maximum(acc, f(env)), fs[1:], fs[0](env))

    # ---------------------------------------------------------------- logic
    def _Piecewise(self, e: sympy.Piecewise) -> Fn:
        pieces = [(self(v), self(c)) for v, c in e.args]
        if e.args[-1][1] is not sympy.true:  # no default branch: sympy means "undefined", so NaN
            pieces.append((lambda env: float("nan"), lambda env: True))
        xp = self.xp

        def run(env: Env) -> Any:
            out = pieces[-1][0](env)
            for v, c in reversed(pieces[:-1]):
                out = xp.where(c(env), v(env), out)
            return out

        return run

    def _ITE(self, e: Any) -> Fn:
        """sympy's boolean if-then-else, made when a comparison has a piecewise side."""
        c, a, b = (self(x) for x in e.args)
        return lambda env: self.xp.where(c(env), a(env), b(env))

    def _Xor(self, e: Any) -> Fn:
        fs = [self(a) for a in e.args]
        return lambda env: reduce(lambda acc, f: self.xp.logical_xor(acc, f(env)), fs[1:], fs[0](env))

    def _relational(self, e: sympy.core.relational.Relational, op: Callable[[Any, Any], Any]) -> Fn:
        a, b = self(e.lhs), self(e.rhs)
        return lambda env: op(a(env), b(env))

    def _StrictLessThan(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a < b)

    def _LessThan(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a <= b)

    def _StrictGreaterThan(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a > b)

    def _GreaterThan(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a >= b)

    def _Equality(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a == b)

    def _Unequality(self, e: Any) -> Fn:
        return self._relational(e, lambda a, b: a != b)

    def _And(self, e: sympy.And) -> Fn:
        fs = [self(a) for a in e.args]
        return lambda env: reduce(lambda acc, f: self.xp.logical_and(acc, f(env)), fs[1:], fs[0](env))

    def _Or(self, e: sympy.Or) -> Fn:
        fs = [self(a) for a in e.args]
        return lambda env: reduce(lambda acc, f: self.xp.logical_or(acc, f(env)), fs[1:], fs[0](env))

    def _Not(self, e: sympy.Not) -> Fn:
        f = self(e.args[0])
        return lambda env: self.xp.logical_not(f(env))

    # ---------------------------------------------------------------- lookups
    def lookup(self, e: sympy.Function) -> Fn:
        lk = self.lookups[e.func.__name__]
        f = self(e.args[0])
        xp = self.xp
        xs = xp.asarray(lk.xs, dtype=xp.float64)
        ys = xp.asarray(lk.ys, dtype=xp.float64)
        n = len(lk.xs)
        if lk.interpolation is A.Interpolation.STEP:
            def inner(x: Any) -> Any:
                i = xp.clip(xp.searchsorted(xs, x, side="right") - 1, 0, n - 1)
                return ys[i]
        else:
            def inner(x: Any) -> Any:
                return xp.interp(x, xs, ys)
        if lk.extrapolation is A.Extrapolation.CLAMP or lk.interpolation is A.Interpolation.STEP:
            return lambda env: inner(f(env))
        s0 = (lk.ys[1] - lk.ys[0]) / (lk.xs[1] - lk.xs[0])
        s1 = (lk.ys[-1] - lk.ys[-2]) / (lk.xs[-1] - lk.xs[-2])
        x0, y0, x1, y1 = lk.xs[0], lk.ys[0], lk.xs[-1], lk.ys[-1]

        def extrap(env: Env) -> Any:
            x = f(env)
            mid = inner(x)
            return xp.where(x < x0, y0 + (x - x0) * s0, xp.where(x > x1, y1 + (x - x1) * s1, mid))

        return extrap


# Sums and products fold left, as written, on every backend (the same rounding); the short
# ones, most of a model, are one closure, which a run on NumPy evaluates several times faster.
def _sum(fs: list[Fn]) -> Fn:
    if len(fs) == 1:
        return fs[0]
    if len(fs) == 2:
        a, b = fs
        return lambda env: a(env) + b(env)
    if len(fs) == 3:
        a, b, c = fs
        return lambda env: a(env) + b(env) + c(env)
    first, rest = fs[0], fs[1:]

    def add_all(env: Env) -> Any:
        acc = first(env)
        for f in rest:
            acc = acc + f(env)
        return acc

    return add_all


def _product(fs: list[Fn]) -> Fn:
    if len(fs) == 1:
        return fs[0]
    if len(fs) == 2:
        a, b = fs
        return lambda env: a(env) * b(env)
    if len(fs) == 3:
        a, b, c = fs
        return lambda env: a(env) * b(env) * c(env)
    first, rest = fs[0], fs[1:]

    def multiply_all(env: Env) -> Any:
        acc = first(env)
        for f in rest:
            acc = acc * f(env)
        return acc

    return multiply_all
