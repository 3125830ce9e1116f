"""CheckedModel -> JavaScript that computes a run in the browser with the JAX path's numbers.

It mirrors `codegen/emit.py` (one method per sympy node kind) and `codegen/build.py` (hoisted
constants, scenario inputs, caps). Every variable is a slot of one Float64Array `V`, so the
generated code holds only slot numbers, numeric literals and calls of the small runtime in
`explorer.js` (`SF.*`); no text from the spec ever reaches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.core.function import UndefinedFunction

from ..codegen.build import Hoister, change_inputs, layout_of
from ..codegen.caps import caps_of, passes
from ..codegen.emit import SNAP, split_product
from ..ir import ast as A
from ..ir.model import DT_SYM, TIME_SYM, CheckedModel

_UNARY = {sympy.exp: "Math.exp", sympy.log: "Math.log", sympy.sin: "Math.sin", sympy.cos: "Math.cos",
          sympy.tan: "Math.tan", sympy.asin: "Math.asin", sympy.acos: "Math.acos", sympy.atan: "Math.atan",
          sympy.Abs: "Math.abs", sympy.sinh: "Math.sinh", sympy.cosh: "Math.cosh", sympy.tanh: "Math.tanh"}
_REL = {sympy.StrictLessThan: "<", sympy.LessThan: "<=", sympy.StrictGreaterThan: ">",
        sympy.GreaterThan: ">=", sympy.Equality: "===", sympy.Unequality: "!=="}


@dataclass(frozen=True)
class JsModel:
    """The generated code and the slot of each name it uses."""

    code: str  # a JavaScript object expression: {nSlots, init, evaluate, deriv, metrics, ...}
    slots: dict[str, int]  # every parameter, scenario input, stock, auxiliary, flow and metric
    params: tuple[str, ...]  # the parameter vector's order (model parameters, then scenario inputs)
    stocks: tuple[str, ...]  # the state's order (hidden stocks included)
    scaled: tuple[str, ...]
    timed: tuple[str, ...]


def number(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(float(v))


class _Printer:
    """JavaScript text of sympy expressions over the slots."""

    def __init__(self, slots: dict[str, int], lookups: dict[str, int]):
        self.slots = slots
        self.lookups = lookups

    def __call__(self, e: sympy.Basic) -> str:  # noqa: C901 - one case per kind of node
        if e == TIME_SYM:
            return "t"
        if e == DT_SYM:
            return "dt"
        if isinstance(e, sympy.Symbol):
            return f"V[{self.slots[e.name]}]"
        if isinstance(e, (sympy.Number, sympy.NumberSymbol)):
            return f"({number(float(e))})"
        if e is sympy.true or e is sympy.false:
            return "true" if e is sympy.true else "false"
        if isinstance(e.func, UndefinedFunction):
            return f"SF.lookup({self.lookups[e.func.__name__]}, {self(e.args[0])})"
        method = getattr(self, "_" + type(e).__name__, None)
        if method is not None:
            return str(method(e))
        if e.func in _UNARY:
            return f"{_UNARY[e.func]}({self(e.args[0])})"
        if e.func is sympy.floor:
            return f"Math.floor(SF.snap({self(e.args[0])}))"
        if e.func is sympy.ceiling:
            return f"Math.ceil(SF.snap({self(e.args[0])}))"
        if type(e) in _REL:
            return f"({self(e.lhs)} {_REL[type(e)]} {self(e.rhs)})"
        raise NotImplementedError(f"no JavaScript for {type(e).__name__}")

    def _Add(self, e: sympy.Add) -> str:
        return "(" + " + ".join(self(a) for a in e.args) + ")"

    def _Mul(self, e: sympy.Mul) -> str:
        above, below = split_product(e)  # as the JAX path: the same operations in the same order
        num, den = [self(a) for a in above], [self(a) for a in below]
        top = " * ".join(num) if num else "1.0"
        return f"(({top}) / ({' * '.join(den)}))" if den else f"({top})"

    def _Pow(self, e: sympy.Pow) -> str:
        base, ex = self(e.base), e.exp
        if ex == -1:
            return f"(1.0 / {base})"
        if ex == sympy.Rational(1, 2):
            return f"Math.sqrt({base})"
        if ex.is_Integer:
            n = int(ex)
            return f"(1.0 / SF.ipow({base}, {-n}))" if n < 0 else f"SF.ipow({base}, {n})"
        return f"Math.pow({base}, {self(ex)})"

    def _Mod(self, e: sympy.Mod) -> str:
        return f"SF.mod({self(e.args[0])}, {self(e.args[1])})"

    def _Min(self, e: sympy.Min) -> str:
        return self._fold("SF.min", e.args)

    def _Max(self, e: sympy.Max) -> str:
        return self._fold("SF.max", e.args)

    def _fold(self, fn: str, args: tuple[sympy.Basic, ...]) -> str:
        text = self(args[0])
        for a in args[1:]:
            text = f"{fn}({text}, {self(a)})"
        return text

    def _Piecewise(self, e: sympy.Piecewise) -> str:
        pieces = list(e.args)
        out = self(pieces[-1][0]) if pieces[-1][1] is sympy.true else "NaN"
        rest = pieces[:-1] if pieces[-1][1] is sympy.true else pieces
        for v, c in reversed(rest):
            out = f"({self(c)} ? {self(v)} : {out})"
        return out

    def _ITE(self, e: sympy.Basic) -> str:
        c, a, b = (self(x) for x in e.args)
        return f"({c} ? {a} : {b})"

    def _And(self, e: sympy.And) -> str:
        return "(" + " && ".join(self(a) for a in e.args) + ")"

    def _Or(self, e: sympy.Or) -> str:
        return "(" + " || ".join(self(a) for a in e.args) + ")"

    def _Not(self, e: sympy.Not) -> str:
        return f"(!{self(e.args[0])})"

    def _Xor(self, e: sympy.Basic) -> str:
        return self._fold("SF.xor", e.args)


def to_javascript(model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> JsModel:
    """The model's run functions as JavaScript, with inputs for the flows in `scaled` and the
    parameters in `timed` (as `codegen.build` makes them)."""
    g = model.graph
    lay = layout_of(model, scaled, timed)
    names = list(lay.params) + list(lay.stocks) + list(g.order) + [m.id for m in g.metrics]
    names += [a.id for a in g.aggregates]
    hoist = Hoister({sympy.Symbol(p) for p in lay.params if p not in timed} | {DT_SYM})
    loop_eqs = {n: hoist(model.equations[n]) for n in g.order}
    loop_derivs = [hoist(model.derivatives[s]) for s in lay.stocks]
    names += [name for name, _ in hoist.found]
    slots = {n: i for i, n in enumerate(dict.fromkeys(names))}
    lookups = {lk.id: i for i, lk in enumerate(g.lookups)}
    js = _Printer(slots, lookups)
    stock_slot = {s: slots[s] for s in lay.stocks}
    prepare = [f"V[{slots[n]}] = {js(e)};" for n, e in hoist.found]
    blends = [_blend(slots, p) for p in timed]
    init = blends + [_init_line(model, js, slots, n, lay.stocks) for n in g.init_order]
    evaluate = blends + [f"V[{slots[s]}] = S[{i}];" for i, s in enumerate(lay.stocks)]
    for n in g.order:
        evaluate.append(f"V[{slots[n]}] = {js(loop_eqs[n])};")
        if n in scaled:
            value, *window = (slots[x] for x in change_inputs(n))
            evaluate.append(f"V[{slots[n]}] = V[{slots[n]}] * (1.0 + (V[{value}] - 1.0) * "
                            f"SF.window(t, V[{window[0]}], V[{window[1]}], V[{window[2]}]));")
    evaluate += _caps(model, slots)
    deriv = [f"out[{i}] = {js(e)};" for i, e in enumerate(loop_derivs)]
    metrics = [f"V[{slots[m]}] = {js(model.metric_equations[m])};" for m in g.metric_order]
    tables = ", ".join(_table(lk) for lk in g.lookups)
    code = (f"{{nSlots: {len(slots)}, nStocks: {len(lay.stocks)}, snapTolerance: {number(SNAP)},\n"
            f" lookups: [{tables}],\n"
            f" prepare: function (V, dt) {{\n  {_body(prepare)}\n }},\n"
            f" init: function (V, t, dt, override, mask) {{\n  {_body(init)}\n  return [{', '.join(f'V[{stock_slot[s]}]' for s in lay.stocks)}];\n }},\n"
            f" evaluate: function (V, S, t, dt) {{\n  {_body(evaluate)}\n }},\n"
            f" deriv: function (V, out, t, dt) {{\n  {_body(deriv)}\n }},\n"
            f" metrics: function (V, t, dt) {{\n  {_body(metrics)}\n }}}}")
    return JsModel(code, slots, lay.params, lay.stocks, scaled, timed)


def _body(lines: list[str]) -> str:
    return "\n  ".join(lines) if lines else "/* nothing */"


def _blend(slots: dict[str, int], p: str) -> str:
    value, start, ramped, until = (slots[x] for x in change_inputs(p))
    base = slots[p]
    return (f"V[{base}] = V.base[{base}] + (V[{value}] - V.base[{base}]) * "
            f"SF.window(t, V[{start}], V[{ramped}], V[{until}]);")


def _init_line(model: CheckedModel, js: _Printer, slots: dict[str, int], n: str, stocks: tuple[str, ...]) -> str:
    if n in model.initials:
        i = stocks.index(n)
        return f"V[{slots[n]}] = mask[{i}] ? override[{i}] : {js(model.initials[n])};"
    return f"V[{slots[n]}] = {js(model.equations[n])};"


def _caps(model: CheckedModel, slots: dict[str, int]) -> list[str]:
    """Non-negative stocks, as codegen/caps.py: one call that finds every cap's factor, with
    the same passes, and applies them."""
    caps = caps_of(model, np)
    if not caps:
        return []
    pairs = lambda xs: "[" + ", ".join(f"[{slots[f]}, {number(c)}]" for f, c in xs) + "]"  # noqa: E731
    rows = []
    for cap, terms in zip(caps, caps.terms, strict=True):
        supply = ", ".join(f"[{slots[f]}, {number(sign)}, {number(c)}, {-1 if by is None else by}]"
                           for f, sign, c, by in terms)
        rows.append(f"[{slots[cap.stock]}, {pairs(cap.ins)}, {pairs(cap.outs)}, [{supply}]]")
    return [f"SF.caps(V, [{', '.join(rows)}], dt, {passes(caps)});"]


def _table(lk: object) -> str:
    xs = ", ".join(number(x) for x in lk.xs)  # type: ignore[attr-defined]
    ys = ", ".join(number(y) for y in lk.ys)  # type: ignore[attr-defined]
    step = lk.interpolation is A.Interpolation.STEP  # type: ignore[attr-defined]
    linear = lk.extrapolation is not A.Extrapolation.CLAMP and not step  # type: ignore[attr-defined]
    return f"{{xs: [{xs}], ys: [{ys}], step: {str(step).lower()}, extrapolate: {str(linear).lower()}}}"
