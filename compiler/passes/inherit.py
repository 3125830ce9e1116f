"""`extends`: a spec built on another. Bases are merged at the AST level, before resolving.

The child may change what the base declares (`set`), remove it (`remove`), and add new
declarations; redeclaring a base name without `set` is an error, so nothing changes silently.
Every name keeps its history (declared, overridden, removed) with file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..base.diagnostics import Diagnostic, Span, SpecError, error
from ..base.hints import did_you_mean
from ..base.names import BUILTIN_UNITS, a_noun, canonical
from ..ir import ast as A
from ..ir.kinds import KINDS

MAX_CHAIN = 16

# The YAML key naming each kind's main value in an override, and each kind's noun.
VALUE_KEY = {k.decl: k.value_key for k in KINDS if k.value_key}
KIND = {k.decl: k.noun for k in KINDS}


def load_chain(spec: A.Spec, locate: Callable[[str, str, Span | None], str],
               read: Callable[[str, Span | None], A.Spec], chain: tuple[str, ...] = ()) -> A.Spec:
    """Merge `spec` onto its bases. `locate(ref, from_file, span)` gives a base's path (raising
    SpecError at the `extends` line if it cannot be used); `read(path, span)` parses it."""
    if spec.extends is None:
        if spec.time is None:
            raise SpecError([error("E050", "the spec has no time settings", Span(spec.file, 1, 1, 1, 2),
                                   "add `time { start 0 stop 10 dt 0.25 units year }`")])
        return _with_origins(spec)
    here = str(Path(spec.file).resolve()) if not spec.file.startswith("<") else spec.file
    chain = chain + (here,)
    if len(chain) > MAX_CHAIN:
        raise SpecError([error("E006", f"more than {MAX_CHAIN} specs in a chain of `extends`", spec.extends_span,
                               "flatten the chain")])
    path = locate(spec.extends, spec.file, spec.extends_span)
    resolved = str(Path(path).resolve())
    if resolved in chain:
        names = " -> ".join(Path(p).name for p in chain[chain.index(resolved):] + (resolved,))
        raise SpecError([error("E017", f"`extends` goes round in a circle: {names}", spec.extends_span,
                               "a spec cannot be its own base")])
    base = load_chain(read(path, spec.extends_span), locate, read, chain)
    return merge(base, spec)


def _with_origins(spec: A.Spec) -> A.Spec:
    origins = tuple((canonical(d.name), (A.Origin("declared", d.span),)) for d in spec.decls)
    return replace(spec, origins=origins)


def merge(base: A.Spec, child: A.Spec) -> A.Spec:
    errors: list[Diagnostic] = []
    decls: dict[str, A.Decl] = {canonical(d.name): d for d in base.decls}
    history: dict[str, list[A.Origin]] = {k: list(v) for k, v in base.origins}
    where = f"in {Path(base.file).name}"

    def missing(name: str, span: Span | None, what: str) -> None:
        errors.append(error("E016", f"cannot {what} `{name}`: the base model has no such name ({where})", span,
                            did_you_mean(name, [d.name for d in decls.values()]) or "check the name"))

    for r in child.removals:
        key = canonical(r.name)
        if key not in decls:
            missing(r.name, r.span, "remove")
            continue
        del decls[key]
        history.setdefault(key, []).append(A.Origin("removed", r.span))
    units = _unit_names(base, child)
    for o in child.overrides:
        o = _element_or_units(o, decls, units)
        key = canonical(o.name)
        if "[" in key and key.split("[", 1)[0] in decls:
            key = key.split("[", 1)[0]
            if o.elements is not None:
                errors.append(error("E016", f"a table of elements is for a whole array, not `{o.name}`", o.span,
                                    f"give the element one value (`set {o.name} = 0.1`) or set `{key}`'s table"))
                continue
            new = _apply_element(decls[key], o, errors)
            if new is not None:
                decls[key] = new
                history.setdefault(key, []).append(A.Origin("overridden", o.span))
            continue
        if key not in decls:
            missing(o.name, o.span, "override")
            continue
        new = _apply(_whole(decls[key], o), o, errors) if o.elements is None else _table(decls[key], o, errors)
        if new is not None:
            decls[key] = new
            history.setdefault(key, []).append(A.Origin("overridden", o.span))
    for d in child.decls:
        key = canonical(d.name)
        if key in decls:
            first = decls[key].span
            at = f" (in {Path(first.file).name}, line {first.line})" if first else ""
            hint = (f"to give it other elements, remove it first: `remove {d.name}` on the line before "
                    f"(YAML: `remove: [{d.name}]`)" if isinstance(d, A.DimDecl) else
                    f"to change it, write `set {d.name} ...` (YAML: under `override:`)")
            errors.append(error("E011", f"`{d.name}` is already declared by the base model{at}", d.span, hint))
            continue
        decls[key] = d
        history.setdefault(key, []).append(A.Origin("declared", d.span))
    if errors:
        raise SpecError(errors)
    model = child.model if child.model.span is not None else A.ModelInfo(
        child.model.name, base.model.title, base.model.description, base.model.span)
    if child.model.span is not None:
        model = replace(model, title=model.title or base.model.title,
                        description=model.description or base.model.description)
    return A.Spec(model, child.time or base.time, tuple(decls.values()), child.file,
                  origins=tuple((k, tuple(v)) for k, v in history.items()))


def _unit_names(base: A.Spec, child: A.Spec) -> frozenset[str]:
    declared = (d.name for spec in (base, child) for d in spec.decls if isinstance(d, A.UnitDecl))
    return BUILTIN_UNITS | frozenset(declared)


def _element_or_units(o: A.Override, decls: dict[str, A.Decl], units: frozenset[str]) -> A.Override:
    """`set rate[intensive] = 0.1` names one element when the base's `rate` is arrayed; but
    `set children [child] = 5` gives units where `child` is a unit and no element of its dimensions.
    A name that is neither reads as an element, so that a misspelt one gets the element's hint."""
    d = decls.get(canonical(o.name))
    array = getattr(d, "array", None)
    if o.maybe_element is None or array is None:
        return o
    if o.maybe_element in units and not _is_element(o.maybe_element, array, decls):
        return o
    return replace(o, name=f"{o.name}[{o.maybe_element}]", units=None, maybe_element=None)


