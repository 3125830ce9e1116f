"""How each AST node reads in the DSL: numbers, units, expressions and single declarations.
Shared by the formatter, explain and the XMILE writer."""

from __future__ import annotations

import json
import re
from fractions import Fraction

from . import ast as A

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
        at = f"[{', '.join(expr_text(i) for i in e.at)}]" if e.at else ""
        return f"{e.func}{at}({', '.join(expr_text(a) for a in e.args)})", _ATOM
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
    if isinstance(e, A.Subscript):
        return f"{e.name}[{', '.join(expr_text(i) for i in e.indices)}]", _ATOM
    raise AssertionError(type(e))



def quote(s: str) -> str:
    """`s` as a DSL string: JSON's quoting, with the control characters JSON writes as `\\t`,
    `\\r`, `\\b` and `\\f` written `\\uXXXX`, the one form the DSL reads for them."""
    return _JSON_ESCAPE.sub(lambda m: _AS_CODE.get(m.group(1), m.group(0)), json.dumps(s, ensure_ascii=False))


_JSON_ESCAPE = re.compile(r"\\(.)")  # left to right: an escaped backslash is passed over whole
_AS_CODE = {"t": "\\u0009", "r": "\\u000d", "b": "\\u0008", "f": "\\u000c"}


def doc_props(doc: A.Doc) -> list[str]:
    out = []
    for key in ("description", "source", "assumption"):
        v = getattr(doc, key)
        if v is not None:
            out.append(f"{key} {quote(v)}")
    return out


def block(head: str, props: list[str]) -> str:
    if not props:
        return head
    if len(props) == 1 and (len(head) + len(props[0]) < 90 or len(props[0]) <= 30):  # `{ tags escalation }`
        return f"{head} {{ {props[0]} }}"
    return head + " {\n" + "".join(f"  {p}\n" for p in props) + "}"


def _units(u: A.UnitExpr | None) -> str:
    return "" if u is None else f" [{unit_text(u)}]"


def override_text(o: A.Override) -> str:
    if o.elements is not None:  # a whole array's new table of elements, or CSV file
        value = value_text(o.value, o.elements) if o.value is not None or o.elements.cases or o.elements.table \
            else "{}"
        head = f"set {o.name}{_units(o.units)} = {value}"
    else:
        head = f"set {o.name}{_units(o.units)}" + (f" = {expr_text(o.value)}" if o.value is not None else "")
    head += f" = {_points(o.points)}" if o.points is not None else ""
    props = ([f"tags {', '.join(o.tags)}"] if o.tags else []) + (["non_negative"] if o.non_negative else [])
    props += [f"bounds [{number(o.bounds[0])}, {number(o.bounds[1])}]"] if o.bounds else []
    props += [f"during [{number(o.during[0])}, {number(o.during[1])}]"] if o.during else []
    return block(head, props + doc_props(o.doc))


def dims_text(array: A.ArrayPart | None) -> str:
    if array is None:
        return ""
    return "[" + ", ".join(f"{r.alias}: {r.dim}" if r.alias else r.dim for r in array.dims) + "]"


def key_text(key: tuple[str, ...]) -> str:
    return key[0] if len(key) == 1 else "(" + ", ".join(key) + ")"


def value_text(default: A.Expr | str | None, array: A.ArrayPart | None) -> str:
    """The main value: an expression, or an arrayed declaration's table of elements."""
    if array is not None and array.table is not None:
        return f"csv {quote(array.table)}"
    shown = default if isinstance(default, str) else expr_text(default) if default is not None else None
    if array is None or not array.cases:
        return shown or "0"
    entries = [f"{key_text(c.key)}: {expr_text(c.value)}" for c in array.cases]
    entries += [f"else: {shown}"] if array.has_default and shown is not None else []
    one = "{" + ", ".join(entries) + "}"
    return one if len(one) <= 80 else "{\n" + "".join(f"    {x},\n" for x in entries) + "  }"


