"""Spec AST -> canonical DSL text, and -> YAML. `parse(format(x)) == x` for both."""

from __future__ import annotations

import json
import textwrap
from fractions import Fraction
from typing import Any

import yaml

from ..base.diagnostics import Span
from ..ir import ast as A
from ..read.comments import render

# Binding strength of each printed form (higher binds tighter).
_IF, _OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _POW, _ATOM = range(10)
_BIN = {A.BinOpKind.ADD: _ADD, A.BinOpKind.SUB: _ADD, A.BinOpKind.MUL: _MUL, A.BinOpKind.DIV: _MUL}


def number(v: float) -> str:
    if v == int(v) and abs(v) < 1e16:
        return str(int(v))
    return repr(float(v))


def unit_text(u: A.UnitExpr) -> str:
    num = [n if p == 1 else f"{n}^{p}" for n, p in u.factors if p > 0]
    den = [n if p == -1 else f"{n}^{-p}" for n, p in u.factors if p < 0]
    scale = Fraction(u.scale)
    if scale.numerator != 1:
        num.insert(0, str(scale.numerator))
    if scale.denominator != 1:
        den.append(str(scale.denominator))
    text = "*".join(num) if num else "1"
    if den:
        text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
    return text


def expr_text(e: A.Expr) -> str:
    return _expr(e)[0]


def _wrap(e: A.Expr, need: int) -> str:
    text, prec = _expr(e)
    return f"({text})" if prec < need else text


def _expr(e: A.Expr) -> tuple[str, int]:
    if isinstance(e, A.Num):
        if e.unit is None:
            return number(e.value), _ATOM
        ut = unit_text(e.unit)
        single = len(e.unit.factors) == 1 and e.unit.factors[0][1] == 1 and e.unit.scale == 1
        return (f"{number(e.value)} {ut}" if single else f"{number(e.value)} [{ut}]"), _ATOM
    if isinstance(e, A.Name):
        return e.name, _ATOM
    if isinstance(e, A.Call):
        return f"{e.func}({', '.join(expr_text(a) for a in e.args)})", _ATOM
    if isinstance(e, A.BinOp):
        if e.op is A.BinOpKind.POW:
            return f"{_wrap(e.left, _ATOM)}^{_wrap(e.right, _NEG)}", _POW
        p = _BIN[e.op]
        return f"{_wrap(e.left, p)} {e.op.value} {_wrap(e.right, p + 1)}", p
    if isinstance(e, A.Neg):
        return f"-{_wrap(e.operand, _NEG)}", _NEG
    if isinstance(e, A.Compare):
        return f"{_wrap(e.left, _ADD)} {e.op.value} {_wrap(e.right, _ADD)}", _CMP
    if isinstance(e, A.Logic):
        p = _AND if e.op == "and" else _OR
        return f"{_wrap(e.left, p)} {e.op} {_wrap(e.right, p + 1)}", p
    if isinstance(e, A.Not):
        return f"not {_wrap(e.operand, _NOT)}", _NOT
    if isinstance(e, A.If):
        return f"if {expr_text(e.cond)} then {expr_text(e.then)} else {expr_text(e.orelse)}", _IF
    raise AssertionError(type(e))


# ---------------------------------------------------------------- DSL
def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _doc_props(doc: A.Doc) -> list[str]:
    out = []
    for key in ("description", "source", "assumption"):
        v = getattr(doc, key)
        if v is not None:
            out.append(f"{key} {_q(v)}")
    return out


def _block(head: str, props: list[str]) -> str:
    if not props:
        return head
    if len(props) == 1 and (len(head) + len(props[0]) < 90 or len(props[0]) <= 30):  # `{ tags escalation }`
        return f"{head} {{ {props[0]} }}"
    return head + " {\n" + "".join(f"  {p}\n" for p in props) + "}"


def _units(u: A.UnitExpr | None) -> str:
    return "" if u is None else f" [{unit_text(u)}]"