def _is_element(name: str, array: A.ArrayPart, decls: dict[str, A.Decl]) -> bool:
    dims = (decls.get(canonical(r.dim)) for r in array.dims)
    return any(isinstance(d, A.DimDecl) and canonical(name) in map(canonical, d.elements) for d in dims)


def _apply_element(d: A.Decl, o: A.Override, errors: list[Diagnostic]) -> A.Decl | None:
    """A new value for one element of an arrayed declaration: a case of its table."""
    array = getattr(d, "array", None)
    if array is None:
        errors.append(error("E092", f"`{d.name}` has no dimensions, so it has no element `{o.name}`", o.span,
                            f"write `set {d.name} ...`"))
        return None
    if isinstance(d, A.LookupDecl) or o.points is not None:
        return _element_table(d, o, errors)
    if o.value is None or any(x is not None for x in (o.units, o.tags, o.bounds, o.non_negative, o.during)):
        errors.append(error("E016", f"`set {o.name}` gives one element a new value and nothing else", o.span,
                            f"give units, tags or bounds to the whole array: `set {d.name} ...`"))
        return None
    if isinstance(d, A.ParamDecl) and _number(o.value) is None:
        errors.append(error("E053", f"the value of parameter `{o.name}` must be a number", o.value.span,
                            f"e.g. `set {o.name} = 0.05`"))
        return None
    key = tuple(x.strip() for x in o.name.split("[", 1)[1].rstrip("]").split(","))
    cases = [c for c in array.cases if tuple(canonical(k) for k in c.key) != tuple(canonical(k) for k in key)]
    new_array = replace(array, cases=(*cases, A.Case(key, o.value, o.span, o.doc)))
    return replace(d, array=new_array)


