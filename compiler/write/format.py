"""Spec AST -> canonical DSL text, and -> YAML. `parse(format(x)) == x` for both."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

import yaml

from ..base.diagnostics import Span
from ..base.names import BUILTIN_UNITS
from ..ir import ast as A
from ..ir.kinds import DECL_SECTIONS, KINDS
from ..ir.text import block, decl_text, expr_text, number, override_text, quote, set_groups, unit_text
from .comments import render


def format_dsl(spec: A.Spec) -> str:
    """Canonical DSL text, with the spec's comments and blank-line grouping kept."""
    lay = spec.layout
    items: list[tuple[str, Span | None]] = []
    if spec.extends is not None:
        items.append((f"extends {quote(spec.extends)}", spec.extends_span))
    m = spec.model
    head = f"model {m.name}" + (f" {quote(m.title)}" if m.title is not None else "")
    items.append((block(head, [f"description {quote(m.description)}"] if m.description is not None else []), m.span))
    t = spec.time
    if t is not None:
        entries = [f"start {number(t.start)}", f"stop {number(t.stop)}", f"dt {number(t.dt)}", f"units {t.unit}",
                   f"method {t.method.value}"] + ([f"save {number(t.save_step)}"] if t.save_step is not None else [])
        items.append(("time { " + "  ".join(entries) + " }", t.span))
    if spec.removals:
        items.append(("remove " + ", ".join(r.name for r in spec.removals), spec.removals[0].span))
    units = BUILTIN_UNITS | {d.name for d in spec.decls if isinstance(d, A.UnitDecl)}
    items += [(override_text(_settled(o, units)), o.span) for o in spec.overrides]
    items += [(decl_text(d), d.span) for d in spec.decls]
    placed = [(text, *(lay.extent(span.line if span else None) if lay else (None, None))) for text, span in items]
    text = render(placed, lay, always_blank=lay is None)
    if spec.calibrate is not None:
        text += "\n\ncalibrate {\n" + textwrap.indent(calibrate_text(spec.calibrate), "  ") + "}"
    return text + "\n"


def calibrate_text(padded: str) -> str:
    """A calibration's YAML as written, without the padding and the common indentation."""
    return textwrap.dedent(padded.strip("\n")) + "\n"


def _yset(value: float | dict[tuple[str, ...], float]) -> Any:
    """A scenario's value, or its table (`else` for the rest, `low, high` for two dimensions)."""
    if not isinstance(value, dict):
        return float(value)
    return {", ".join(k) or "else": float(v) for k, v in value.items()}


def _ychange(c: A.Change) -> dict[str, float]:
    return {k: float(v) for k, v in (("from", c.start), ("over", c.over), ("until", c.until)) if v is not None}


# ---------------------------------------------------------------- YAML
_SECTION = {k.decl: k.section for k in KINDS}
SECTION_ORDER = DECL_SECTIONS


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
        units = BUILTIN_UNITS | {d.name for d in spec.decls if isinstance(d, A.UnitDecl)}
        sections["override"] = [_yelement(o, units) for o in spec.overrides]
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


def _settled(o: A.Override, units: frozenset[str] | set[str]) -> A.Override:
    """`set pop [old] = 3600` reads as units or as an element once merged with its base; a
    name that is no unit this file knows is the element it must be, and is written as one
    (`set pop[old]` in the DSL, `pop[old]:` in YAML, which says which)."""
    if o.maybe_element is not None and o.maybe_element not in units:
        return replace(o, name=f"{o.name}[{o.maybe_element}]", units=None, maybe_element=None)
    return o


def _yelement(o: A.Override, units: frozenset[str] | set[str]) -> tuple[str, Any, Span | None]:
    o = _settled(o, units)
    return o.name, _yoverride(o), o.span


def _yoverride(o: A.Override) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if o.elements is not None and o.elements.table is not None:
        body["table"] = o.elements.table
    elif o.elements is not None:
        body[o.value_key or "value"] = _yvalue(_yexpr(o.value) if o.value is not None else None, o.elements)
    elif o.value is not None:
        body[o.value_key or "value"] = _yexpr(o.value)
    if o.points is not None:
        body["points"] = [[float(x), float(y)] for x, y in o.points]
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


def _ydims(array: A.ArrayPart | None) -> dict[str, Any]:
    if array is None:
        return {}
    dims: list[Any] = [{r.alias: r.dim} if r.alias else r.dim for r in array.dims]
    return {"dims": dims}


def _yvalue(default: Any, array: A.ArrayPart | None) -> Any:
    """A main value, or an arrayed declaration's table: element (or "e1, e2") -> value."""
    if array is None or not array.cases:
        return default
    table: dict[str, Any] = {", ".join(c.key): _yexpr(c.value) for c in array.cases}
    if array.has_default:
        table["else"] = default
    return table


def _ypoints(d: A.LookupDecl) -> Any:
    """A lookup's points, or an arrayed one's table of points per element."""
    def pairs(points: tuple[tuple[float, float], ...]) -> list[list[float]]:
        return [[float(x), float(y)] for x, y in points]

    if d.array is None or not d.tables:
        return pairs(d.points)
    table: dict[str, Any] = {", ".join(c.key): pairs(c.points) for c in d.tables}
    if d.array.has_default:
        table["else"] = pairs(d.points)
    return table