def format_dsl(spec: A.Spec) -> str:
    """Canonical DSL text, with the spec's comments and blank-line grouping kept."""
    lay = spec.layout
    items: list[tuple[str, Span | None]] = []
    if spec.extends is not None:
        items.append((f"extends {_q(spec.extends)}", spec.extends_span))
    m = spec.model
    head = f"model {m.name}" + (f" {_q(m.title)}" if m.title is not None else "")
    items.append((_block(head, [f"description {_q(m.description)}"] if m.description is not None else []), m.span))
    t = spec.time
    if t is not None:
        entries = [f"start {number(t.start)}", f"stop {number(t.stop)}", f"dt {number(t.dt)}", f"units {t.unit}",
                   f"method {t.method.value}"] + ([f"save {number(t.save_step)}"] if t.save_step is not None else [])
        items.append(("time { " + "  ".join(entries) + " }", t.span))
    if spec.removals:
        items.append(("remove " + ", ".join(r.name for r in spec.removals), spec.removals[0].span))
    items += [(_override(o), o.span) for o in spec.overrides]
    items += [(_decl(d), d.span) for d in spec.decls]
    placed = [(text, *(lay.extent(span.line if span else None) if lay else (None, None))) for text, span in items]
    text = render(placed, lay, always_blank=lay is None)
    if spec.calibrate is not None:
        text += "\n\ncalibrate {\n" + textwrap.indent(calibrate_text(spec.calibrate), "  ") + "}"
    return text + "\n"


def calibrate_text(padded: str) -> str:
    """A calibration's YAML as written, without the padding and the common indentation."""
    return textwrap.dedent(padded.strip("\n")) + "\n"


def _override(o: A.Override) -> str:
    head = f"set {o.name}{_units(o.units)}" + (f" = {expr_text(o.value)}" if o.value is not None else "")
    props = ([f"tags {', '.join(o.tags)}"] if o.tags else []) + (["non_negative"] if o.non_negative else [])
    props += [f"bounds [{number(o.bounds[0])}, {number(o.bounds[1])}]"] if o.bounds else []
    props += [f"during [{number(o.during[0])}, {number(o.during[1])}]"] if o.during else []
    return _block(head, props + _doc_props(o.doc))


def _decl(d: A.Decl) -> str:
    if isinstance(d, A.UnitDecl):
        text = f"unit {d.name}"
        if d.definition is not None:
            text += f" = {unit_text(d.definition)}"
        if d.description is not None:
            text += f" {_q(d.description)}"
        return text
    if isinstance(d, A.StockDecl):
        props = (["non_negative"] if d.non_negative else []) + _doc_props(d.doc)
        return _block(f"stock {d.name}{_units(d.units)} = {expr_text(d.initial)}", props)
    if isinstance(d, A.FlowDecl):
        props = ([f"tags {', '.join(d.tags)}"] if d.tags else []) + (["non_negative"] if d.non_negative else [])
        src, dst = d.source or "outside", d.target or "outside"
        return _block(f"flow {d.name}{_units(d.units)}: {src} -> {dst} = {expr_text(d.rate)}",
                      props + _doc_props(d.doc))
    if isinstance(d, A.AuxDecl):
        return _block(f"aux {d.name}{_units(d.units)} = {expr_text(d.equation)}", _doc_props(d.doc))
    if isinstance(d, A.ParamDecl):
        props = [f"bounds [{number(d.bounds[0])}, {number(d.bounds[1])}]"] if d.bounds else []
        return _block(f"param {d.name}{_units(d.units)} = {number(d.value)}", props + _doc_props(d.doc))
    if isinstance(d, A.LookupDecl):
        pts = ", ".join(f"({number(x)}, {number(y)})" for x, y in d.points)
        props = []
        if d.x_units is not None:
            props.append(f"x_units [{unit_text(d.x_units)}]")
        if d.interpolation is not A.Interpolation.LINEAR:
            props.append(f"interpolation {d.interpolation.value}")
        if d.extrapolation is not A.Extrapolation.CLAMP:
            props.append(f"extrapolation {d.extrapolation.value}")
        return _block(f"lookup {d.name}{_units(d.units)} = [{pts}]", props + _doc_props(d.doc))
    if isinstance(d, A.MetricDecl):
        return _block(f"metric {d.name}{_units(d.units)} = {expr_text(d.expr)}", _doc_props(d.doc))
    if isinstance(d, A.GroupDecl):
        return _block(f"group {d.name} = [{', '.join(d.stocks)}]", _doc_props(d.doc))
    if isinstance(d, A.ExpectDecl):
        props = [f"during [{number(d.during[0])}, {number(d.during[1])}]"] if d.during else []
        props += [f"under {d.under}"] if d.under else []
        return _block(f"expect {d.name} = {expr_text(d.condition)}", props + _doc_props(d.doc))
    if isinstance(d, A.ScenarioDecl):
        items = [f"extends {d.extends}"] if d.extends else []
        items += [f"set {x.name} = {number(x.value)}" + _change(x.change) for x in d.sets]
        items += [f"scale {x.target} by {number(x.factor)}" + _change(x.change) for x in d.scales]
        items += [f"sweep {x.name} over [{', '.join(number(v) for v in x.values)}]" for x in d.sweeps]
        items += [f"sample {x.name} ~ {x.dist}({', '.join(number(v) for v in x.args)})" for x in d.samples]
        items += [f"draws {d.draws}"] if d.draws is not None else []
        items += [f"seed {d.seed}"] if d.seed is not None else []
        items += ["latin_hypercube"] if d.latin_hypercube else []
        items += [f"report {', '.join(d.report)}"] if d.report else []
        head = f"scenario {d.name}" + (f" {_q(d.title)}" if d.title is not None else "")
        return head + " {\n" + "".join(f"  {i}\n" for i in items + _doc_props(d.doc)) + "}"
    raise AssertionError(type(d))