def _element_table(d: A.Decl, o: A.Override, errors: list[Diagnostic]) -> A.Decl | None:
    """`set effect[intensive] = [(0, 1), (1, 2)]`: one element's own table."""
    if not isinstance(d, A.LookupDecl):
        errors.append(error("E016", f"`{o.name}` is not a lookup, so it has no table of points", o.span,
                            f"give the element a value: `set {o.name} = ...`"))
        return None
    if o.points is None or o.value is not None or any(
            x is not None for x in (o.units, o.tags, o.bounds, o.non_negative, o.during)):
        errors.append(error("E016", f"`set {o.name}` gives one element of lookup `{d.name}` a new table "
                            "and nothing else", o.span, f"e.g. `set {o.name} = [(0, 1), (1, 2)]`"))
        return None
    key = tuple(x.strip() for x in o.name.split("[", 1)[1].rstrip("]").split(","))
    tables = [c for c in d.tables if tuple(canonical(k) for k in c.key) != tuple(canonical(k) for k in key)]
    return replace(d, tables=(*tables, A.LookupCase(key, o.points, o.points_span or o.span)))


def _table(d: A.Decl, o: A.Override, errors: list[Diagnostic]) -> A.Decl | None:
    """`set pop = {young: 1500, else: 2000}` or `set pop = csv "ours.csv"`: the whole array's
    values replaced by the new table (its `where` and dimensions kept), then the rest of the
    override (units, bounds, source) applied as to any declaration."""
    new = o.elements
    array = getattr(d, "array", None)
    assert new is not None
    if array is None:
        errors.append(error("E016", f"`{d.name}` has no dimensions, so it takes no table of elements", o.span,
                            f"give it one value: `set {d.name} = ...`"))
        return None
    if isinstance(d, A.LookupDecl):
        element = f"{d.name}[{', '.join(d.tables[0].key if d.tables else ('...',))}]"
        errors.append(error("E016", f"`{d.name}` is a lookup: each element takes a table of points, not a value",
                            o.span, f"e.g. `set {element} = [(0, 1), (1, 2)]`, or `set {d.name} = [...]` for all"))
        return None
    if new.table is not None and not isinstance(d, A.ParamDecl | A.StockDecl):
        errors.append(error("E016", f"only a parameter or a stock reads its values from a CSV file; `{d.name}` is "
                            f"{a_noun(KIND[type(d)])}", o.span, f"give its elements a table: `set {d.name} = {{...}}`"))
        return None
    if isinstance(d, A.ParamDecl):
        bad = [c.value for c in new.cases if _number(c.value) is None]
        if bad or (o.value is not None and _number(o.value) is None):
            span = bad[0].span if bad else o.value.span  # type: ignore[union-attr]
            errors.append(error("E053", f"the values of parameter `{d.name}` must be numbers", span,
                                f"write numbers, e.g. `set {d.name} = {{a: 0.05, else: 0.1}}`"))
            return None
    swapped: A.Decl = replace(d, array=replace(array, cases=new.cases, has_default=new.has_default,
                                               table=new.table, table_span=new.table_span))
    if o.value is None and isinstance(swapped, A.ParamDecl):
        swapped = replace(swapped, value=0.0)  # the old default no longer stands for the rest
    return _apply(swapped, o, errors)  # `o.elements` is read only by `_doc`: a new table's old source goes


def _whole(d: A.Decl, o: A.Override) -> A.Decl:
    """A new value for a whole array holds for every element: its table goes."""
    array = getattr(d, "array", None)
    if array is None or o.value is None:
        return d
    return replace(d, array=replace(array, cases=(), has_default=True, table=None))


def _doc(old: A.Doc, o: A.Override) -> A.Doc:
    """The declaration's documentation after `set`. A new value drops the base's source and
    assumption, which were for the old number: the new one has those the override gives, or
    none (and the report says so) rather than a source it did not come from."""
    new = o.doc
    if o.value is not None or o.points is not None or o.elements is not None:
        return A.Doc(new.description or old.description, new.source, new.assumption)
    return A.Doc(new.description or old.description, new.source or old.source, new.assumption or old.assumption)