def _ywhere(array: A.ArrayPart | None) -> dict[str, Any]:
    return {"where": expr_text(array.where)} if array is not None and array.where is not None else {}


def _yend(name: str | None, at: tuple[A.Expr, ...]) -> str:
    if name is None:
        return "outside"
    return f"{name}[{', '.join(expr_text(i) for i in at)}]" if at else name


def _ydim(d: A.DimDecl) -> Any:
    nums = [int(e) for e in d.elements] if all(e.lstrip("-").isdigit() for e in d.elements) else []
    if len(nums) > 2 and nums == list(range(nums[0], nums[0] + len(nums))) and not d.parent:
        body: dict[str, Any] = {"range": [nums[0], nums[-1]]}
    else:
        body = {"elements": [int(e) if nums else e for e in d.elements]}
    if d.parent:
        body["in"] = d.parent
    if d.maps:
        body["maps"] = {t: list(e) for t, e in d.maps}
    doc = _ydoc(d.doc)
    return body["elements"] if "elements" in body and len(body) == 1 and not doc else {**body, **doc}


def _ydecl(d: A.Decl) -> Any:
    if isinstance(d, A.DimDecl):
        return _ydim(d)
    if isinstance(d, A.UnitDecl):
        body: dict[str, Any] = {}
        if d.definition is not None:
            body["definition"] = unit_text(d.definition)
        if d.description is not None:
            body["description"] = d.description
        return body or None
    declared = getattr(d, "units", None)
    units = {"units": unit_text(declared)} if declared is not None else {}
    if isinstance(d, A.StockDecl):
        initial = ({"table": d.array.table} if d.array is not None and d.array.table is not None
                   else {"initial": _yvalue(_yexpr(d.initial), d.array)})
        return {**_ydims(d.array), **initial, **units,
                **({"non_negative": True} if d.non_negative else {}), **_ywhere(d.array), **_ydoc(d.doc)}
    if isinstance(d, A.FlowDecl):
        return {**_ydims(d.array), "from": _yend(d.source, d.source_at), "to": _yend(d.target, d.target_at),
                "rate": _yvalue(_yexpr(d.rate), d.array), **units,
                **({"tags": list(d.tags)} if d.tags else {}),
                **({"non_negative": True} if d.non_negative else {}), **_ywhere(d.array), **_ydoc(d.doc)}
    if isinstance(d, A.AuxDecl):
        return {**_ydims(d.array), "equation": _yvalue(_yexpr(d.equation), d.array), **units,
                **_ywhere(d.array), **_ydoc(d.doc)}
    if isinstance(d, A.ParamDecl):
        value: dict[str, Any] = {}
        if d.array is not None and d.array.table is not None:
            value = {"table": d.array.table}
        elif d.array is not None and not d.array.has_default:
            value = {"value": _yvalue(None, d.array)}
        else:
            value = {"value": _yvalue(float(d.value), d.array)}
        return {**_ydims(d.array), **value, **units,
                **({"bounds": [float(d.bounds[0]), float(d.bounds[1])]} if d.bounds else {}),
                **_ywhere(d.array), **_ydoc(d.doc)}
    if isinstance(d, A.LookupDecl):
        body = {**_ydims(d.array), "points": _ypoints(d), **units}
        if d.x_units is not None:
            body["x_units"] = unit_text(d.x_units)
        if d.interpolation is not A.Interpolation.LINEAR:
            body["interpolation"] = d.interpolation.value
        if d.extrapolation is not A.Extrapolation.CLAMP:
            body["extrapolation"] = d.extrapolation.value
        return {**body, **_ywhere(d.array), **_ydoc(d.doc)}
    if isinstance(d, A.MetricDecl):
        return {"equation": _yexpr(d.expr), **units, **_ydoc(d.doc)}
    if isinstance(d, A.GroupDecl):
        return {"stocks": list(d.stocks), **_ydoc(d.doc)}
    if isinstance(d, A.ExpectDecl):
        during = {"during": [float(d.during[0]), float(d.during[1])]} if d.during else {}
        under = {"under": d.under} if d.under else {}
        return {"condition": expr_text(d.condition), **during, **under, **_ydoc(d.doc)}
    if isinstance(d, A.ScenarioDecl):
        body = {}
        if d.title is not None:
            body["title"] = d.title
        if d.extends is not None:
            body["extends"] = d.extends
        if d.sets:
            body["set"] = {name: {"value": _yset(value), **_ychange(change)} if _ychange(change) else _yset(value)
                           for name, value, change in set_groups(d.sets)}
        if d.scales:
            body["scale"] = [{"flows": x.target, "by": float(x.factor), **_ychange(x.change)} for x in d.scales]
        if d.sweeps:
            body["sweep"] = {x.name: [float(v) for v in x.values] for x in d.sweeps}
        if d.samples:
            body["sample"] = {x.name: f"{x.dist}({', '.join(number(v) for v in x.args)})" for x in d.samples}
        if d.from_fit is not None:
            body["sample_from_fit"] = d.from_fit
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
