"""`stockflow explain` and `stockflow diff`: a variable's story, and how two models differ."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.names import canonical
from ..ir import ast as A
from ..ir import graph as G
from ..ir.model import CheckedModel
from ..ir.text import decl_text as declaration_text
from ..ir.walk import names_in
from .causal import CausalGraph, Sign


def _where(span: object) -> str:
    s = span  # a Span or None
    return f"{s.file}:{s.line}" if s is not None else "(unknown place)"  # type: ignore[attr-defined]


def explain(spec: A.Spec, model: CheckedModel, cg: CausalGraph, name: str) -> str | None:
    """A variable's definition, units, history and neighbours; None if there is no such name."""
    key = canonical(name)
    base = key.split("[", 1)[0]
    decl = next((d for d in spec.decls if canonical(d.name) == base), None)
    if decl is None:
        return None
    array = next((a for a in model.graph.arrays if a.name == base), None)
    kind = type(decl).__name__.removesuffix("Decl").lower()
    title = f"{decl.name}: {kind}"
    tables = [lk.id for lk in model.graph.lookups if lk.id.startswith(base + "[")]
    if isinstance(decl, A.LookupDecl) and decl.array is not None:  # a table per element
        if key == base and tables:
            title += f" over {', '.join(r.dim for r in decl.array.dims)}; tables " + ", ".join(tables[:8])
            title += " ..." if len(tables) > 8 else ""
            key = tables[0]
        elif key not in tables:
            return None
        else:
            title = f"{key}: {kind}, one element's table of {decl.name}"
    elif array is not None and key == base:  # the whole array: its elements, then the first one's details
        over = ", ".join(d if i == d else f"{i}: {d}" for i, d in zip(array.indices, array.dims, strict=True))
        title += f" over {over}; elements " + ", ".join(vid for vid, _ in array.elements[:8])
        title += " ..." if len(array.elements) > 8 else ""
        key = array.elements[0][0]
    elif key != base:
        if array is None or key not in {vid for vid, _ in array.elements}:
            return None
        title = f"{key}: {kind}, one element of {decl.name}"
    lines = [title, "", "  " + declaration_text(decl).replace("\n", "\n  "), ""]
    if (array is not None or tables) and key != base:
        lines.append(f"(below: {key})")
    units = model.units.get(key)
    if units is not None:
        lines.append(f"units: {model.unitsys.show(units)}")
    param = next((p for p in model.graph.params if p.id == key), None)
    if param is not None:  # the value in force: from a table, a CSV file or a base's `set`
        lines.append(f"value: {param.value:.15g}")
    start = model.initials.get(key)
    if array is not None and start is not None and start.is_Number:  # an element's, from a table or CSV file
        lines.append(f"initial value: {float(start):.15g}")
    own = _element_doc(model, key, decl)
    if own:  # an element given its own value by `set`, with its own source
        lines.append(own)
    history = dict(spec.origins).get(base, ())
    if history:
        lines.append("set by:")
        lines += [f"  {o.action:<11} {_where(o.span)}" for o in history]
    whole = {vid for vid, _ in array.elements} if array is not None and canonical(name) == base else {key}
    lines += _in_scenarios(model.graph, whole, len(whole) > 1)
    ids = {n.id for n in cg.nodes}
    names = {n.id: n.name for n in cg.nodes}
    g = model.graph
    stock = next((s for s in g.stocks if s.id == key), None)
    if stock is not None:
        lines.append("inflows: " + (", ".join(names[f] for f in stock.inflows) or "none"))
        lines.append("outflows: " + (", ".join(names[f] for f in stock.outflows) or "none"))
    if key in ids:
        inputs = [] if stock is not None else cg.visible_inputs(key)
        if inputs:
            sign = {Sign.POSITIVE: " (+)", Sign.NEGATIVE: " (-)", Sign.UNKNOWN: ""}
            lines.append("depends on: " + ", ".join(f"{names[s]}{sign[k]}" for s, k in inputs))
        feeds = cg.visible_outputs(key)
        metric_inputs = _metric_inputs(model)
        users = [names[t] for t in feeds] + [m.display for m in g.metrics if key in metric_inputs[m.id]]
        lines.append("feeds: " + (", ".join(users) or "nothing"))
    else:  # lookups and metrics are not in the causal graph
        users = [f.display for f in g.flows if key in names_in(f.rate)]
        users += [a.display for a in g.auxes if not a.hidden and key in names_in(a.equation)]
        if isinstance(decl, A.MetricDecl):
            lines.append("depends on: " + ", ".join(dict.fromkeys(_metric_inputs(model)[key])))
        elif users:
            lines.append("used by: " + ", ".join(users))
    return "\n".join(lines) + "\n"


