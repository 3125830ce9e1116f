"""Text DSL (.sfm) -> Spec AST."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import replace
from pathlib import Path
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from ..base.diagnostics import Diagnostic, Span, SpecError, error
from ..base.hints import did_you_mean
from ..base.limits import MAX_DECLS
from ..base.names import a_noun
from ..ir import ast as A
from ..ir.kinds import KINDS, MODEL_PROPS, SET_PROPS, TIME_KEYS
from ..ir.walk import index_names, literal
from .calibrate_block import extract_block
from .comments import code_of, dsl_layout
from .dsl_arrays import ArrayReader, array_part
from .expr import Builder, parser, slip_error, syntax_error
from .sets import table_sets
from .sizes import oversized
from .time import time_spec

# Which properties each declaration's `{ ... }` accepts.
_ALLOWED = {"model": MODEL_PROPS, "set": SET_PROPS, **{k.word: k.dsl_props for k in KINDS}}
_DIMS = ("dim_list", "dim_range")


def parse_dsl(text: str, file: str = "<dsl>") -> A.Spec:
    text, calibrate = extract_block(text)  # a calibrate { ... } block holds YAML, read by `calibrate`
    too_big = oversized(text, file)  # before the parser spends seconds on it
    if too_big is not None:
        raise SpecError([too_big])
    try:
        tree = parser().parse(text, start="start")
    except UnexpectedInput as exc:
        raise SpecError([_unclosed(text, file, exc) or slip_error(exc, file, "E001", text)
                         or _param_value(text, file, exc) or syntax_error(exc, file, "E001", text=text)]) from None
    spec = _DslReader(file).spec(tree, Path(file).stem)
    extents = [(it.meta.line, it.meta.end_line) for it in tree.children if not getattr(it.meta, "empty", True)]
    spec = replace(spec, layout=dsl_layout(text).with_extents(extents))
    return replace(spec, calibrate=calibrate) if calibrate is not None else spec


_INSIDE = {"time": "time settings such as `start 0  stop 10  dt 0.25  units year`",
           "scenario": "scenario items such as `set name = 1` or `scale escalation by 0.9`"}


def _unclosed(text: str, file: str, exc: UnexpectedInput) -> Diagnostic | None:
    """A `{` that is never closed, opened before the fault: point at that brace, not at the next
    declaration that happens to stand where a property was expected."""
    line = exc.line if exc.line > 0 else text.count("\n") + 1
    opened = _open_braces(text)
    before = [b for b in opened if b[0] < line]
    if not before:
        return None
    at_line, at_col, word = before[-1]
    inside = _INSIDE.get(word, "properties such as `description \"...\"`, `source \"...\"`, `bounds [0, 1]` "
                         "or `non_negative`")
    return error("E001", "this `{` is never closed", Span(file, at_line, at_col, at_line, at_col + 1),
                 f"close it with `}}` before line {line}; inside the braces come {inside}")


_PARAM = re.compile(r"^(\s*param\s+[^=]*=\s*)(.*?)\s*$")
_NUMBER = re.compile(r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def _param_value(text: str, file: str, exc: UnexpectedInput) -> Diagnostic | None:
    """A parameter given units again after its number (`= 7 [day]`) or an expression (`= 2 * a`):
    say what a parameter's value is, rather than which token the parser wanted."""
    rows = text.split("\n")
    if not 0 < exc.line <= len(rows):
        return None
    m = _PARAM.match(code_of(rows[exc.line - 1]))
    if m is None or exc.column <= len(m.group(1)) or m.group(2).startswith(("{", "csv")):
        return None
    value = m.group(2)
    start = len(m.group(1)) + 1
    before, after = value[:exc.column - start].strip(), value[exc.column - start:]
    if before and _NUMBER.match(before) is None or after.startswith("{"):
        return None  # the fault is further on (in the properties)
    span = Span(file, exc.line, start, exc.line, start + len(value))
    if before and after[:1].isalpha() or after.startswith("["):
        return error("E001", "a parameter's value is a number; its units come from the declaration", span,
                     f"write `= {before}` and put the units after the name: `param NAME [UNITS] = {before}`")
    return error("E001", "a parameter's value is one number, not an equation", span,
                 "write the number, or declare an `aux` for a value worked out from others: `aux NAME = ...`")