def _change(c: A.Change) -> str:
    if c.start is None:
        return ""
    return (f" from {number(c.start)}" + (f" over {number(c.over)}" if c.over is not None else "")
            + (f" until {number(c.until)}" if c.until is not None else ""))


def _ychange(c: A.Change) -> dict[str, float]:
    return {k: float(v) for k, v in (("from", c.start), ("over", c.over), ("until", c.until)) if v is not None}


# ---------------------------------------------------------------- YAML
_SECTION = {A.UnitDecl: "units", A.StockDecl: "stocks", A.FlowDecl: "flows", A.AuxDecl: "auxiliaries",
            A.ParamDecl: "parameters", A.LookupDecl: "lookups", A.MetricDecl: "metrics", A.GroupDecl: "groups",
            A.ExpectDecl: "expectations", A.ScenarioDecl: "scenarios"}
SECTION_ORDER = ("units", "stocks", "flows", "auxiliaries", "parameters", "lookups", "metrics", "groups",
                 "expectations", "scenarios")


def _yexpr(e: A.Expr) -> Any:
    if isinstance(e, A.Num) and e.unit is None:
        return float(e.value)
    return expr_text(e)


def _ydoc(doc: A.Doc) -> dict[str, str]:
    return {k: getattr(doc, k) for k in ("description", "source", "assumption") if getattr(doc, k) is not None}


def format_yaml(spec: A.Spec) -> str:
    """Canonical YAML, with the spec's comments and blank-line grouping kept (from either form)."""
    m = spec.model
    model: dict[str, Any] = {"name": m.name}
    if m.title is not None:
        model["title"] = m.title
    if m.description is not None:
        model["description"] = m.description
    tops: list[tuple[str, Any, Span | None]] = []
    if spec.extends is not None:
        tops.append(("extends", spec.extends, spec.extends_span))
    tops.append(("model", model, m.span))
    t = spec.time
    if t is not None:
        time: dict[str, Any] = {"start": t.start, "stop": t.stop, "dt": t.dt, "units": t.unit,
                                "method": t.method.value}
        if t.save_step is not None:
            time["save"] = t.save_step
        tops.append(("time", time, t.span))
    sections: dict[str, list[tuple[str, Any, Span | None]]] = {}
    for d in spec.decls:
        sections.setdefault(_SECTION[type(d)], []).append((d.name, _ydecl(d), d.span))
    if spec.overrides:
        sections["override"] = [(o.name, _yoverride(o), o.span) for o in spec.overrides]
    if spec.removals:
        tops_after = [("remove", [r.name for r in spec.removals], spec.removals[0].span)]
    else:
        tops_after = []
    lay = spec.layout
    items: list[tuple[str, Span | None]] = [(_ydump({k: v}), span) for k, v, span in tops]
    for name in (*SECTION_ORDER, "override"):
        if name in sections:
            items.append((f"{name}:", None))
            items += [(textwrap.indent(_ydump({k: v}), "  "), span) for k, v, span in sections[name]]
    items += [(_ydump({k: v}), span) for k, v, span in tops_after]
    placed = [(text, *(lay.extent(span.line if span else None) if lay else (None, None))) for text, span in items]
    text = render(placed, lay, always_blank=lay is None, tail_on_first_line=True) + "\n"
    if spec.calibrate is not None:  # kept as written, comments and all
        text += "calibrate:\n" + textwrap.indent(calibrate_text(spec.calibrate), "  ")
    return text