def _in_scenarios(g: G.Graph, ids: set[str], name_each: bool) -> list[str]:
    """What each scenario does to these variables: sets, ramps, sweeps, draws or scales them.
    A scenario's `extends` chain is already merged into it."""
    def it(vid: str) -> str:
        return vid if name_each else "it"

    out: list[tuple[str, str]] = []
    for sc in g.scenarios:
        said = [f"sets {it(p)} to {v:g}" for p, v in sc.params if p in ids]
        said += [f"starts {it(p)} at {v:g}" for p, v in sc.initial if p in ids]
        said += [f"sets {it(t.param)} to {t.value:g}" + _when(t.start, t.over, t.until) for t in sc.timed
                 if t.param in ids]
        said += [f"sweeps {it(p)} over {', '.join(f'{v:g}' for v in vs)}" for p, vs in sc.sweeps if p in ids]
        said += [f"draws {it(d.param)} from {d.dist}({', '.join(f'{a:g}' for a in d.args)}), {sc.draws} times"
                 for d in sc.samples if d.param in ids]
        said += [f"scales {it(f.flow)} by {f.factor:g}" + _when(f.start, f.over, f.until) for f in sc.scales
                 if f.flow in ids]
        if said:
            out.append((sc.display, "; ".join(said)))
    width = max((len(n) for n, _ in out), default=0)
    return ["in scenarios:", *(f"  {n:<{width}}  {text}" for n, text in out)] if out else []


def _when(start: float | None, over: float | None, until: float | None) -> str:
    return ((f" from {start:g}" if start is not None else "") + (f" over {over:g}" if over else "")
            + (f" until {until:g}" if until is not None else ""))


def _element_doc(model: CheckedModel, key: str, decl: A.Decl) -> str | None:
    """`source: ...` of an element whose source is not the declaration's (a `set` gave it)."""
    if "[" not in key:
        return None
    named: list[G.Stock | G.Flow | G.Aux | G.Param] = [*model.graph.stocks, *model.graph.flows, *model.graph.auxes,
                                                       *model.graph.params]
    doc = next((x.doc for x in named if x.id == key), None)
    mine = getattr(decl, "doc", None)
    if doc is None or mine is None or (doc.source, doc.assumption) == (mine.source, mine.assumption):
        return None
    if doc.source or doc.assumption:
        return f"source: {doc.source}" if doc.source else f"assumption: {doc.assumption}"
    return "source: none given for this element's own value"


def _metric_inputs(model: CheckedModel) -> dict[str, list[str]]:
    """For each metric, the variables and parameters it summarises or uses (resolved names)."""
    g = model.graph
    hidden = {s.id: s.rate for s in g.stocks if s.hidden} | {a.id: a.equation for a in g.auxes if a.hidden}
    inputs = {agg.id: sorted(names_in(e)) for agg in g.aggregates if (e := hidden.get(agg.var)) is not None}
    out: dict[str, list[str]] = {}
    for m in g.metrics:
        used: list[str] = []
        for n in sorted(names_in(m.expr)):
            used += inputs.get(n, [n])
        out[m.id] = used
    return out


@dataclass(frozen=True)
class Difference:
    name: str
    kind: str
    change: str  # "only in A", "only in B", "changed"
    a: str | None
    b: str | None


def diff(a: A.Spec, b: A.Spec) -> list[Difference]:
    """Declarations only in one model, and those whose canonical text differs."""
    da = {canonical(d.name): d for d in a.decls}
    db = {canonical(d.name): d for d in b.decls}
    out = []
    for key in list(da) + [k for k in db if k not in da]:
        x, y = da.get(key), db.get(key)
        kind = type(x or y).__name__.removesuffix("Decl").lower()
        tx = declaration_text(x) if x is not None else None
        ty = declaration_text(y) if y is not None else None
        if x is None:
            out.append(Difference(y.name, kind, "only in B", None, ty))  # type: ignore[union-attr]
        elif y is None:
            out.append(Difference(x.name, kind, "only in A", tx, None))
        elif tx != ty:
            out.append(Difference(x.name, kind, "changed", tx, ty))
    if a.time != b.time:
        out.append(Difference("time", "time", "changed", repr(a.time), repr(b.time)))
    return out


def describe(d: Difference) -> str:
    def under(text: str | None, by: int) -> str:  # a declaration's later lines under its first
        return (text or "").replace("\n", "\n" + " " * by)

    if d.change == "only in A":
        return f"- {d.kind} {d.name}: only in A\n    {under(d.a, 4)}"
    if d.change == "only in B":
        return f"+ {d.kind} {d.name}: only in B\n    {under(d.b, 4)}"
    return f"~ {d.kind} {d.name}:\n    A: {under(d.a, 7)}\n    B: {under(d.b, 7)}"