def _apply(d: A.Decl, o: A.Override, errors: list[Diagnostic]) -> A.Decl | None:
    kind = type(d)
    name = KIND[kind]
    want = VALUE_KEY.get(kind)
    if o.value_key not in (None, "value", want):
        hint = f"use `{want}`" if want else f"a {name}'s definition cannot be overridden; remove it and declare it again"
        errors.append(error("E016", f"`{o.value_key}` does not apply to `{d.name}`, which is {a_noun(name)}", o.span, hint))
        return None
    if o.value is not None and want is None:
        hint = f"give it a new table: `set {d.name} = [(0, 1), (1, 2)]`" if kind is A.LookupDecl else \
            f"remove `{d.name}` and declare it again"
        errors.append(error("E016", f"a {name} cannot be given a new value with `set`", o.span, hint))
        return None
    if o.points is not None and kind is not A.LookupDecl:
        errors.append(error("E016", f"`points` does not apply to `{d.name}`, which is {a_noun(name)}", o.span,
                            "only a lookup has a table of points"))
        return None
    for field_name, allowed in (("tags", (A.FlowDecl,)), ("bounds", (A.ParamDecl,)), ("during", (A.ExpectDecl,)),
                                ("non_negative", (A.StockDecl, A.FlowDecl)),
                                ("units", (A.ParamDecl, A.StockDecl, A.FlowDecl, A.AuxDecl, A.MetricDecl,
                                           A.LookupDecl))):
        if getattr(o, field_name) is not None and kind not in allowed:
            errors.append(error("E016", f"`{field_name}` does not apply to `{d.name}`, which is {a_noun(name)}", o.span,
                                "remove it from the override"))
            return None
    units = o.units if o.units is not None else getattr(d, "units", None)
    if isinstance(d, A.ParamDecl):
        value, value_span = d.value, d.value_span
        if o.value is not None:
            number = _number(o.value)
            if number is None:
                errors.append(error("E053", f"the value of parameter `{d.name}` must be a number", o.value.span,
                                    "write a number, e.g. `set rate = 0.05`"))
                return None
            value, value_span = number, o.value.span
        return replace(d, value=value, units=units, bounds=o.bounds or d.bounds, doc=_doc(d.doc, o),
                       value_span=value_span)
    if isinstance(d, A.StockDecl):
        return replace(d, initial=o.value or d.initial, units=units,
                       non_negative=d.non_negative if o.non_negative is None else o.non_negative,
                       doc=_doc(d.doc, o))
    if isinstance(d, A.FlowDecl):
        return replace(d, rate=o.value or d.rate, units=units, tags=d.tags if o.tags is None else o.tags,
                       non_negative=d.non_negative if o.non_negative is None else o.non_negative,
                       doc=_doc(d.doc, o))
    if isinstance(d, A.AuxDecl):
        return replace(d, equation=o.value or d.equation, units=units, doc=_doc(d.doc, o))
    if isinstance(d, A.MetricDecl):
        return replace(d, expr=o.value or d.expr, units=units, doc=_doc(d.doc, o))
    if isinstance(d, A.ExpectDecl):
        return replace(d, condition=o.value or d.condition, during=o.during or d.during, doc=_doc(d.doc, o))
    if isinstance(d, A.LookupDecl):
        if o.points is None:
            return replace(d, units=units, doc=_doc(d.doc, o))
        # a new table for the whole lookup holds for every element: their own tables go
        array = d.array if d.array is None else replace(d.array, has_default=True)
        return replace(d, points=o.points, points_span=o.points_span or o.span, units=units,
                       doc=_doc(d.doc, o), array=array, tables=())
    if isinstance(d, A.GroupDecl | A.ScenarioDecl):
        return replace(d, doc=_doc(d.doc, o))
    errors.append(error("E016", f"a {name} cannot be overridden", o.span, "remove it and declare it again"))
    return None


def _number(e: A.Expr) -> float | None:
    sign = 1.0
    while isinstance(e, A.Neg):
        sign, e = -sign, e.operand
    return sign * e.value if isinstance(e, A.Num) and e.unit is None else None