def dim_text(d: A.DimDecl) -> str:
    nums = [int(e) for e in d.elements] if all(e.lstrip("-").isdigit() for e in d.elements) else []
    if len(nums) > 2 and nums == list(range(nums[0], nums[0] + len(nums))):
        head = f"dim {d.name} = range({nums[0]}, {nums[-1]})"
    else:
        head = f"dim {d.name} = [{', '.join(d.elements)}]" + (f" in {d.parent}" if d.parent else "")
    maps = [f"maps {t} [{', '.join(e)}]" for t, e in d.maps]
    return block(head, maps + doc_props(d.doc))


def _where(array: A.ArrayPart | None) -> list[str]:
    return [f"where {expr_text(array.where)}"] if array is not None and array.where is not None else []


def _end(name: str | None, at: tuple[A.Expr, ...]) -> str:
    if name is None:
        return "outside"
    return f"{name}[{', '.join(expr_text(i) for i in at)}]" if at else name


def _head(word: str, d: A.StockDecl | A.FlowDecl | A.AuxDecl | A.ParamDecl) -> str:
    return f"{word} {d.name}{dims_text(d.array)}{_units(d.units)}"


def decl_text(d: A.Decl) -> str:
    if isinstance(d, A.DimDecl):
        return dim_text(d)
    if isinstance(d, A.UnitDecl):
        text = f"unit {d.name}"
        if d.definition is not None:
            text += f" = {unit_text(d.definition)}"
        if d.description is not None:
            text += f" {quote(d.description)}"
        return text
    if isinstance(d, A.StockDecl):
        props = _where(d.array) + (["non_negative"] if d.non_negative else []) + doc_props(d.doc)
        return block(f"{_head('stock', d)} = {value_text(_default(d.initial, d.array), d.array)}", props)
    if isinstance(d, A.FlowDecl):
        props = _where(d.array) + ([f"tags {', '.join(d.tags)}"] if d.tags else [])
        props += ["non_negative"] if d.non_negative else []
        src, dst = _end(d.source, d.source_at), _end(d.target, d.target_at)
        return block(f"{_head('flow', d)}: {src} -> {dst} = {value_text(_default(d.rate, d.array), d.array)}",
                     props + doc_props(d.doc))
    if isinstance(d, A.AuxDecl):
        return block(f"{_head('aux', d)} = {value_text(_default(d.equation, d.array), d.array)}",
                     _where(d.array) + doc_props(d.doc))
    if isinstance(d, A.ParamDecl):
        props = _where(d.array) + ([f"bounds [{number(d.bounds[0])}, {number(d.bounds[1])}]"] if d.bounds else [])
        value = number(d.value) if d.array is None or d.array.has_default else None
        return block(f"{_head('param', d)} = {value_text(value, d.array)}", props + doc_props(d.doc))
    if isinstance(d, A.LookupDecl):
        props = []
        if d.x_units is not None:
            props.append(f"x_units [{unit_text(d.x_units)}]")
        if d.interpolation is not A.Interpolation.LINEAR:
            props.append(f"interpolation {d.interpolation.value}")
        if d.extrapolation is not A.Extrapolation.CLAMP:
            props.append(f"extrapolation {d.extrapolation.value}")
        return block(f"lookup {d.name}{dims_text(d.array)}{_units(d.units)} = {_tables(d)}",
                     _where(d.array) + props + doc_props(d.doc))
    if isinstance(d, A.MetricDecl):
        return block(f"metric {d.name}{_units(d.units)} = {expr_text(d.expr)}", doc_props(d.doc))
    if isinstance(d, A.GroupDecl):
        return block(f"group {d.name} = [{', '.join(d.stocks)}]", doc_props(d.doc))
    if isinstance(d, A.ExpectDecl):
        props = [f"during [{number(d.during[0])}, {number(d.during[1])}]"] if d.during else []
        props += [f"under {d.under}"] if d.under else []
        return block(f"expect {d.name} = {expr_text(d.condition)}", props + doc_props(d.doc))
    if isinstance(d, A.ScenarioDecl):
        head = f"scenario {d.name}" + (f" {quote(d.title)}" if d.title is not None else "")
        return head + " {\n" + "".join(f"  {i}\n" for i in scenario_items(d) + doc_props(d.doc)) + "}"
    raise AssertionError(type(d))


