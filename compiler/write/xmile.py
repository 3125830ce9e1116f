"""Checked model -> XMILE 1.0 text.

The model is written from its checked equations, where every unit conversion is already
explicit, so Stella, Vensim or PySD compute what stockflow computes. smooth/delay/init become
the stocks stockflow integrates for them. Metrics, reality checks, scenarios and groups have no
XMILE form; `dropped` lists them so the caller can say so.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import sympy
from sympy.core.function import UndefinedFunction

from ..base.names import AGGREGATES, STATEFUL, TIME_ALIASES
from ..ir import ast as A
from ..ir import graph as G
from ..ir.model import DT_SYM, TIME_SYM, CheckedModel
from ..ir.text import unit_text
from ..ir.units import TIME, Unit
from ..read.xmile.names import original_name
from .literals import Marks, named_literals
from .xmile_arrays import XArray, dimensions_xml, xmile_arrays

NS = "https://github.com/stockflow/xmile"  # stockflow's own elements, which other tools skip
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNARY = {sympy.exp: "EXP", sympy.sin: "SIN", sympy.cos: "COS", sympy.tan: "TAN", sympy.asin: "ARCSIN",
          sympy.acos: "ARCCOS", sympy.atan: "ARCTAN", sympy.Abs: "ABS",
          sympy.sinh: "SINH", sympy.cosh: "COSH", sympy.tanh: "TANH"}
_REL = {sympy.Eq: "=", sympy.Ne: "<>", sympy.Lt: "<", sympy.Le: "<=", sympy.Gt: ">", sympy.Ge: ">="}


@dataclass(frozen=True)
class Export:
    text: str
    dropped: tuple[str, ...]  # what the model has that XMILE cannot hold


def write_xmile(model: CheckedModel) -> Export:
    return _Writer(*named_literals(model)).write()


class _Writer:
    def __init__(self, model: CheckedModel, marks: Marks | None = None):
        self.m = model
        g = model.graph
        self.g = g
        self.names: dict[str, str] = {}
        taken: set[str] = set()
        documented: list[G.Stock | G.Flow | G.Aux | G.Param | G.Lookup] = [*g.stocks, *g.flows, *g.auxes, *g.params,
                                                                         *g.lookups]
        docs = {x.id: x.doc for x in documented}
        for vid in [s.id for s in g.stocks] + [f.id for f in g.flows] + [a.id for a in g.auxes] + \
                [p.id for p in g.params] + [lk.id for lk in g.lookups]:
            name = original_name(docs[vid].description) or vid
            # an element of an array, `rate[universal,additional]`, becomes `rate_universal_additional`:
            # XMILE reads brackets as subscripts, and these are written out element by element
            name = re.sub(r"[$.]", "_", name)
            name = re.sub(r"[\[\],]+", "_", name).strip("_") if "[" in name else name
            while name.lower() in taken:
                name += "_"
            taken.add(name.lower())
            self.names[vid] = name
        # Flows in other units than their stocks per time unit are written in the stocks' units,
        # and every other equation reads them back through the same factor.
        self.factor: dict[str, sympy.Expr] = {}
        for f in g.flows:
            ends = [model.flow_factors.get((f.id, s), sympy.Integer(1)) for s in (f.source, f.target) if s]
            if ends and ends[0] != 1:
                self.factor[f.id] = ends[0]
        # Each conversion is an aux with units (`year_per_month = 1/12 [year/month]`), so that
        # every equation's units, read as labels the way XMILE tools read them, are its own.
        self.conversions: dict[str, tuple[sympy.Float, A.UnitExpr]] = {}
        self.taken = taken
        conv = {f: self.conversion(self.flow_units(fl), self.per_time(fl.source or fl.target), self.factor[f])
                for f, fl in ((x.id, x) for x in g.flows) if f in self.factor}
        self.swap = {sympy.Symbol(f): sympy.Symbol(f) / c for f, c in conv.items()}
        self.flow_conv = conv
        # the conversions lowering marked, each written as a named constant with its units (after
        # `swap`, whose replacements may hold marks: a delay's stage time)
        self.named_marks = {sympy.Symbol(key): self.conversion(self.unit_expr(have), self.unit_expr(want), factor)
                            for key, (factor, have, want) in (marks or {}).items()}
        # smooth/delay/init: written back as XMILE calls where their hidden stocks allow it
        self.calls: dict[str, tuple[str, str, list[sympy.Expr]]] = {}
        self.folded: set[str] = set()
        for fname, stages in _hidden_groups(g).values():
            self.fold(fname, stages)
        # arrays XMILE can hold as arrays: one variable each, elements referred to as `name[e1, e2]`
        self.arrays: dict[str, XArray] = xmile_arrays(g)
        declared: list[G.Stock | G.Flow | G.Aux | G.Param] = [*g.stocks, *g.flows, *g.auxes, *g.params]
        shown = {x.id: x.display for x in declared}
        self.array_name: dict[str, str] = {}
        for a in self.arrays.values():
            name = re.sub(r"[$.]", "_", shown[next(iter(a.keys))].split("[", 1)[0])
            while name.lower() in taken:
                name += "_"
            taken.add(name.lower())
            self.array_name[a.name] = name
        self.element_of = {vid: (a, key) for a in self.arrays.values() for vid, key in a.keys.items()}
        self.written: set[str] = set()

    def fold(self, fname: str, stages: list[str]) -> None:
        """Recognise the hidden stocks of one smooth/delay/init call and replace the last one by
        a placeholder that prints as the XMILE call."""
        m = self.m
        ph = sympy.Symbol(f"$call{len(self.calls)}")
        first, last = sympy.Symbol(stages[0]), sympy.Symbol(stages[-1])
        if fname == "init":
            self.calls[ph.name] = ("INIT", fname, [m.initials[stages[0]]])
            self.swap[last] = ph
            self.folded.update(stages)
            return
        rate = m.derivatives[stages[0]]
        slope = sympy.diff(rate, first)
        if slope == 0 or first in slope.free_symbols:
            return
        t_stage = -1 / slope
        n = len(stages)
        if fname.startswith("smooth"):
            x = sympy.simplify(rate * t_stage + first)
            init = m.initials[stages[0]]
            self.swap[last] = ph
        else:
            x = sympy.simplify(rate + first / t_stage)
            init = sympy.simplify(m.initials[stages[0]] / t_stage)
            self.swap[last] = ph * t_stage
        fn = {("smooth", 1): "SMTH1", ("smooth", 3): "SMTH3", ("delay", 1): "DELAY1", ("delay", 3): "DELAY3"}
        name = fn.get(("smooth" if fname.startswith("smooth") else "delay", n))
        args = [x, t_stage * n] + ([] if name else [sympy.Integer(n)]) + [init]
        if fname == "delay_fixed":  # XMILE's own fixed pipeline delay
            name, args = "DELAY", [x, t_stage * n, init]
        self.calls[ph.name] = (name or ("SMTHN" if fname.startswith("smooth") else "DELAYN"), fname, args)
        self.folded.update(stages)

    # ---------------------------------------------------------------- document
    def write(self) -> Export:
        g, m = self.g, self.m
        t = g.time
        out = ['<?xml version="1.0" encoding="utf-8"?>',
               '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">',
               "  <header>", f"    <name>{escape(g.info.name)}</name>",
               *([f"    <caption>{escape(g.info.title)}</caption>"] if g.info.title else []),
               "    <vendor>stockflow</vendor>", f'    <product version={quoteattr(_version())}>stockflow</product>', "  </header>",
               f'  <sim_specs method="{"RK4" if t.method is A.Method.RK4 else "Euler"}" '
               f"time_units={quoteattr(t.unit)}>",
               f"    <start>{_num(t.start)}</start>", f"    <stop>{_num(t.stop)}</stop>",
               f"    <dt>{_num(t.dt)}</dt>"]
        if t.save_step is not None:  # not in XMILE 1.0: a vendor element that other tools skip
            out.append(f'    <stockflow:save_step xmlns:stockflow="{NS}">{_num(t.save_step)}</stockflow:save_step>')
        out.append("  </sim_specs>")
        if g.unit_decls:
            out.append("  <model_units>")
            for u in g.unit_decls:
                eqn = f"<eqn>{escape(unit_text(u.definition))}</eqn>" if u.definition else ""
                out.append(f"    <unit name={quoteattr(u.name)}>{eqn}</unit>")
            out.append("  </model_units>")
        out += dimensions_xml(g, self.arrays)
        out += ["  <model>", "    <variables>"]
        for s in g.stocks:
            if s.hidden:
                if s.origin.function in AGGREGATES or s.id in self.folded:  # type: ignore[union-attr]
                    continue  # a metric's accumulator, or written as a call
                change = self.names[s.id] + "_change"
                out += self.var("stock", s.id, m.initials[s.id], None, None, [f"<inflow>{escape(change)}</inflow>"])
                out += self.var("flow", None, m.derivatives[s.id], None, None, [], name=change)
                continue
            extra = [f"<inflow>{escape(self.flow_name(f))}</inflow>" for f in s.inflows]
            extra += [f"<outflow>{escape(self.flow_name(f))}</outflow>" for f in s.outflows]
            if s.non_negative:
                extra.append("<non_negative/>")
            out += self.some("stock", s.id, lambda v: m.initials[v], s.units, s.doc, list(dict.fromkeys(extra)))
        for f in g.flows:
            units = f.units if f.id not in self.factor else self.per_time(f.source or f.target)
            out += self.some("flow", f.id, lambda v: self.m.equations[v] * self.flow_conv.get(v, 1), units, f.doc,
                             ["<non_negative/>"] if f.non_negative else [])
        for a in g.auxes:
            if not a.hidden:
                out += self.some("aux", a.id, lambda v: self.m.equations[v], a.units, a.doc, [])
        values = {p.id: p.value for p in g.params}
        for p in g.params:
            out += self.some("aux", p.id, lambda v: sympy.Float(values[v]), p.units, p.doc, [])
        for key, (value, ratio) in self.conversions.items():
            out += self.var("aux", key, value, ratio, A.Doc(f"unit conversion: {_num(float(value))} {unit_text(ratio)}"), [])
        for lk in g.lookups:
            out += self.gf(lk)
        out += ["    </variables>", "  </model>", "</xmile>", ""]
        return Export("\n".join(out), self.dropped())

    def flow_units(self, f: G.Flow) -> A.UnitExpr | None:
        """A flow's units as declared, or as its equation gives them (`kids * rate` in
        child/year into a monthly stock): either way its conversion is named, never bare."""
        if f.units is not None:
            return f.units
        inferred = self.m.units.get(f.id)
        return self.unit_expr(inferred) if inferred is not None else None

    def conversion(self, have: A.UnitExpr | None, want: A.UnitExpr | None, factor: sympy.Expr) -> sympy.Expr:
        """The factor from `have` into `want` as an aux carrying units want/have; a bare number
        where either side has no units."""
        if have is None or want is None:
            return factor
        ratio = A.UnitExpr(_merged([*want.factors, *((n, -p) for n, p in have.factors)]), want.scale / have.scale)
        text = unit_text(ratio)
        name = re.sub(r"[^A-Za-z0-9]+", "_", text.replace("/", "_per_").replace("^", "_")).strip("_")
        name = f"{name or 'scale'}_conversion" if not name[:1].isalpha() else name
        key = name.lower()
        if key not in self.conversions:
            while key in self.taken:
                key += "_"
            self.taken.add(key)
            self.names[key] = key
            self.conversions[key] = (sympy.Float(factor), ratio)
        return sympy.Symbol(key)

    def unit_expr(self, u: Unit) -> A.UnitExpr | None:
        """`u` in the model's own unit names, a scale carried by a named unit as XMILE tools
        read labels: `2.17 family/month` is `family/fortnight`, `83.3 GBP/month` is
        `thousand_GBP/year`; None where no product of named units gives the scale."""
        us = self.m.unitsys
        powers = {} if u.dim == 1 else {s: int(p) for s, p in u.dim.as_powers_dict().items()}
        choices = []
        for base in sorted(powers, key=str):
            named = [(us.display_names.get(base, str(base)), sympy.Integer(1))]
            named += [(n, v.scale) for n, v in us.table.items()
                      if v.dim == base and n not in TIME_ALIASES and n != named[0][0]]
            choices.append([(base, n, scale) for n, scale in named])
        if math.prod(len(c) for c in choices) > 10_000:
            return None
        times = [(n, v.scale) for n, v in us.table.items() if v.dim == TIME and n not in TIME_ALIASES]
        picks = [([(n, powers[base]) for base, n, _ in pick],
                  u.scale / math.prod((scale ** powers[base] for base, _, scale in pick), start=sympy.Integer(1)))
                 for pick in itertools.product(*choices)]
        exact = next((names for names, rest in picks if rest == 1), None)
        if exact is not None:
            return A.UnitExpr(tuple(sorted(exact)))
        for names, rest in picks:  # a ratio of two times left over: `12 child` is child*year/month
            ratio = next(((a, b) for a, sa in times for b, sb in times if a != b and sa / sb == rest), None)
            if ratio is not None:
                return A.UnitExpr(_merged(names + [(ratio[0], 1), (ratio[1], -1)]))
        return None

    def per_time(self, stock: str | None) -> A.UnitExpr | None:
        s = next((x for x in self.g.stocks if x.id == stock), None)
        if s is None or s.units is None:
            return None
        return A.UnitExpr(tuple(sorted(s.units.factors + ((self.g.time.unit, -1),))), s.units.scale)

    def dropped(self) -> tuple[str, ...]:
        g = self.g
        items = [f"metric {x.display}" for x in g.metrics] + [f"reality check {x.display}" for x in g.expectations]
        items += [f"scenario {x.display}" for x in g.scenarios] + [f"group {x.display}" for x in g.groups]
        return tuple(items)

    def flow_name(self, vid: str) -> str:
        """A stock's inflow or outflow: an arrayed flow by its array's name."""
        found = self.element_of.get(vid)
        return self.array_name[found[0].name] if found else self.names[vid]

    def some(self, kind: str, vid: str, eq: Callable[[str], sympy.Expr], units: A.UnitExpr | None,
             doc: A.Doc | None, extra: list[str]) -> list[str]:
        """One variable, or, at an exported array's first element, the whole array."""
        found = self.element_of.get(vid)
        if found is None:
            return self.var(kind, vid, eq(vid), units, doc, extra)
        a = found[0]
        if a.name in self.written:
            return []
        self.written.add(a.name)
        lines = [f"      <{kind} name={quoteattr(self.array_name[a.name])}>", "        <dimensions>"]
        lines += [f"          <dim name={quoteattr(d)}/>" for d in a.dims] + ["        </dimensions>"]
        for v, key in a.keys.items():
            lines += [f"        <element subscript={quoteattr(', '.join(key))}>",
                      f"          <eqn>{escape(self.expr(eq(v)))}</eqn>", "        </element>"]
        return lines + _tail(kind, extra, units, doc)

    def var(self, kind: str, vid: str | None, eq: sympy.Expr, units: A.UnitExpr | None, doc: A.Doc | None,
            extra: list[str], name: str | None = None) -> list[str]:
        name = name or self.names[str(vid)]
        lines = [f"      <{kind} name={quoteattr(name)}>", f"        <eqn>{escape(self.expr(eq))}</eqn>"]
        return lines + _tail(kind, extra, units, doc)

    def gf(self, lk: object) -> list[str]:
        kind = ("discrete" if lk.interpolation is A.Interpolation.STEP  # type: ignore[attr-defined]
                else "extrapolate" if lk.extrapolation is A.Extrapolation.LINEAR  # type: ignore[attr-defined]
                else "continuous")
        xs = ",".join(_num(x) for x in lk.xs)  # type: ignore[attr-defined]
        ys = ",".join(_num(y) for y in lk.ys)  # type: ignore[attr-defined]
        lines = [f"      <gf name={quoteattr(self.names[lk.id])} type=\"{kind}\">",  # type: ignore[attr-defined]
                 f"        <xpts>{xs}</xpts>", f"        <ypts>{ys}</ypts>"]
        if lk.units is not None:  # type: ignore[attr-defined]
            lines.append(f"        <units>{escape(unit_text(lk.units))}</units>")  # type: ignore[attr-defined]
        text = _doc_text(lk.doc)  # type: ignore[attr-defined]
        if text:
            lines.append(f"        <doc>{escape(text)}</doc>")
        return lines + ["      </gf>"]

    # ---------------------------------------------------------------- equations
    def expr(self, e: sympy.Expr) -> str:
        if self.swap:
            e = e.xreplace(self.swap)
        if self.named_marks:
            e = e.xreplace(self.named_marks)
        return self.x(e)

    def ref(self, vid: str) -> str:
        found = self.element_of.get(vid)
        if found is not None:
            return f"{self.array_name[found[0].name]}[{', '.join(found[1])}]"
        name = self.names.get(vid, re.sub(r"[$.]", "_", vid))
        return name if _PLAIN.match(name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def x(self, e: sympy.Basic) -> str:
        """XMILE text of a sympy expression: one case per kind of node."""
        text = self.atom(e) or self.arith(e) or self.logic(e)
        if text is None:
            raise ValueError(f"no XMILE form for {type(e).__name__}")
        return text

    def atom(self, e: sympy.Basic) -> str | None:
        if e == TIME_SYM:
            return "TIME"
        if e == DT_SYM:
            return "DT"
        if isinstance(e, sympy.Symbol):
            if e.name in self.calls:
                fn, _, args = self.calls[e.name]
                return f"{fn}({', '.join(self.expr(a) for a in args)})"
            return self.ref(e.name)
        if e is sympy.pi:
            return "PI()"
        if e is sympy.true:
            return "(1 = 1)"
        if e is sympy.false:
            return "(1 = 0)"
        if isinstance(e, sympy.Rational) and not isinstance(e, sympy.Integer):
            return f"({e.p}/{e.q})"
        if isinstance(e, sympy.Number):
            return _num(float(e))
        return None

    def arith(self, e: sympy.Basic) -> str | None:
        x = self.x
        if isinstance(e.func, UndefinedFunction):
            return f"LOOKUP({self.ref(e.func.__name__)}, {x(e.args[0])})"
        if isinstance(e, sympy.Add):  # `a - b`, not `a + -1 * b`: the same numbers, as a person writes it
            terms = sorted(e.args, key=lambda a: a.as_coeff_Mul()[0].is_negative is True)
            text = x(terms[0])
            for a in terms[1:]:
                text += f" - {x(-a)}" if a.as_coeff_Mul()[0].is_negative else f" + {x(a)}"
            return f"({text})"
        if isinstance(e, sympy.Mul):
            num = [a for a in e.args if not (isinstance(a, sympy.Pow) and a.exp.is_number and a.exp.is_negative)]
            den = [a.base ** -a.exp for a in e.args if a not in num]
            top = " * ".join(x(a) for a in num) if num else "1"
            if not den:
                return f"({top})"
            # every compound form is written in brackets already
            bottom = x(den[0]) if len(den) == 1 else f"({' * '.join(x(a) for a in den)})"
            return f"({top} / {bottom})"
        if isinstance(e, sympy.Pow):
            if e.exp == sympy.Rational(1, 2):
                return f"SQRT({x(e.base)})"
            if e.exp.is_number and e.exp.is_negative:
                return f"(1 / {x(e.base ** -e.exp)})"
            return f"({x(e.base)} ^ {x(e.exp)})"
        if isinstance(e, sympy.Piecewise):
            return self.piecewise(e)
        if isinstance(e, sympy.Min | sympy.Max):
            fn = "MIN" if isinstance(e, sympy.Min) else "MAX"
            text = x(e.args[-1])
            for a in reversed(e.args[:-1]):
                text = f"{fn}({x(a)}, {text})"
            return text
        if isinstance(e, sympy.log):
            return f"LN({x(e.args[0])})"
        # floor and ceiling hold whichever way a tool reads INT
        if isinstance(e, sympy.floor):
            v = x(e.args[0])
            return f"(INT({v}) - (IF {v} < INT({v}) THEN 1 ELSE 0))"
        if isinstance(e, sympy.ceiling):
            v = x(e.args[0])
            return f"(INT({v}) + (IF {v} > INT({v}) THEN 1 ELSE 0))"
        if isinstance(e, sympy.Mod):
            a, b = e.args
            return x(a - b * sympy.floor(a / b))
        return None

    def logic(self, e: sympy.Basic) -> str | None:
        x = self.x
        if e.func in _UNARY:
            return f"{_UNARY[e.func]}({x(e.args[0])})"
        if type(e) in _REL:
            return f"({x(e.lhs)} {_REL[type(e)]} {x(e.rhs)})"
        if isinstance(e, sympy.And | sympy.Or):
            word = " AND " if isinstance(e, sympy.And) else " OR "
            return "(" + word.join(x(a) for a in e.args) + ")"
        if isinstance(e, sympy.Not):
            return f"(NOT {x(e.args[0])})"
        if isinstance(e, sympy.ITE):
            return f"(IF {x(e.args[0])} THEN {x(e.args[1])} ELSE {x(e.args[2])})"
        if isinstance(e, sympy.Xor):
            return "(" + " <> ".join(f"(IF {x(a)} THEN 1 ELSE 0)" for a in e.args) + ")" if len(e.args) == 2 \
                else x(sympy.Xor(sympy.Xor(*e.args[:2]), *e.args[2:]))
        return None

    def piecewise(self, e: sympy.Piecewise) -> str:
        # trunc (towards zero). Tools disagree on INT of a negative number (Vensim truncates,
        # the XMILE text says floor), so it is written with INT of a non-negative number only.
        if len(e.args) == 2 and isinstance(e.args[0][0], sympy.floor) and isinstance(e.args[1][0], sympy.ceiling):
            inner = e.args[0][0].args[0]
            cond = e.args[0][1]
            same_sign = isinstance(cond, sympy.GreaterThan) and cond.rhs == 0 and \
                (lambda r: r.is_number and r.is_positive)(sympy.simplify(inner / cond.lhs))
            if e.args[1][0].args[0] == inner and same_sign and e.args[1][1] is sympy.true:
                v = self.x(inner)
                return f"(IF {v} >= 0 THEN INT(ABS({v})) ELSE -INT(ABS({v})))"
        text = "0" if e.args[-1][1] is not sympy.true else self.x(e.args[-1][0])
        pieces = e.args if e.args[-1][1] is not sympy.true else e.args[:-1]
        for value, cond in reversed(pieces):
            text = f"(IF {self.x(cond)} THEN {self.x(value)} ELSE {text})"
        return text


def _merged(factors: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    powers: dict[str, int] = {}
    for n, p in factors:
        powers[n] = powers.get(n, 0) + p
    return tuple(sorted((n, p) for n, p in powers.items() if p))


def _hidden_groups(g: G.Graph) -> dict[tuple[str, str, int], tuple[str, list[str]]]:
    """Hidden stocks of smooth/delay/init calls, by call: the function, and the stages in order."""
    calls: dict[tuple[str, str, int], list[G.Stock]] = {}
    for s in g.stocks:
        o = s.origin
        if o is not None and o.function in STATEFUL:
            calls.setdefault((o.owner, o.function, o.call), []).append(s)
    return {key: (key[1], [s.id for s in sorted(stages, key=lambda s: s.origin.stage)])  # type: ignore[union-attr]
            for key, stages in calls.items()}


def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _tail(kind: str, extra: list[str], units: A.UnitExpr | None, doc: A.Doc | None) -> list[str]:
    """A variable's lines after its equations: flows, flags, units, documentation, the close."""
    lines = [f"        {x}" for x in extra]
    if units is not None:
        lines.append(f"        <units>{escape(unit_text(units))}</units>")
    text = _doc_text(doc)
    if text:
        lines.append(f"        <doc>{escape(text)}</doc>")
    return lines + [f"      </{kind}>"]


def _doc_text(doc: A.Doc | None) -> str:
    if doc is None:
        return ""
    desc = doc.description or ""
    if original_name(desc) is not None:
        desc = desc.rsplit("\n", 1)[0] if "\n" in desc else ""
    parts = [desc] if desc else []
    if doc.source:
        parts.append(f"Source: {doc.source}")
    if doc.assumption:
        parts.append(f"Assumption: {doc.assumption}")
    return "\n".join(parts)


def _version() -> str:
    """stockflow's version, from the installed package's metadata (the one place it is set)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stockflow")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"
