"""XMILE document -> stockflow Spec AST (one model, no arrays or modules).

Spans point into the XMILE file, so every later error names the line of the variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...base.diagnostics import Diagnostic, SpecError, error
from ...base.limits import MAX_DECLS, MAX_ELEMENTS, MAX_LOOKUP_POINTS
from ...base.names import a_noun
from ...ir import ast as A
from .arrays import (
    array_part,
    constant_list,
    dim_elements,
    element_key,
    element_keys,
    read_dimensions,
    rolled,
    var_dims,
)
from .expr import Scope, parse_equation
from .modules import flatten, models_by_name
from .names import XMILE_NAME, Namer, display, key
from .units import UnitReader
from .xml import Node, parse_xml

# Elements that only draw the model or belong to a vendor's user interface.
_IGNORED = {"views", "view", "style", "prefs", "data", "misc", "header", "interface", "isee", "group",
            "event_poster", "format", "scale", "range", "documentation",
            "display"}  # Stella 10 and older: a diagram's drawing, in <model> or in a variable
_VARIABLES = {"stock", "flow", "aux", "gf"}


@dataclass
class _Var:
    node: Node
    kind: str
    name: str  # as written
    ident: str
    units: A.UnitExpr | None = None
    non_negative: bool | None = None
    inflows: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)
    dims: tuple[str, ...] = ()  # identifiers of its dimensions, when arrayed
    prefix: str = ""  # `m.` for a variable of module m
    bound: str | None = None  # an input port of a module: the key of the variable it takes its value from


def read_xmile(text: str, file: str = "<xmile>", with_units: bool = True) -> A.Spec:
    return _Reader(file, with_units).read(parse_xml(text, file))


class _Reader:
    def __init__(self, file: str, with_units: bool) -> None:
        self.file = file
        self.with_units = with_units
        self.errors: list[Diagnostic] = []
        self.units = UnitReader(file)
        self.namer = Namer()

    def err(self, code: str, msg: str, node: Node | None, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, node.span(self.file, len(node.tag) + 1) if node else None, hint))

    def unsupported(self, node: Node, what: str, hint: str) -> None:
        self.err("E071", f"not supported: {what}", node, hint)

    # ---------------------------------------------------------------- document
    def read(self, root: Node) -> A.Spec:
        if root.tag != "xmile":
            self.err("E070", f"the root element is <{root.tag}>, not <xmile>", root,
                     "is this an XMILE file? Stella saves .stmx/.xmile; Vensim needs File > Export as XMILE")
            raise SpecError(self.errors)
        for node in root.children:
            if node.prefix or node.tag in _IGNORED | {"sim_specs", "model", "model_units", "behavior", "dimensions"}:
                continue
            if node.tag == "macro":
                self.unsupported(node, f"macro `{node.attrs.get('name', '?')}`", "expand the macro in the source tool")
        self.dims = read_dimensions(root.child("dimensions"), self.file, self.errors)
        models = root.all("model")
        if not models:
            self.err("E072", "the file has no <model>", root, "an XMILE file holds a <model> with <variables>")
            raise SpecError(self.errors)
        main, self.others = models_by_name(models)
        # <sim_specs> sits under <xmile>, or under the <model> (XMILE 1.0, 2.4)
        time = self.sim_specs(root.child("sim_specs") or main.child("sim_specs"), root)
        self.model_units(root.child("model_units"))
        stock_nn, flow_nn = self.behavior(root.child("behavior"))
        decls = [*self.dims.decls, *self.model(main, time, stock_nn, flow_nn)]
        if self.errors:
            raise SpecError(self.errors)
        name = self.model_name(root, main)
        info = A.ModelInfo(name, _header(root, "caption") or _header(root, "name"), None, root.span(self.file))
        return A.Spec(info, time, tuple(decls), self.file)

    def model_name(self, root: Node, model: Node) -> str:
        raw = _header(root, "name") or model.attrs.get("name") or Path(self.file).stem
        return Namer().ident(raw if raw != "default" else Path(self.file).stem)

    def sim_specs(self, node: Node | None, root: Node) -> A.TimeSpec:
        if node is None:
            self.err("E050", "the file has no <sim_specs>", root, "add <sim_specs> with <start>, <stop> and <dt>")
            raise SpecError(self.errors)

        def number(tag: str, default: float | None) -> float:
            child = node.child(tag)
            if child is None:
                if default is None:
                    self.err("E050", f"<sim_specs> has no <{tag}>", node, f"add <{tag}>")
                    return 1.0
                return default
            value = self.float(child.text, child)
            if tag == "dt" and child.attrs.get("reciprocal", "").lower() == "true":
                value = 1.0 / value if value else 0.0
            return value

        start, stop, dt = number("start", None), number("stop", None), number("dt", 1.0)
        if dt <= 0:
            self.err("E050", f"dt must be positive, not {dt:g}", node.child("dt") or node, "e.g. <dt>0.25</dt>")
            dt = 1.0
        if stop <= start:
            self.err("E050", f"stop ({stop:g}) must be after start ({start:g})", node.child("stop") or node)
        method_raw = node.attrs.get("method", "euler").strip().lower()
        method = {"euler": A.Method.EULER, "rk4": A.Method.RK4}.get(method_raw)
        if method is None:
            self.unsupported(node, f"integration method `{node.attrs['method']}`", "use Euler or RK4")
            method = A.Method.EULER
        unit = self.time_unit(node.attrs.get("time_units", ""))
        save = next((self.float(c.text, c) for c in node.children if c.prefix == "stockflow" and c.tag == "save_step"),
                    None)
        return A.TimeSpec(start, stop, dt, unit, method, save, node.span(self.file))

    def time_unit(self, raw: str) -> str:
        word = self.units.word(raw) if raw.strip() else "1"
        if word == "1":  # no time unit given: a base unit of its own
            word = self.units.bases.setdefault("time_unit", "time_unit")
        self.time_word = word
        return word

    def model_units(self, node: Node | None) -> None:
        if node is None:
            return
        self.unit_defs: list[tuple[str, Node]] = []
        for u in node.all("unit"):
            ident = self.units.word(u.attrs.get("name", ""))
            for alias in u.all("alias"):
                self.units.aliases[alias.text.strip().lower()] = ident
            eqn = u.child("eqn")
            if eqn is not None and eqn.text.strip():
                self.unit_defs.append((ident, eqn))

    def behavior(self, node: Node | None) -> tuple[bool, bool]:
        """<behavior>: defaults for non-negative stocks and flows."""
        if node is None:
            return False, False
        both = _flag(node.child("non_negative")) or False
        stock = node.child("stock")
        flow = node.child("flow")
        s = _flag(stock.child("non_negative")) if stock is not None else None
        f = _flag(flow.child("non_negative")) if flow is not None else None
        return (both if s is None else s), (both if f is None else f)

    # ---------------------------------------------------------------- variables
    def model(self, model: Node, time: A.TimeSpec, stock_nn: bool, flow_nn: bool) -> list[A.Decl]:
        from .modules import variables_of

        if variables_of(model) is None:
            self.err("E072", "<model> has no <variables>", model, "add the model's variables")
            return []
        vars_: dict[str, _Var] = {}
        for entry in flatten(model, self.others, self.file, self.errors):
            node = entry.node
            if node.tag not in _VARIABLES:
                if node.tag not in _IGNORED | {"sim_specs", "dimensions", "connect"}:
                    self.unsupported(node, f"<{node.tag}>", "stockflow reads stocks, flows, auxes, gfs and modules")
                continue
            name = node.attrs.get("name")
            if name:
                name = entry.prefix + name
            if not name:
                self.err("E072", f"a <{node.tag}> without a name", node, "give it name=\"...\"")
                continue
            k = key(name)
            if k in ("time", "dt", "starttime", "stoptime"):
                self.err("E012", f"`{display(name)}` is a built-in name in XMILE and cannot name a variable", node,
                         f"rename it, e.g. `{display(name)} value`")
                continue
            if k in vars_:
                self.err("E011", f"`{display(name)}` is declared twice (names ignore case, spaces and "
                         "underscores)", node, f"the first is on line {vars_[k].node.line}")
                continue
            if len(vars_) >= MAX_DECLS:
                self.err("E006", f"more than {MAX_DECLS} variables", node, "split the model")
                break
            self.check_supported(node)
            v = _Var(node, node.tag, name, self.namer.ident(name), prefix=entry.prefix, bound=entry.bound)
            v.non_negative = _flag(node.child("non_negative"))
            if v.non_negative is None:
                v.non_negative = stock_nn if v.kind == "stock" else flow_nn if v.kind == "flow" else False
            units = node.child("units")
            if self.with_units and units is not None and units.text.strip():
                read = self.units.read(units.text)
                # a fault in these units is shown at the <units> element (W106), not at line 1
                v.units = None if read is None else replace(read, span=units.span(self.file, len("<units>")))
            v.inflows = [key(entry.prefix + i.text) for i in node.all("inflow")]
            v.outflows = [key(entry.prefix + o.text) for o in node.all("outflow")]
            v.dims = var_dims(node, self.dims, self.file, self.errors)
            vars_[k] = v
        lookups = self.lookup_names(vars_)
        scope = Scope({k: v.ident for k, v in vars_.items() if v.kind != "gf"}, lookups, time.start, time.stop,
                      None if self.with_units else time.unit, self.dims.idents, self.dims.elements,
                      {k: v.dims for k, v in vars_.items() if v.dims}, inline=self.inline,
                      clock=time.unit if self.with_units else None)
        decls: list[A.Decl] = self.unit_decls()
        ends = self.flow_ends(vars_)
        scopes: dict[str, Scope] = {"": scope}
        for v in vars_.values():
            if v.prefix not in scopes:
                scopes[v.prefix] = _within(scope, v.prefix)
            if v.bound is not None:  # an input port: the value of the variable connected to it
                source = vars_.get(v.bound)
                ref = A.Name(source.ident if source else v.bound.replace(".", "_"), v.node.span(self.file))
                decls.append(A.AuxDecl(v.ident, ref, v.units, self.doc(v), v.node.span(self.file, len(v.node.tag) + 1)))
                continue
            decls += self.declare(v, scopes[v.prefix], ends, lookups)
        return decls

    def check_supported(self, node: Node) -> None:
        for child in node.children:
            if child.prefix:
                continue
            if child.tag in ("conveyor", "queue"):
                self.unsupported(child, f"{child.tag} stock `{display(node.attrs['name'])}`",
                                 "model it as a chain of stocks or with delayn(...)")

    def unit_decls(self) -> list[A.Decl]:
        out: list[A.Decl] = []
        defs = dict(getattr(self, "unit_defs", []))
        for ident in list(self.units.bases.values()):
            if not self.with_units and ident != getattr(self, "time_word", None):
                continue
            definition = None
            if ident in defs:
                definition = self.units.read(defs[ident].text)
            out.append(A.UnitDecl(ident, definition))
        return out

    def lookup_names(self, vars_: dict[str, _Var]) -> dict[str, str]:
        """Named graphical functions, and one table for each variable with an inline <gf>."""
        out = {k: v.ident for k, v in vars_.items() if v.kind == "gf"}
        self.inline: dict[str, str] = {}
        for k, v in vars_.items():
            if v.kind != "gf" and v.node.child("gf") is not None:
                self.inline[k] = self.namer.ident(v.name + " table")
        return out

    def flow_ends(self, vars_: dict[str, _Var]) -> dict[str, tuple[list[str], list[str]]]:
        """flow key -> (stocks it drains, stocks it fills)."""
        ends: dict[str, tuple[list[str], list[str]]] = {}
        for v in vars_.values():
            if v.kind != "stock":
                continue
            for side, refs in ((0, v.outflows), (1, v.inflows)):
                for ref in refs:
                    target = vars_.get(ref)
                    if target is not None and target.kind == "aux":
                        target.kind = "flow"  # some exporters write flows as auxes and list them on stocks
                    if target is None or target.kind != "flow":
                        tag = "outflow" if side == 0 else "inflow"
                        node = next((c for c in v.node.all(tag) if key(c.text) == ref), v.node)
                        what = "is not declared" if target is None else f"is {a_noun(target.kind)}, not a flow"
                        self.err("E014", f"<{tag}> `{display(ref)}` of stock `{display(v.name)}` {what}", node,
                                 "name a <flow> of this model")
                        continue
                    ends.setdefault(ref, ([], []))[side].append(v.ident)
        return ends

    def equation(self, v: _Var, scope: Scope, required: bool = True, node: Node | None = None,
                 eqn: Node | None = None) -> A.Expr | None:
        """The <eqn> of the variable (or of `node`, one of its elements), or `eqn` itself."""
        eqn = eqn if eqn is not None else (node or v.node).child("eqn")
        if eqn is None or not eqn.text.strip():
            if required:
                self.err("E072", f"`{display(v.name)}` has no equation", v.node, "add <eqn>...</eqn>")
            return None
        if eqn.text.strip() == "???":  # xmutil's mark for an equation it could not convert
            self.err("E072", f"`{display(v.name)}` has `???` for its equation: the program that wrote this file "
                     "could not convert it", eqn, "write the equation in the model's own tool and save again, "
                     "or give each element its own <element subscript=\"...\"><eqn>...</eqn></element>")
            return None
        # Equations start just after `<eqn>`; lark counts from line 1, column 1.
        line0, col0 = eqn.line, eqn.column + len("<eqn>")

        def posmap(line: int, col: int) -> tuple[int, int]:
            return (line0, col0 + col - 1) if line == 1 else (line0 + line - 1, col)

        expr, errs = parse_equation(eqn.text, self.file, posmap, replace(scope, here=v.dims))
        self.errors += errs
        return expr

    def cases(self, v: _Var, scope: Scope) -> tuple[tuple[A.Case, ...], list[A.Decl]]:
        """A non-apply-to-all array's `<element subscript="...">` equations, and a lookup for
        each element that has its own graphical function (its value is that table at its eqn)."""
        out: list[A.Case] = []
        tables: list[A.Decl] = []
        for el in v.node.all("element"):
            gf = el.child("gf")
            # Stella writes the input of an arrayed graphical function once, beside its elements' tables
            shared = gf is not None and el.child("eqn") is None and v.node.child("eqn") is not None
            expr = self.equation(v, scope, node=None if shared else el)
            if gf is not None and v.kind == "stock":
                self.unsupported(el, f"a graphical function for one element of the stock `{display(v.name)}`",
                                 "give its initial value as an equation")
            elif gf is not None and expr is not None:
                subscript = el.attrs.get("subscript", "")
                table = self.table(gf, f"{v.name}[{subscript}]")
                if table is None:
                    continue
                name = self.namer.ident(f"{v.name} table {subscript.replace(',', ' ')}")
                tables.append(A.LookupDecl(name, table[0], v.units, None, table[1], table[2],
                                           A.Doc(f"graphical function of {v.ident}[{subscript}]"),
                                           el.span(self.file, len("element") + 1)))
                expr = A.Call(name, (expr,), expr.span)
            if expr is not None:
                out.append(A.Case(element_key(el.attrs.get("subscript", ""), self.dims), expr,
                                  el.span(self.file, len("element") + 1)))
        return tuple(out), tables

    def listed(self, v: _Var, eqns: list[Node], scope: Scope) -> tuple[A.Case, ...]:
        """An array's equations for each element in order, the last dimension fastest: a list of
        constants in its <eqn> (`1, 2, 3`: Vensim's lists, as xmutil writes them), or one <eqn>
        an element, as some exporters write them without <element> wrappers."""
        values = constant_list(eqns[0].text) if len(eqns) == 1 else None
        if not eqns or (len(eqns) == 1 and values is None):
            return ()
        size = math.prod(map(len, dim_elements(v.dims, self.dims)))
        if size > MAX_ELEMENTS:  # before a single element is made
            self.err("E006", f"`{display(v.name)}` would have {size:,} elements, past the limit of {MAX_ELEMENTS:,}",
                     eqns[0], "use fewer elements")
            return (A.Case((), A.Num(0.0)),)
        keys = element_keys(v.dims, self.dims)
        exprs: list[A.Expr | None] = [A.Num(x) for x in values] if values is not None else [
            self.equation(v, scope, eqn=e) for e in eqns]
        if len(exprs) != len(keys):
            what = f"lists {len(exprs)} values" if values is not None else f"has {len(exprs)} <eqn>s"
            self.err("E093", f"`{display(v.name)}` {what} for its {len(keys)} elements", eqns[0],
                     "give one for each element, in order (the last dimension fastest), or an "
                     "<element subscript=\"...\"> with its own <eqn> for each")
            return tuple(A.Case(k, A.Num(0.0)) for k in keys)
        span = eqns[0].span(self.file, len("eqn") + 1)
        return tuple(A.Case(k, e, e.span or span) for k, e in zip(keys, exprs, strict=True) if e is not None)

    def declare(self, v: _Var, scope: Scope, ends: dict[str, tuple[list[str], list[str]]],
                lookups: dict[str, str]) -> list[A.Decl]:
        span = v.node.span(self.file, len(v.node.tag) + 1)
        doc = self.doc(v)
        if v.kind == "gf":
            table = self.table(v.node, v.name)
            return [A.LookupDecl(v.ident, table[0], v.units, None, table[1], table[2], doc, span)] if table else []
        cases, tables = self.cases(v, scope) if v.dims else ((), [])
        eqns = v.node.all("eqn")
        if v.dims and not cases:
            cases = self.listed(v, eqns, scope)
        elif not v.dims and len(eqns) > 1:
            self.err("E072", f"`{display(v.name)}` has {len(eqns)} <eqn>s", eqns[1],
                     "keep one; an array gives each element its own in <element subscript=\"...\">")
        one = rolled(v.dims, dim_elements(v.dims, self.dims), cases) if cases and not tables else None
        if one is not None:  # the elements' equations are one equation written out: read it so
            cases = ()
        array = array_part(v.dims, cases, not cases)
        if v.kind == "stock":
            initial = A.Num(0.0) if cases else one or self.equation(v, scope)
            return [A.StockDecl(v.ident, initial or A.Num(0.0), v.units, bool(v.non_negative), doc, span, array)]
        expr = A.Num(0.0, None, span) if cases else one or self.equation(v, scope)
        if expr is None:
            return []
        out: list[A.Decl] = list(tables)
        gf = v.node.child("gf")  # on an array: one table for every element, at each one's value
        if gf is not None:
            table = self.table(gf, v.name)
            if table is None:
                return []
            name = self.inline[key(v.name)]
            out.append(A.LookupDecl(name, table[0], v.units, None, table[1], table[2],
                                    A.Doc(f"graphical function of {v.ident}"), span))
            expr = A.Call(name, (expr,), expr.span)
        if v.kind == "flow":
            drains, fills = ends.get(key(v.name), ([], []))
            if len(drains) <= 1 and len(fills) <= 1 and (drains or fills):
                at = tuple(A.Name(d, span) for d in v.dims)
                return out + [A.FlowDecl(v.ident, drains[0] if drains else None, fills[0] if fills else None, expr,
                                         v.units, (), bool(v.non_negative), doc, span, span, span, array,
                                         at if drains else (), at if fills else ())]
            if v.dims:
                self.unsupported(v.node, f"the arrayed flow `{display(v.name)}` fills or drains several stocks",
                                 "give each stock its own flow")
                return []
            # A flow shared by several stocks (or none): its value, and one flow per stock it touches.
            if v.non_negative:
                expr = A.Call("max", (expr, A.Num(0.0)), expr.span)
            out.append(A.AuxDecl(v.ident, expr, v.units, doc, span))
            for stock in drains:
                out.append(A.FlowDecl(self.namer.ident(f"{v.ident} from {stock}"), stock, None, A.Name(v.ident, span),
                                      v.units, (), False, A.Doc(f"{v.ident} draining {stock}"), span))
            for stock in fills:
                out.append(A.FlowDecl(self.namer.ident(f"{v.ident} to {stock}"), None, stock, A.Name(v.ident, span),
                                      v.units, (), False, A.Doc(f"{v.ident} filling {stock}"), span))
            return out
        value = None if cases else _constant(expr)  # per-element equations: an aux, unless all constant
        if cases and all(_constant(c.value) is not None for c in cases):
            cases = tuple(replace(c, value=A.Num(_constant(c.value) or 0.0, None, c.span)) for c in cases)
            return [A.ParamDecl(v.ident, 0.0, v.units, None, doc, span, expr.span, array_part(v.dims, cases, False))]
        if value is not None and gf is None:
            return [A.ParamDecl(v.ident, value, v.units, None, doc, span, expr.span, array)]
        return out + [A.AuxDecl(v.ident, expr, v.units, doc, span, array)]

    def doc(self, v: _Var) -> A.Doc:
        node = v.node.child("doc")
        text = " ".join(node.text.split()) if node is not None and node.text.strip() else None
        shown = display(v.name)
        if shown.replace(" ", "_").lower() != v.ident.lower():
            named = f"{XMILE_NAME}{shown}"
            text = f"{text}\n{named}" if text else named
        return A.Doc(description=text)

    def table(self, gf: Node, owner: str) -> tuple[tuple[tuple[float, float], ...], A.Interpolation,
                                                    A.Extrapolation] | None:
        ypts = gf.child("ypts")
        if ypts is None:
            self.err("E052", f"graphical function `{display(owner)}` has no <ypts>", gf, "add its y values")
            return None
        ys = self.floats(ypts)
        xpts = gf.child("xpts")
        if xpts is not None:
            xs = self.floats(xpts)
        else:
            xscale = gf.child("xscale")
            if xscale is None:
                self.err("E052", f"graphical function `{display(owner)}` has neither <xpts> nor <xscale>", gf,
                         "give the x values or their range")
                return None
            lo = self.float(xscale.attrs.get("min", ""), xscale)
            hi = self.float(xscale.attrs.get("max", ""), xscale)
            n = len(ys)
            xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)] if n > 1 else [lo]
        if len(xs) != len(ys) or not ys:
            self.err("E052", f"graphical function `{display(owner)}` has {len(xs)} x values and {len(ys)} y values",
                     gf, "give one y for each x")
            return None
        if len(xs) > MAX_LOOKUP_POINTS:
            self.err("E006", f"more than {MAX_LOOKUP_POINTS} points", gf, "thin the table")
            return None
        kind = gf.attrs.get("type", "").lower()
        if gf.attrs.get("discrete", "").lower() == "true":
            kind = "discrete"
        interp = A.Interpolation.STEP if kind == "discrete" else A.Interpolation.LINEAR
        extrap = A.Extrapolation.LINEAR if kind == "extrapolate" else A.Extrapolation.CLAMP
        if kind not in ("", "continuous", "discrete", "extrapolate"):
            self.unsupported(gf, f"graphical function type `{kind}`", "use continuous, extrapolate or discrete")
        return tuple(zip(xs, ys, strict=True)), interp, extrap

    def floats(self, node: Node) -> list[float]:
        sep = node.attrs.get("sep", ",") or ","
        return [self.float(p, node) for p in node.text.split(sep) if p.strip()]

    def float(self, text: str, node: Node) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            self.err("E053", f"`{text.strip()}` is not a number", node, "write a plain number, e.g. 0.25")
            return 0.0
        if not math.isfinite(value):
            self.err("E053", f"`{text.strip()}` is not a finite number", node, "write a finite number")
            return 0.0
        return value


def _within(scope: Scope, prefix: str) -> Scope:
    """What names mean inside module `prefix`: its own variables (and its modules' `sub.x`)."""
    prefix = key(prefix)
    cut = len(prefix)

    def local(d: dict[str, Any]) -> dict[str, Any]:
        return {k[cut:]: v for k, v in d.items() if k.startswith(prefix)}

    return replace(scope, names=local(scope.names), lookups=local(scope.lookups),
                   arrayed=local(scope.arrayed), inline=local(scope.inline))


def _flag(node: Node | None) -> bool | None:
    """<non_negative/> or <non_negative>true</non_negative> -> True; `false` -> False; absent -> None."""
    if node is None:
        return None
    return node.text.strip().lower() != "false"


def _header(root: Node, tag: str) -> str | None:
    header = root.child("header")
    node = header.child(tag) if header is not None else None
    return node.text.strip() if node is not None and node.text.strip() else None


def _constant(e: A.Expr) -> float | None:
    if isinstance(e, A.Num) and e.unit is None:
        return e.value
    if isinstance(e, A.Neg) and isinstance(e.operand, A.Num) and e.operand.unit is None:
        return -e.operand.value
    return None