def _ydump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100).rstrip("\n")


class _Dumper(yaml.SafeDumper):
    """Block style for mappings; short lists (tags, bounds, points) on one line."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def _yoverride(o: A.Override) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if o.value is not None:
        body[o.value_key or "value"] = _yexpr(o.value)
    if o.units is not None:
        body["units"] = unit_text(o.units)
    if o.tags is not None:
        body["tags"] = list(o.tags)
    if o.bounds is not None:
        body["bounds"] = [float(o.bounds[0]), float(o.bounds[1])]
    if o.non_negative is not None:
        body["non_negative"] = o.non_negative
    if o.during is not None:
        body["during"] = [float(o.during[0]), float(o.during[1])]
    return {**body, **_ydoc(o.doc)}


def _ydecl(d: A.Decl) -> Any:
    if isinstance(d, A.UnitDecl):
        body: dict[str, Any] = {}
        if d.definition is not None:
            body["definition"] = unit_text(d.definition)
        if d.description is not None:
            body["description"] = d.description
        return body or None
    units = {"units": unit_text(d.units)} if getattr(d, "units", None) is not None else {}  # type: ignore[arg-type]
    if isinstance(d, A.StockDecl):
        return {"initial": _yexpr(d.initial), **units,
                **({"non_negative": True} if d.non_negative else {}), **_ydoc(d.doc)}
    if isinstance(d, A.FlowDecl):
        return {"from": d.source or "outside", "to": d.target or "outside", "rate": _yexpr(d.rate), **units,
                **({"tags": list(d.tags)} if d.tags else {}),
                **({"non_negative": True} if d.non_negative else {}), **_ydoc(d.doc)}
    if isinstance(d, A.AuxDecl):
        return {"equation": _yexpr(d.equation), **units, **_ydoc(d.doc)}
    if isinstance(d, A.ParamDecl):
        return {"value": float(d.value), **units,
                **({"bounds": [float(d.bounds[0]), float(d.bounds[1])]} if d.bounds else {}), **_ydoc(d.doc)}
    if isinstance(d, A.LookupDecl):
        body = {"points": [[float(x), float(y)] for x, y in d.points], **units}
        if d.x_units is not None:
            body["x_units"] = unit_text(d.x_units)
        if d.interpolation is not A.Interpolation.LINEAR:
            body["interpolation"] = d.interpolation.value
        if d.extrapolation is not A.Extrapolation.CLAMP:
            body["extrapolation"] = d.extrapolation.value
        return {**body, **_ydoc(d.doc)}
    if isinstance(d, A.MetricDecl):
        return {"equation": _yexpr(d.expr), **units, **_ydoc(d.doc)}
    if isinstance(d, A.GroupDecl):
        return {"stocks": list(d.stocks), **_ydoc(d.doc)}
    if isinstance(d, A.ExpectDecl):
        during = {"during": [float(d.during[0]), float(d.during[1])]} if d.during else {}
        under = {"under": d.under} if d.under else {}
        return {"condition": expr_text(d.condition), **during, **under, **_ydoc(d.doc)}
    if isinstance(d, A.ScenarioDecl):
        body: dict[str, Any] = {}
        if d.title is not None:
            body["title"] = d.title
        if d.extends is not None:
            body["extends"] = d.extends
        if d.sets:
            body["set"] = {x.name: {"value": float(x.value), **_ychange(x.change)} if x.change.start is not None
                           else float(x.value) for x in d.sets}
        if d.scales:
            body["scale"] = [{"flows": x.target, "by": float(x.factor), **_ychange(x.change)} for x in d.scales]
        if d.sweeps:
            body["sweep"] = {x.name: [float(v) for v in x.values] for x in d.sweeps}
        if d.samples:
            body["sample"] = {x.name: f"{x.dist}({', '.join(number(v) for v in x.args)})" for x in d.samples}
        if d.draws is not None:
            body["draws"] = d.draws
        if d.seed is not None:
            body["seed"] = d.seed
        if d.latin_hypercube:
            body["latin_hypercube"] = True
        if d.report:
            body["report"] = list(d.report)
        return {**body, **_ydoc(d.doc)}
    raise AssertionError(type(d))