def scenario_items(d: A.ScenarioDecl) -> list[str]:
    """A scenario's items as written: a table or a tag stays one item, not one per element."""
    items = [f"extends {d.extends}"] if d.extends else []
    items += [f"set {name} = {_set_text(value)}" + _change(change) for name, value, change in set_groups(d.sets)]
    items += [f"scale {x.target} by {number(x.factor)}" + _change(x.change) for x in d.scales]
    items += [f"sweep {x.name} over [{', '.join(number(v) for v in x.values)}]" for x in d.sweeps]
    items += [f"sample {x.name} ~ {x.dist}({', '.join(number(v) for v in x.args)})" for x in d.samples]
    items += [f"sample from fit {quote(d.from_fit)}"] if d.from_fit is not None else []
    items += [f"draws {d.draws}"] if d.draws is not None else []
    items += [f"seed {d.seed}"] if d.seed is not None else []
    items += ["latin_hypercube"] if d.latin_hypercube else []
    return items + ([f"report {', '.join(d.report)}"] if d.report else [])


def _points(points: tuple[tuple[float, float], ...]) -> str:
    return "[" + ", ".join(f"({number(x)}, {number(y)})" for x, y in points) + "]"


def _tables(d: A.LookupDecl) -> str:
    """A lookup's table, or an arrayed one's table per element (`else` for the rest)."""
    if d.array is None or not d.tables:
        return _points(d.points)
    entries = [f"{key_text(c.key)}: {_points(c.points)}" for c in d.tables]
    entries += [f"else: {_points(d.points)}"] if d.array.has_default else []
    one = "{" + ", ".join(entries) + "}"
    return one if len(one) <= 80 else "{\n" + "".join(f"    {x},\n" for x in entries) + "  }"


def _default(e: A.Expr, array: A.ArrayPart | None) -> A.Expr | None:
    return e if array is None or array.has_default else None


Cells = dict[tuple[str, ...], float]  # a scenario's table: element key -> value, () for `else`


def set_groups(sets: tuple[A.ScenarioSet, ...]) -> list[tuple[str, float | Cells, A.Change]]:
    """A scenario's sets as written: (name, value, change), the sets read from one table
    back in one table of cells."""
    out: list[tuple[str, float | Cells, A.Change]] = []
    i = 0
    while i < len(sets):
        x, j = sets[i], i + 1
        while x.table is not None and j < len(sets) and sets[j].table == x.table and sets[j].change == x.change:
            j += 1
        if x.table is None:
            out.append((x.name, x.value, x.change))
        else:  # elements first, `else` last, as people write them
            cells = {tuple(g.name[len(x.table) + 1:-1].split(",")): g.value for g in sets[i:j] if g.name != x.table}
            cells.update(((), g.value) for g in sets[i:j] if g.name == x.table)
            out.append((x.table, cells, x.change))
        i = j
    return out


def _set_text(value: float | Cells) -> str:
    if not isinstance(value, dict):
        return number(value)
    keys = {k: "else" if not k else k[0] if len(k) == 1 else "(" + ", ".join(k) + ")" for k in value}
    return "{" + ", ".join(f"{keys[k]}: {number(v)}" for k, v in value.items()) + "}"


def _change(c: A.Change) -> str:
    until = f" until {number(c.until)}" if c.until is not None else ""
    if c.start is None:  # from the start of the run
        return until
    return f" from {number(c.start)}" + (f" over {number(c.over)}" if c.over is not None else "") + until