def _open_braces(text: str) -> list[tuple[int, int, str]]:
    """The braces left open at the end of the text: line, column and the line's first word.
    Strings ("...", one line each) and `#` comments are skipped."""
    stack: list[tuple[int, int, str]] = []
    for n, row in enumerate(text.split("\n"), start=1):
        word = row.split(maxsplit=1)[0] if row.strip() else ""
        for k, c in enumerate(code_of(row)):
            if c == "{":
                stack.append((n, k + 1, word))
            elif c == "}" and stack:
                stack.pop()
    return stack


class _DslReader:
    def __init__(self, file: str):
        self.file = file
        self.b = Builder(file)
        self.errors: list[Diagnostic] = self.b.errors
        self.arr = ArrayReader(self.b, set())

    def err(self, code: str, msg: str, node: Tree | Token | Span | None, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) or node is None else self.b.span_of(node)
        self.errors.append(error(code, msg, span, hint))

    def spec(self, tree: Tree, default_name: str) -> A.Spec:
        model: A.ModelInfo | None = None
        time: A.TimeSpec | None = None
        decls: list[A.Decl] = []
        extends: str | None = None
        extends_span: Span | None = None
        overrides: list[A.Override] = []
        removals: list[A.Removal] = []
        if len(tree.children) > MAX_DECLS:
            self.err("E006", f"{len(tree.children):,} declarations; the limit is {MAX_DECLS:,}",
                     Span(self.file, 1, 1, 1, 2), "split the model")
            raise SpecError(self.errors)
        self.arr.file_dims = {str(it.children[0]).lower() for it in tree.children if it.data in _DIMS}
        self.arr.file_units = {str(it.children[0]) for it in tree.children if it.data == "unit_decl"}
        self.arr.own_units = not any(it.data == "extends_decl" for it in tree.children)  # no base to add units
        for item in tree.children:
            kind = item.data
            if kind in _DIMS:
                p = self.props(item.children[-1], "dim")
                dim = self.arr.dim(item, self.doc(p))
                decls.append(replace(dim, maps=(p["maps"],)) if "maps" in p else dim)  # type: ignore[arg-type]
            elif kind == "model_decl":
                if model is not None:
                    self.err("E011", "a second `model` declaration", item, "keep one")
                model = self.model(item)
            elif kind == "time_decl":
                if time is not None:
                    self.err("E011", "a second `time` block", item, "keep one")
                time = self.time(item)
            elif kind == "extends_decl":
                if extends is not None:
                    self.err("E011", "a second `extends`", item, "a spec extends one base")
                extends, extends_span = self.string(item.children[0]), self.b.span_of(item)
            elif kind == "set_decl":
                overrides.append(self.set_(item))
            elif kind == "remove_decl":
                removals += [A.Removal(str(t), self.b.span_of(t)) for t in item.children]
            else:
                decls.append(getattr(self, kind[:-5])(item))
        if (overrides or removals) and extends is None:
            first = overrides[0].span if overrides else removals[0].span
            self.err("E016", "`set` and `remove` change a base model, but this spec extends none", first,
                     'add `extends "path/to/base.sfm"` (or `extends "stockflow:girfec"`)')
        if time is None and extends is None:
            self.err("E050", "the spec has no `time` block",
                     Span(self.file, 1, 1, 1, 2), "add `time { start 0 stop 10 dt 0.25 units year }`")
        if self.errors:
            raise SpecError(self.errors)
        return A.Spec(model or A.ModelInfo(default_name), time, tuple(decls), self.file, extends,
                      tuple(overrides), tuple(removals), extends_span)

    # ---------------------------------------------------------------- helpers
    def string(self, tok: Token) -> str:
        return self.b.string(tok)

    def props(self, node: Tree | None, kind: str) -> dict[str, object]:
        out: dict[str, object] = {}
        if node is None:
            return out
        for p in node.children:
            key = p.data[2:]
            if key not in _ALLOWED[kind]:
                self.err("E003", f"`{key}` does not apply to a {kind}", p,
                         "allowed here: " + ", ".join(sorted(_ALLOWED[kind])))
                continue
            if key in out:
                self.err("E011", f"`{key}` given twice", p, "keep one")
            ch = p.children
            if key in ("description", "source", "assumption", "title"):
                out[key] = self.string(ch[0])
            elif key == "tags":
                out[key] = tuple(str(t) for t in ch)
            elif key == "non_negative":
                out[key] = True
            elif key in ("bounds", "during"):
                out[key] = (self.b.signed_number(ch[0]), self.b.signed_number(ch[1]))
            elif key == "maps":
                out[key] = (str(ch[0]), tuple(self.arr.element(e) for e in ch[1:]))
            elif key == "x_units":
                out[key] = self.b.unit(ch[0])
            else:
                out[key] = ch[0]
        return out

    def doc(self, props: dict[str, object]) -> A.Doc:
        return A.Doc(props.get("description"), props.get("source"), props.get("assumption"))  # type: ignore[arg-type]

    def units(self, node: Tree | None) -> A.UnitExpr | None:
        return None if node is None else self.b.unit(node.children[0])

    # ---------------------------------------------------------------- declarations
    def model(self, t: Tree) -> A.ModelInfo:
        name, title, props = t.children
        p = self.props(props, "model")
        title_s = self.string(title) if title is not None else p.get("title")
        return A.ModelInfo(str(name), title_s, p.get("description"), self.b.span_of(t))  # type: ignore[arg-type]

    def time(self, t: Tree) -> A.TimeSpec:
        values: dict[str, tuple[Any, Any]] = {}
        for entry in t.children:
            key_tok, val = entry.children
            key = str(key_tok)
            if key not in TIME_KEYS:
                self.err("E003", f"unknown time setting `{key}`", key_tok,
                         did_you_mean(key, TIME_KEYS) or "use " + ", ".join(TIME_KEYS))
                continue
            if key in values:
                self.err("E011", f"time setting `{key}` given twice", key_tok, "keep one")
            values[key] = (val, entry)
        return time_spec(values, self.b.span_of(t), self)

    def unit(self, t: Tree) -> A.UnitDecl:
        name, definition, desc = t.children
        return A.UnitDecl(str(name), self.b.unit(definition) if definition is not None else None,
                          self.string(desc) if desc is not None else None, self.b.span_of(name))

    def set_(self, t: Tree) -> A.Override:
        name, g1, g2, expr, props = t.children
        p = self.props(props, "set")
        nn = True if p.get("non_negative") else None
        target, units, maybe = self.arr.set_target(str(name), g1, g2)
        kind = expr.data if isinstance(expr, Tree) else None
        table = kind == "points"
        elements, value = None, None
        if kind == "cases":
            value, cases = self.arr.value(Tree("value", [expr]))
            elements = A.ArrayPart((), None, cases, value is not None)
        elif kind == "set_csv":
            elements = A.ArrayPart((), None, (), True, self.string(expr.children[0]), self.b.span_of(expr))
        elif expr is not None and not table:
            value = self.b.expr(expr)
        return A.Override(target, value, None, units,
                          p.get("tags"), p.get("bounds"), nn, self.doc(p), self.b.span_of(name),  # type: ignore[arg-type]
                          p.get("during"), maybe,  # type: ignore[arg-type]
                          self.points(expr) if table else None, self.points_span(expr) if table else None,
                          elements)

    def arrayed(self, name: Token, g1: Tree | None, g2: Tree | None, value: Tree, p: dict[str, object], kind: str,
                ends: AbstractSet[str] = frozenset()) -> tuple[A.UnitExpr | None, A.Expr, A.ArrayPart | None]:
        """Units, the default equation and the array part of a stock, flow or auxiliary (a
        stock's initial values may come from a CSV file, as a parameter's do); `ends`, the
        names a flow's ends are indexed by."""
        dims, units = self.arr.head(g1, g2)
        table = self.arr.csv_of(value)
        default, cases = self.arr.value(value) if table is None else (None, ())
        indexed = (index_names(default) if default is not None else set()) | ends
        dims, units = self.arr.base_dims(dims, units, bool(cases) or table is not None or "where" in p, indexed)
        if table is not None and kind != "stock":
            self.err("E094", f"only a parameter's values or a stock's initial values are read from a CSV file; "
                     f"`{name}` is {a_noun(kind)}", value, "write its equation, or read the numbers into a "
                     f"parameter (`param {name}_values[...] = csv \"{table}\"`) and use that")
        where = self.b.expr(p["where"]) if "where" in p else None
        self.scalar_check(name, dims, bool(cases) or default is None, where)
        expr = default if default is not None else A.Num(0.0, None, self.b.span_of(value))
        return units, expr, array_part(dims, where, cases, default is not None or table is not None, table,
                                       self.b.span_of(value) if table else None)

    def scalar_check(self, name: Token, dims: tuple[A.DimRef, ...], table: bool, where: A.Expr | None) -> None:
        if dims:
            return
        if table:
            self.err("E092", f"`{name}` has a table of elements but no dimensions", name,
                     f"name them after it: `{name}[level]`")
        if where is not None:
            self.err("E092", f"`where` picks elements, but `{name}` has no dimensions", name,
                     f"name them after it: `{name}[from: level, to: level]`")

    def stock(self, t: Tree) -> A.StockDecl:
        name, g1, g2, value, props = t.children
        p = self.props(props, "stock")
        units, expr, array = self.arrayed(name, g1, g2, value, p, "stock")
        return A.StockDecl(str(name), expr, units, bool(p.get("non_negative")), self.doc(p), self.b.span_of(name),
                           array)

    def flow(self, t: Tree) -> A.FlowDecl:
        name, g1, g2, src, dst, value, props = t.children
        p = self.props(props, "flow")
        (source, source_at), (target, target_at) = self.arr.endpoint(src), self.arr.endpoint(dst)
        ends = set().union(*(index_names(A.Subscript("", at, None)) for at in (source_at, target_at)))
        units, expr, array = self.arrayed(name, g1, g2, value, p, "flow", ends)
        return A.FlowDecl(str(name), source, target, expr, units,
                          p.get("tags", ()), bool(p.get("non_negative")), self.doc(p),  # type: ignore[arg-type]
                          self.b.span_of(name), self.b.span_of(src), self.b.span_of(dst), array, source_at, target_at)

    def aux(self, t: Tree) -> A.AuxDecl:
        name, g1, g2, value, props = t.children
        p = self.props(props, "aux")
        units, expr, array = self.arrayed(name, g1, g2, value, p, "aux")
        return A.AuxDecl(str(name), expr, units, self.doc(p), self.b.span_of(name), array)

    def param(self, t: Tree) -> A.ParamDecl:
        name, g1, g2, value, props = t.children
        p = self.props(props, "param")
        dims, units = self.arr.head(g1, g2)
        number, cases, table = self.arr.param_value(value)
        dims, units = self.arr.base_dims(dims, units, bool(cases) or table is not None or "where" in p)
        where = self.b.expr(p["where"]) if "where" in p else None
        self.scalar_check(name, dims, bool(cases) or table is not None, where)
        array = array_part(dims, where, cases, number is not None or table is not None, table,
                           self.b.span_of(value) if table else None)
        return A.ParamDecl(str(name), number if number is not None else 0.0, units, p.get("bounds"),  # type: ignore[arg-type]
                           self.doc(p), self.b.span_of(name), self.b.span_of(value), array)

    def lookup(self, t: Tree) -> A.LookupDecl:
        name, g1, g2, value, props = t.children
        p = self.props(props, "lookup")
        dims, units = self.arr.head(g1, g2)
        interp = self.enum(A.Interpolation, p.get("interpolation"), A.Interpolation.LINEAR)
        extrap = self.enum(A.Extrapolation, p.get("extrapolation"), A.Extrapolation.CLAMP)
        where = self.b.expr(p["where"]) if "where" in p else None
        inner = value.children
        tables: tuple[A.LookupCase, ...] = ()
        if len(inner) == 1 and inner[0].data == "points":
            pts, pspan, tables = self.points(inner[0]), self.points_span(inner[0]), ()
        else:
            pts, pspan, tables = self.lookup_cases(inner)
        dims, units = self.arr.base_dims(dims, units, inner[0].data != "points" or where is not None)
        self.scalar_check(name, dims, inner[0].data != "points", where)
        array = array_part(dims, where, (), bool(pts))
        return A.LookupDecl(str(name), pts, units, p.get("x_units"), interp, extrap,  # type: ignore[arg-type]
                            self.doc(p), self.b.span_of(name), pspan, array, tables)

    def points(self, t: Tree) -> tuple[tuple[float, float], ...]:
        return tuple((self.b.signed_number(pt.children[0]), self.b.signed_number(pt.children[1]))
                     for pt in t.children)

    def points_span(self, t: Tree) -> Span | None:
        """From the first point to the last (where a bad table's carets go)."""
        s0, s1 = self.b.span_of(t.children[0]), self.b.span_of(t.children[-1])
        return Span(self.file, s0.line, s0.column, s1.end_line, s1.end_column) if s0 and s1 else None

    def lookup_cases(self, cases: list[Tree]) -> tuple[tuple[tuple[float, float], ...], Span | None,
                                                        tuple[A.LookupCase, ...]]:
        """`{ universal: [...], else: [...] }`: each element's table, and the default's."""
        default, entries = self.arr.entries(cases, lambda t: (self.points(t), self.points_span(t)))
        pts, span = default or ((), None)
        return pts, span, tuple(A.LookupCase(k, v[0], sp) for k, v, sp in entries)

    def enum(self, cls: type, tok: object, default: object) -> object:
        if tok is None:
            return default
        try:
            return cls(str(tok))
        except ValueError:
            options = [m.value for m in cls]  # type: ignore[attr-defined]
            self.err("E003", f"unknown {cls.__name__.lower()} `{tok}`", tok,
                     did_you_mean(str(tok), options) or "use one of " + ", ".join(options))
            return default

    def metric(self, t: Tree) -> A.MetricDecl:
        name, units, expr, props = t.children
        p = self.props(props, "metric")
        unit = self.units(units)
        if unit is not None and len(unit.factors) == 1 and unit.factors[0][0].lower() in self.arr.file_dims:
            self.err("E092", f"a metric is one number per run, so it cannot run over `{unit.factors[0][0]}`", units,
                     "measure one element, `final(x[universal])`, or all of them, `final(sum(x))`; "
                     "an auxiliary may run over a dimension")
        return A.MetricDecl(str(name), self.b.expr(expr), unit, self.doc(p), self.b.span_of(name))

    def expect(self, t: Tree) -> A.ExpectDecl:
        name, expr, props = t.children
        p = self.props(props, "expect")
        under = p.get("under")
        return A.ExpectDecl(str(name), self.b.expr(expr), p.get("during"), self.doc(p),  # type: ignore[arg-type]
                            self.b.span_of(name), str(under) if under is not None else None)

    def scenario(self, t: Tree) -> A.ScenarioDecl:
        name, title, *items = t.children
        extends: str | None = None
        sets: list[A.ScenarioSet] = []
        scales: list[A.ScenarioScale] = []
        sweeps: list[A.Sweep] = []
        samples: list[A.Sample] = []
        counts: dict[str, int] = {}
        seen: dict[str, set[str]] = {"sc_set": set(), "sc_sweep": set(), "sc_sample": set()}
        report: list[str] = []
        lhs = False
        from_fit: str | None = None
        doc: dict[str, str] = {}
        for it in items:
            kind, ch = it.data, it.children
            if kind == "sc_extends":
                if extends is not None:
                    self.err("E011", "a second `extends` in a scenario", it, "a scenario extends one other")
                extends = str(ch[0])
            elif kind in ("sc_set", "sc_sweep", "sc_sample") and self.arr.ref(ch[0])[0].lower() in seen[kind]:
                self.err("E011", f"scenario `{name}` gives `{self.arr.ref(ch[0])[0]}` twice", ch[0], "keep one")
            elif kind == "sc_set":
                ref, ref_span = self.arr.ref(ch[0])
                seen[kind].add(ref.lower())
                sets += self.scenario_sets(ref, ref_span, ch[1], self.change(ch[2]))
            elif kind == "sc_scale":
                change = self.change(ch[2])
                scales.append(A.ScenarioScale(str(ch[0]), self.b.signed_number(ch[1]), change, self.b.span_of(ch[0])))
            elif kind == "sc_sweep":
                ref, ref_span = self.arr.ref(ch[0])
                seen[kind].add(ref.lower())
                sweeps.append(A.Sweep(ref, tuple(self.b.signed_number(v) for v in ch[1:]), ref_span))
            elif kind == "sc_sample":
                ref, ref_span = self.arr.ref(ch[0])
                seen[kind].add(ref.lower())
                samples.append(A.Sample(ref, str(ch[1]), tuple(self.b.signed_number(v) for v in ch[2:]), ref_span))
            elif kind in ("sc_draws", "sc_seed"):
                counts[kind[3:]] = self.whole(ch[0])
            elif kind == "sc_from_fit":
                if str(ch[0]).lower() != "fit":
                    self.err("E010", f"`sample from {ch[0]}`: a scenario samples from a calibration's fit",
                             ch[0], 'e.g. `sample from fit "fit/"`, the folder `stockflow calibrate -o` wrote')
                from_fit = self.string(ch[1])
            elif kind == "sc_lhs":
                lhs = True
            elif kind == "sc_report":
                report += [str(x) for x in ch]
            else:
                key = kind[3:]
                if key in doc:
                    self.err("E011", f"`{key}` given twice", it, "keep one")
                doc[key] = self.string(ch[0])
        return A.ScenarioDecl(str(name), self.string(title) if title is not None else None, extends, tuple(sets),
                              tuple(scales), A.Doc(doc.get("description"), doc.get("source"), doc.get("assumption")),
                              self.b.span_of(name), tuple(sweeps), tuple(samples), counts.get("draws"),
                              counts.get("seed"), lhs, tuple(report), from_fit)

    def scenario_sets(self, ref: str, span: Span | None, value: Tree, change: A.Change) -> list[A.ScenarioSet]:
        """`set x = 0.1`, or a table `set share = {kinship: 0.45, else: 0.3}`: the array as a
        whole for `else` (the rest), then each element named, which overrides it."""
        if value.data != "cases":
            return [A.ScenarioSet(ref, self.b.signed_number(value), span, change)]
        if "[" in ref:
            self.err("E092", f"a table sets elements of a whole array, but `{ref}` is one element", value,
                     f"write `set {ref.split('[')[0]} = {{...}}`, or give `{ref}` one number")
            return []
        default, entries = self.arr.entries(value.children, self.set_number)
        return table_sets(ref, span, change, default, entries, self.err)

    def set_number(self, t: Tree) -> float:
        e = self.b.expr(t)
        value = literal(e)
        if value is None:
            self.err("E001", "a scenario sets numbers, not equations", e.span,
                     "write a number; to change an equation, extend the model")
        return value or 0.0

    def change(self, t: Tree | None) -> A.Change:
        if t is None:
            return A.Change()
        if t.data == "change_until":  # from the start of the run until then
            return A.Change(None, None, self.b.signed_number(t.children[0]))
        start, over, until = (self.b.signed_number(x) if x is not None else None for x in t.children)
        return A.Change(start, over, until)

    def whole(self, tok: Token) -> int:
        v = self.b.number(tok)
        if v != int(v) or v < 0 or v > 2**31:
            self.err("E053", f"`{tok}` must be a whole number", tok, "e.g. `draws 100`")
            return 0
        return int(v)

    def group(self, t: Tree) -> A.GroupDecl:
        name, *members, props = t.children
        p = self.props(props, "group")
        return A.GroupDecl(str(name), tuple(str(m) for m in members), self.doc(p), self.b.span_of(name),
                           tuple(self.b.span_of(m) for m in members))
