"""Spec with arrays -> the same Spec written out element by element.

Each arrayed stock, flow, auxiliary or parameter becomes one scalar declaration per element,
named `name[e1,e2]`; subscripts and reductions become references to those. Everything after
this pass (names, units, conservation, code generation, scenarios, calibration) sees scalars,
and `Spec.arrays` records which scalars make up each array, for results and reports.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ...base.diagnostics import Diagnostic, Span, SpecError, error, printable
from ...base.elements import slice_picks
from ...base.hints import did_you_mean
from ...base.limits import MAX_ELEMENTS
from ...base.names import canonical, is_identifier
from ...ir import ast as A
from ...ir.walk import has_subscript, literal, names_in, rebuild
from .dims import Bound, Dim, read_dims
from .exprs import Arrayed, Expander, bindings, constant, element_name
from .tables import read_table

ARRAYABLE = (A.StockDecl, A.FlowDecl, A.AuxDecl, A.ParamDecl)
DECLARED = (*ARRAYABLE, A.LookupDecl)  # what may have dimensions


def expand_arrays(spec: A.Spec) -> A.Spec:
    if not any(isinstance(d, A.DimDecl) or getattr(d, "array", None) for d in spec.decls) and not _subscripted(spec):
        return spec
    return _Arrays(spec).run()


def _subscripted(spec: A.Spec) -> bool:
    """Whether any equation uses `x[...]` (an error in a model without arrays, found here)."""
    for d in spec.decls:
        if any(has_subscript(e) for e in _exprs(d)):
            return True
        if isinstance(d, A.FlowDecl) and (d.source_at or d.target_at):
            return True
    return False


def _exprs(d: A.Decl) -> list[A.Expr]:
    for f in ("initial", "rate", "equation", "expr", "condition"):
        v = getattr(d, f, None)
        if v is not None:
            return [v]
    return []


class _Arrays:
    def __init__(self, spec: A.Spec):
        self.spec = spec
        self.errors: list[Diagnostic] = []
        self.dims = read_dims(spec.decls, self.errors)
        self.broken = {canonical(d.name) for d in spec.decls if isinstance(d, A.DimDecl)} - set(self.dims)
        removed = {k for k, steps in spec.origins if any(o.action == "removed" for o in steps)}
        self.redeclared = {canonical(d.name): d.span for d in spec.decls  # removed from a base, then declared anew
                           if isinstance(d, A.DimDecl) and d.span and canonical(d.name) in removed}
        self.stale_tables: dict[tuple[Dim, Span], list[A.Decl]] = {}  # base tables over a redeclared dimension
        self.arrays: dict[str, Arrayed] = {}
        self.ex = Expander(self.dims, self.arrays, self.errors)
        self.count = 0

    def err(self, code: str, msg: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, span, hint))

    def run(self) -> A.Spec:
        for d in self.spec.decls:
            if isinstance(d, DECLARED) and d.array is not None:
                self.declare(d)
        # arrays refused where declared (their error is given): a use of one says nothing more
        self.ex.refused = {canonical(d.name) for d in self.spec.decls
                           if isinstance(d, DECLARED) and d.array is not None} - set(self.arrays)
        out: list[A.Decl] = []
        expanded: list[A.Expanded] = []
        for d in self.spec.decls:
            if isinstance(d, A.DimDecl):
                continue
            if isinstance(d, A.LookupDecl) and d.array is not None:
                arr = self.arrays.get(canonical(d.name))
                out += self.tables(d, arr) if arr is not None else []
                continue
            if isinstance(d, ARRAYABLE) and d.array is not None:
                arr = self.arrays.get(canonical(d.name))
                if arr is not None:
                    elems = self.elements(d, arr)
                    out += [e for _, e in elems]
                    shown = [tuple(dim.elements[dim.position(el) or 0] for dim, el in zip(arr.dims, k, strict=True))
                             for k, _ in elems]
                    expanded.append(A.Expanded(canonical(d.name), tuple(x.name for x in arr.dims),
                                               tuple(r.index for r in d.array.dims),
                                               tuple((canonical(e.name), s) for (_, e), s in zip(elems, shown,
                                                                                                strict=True)),
                                               tuple(x.elements for x in arr.dims)))
                continue
            out.append(self.scalar(d))
        self.report_stale()
        if self.errors:  # once per place: an equation expanded for every element repeats its faults
            raise SpecError(list({(d.code, d.span): d for d in reversed(self.errors)}.values())[::-1])
        return replace(self.spec, decls=tuple(out), arrays=tuple(expanded))

    # ---------------------------------------------------------------- arrayed declarations
    def declare(self, d: A.StockDecl | A.FlowDecl | A.AuxDecl | A.ParamDecl | A.LookupDecl) -> None:
        """Which elements exist, before any equation is expanded (equations may refer to
        arrays declared after them)."""
        assert d.array is not None
        if not is_identifier(d.name):
            self.err("E003", f"`{d.name}` is not a valid name", d.span, "use letters, digits and _, starting with a letter")
            return
        dims: list[Dim] = []
        for ref in d.array.dims:
            dim = self.dims.get(canonical(ref.dim))
            if dim is None and canonical(ref.dim) in self.broken:
                return  # its declaration's error is reported
            if dim is None:
                self.err("E091", f"`{ref.dim}` is not a dimension", ref.span,
                         did_you_mean(ref.dim, [x.name for x in self.dims.values()])
                         or "declare it: `dim level = [universal, additional]`")
                return
            dims.append(dim)
        aliases = [canonical(r.index) for r in d.array.dims]
        if len(set(aliases)) < len(aliases):
            self.err("E092", f"`{d.name}` names one index twice", d.span,
                     "give each position its own alias: `[from: level, to: level]`")
            return
        size = math.prod(len(x.elements) for x in dims)
        if self.count + size > MAX_ELEMENTS:  # before a single element is made
            before = f", {self.count + size:,} with the arrays before it;" if self.count else ";"
            self.err("E006", f"`{d.name}` would have {size:,} elements{before} the limit for all arrays together is "
                     f"{MAX_ELEMENTS:,}", d.span, "use fewer elements")
            self.count = MAX_ELEMENTS + 1
            return
        exists = []
        for env in bindings(dims, aliases):
            if d.array.where is None or self.where(d.array.where, env):
                exists.append(tuple(b.element for b in env.values()))
        self.count += len(exists)
        self.arrays[canonical(d.name)] = Arrayed(d.name, tuple(dims), frozenset(exists),
                                                 isinstance(d, A.LookupDecl))

    def where(self, cond: A.Expr, env: dict[str, Bound]) -> bool:
        def fail(e: A.Expr) -> None:
            self.err("E092", "`where` compares the declaration's indices with elements and numbers", e.span,
                     "e.g. `where from != to` or `where band != oldest`")

        value = constant(self.ex(self._elements_as_values(cond, env), env), fail)
        return bool(value)

    def _elements_as_values(self, e: A.Expr, env: dict[str, Bound]) -> A.Expr:
        """In `where`, an element's name stands for its value (position, or number)."""
        names = {canonical(n) for n in names_in(e)} - set(env)
        mapping: dict[str, float] = {}
        for n in names:
            for b in env.values():
                p = b.dim.position(n)
                if p is not None:
                    mapping[n] = Bound(b.dim, p).value
                    break
        return _substitute(e, mapping) if mapping else e

    def elements(self, d: A.StockDecl | A.FlowDecl | A.AuxDecl | A.ParamDecl, arr: Arrayed
                 ) -> list[tuple[tuple[str, ...], A.Decl]]:
        assert d.array is not None
        part = d.array
        faults: list[Diagnostic] = []  # the table's, reported below unless the table is stale
        table = read_table(part.table, part.table_span, arr, self.spec.file, faults) if part.table else {}
        if self.stale(d, arr, table, bool(faults)):
            return []
        cases = self.cases(d, arr)
        docs = self.keyed(d.name, arr, [(c.key, c.doc, c.span) for c in part.cases if c.doc is not None])
        self.errors += faults
        read = not faults  # a table that failed to read is reported already
        aliases = [canonical(r.index) for r in part.dims]
        out = []
        missing, unlisted = [], []
        for env in bindings(arr.dims, aliases):
            key = tuple(b.element for b in env.values())
            if key not in arr.exists:
                continue
            given = cases.get(key) or (A.Num(table[key], None, part.table_span) if key in table else None)
            if given is None and part.table and read:
                unlisted.append(key)  # a CSV file gives every element: a row left out is not 0
                continue
            if given is None and not part.has_default:
                missing.append(key)
                continue
            out.append((key, self.element(d, key, given, env, docs.get(key))))
        self.missing(d, missing, "value")
        if unlisted:
            shown = ", ".join(element_name(d.name, k) for k in unlisted[:4]) + (" ..." if len(unlisted) > 4 else "")
            self.err("E094", f"{printable(part.table or '')} has no row for {len(unlisted)} element(s) of `{d.name}`: {shown}",
                     part.table_span, "add a row for each element; a missing row is never taken as 0")
        return out

    def stale(self, d: A.StockDecl | A.FlowDecl | A.AuxDecl | A.ParamDecl, arr: Arrayed,
              table: dict[tuple[str, ...], float], unread: bool) -> bool:
        """A base's table over a dimension the adapting spec declares anew (`remove authority`,
        then its own authorities) names the base's elements: one error, in the adapting spec,
        that says to give the table again there, not one per entry in the base's file.
        `table` is its CSV file as read over the new elements; `unread`, that it did not read."""
        assert d.array is not None
        mine = d.span.file if d.span else None
        anew = [(dim, sp) for dim in arr.dims
                if (sp := self.redeclared.get(canonical(dim.name))) is not None and sp.file != mine]
        if not anew:
            return False
        part = d.array
        unfit = any(dim.position(w) is None for c in part.cases for w, dim in zip(c.key, arr.dims, strict=False))
        if part.table and not unfit:  # a CSV file that does not read over the new elements, or misses some
            unfit = unread or not arr.exists <= set(table)
        elif part.cases and not part.has_default and not unfit:  # entries for only some of the new elements
            given = {tuple(canonical(w) for w in c.key) for c in part.cases}
            unfit = any(tuple(canonical(e) for e in k) not in given for k in arr.exists)
        if not unfit:
            return False
        self.stale_tables.setdefault(anew[0], []).append(d)
        return True

    def report_stale(self) -> None:
        """One error per redeclared dimension, naming every base table written over it."""
        for (dim, span), decls in self.stale_tables.items():
            each = [f"`{d.name}` ({printable(d.span.file)}:{d.span.line})" if d.span else f"`{d.name}`" for d in decls]
            named = (", ".join(each[:4]) + f" and {len(each) - 4} more" if len(each) > 4
                     else " and ".join([", ".join(each[:-1]), each[-1]]) if len(each) > 1 else each[0])
            new = ", ".join(f"{e}: ..." for e in dim.elements[:3]) + (", ..." if len(dim.elements) > 3 else "")
            if span.file.lower().endswith((".yaml", ".yml")):
                sets = "; ".join(f"`{d.name}: {{value: {{{new}}}}}`" for d in decls[:2])
                how = f"under `override:`, give each a table for the new elements: {sets} (or `{{table: FILE.csv}}`)"
            else:
                sets = "; ".join(f"`set {d.name} = {{{new}}}`" for d in decls[:2])
                how = f"give each a table for the new elements here: {sets} (or `= csv \"FILE.csv\"`)"
            self.err("E093", f"{named} {'has a table' if len(decls) == 1 else 'have tables'} for the base's elements "
                     f"of `{dim.name}`, which this spec declares anew", span, how)

    def cases(self, d: A.Decl, arr: Arrayed) -> dict[tuple[str, ...], A.Expr]:
        assert isinstance(d, ARRAYABLE) and d.array is not None
        return self.keyed(d.name, arr, [(c.key, c.value, c.span) for c in d.array.cases])

    def keyed(self, name: str, arr: Arrayed, entries: list[tuple[tuple[str, ...], Any, Span | None]]
              ) -> dict[tuple[str, ...], Any]:
        """Per-element entries by their elements' keys, each checked against the array."""
        out: dict[tuple[str, ...], Any] = {}
        for words, value, span in entries:
            if len(words) != len(arr.dims):
                self.err("E092", f"`{name}` has {len(arr.dims)} dimension(s); this entry names {len(words)}", span,
                         "name one element of each: `(universal, additional): ...`")
                continue
            key = []
            for word, dim in zip(words, arr.dims, strict=True):
                el = self.ex.element(word, dim, span)
                if el is None:
                    break
                key.append(el)
            else:
                k = tuple(key)
                if k not in arr.exists:
                    self.err("E093", f"`{element_name(name, k)}` is left out by `where`", span, "remove this entry")
                elif k in out:
                    self.err("E011", f"`{element_name(name, k)}` is given twice", span, "keep one")
                else:
                    out[k] = value
        return out

    def tables(self, d: A.LookupDecl, arr: Arrayed) -> list[A.Decl]:
        """An arrayed lookup -> one lookup per element, `effect[universal]`, with its own table
        or the default."""
        assert d.array is not None
        own = self.keyed(d.name, arr, [(c.key, (c.points, c.span), c.span) for c in d.tables])
        out: list[A.Decl] = []
        missing = []
        for env in bindings(arr.dims, [canonical(r.index) for r in d.array.dims]):
            key = tuple(b.element for b in env.values())
            if key not in arr.exists:
                continue
            points, span = own.get(key, (d.points, d.points_span))
            if not points:
                missing.append(key)
                continue
            label = element_name(d.name, [b.dim.elements[b.position] for b in env.values()])
            # a bad table's carets go to the element's own table
            out.append(replace(d, name=label, points=points, points_span=span, array=None, tables=()))
        self.missing(d, missing, "table")
        return out

    def missing(self, d: A.Decl, keys: list[tuple[str, ...]], what: str) -> None:
        if not keys:
            return
        name = d.name
        shown = ", ".join(element_name(name, k) for k in keys[:4]) + (" ..." if len(keys) > 4 else "")
        count = "1 element" if len(keys) == 1 else f"{len(keys)} elements"
        self.err("E093", f"{count} of `{name}` {'has' if len(keys) == 1 else 'have'} no {what}: {shown}",
                 d.span, "give each its own, or add `else: ...` for the rest")

    def element(self, d: A.StockDecl | A.FlowDecl | A.AuxDecl | A.ParamDecl, key: tuple[str, ...],
                given: A.Expr | None, env: dict[str, Bound], doc: A.Doc | None = None) -> A.Decl:
        label = element_name(d.name, [b.dim.elements[b.position] for b in env.values()])
        if doc is not None:  # an element given a value of its own by `set`: its source, not the array's
            d = replace(d, doc=A.Doc(d.doc.description, doc.source, doc.assumption))
        if isinstance(d, A.ParamDecl):
            value = d.value if given is None else _number(given)
            return replace(d, name=label, value=value, array=None)
        main = {A.StockDecl: "initial", A.FlowDecl: "rate", A.AuxDecl: "equation"}[type(d)]
        expr = self.ex(given if given is not None else getattr(d, main), env)
        new: A.Decl = replace(d, name=label, array=None, **{main: expr})  # type: ignore[arg-type]
        return self.endpoints(new, env) if isinstance(new, A.FlowDecl) else new

    # ---------------------------------------------------------------- scalar declarations
    def scalar(self, d: A.Decl) -> A.Decl:
        if isinstance(d, A.FlowDecl):
            return self.endpoints(replace(d, rate=self.ex(d.rate, {})), {})
        if isinstance(d, A.StockDecl):
            return replace(d, initial=self.ex(d.initial, {}))
        if isinstance(d, A.AuxDecl):
            return replace(d, equation=self.ex(d.equation, {}))
        if isinstance(d, A.MetricDecl):
            return replace(d, expr=self.ex(d.expr, {}))
        if isinstance(d, A.ExpectDecl):
            return replace(d, condition=self.for_all(d.condition))
        if isinstance(d, A.GroupDecl):
            return self.group(d)
        if isinstance(d, A.ScenarioDecl):
            return self.scenario(d)
        return d

    def for_all(self, cond: A.Expr) -> A.Expr:
        """A reality check that names a dimension holds for each of its elements."""
        free = self.ex.free_dims(cond, {})
        if not free:
            return self.ex(cond, {})
        if math.prod(len(d.elements) for d in free) > MAX_ELEMENTS:
            self.err("E006", f"the check would hold {MAX_ELEMENTS:,} or more conditions", cond.span, "use fewer elements")
            return A.Num(1.0, None, cond.span)
        parts = [self.ex(cond, env) for env in bindings(free)]
        while len(parts) > 1:  # a balanced `and`, so that its depth grows with log n
            parts = [A.Logic("and", parts[i], parts[i + 1], cond.span) if i + 1 < len(parts) else parts[i]
                     for i in range(0, len(parts), 2)]
        return parts[0]

    def endpoints(self, f: A.FlowDecl, env: dict[str, Bound]) -> A.FlowDecl:
        return replace(f, source=self.end(f.source, f.source_at, env, f), target=self.end(f.target, f.target_at, env, f),
                       source_at=(), target_at=())

    def end(self, name: str | None, at: tuple[A.Expr, ...], env: dict[str, Bound], f: A.FlowDecl) -> str | None:
        if name is None:
            return None
        if not at:
            if canonical(name) in self.arrays:
                arr = self.arrays[canonical(name)]
                own = [i for i in env if any(env[i].dim.name == d.name for d in arr.dims)][:len(arr.dims)]
                each = f"`{name}[{', '.join(own)}]` for each element's own" if len(own) == len(arr.dims) else None
                one = f"`{name}[{', '.join(d.elements[0] for d in arr.dims)}]`"
                self.err("E092", f"`{f.name.split('[')[0]}` runs from or to `{name}`, which is arrayed: say which element",
                         f.span, f"e.g. {each}, or {one} for one" if each else f"e.g. {one}")
            return name
        e = self.ex(A.Subscript(name, at, f.span), env)
        return e.name if isinstance(e, A.Name) else name

    def group(self, g: A.GroupDecl) -> A.GroupDecl:
        members: list[str] = []
        spans: list[Span | None] = []
        for i, m in enumerate(g.stocks):
            span = g.member_spans[i] if i < len(g.member_spans) else g.span
            arr = self.arrays.get(canonical(m))
            names = [element_name(canonical(m), k) for k in sorted(arr.exists, key=_order(arr))] if arr else [m]
            members += names
            spans += [span] * len(names)
        return replace(g, stocks=tuple(members), member_spans=tuple(spans))

    def scenario(self, s: A.ScenarioDecl) -> A.ScenarioDecl:
        """`set rate = 0.1` on an arrayed parameter sets every element."""
        sets: list[A.ScenarioSet] = []
        for st in s.sets:
            head = canonical(st.name).split("[", 1)[0]
            arr = self.arrays.get(head)
            keys = sorted(arr.exists, key=_order(arr)) if arr is not None else []
            picks = None if arr is None or head == canonical(st.name) else slice_picks(st.name, keys)
            if arr is None or (head != canonical(st.name) and not picks):  # a name, or one element
                sets.append(st)
                continue
            chosen = [keys[i] for i in picks] if picks else keys  # a slice (`children[dundee]`), or every element
            sets += [replace(st, name=element_name(head, k)) for k in chosen]
        varied: list[A.Sweep | A.Sample] = [*s.sweeps, *s.samples]
        for x in varied:
            head = canonical(x.name).split("[", 1)[0]
            if head in self.arrays and head != canonical(x.name) and \
                    slice_picks(x.name, sorted(self.arrays[head].exists, key=_order(self.arrays[head]))):
                self.err("E092", f"`{x.name}` is several elements; a sweep or sample varies one", x.span,
                         f"name one: `{head}[{', '.join(d.elements[0] for d in self.arrays[head].dims)}]`")
            if canonical(x.name) in self.arrays:
                self.err("E092", f"`{x.name}` is arrayed; a sweep or sample varies one element", x.span,
                         f"name one: `{x.name}[{self.arrays[canonical(x.name)].dims[0].elements[0]}...]`")
        return replace(s, sets=tuple(sets))


def _order(arr: Arrayed):  # noqa: ANN202 - a sort key
    return lambda key: tuple(d.position(e) or 0 for d, e in zip(arr.dims, key, strict=True))


def _number(e: A.Expr) -> float:
    return literal(e) or 0.0  # the readers have already reported a parameter value that is not a number


def _substitute(e: A.Expr, mapping: dict[str, float]) -> A.Expr:
    if isinstance(e, A.Name) and canonical(e.name) in mapping:
        return A.Num(mapping[canonical(e.name)], None, e.span)
    return rebuild(e, lambda x: _substitute(x, mapping))
