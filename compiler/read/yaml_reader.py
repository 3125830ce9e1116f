"""YAML spec -> Spec AST, keeping line and column of every value."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..base.diagnostics import Span, SpecError
from ..base.hints import closest, did_you_mean
from ..base.limits import MAX_DECLS, MAX_LOOKUP_POINTS
from ..base.names import a_noun
from ..ir import ast as A
from ..ir.kinds import BY_SECTION, DECL_SECTIONS, KINDS, MODEL_KEYS, OVERRIDE_KEYS, SECTIONS, TIME_KEYS
from ..ir.walk import literal
from .comments import yaml_layout
from .sets import table_sets
from .time import time_spec
from .yaml_arrays import cases_of, dim_decl, dims_of, endpoint, keyed, main_value
from .yaml_nodes import NodeReader, compose, cut_at_commas, dim_lists, glued_colons

_KEYS = {"model": MODEL_KEYS, **{k.section: k.keys for k in KINDS}}
_REQUIRED = {k.section: k.required for k in KINDS if k.required}


def parse_yaml(text: str, file: str = "<yaml>") -> A.Spec:
    root = compose(text, file)
    cut = cut_at_commas(root, file) + glued_colons(root, file)
    if cut:
        raise SpecError(cut)
    spec = _YamlReader(file, text).spec(root)
    return replace(spec, layout=yaml_layout(text).with_extents(_extents(root, text)))


def _extents(root: Node | None, text: str) -> list[tuple[int, int]]:
    """First and last line of each top-level entry and of each declaration in a section."""
    def last(node: Node) -> int:
        """The line of the node's last character. A block collection's own end mark lies past
        any comments after it, so it is found from its last member."""
        while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
            node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
        end = len(text[:node.end_mark.index].rstrip())
        return text.count("\n", 0, end) + 1

    out = []
    for key, value in root.value if isinstance(root, MappingNode) else ():
        if isinstance(value, MappingNode) and key.value in (*DECL_SECTIONS, "override"):
            out += [(k.start_mark.line + 1, max(k.start_mark.line + 1, last(v))) for k, v in value.value]
        else:
            out.append((key.start_mark.line + 1, max(key.start_mark.line + 1, last(value))))
    return out


class _YamlReader(NodeReader):
    def spec(self, root: Node | None) -> A.Spec:
        if root is None:
            self.err("E003", "the spec is empty", Span(self.file, 1, 1, 1, 2),
                     "start with `time:` and `stocks:` sections")
            raise SpecError(self.errors)
        sections: dict[str, tuple[ScalarNode, Node]] = {}
        for k, v in self.mapping(root, "the spec"):
            if k.value == "$schema":  # editors' pointer to `stockflow schema`; not part of the model
                continue
            if k.value not in SECTIONS:
                self.err("E003", f"unknown section `{k.value}`", k, _section_hint(str(k.value)))
                continue
            sections[k.value] = (k, v)
        self.listed_dims = dim_lists(sections["dimensions"][1] if "dimensions" in sections else None)
        extends, extends_span = None, None
        if "extends" in sections:
            key, node = sections["extends"]
            extends, extends_span = self.string(node, "`extends`"), self.span(node)
        model = self.model(sections.get("model"))
        time = self.time(sections.get("time"), required=extends is None)
        decls: list[A.Decl] = []
        total = sum(len(sections[n][1].value) for n in DECL_SECTIONS
                    if n in sections and isinstance(sections[n][1], MappingNode | SequenceNode))
        if total > MAX_DECLS:  # one limit on the whole spec, as in the DSL
            self.err("E006", f"{total:,} declarations; the limit is {MAX_DECLS:,}", Span(self.file, 1, 1, 1, 2),
                     "split the model")
            raise SpecError(self.errors)
        for name in DECL_SECTIONS:
            if name in sections:
                entries = self.section_entries(name, sections[name][1])
                for k, v in entries:
                    d = self.decl(name, k, v)
                    if d is not None:
                        decls.append(d)
        overrides = self.overrides(sections.get("override"))
        removals = self.removals(sections.get("remove"))
        if (overrides or removals) and extends is None:
            node = (sections.get("override") or sections.get("remove"))[0]  # type: ignore[index]
            self.err("E016", "`override` and `remove` change a base model, but this spec extends none", node,
                     "add `extends: path/to/base.yaml` (or `extends: stockflow:girfec`)")
        if self.errors:
            raise SpecError(self.errors)
        calibrate = None
        if "calibrate" in sections:  # read by `stockflow calibrate`; kept as text here for `format`
            node = sections["calibrate"][1]
            first, end = node.start_mark, node.end_mark
            last = end.line - 1 if end.column == 0 else end.line
            # the first line from the value's column (after `calibrate:` when written on one line)
            lines = [" " * first.column + self.lines[first.line][first.column:]] + self.lines[first.line + 1:last + 1]
            calibrate = "\n" * first.line + "\n".join(lines) + "\n"
        return A.Spec(model, time, tuple(decls), self.file, extends, overrides, removals, extends_span,
                      calibrate=calibrate)

    def overrides(self, entry: tuple[ScalarNode, Node] | None) -> tuple[A.Override, ...]:
        if entry is None:
            return ()
        out = []
        for key, node in self.mapping(entry[1], "`override`"):
            allowed = OVERRIDE_KEYS
            props: dict[str, Node] = {}
            if isinstance(node, ScalarNode) and node.value != "":  # `rate_u_a: 0.09`: the main value, as `parameters:` reads it
                props["value"] = node
            for k, v in self.mapping(node, f"`{key.value}`") if not props else ():
                if k.value not in allowed:
                    self.err("E003", f"unknown key `{k.value}` in an override", k,
                             did_you_mean(k.value, allowed) or "allowed: " + ", ".join(allowed))
                    continue
                props[k.value] = v
            value_keys = [k for k in ("value", "initial", "equation", "rate", "condition") if k in props]
            if len(value_keys) > 1:
                self.err("E003", f"`{key.value}` sets both `{value_keys[0]}` and `{value_keys[1]}`", key,
                         "give the one that fits its kind")
            vk = value_keys[0] if value_keys else None
            elements = None
            if vk and isinstance(props[vk], MappingNode):  # a whole array's new table of elements
                value, cases = cases_of(self, props[vk], f"`{vk}`")
                elements = A.ArrayPart((), None, cases, value is not None)
            else:
                value = self.expr(props[vk], f"`{vk}`") if vk else None
            if "table" in props:
                if vk:
                    self.err("E003", f"`{key.value}` sets both `{vk}` and `table`", key, "give one")
                elements = A.ArrayPart((), None, (), True, self.string(props["table"], "`table`"),
                                       self.span(props["table"]))
            out.append(A.Override(
                str(key.value), value, vk, self.unit(props["units"]) if "units" in props else None,
                self.tags(props["tags"]) if "tags" in props else None,
                self.bounds(props["bounds"]) if "bounds" in props else None,
                self.flag(props["non_negative"], "`non_negative`") if "non_negative" in props else None,
                self.doc(props), self.span(key),
                self.bounds(props["during"]) if "during" in props else None, None,
                self.points(props["points"]) if "points" in props else None,
                self.span(props["points"]) if "points" in props else None, elements))
        return tuple(out)

    def removals(self, entry: tuple[ScalarNode, Node] | None) -> tuple[A.Removal, ...]:
        if entry is None:
            return ()
        node = entry[1]
        if isinstance(node, ScalarNode) and node.value:  # `remove: moving_in`: one name
            return (A.Removal(str(node.value), self.span(node)),)
        if not isinstance(node, SequenceNode):
            self.err("E003", "`remove` must be a list of names", node, "e.g. `remove: [births, moving_in]`")
            return ()
        return tuple(A.Removal(str(n.value), self.span(n)) for n in node.value if isinstance(n, ScalarNode))

    def model(self, entry: tuple[ScalarNode, Node] | None) -> A.ModelInfo:
        from pathlib import Path

        stem = Path(self.file).stem
        if entry is None:
            return A.ModelInfo(stem)
        key, node = entry
        if isinstance(node, ScalarNode):
            return A.ModelInfo(str(node.value), None, None, self.span(key))
        props = self.props(node, "model", "`model`")
        name = self.string(props["name"], "`name`") if "name" in props else stem
        title = self.string(props["title"], "`title`") if "title" in props else None
        desc = self.string(props["description"], "`description`") if "description" in props else None
        return A.ModelInfo(name or stem, title, desc, self.span(key))

    def time(self, entry: tuple[ScalarNode, Node] | None, required: bool = True) -> A.TimeSpec | None:
        if entry is None:
            if not required:
                return None
            self.err("E050", "the spec has no `time` section", Span(self.file, 1, 1, 1, 2),
                     "add `time: {start: 0, stop: 10, dt: 0.25, units: year}`")
            return None
        key, node = entry
        values: dict[str, tuple[Any, Any]] = {}
        for k, v in self.mapping(node, "`time`"):
            if k.value not in TIME_KEYS:
                self.err("E003", f"unknown time setting `{k.value}`", k,
                         did_you_mean(k.value, TIME_KEYS) or "use " + ", ".join(TIME_KEYS))
                continue
            raw = self.scalar(v) if isinstance(v, ScalarNode) else v
            values[k.value] = (raw, v)
        return time_spec(values, self.span(key), self, ": ")

    def props(self, node: Node, section: str, what: str) -> dict[str, Node]:
        out: dict[str, Node] = {}
        allowed = _KEYS[section]
        pairs = self.mapping(node, what)
        if self.misplaced(pairs, section, what):
            return {}
        unknown = [(k, v) for k, v in pairs if k.value not in allowed]
        out = {str(k.value): v for k, v in pairs if k.value in allowed}
        missing = [k for k in _REQUIRED.get(section, ()) if k not in out]
        if len(unknown) == 1 and len(missing) == 1 and closest(str(unknown[0][0].value), allowed) in (None, missing[0]):
            # `rate:` or `expr:` where `equation:` is missing: one slip, one error, and what
            # it holds is still read so that its own faults show
            (k, v), want = unknown[0], missing[0]
            self.err("E003", f"unknown key `{k.value}` in {what}, which lacks `{want}`", k,
                     f"write `{want}:` in place of `{k.value}:`")
            out[want] = v
            return out
        for k, _ in unknown:
            self.err("E003", f"unknown key `{k.value}` in {what}", k,
                     did_you_mean(k.value, allowed) or "allowed: " + ", ".join(allowed))
        return out

    def section_entries(self, name: str, node: Node) -> list[tuple[ScalarNode, Node]]:
        """A section's `name: ...` entries. `units: [child, GBP]` lists units without
        definitions, as `units: {child: , GBP: }` does; a section written as a list of
        entries (`- kids: ...`) is told how to write it."""
        if isinstance(node, SequenceNode) and name == "units" and all(isinstance(x, ScalarNode) for x in node.value):
            return [(x, ScalarNode("tag:yaml.org,2002:null", "", x.start_mark, x.end_mark)) for x in node.value]
        if isinstance(node, SequenceNode):
            self.err("E003", f"`{name}` must be a mapping of `name: ...` lines, not a list", node,
                     f"write each entry under `{name}:` as `name: {{...}}`, without the `- `")
            return []
        return self.mapping(node, f"`{name}`")

    def misplaced(self, pairs: list[tuple[ScalarNode, Node]], section: str, what: str) -> bool:
        """An entry whose keys are all another kind's and not this section's (a flow indented
        under `scenarios:`): one error saying where it belongs, not one per key."""
        keys = {str(k.value) for k, _ in pairs}
        strangers = keys - set(_KEYS[section])
        if len(strangers) < 2:
            return False
        home = [sec for sec in DECL_SECTIONS if sec != section and keys <= set(_KEYS[sec])]
        if len(home) != 1:
            return False
        self.err("E003", f"{what} is under `{section}:`, but its keys ({', '.join(sorted(strangers))}) are "
                 f"{a_noun(BY_SECTION[home[0]].noun)}'s", pairs[0][0], f"move it under `{home[0]}:`")
        return True

    def decl(self, section: str, key: ScalarNode, node: Node) -> A.Decl | None:
        name = str(key.value)
        span = self.span(key)
        what = f"`{name}`"
        # Shorthands: `name: expression` for auxiliaries and metrics, `name: number` for parameters.
        if isinstance(node, ScalarNode) and section in ("auxiliaries", "metrics"):
            props: dict[str, Node] = {"equation": node}
        elif isinstance(node, ScalarNode) and section == "expectations":
            props = {"condition": node}
        elif isinstance(node, ScalarNode) and section == "parameters":
            props = {"value": node}
        elif isinstance(node, ScalarNode) and section == "units":
            if node.tag.endswith(":null") or node.value == "":
                props = {}
            else:
                props = {"definition": node}
        elif isinstance(node, SequenceNode) and section == "groups":
            props = {"stocks": node}
        elif section == "dimensions":
            return dim_decl(self, name, node, span)
        else:
            props = self.props(node, section, what)
        missing = [k for k in _REQUIRED.get(section, ()) if k not in props]
        if missing:
            self.err("E003", f"{what} lacks `{missing[0]}`", key, f"add `{missing[0]}:` under {what}")
            return None
        if self.table_inside(section, props, what):
            return None
        units = self.unit(props["units"]) if "units" in props else None
        doc = self.doc(props) if section != "units" else A.Doc()
        dims = dims_of(self, props["dims"]) if "dims" in props else ()
        where = self.expr(props["where"], "`where`") if "where" in props else None
        if where is not None and not dims:
            self.err("E092", f"`where` picks elements, but {what} has no `dims`", props["where"], "add `dims: [level]`")

        def value(key: str) -> tuple[A.Expr, A.ArrayPart | None]:
            default, cases = main_value(self, props[key], f"`{key}`", bool(dims))
            array = A.ArrayPart(dims, where, cases, default is not None) if dims else None
            return default if default is not None else A.Num(0.0, None, span), array

        if section == "units":
            definition = self.unit(props["definition"]) if "definition" in props else None
            desc = self.string(props["description"], "`description`") if "description" in props else None
            return A.UnitDecl(name, definition, desc, span)
        if section == "stocks":
            nn = self.flag(props["non_negative"], "`non_negative`") if "non_negative" in props else False
            if "table" not in props and "initial" not in props:
                self.err("E003", f"{what} lacks `initial`", key, f"add `initial:` under {what}"
                         + (", or `table: FILE.csv` to read each element's from a CSV file" if dims else ""))
                return None
            if "table" in props:
                return self.stock_table(name, props, units, nn, doc, span, dims, where)
            initial, array = value("initial")
            return A.StockDecl(name, initial, units, nn, doc, span, array)
        if section == "flows":
            src, src_at = endpoint(self, props.get("from"))
            dst, dst_at = endpoint(self, props.get("to"))
            tags = self.tags(props["tags"]) if "tags" in props else ()
            nn = self.flag(props["non_negative"], "`non_negative`") if "non_negative" in props else False
            rate, array = value("rate")
            return A.FlowDecl(name, src, dst, rate, units, tags, nn, doc, span,
                              self.span(props["from"]) if "from" in props else span,
                              self.span(props["to"]) if "to" in props else span, array, src_at, dst_at)
        if section == "auxiliaries":
            equation, array = value("equation")
            return A.AuxDecl(name, equation, units, doc, span, array)
        if section == "metrics":
            return A.MetricDecl(name, self.expr(props["equation"], "`equation`"), units, doc, span)
        if section == "parameters":
            return self.param(name, props, units, doc, span, dims)
        if section == "lookups":
            return self.lookup(name, props, units, doc, span, A.ArrayPart(dims, where, (), True) if dims else None)
        if section == "scenarios":
            return self.scenario(name, props, doc, span)
        if section == "expectations":
            during = self.bounds(props["during"]) if "during" in props else None
            under = self.string(props["under"], "`under`") if "under" in props else None
            return A.ExpectDecl(name, self.expr(props["condition"], "`condition`"), during, doc, span, under)
        if section == "groups":
            members = props["stocks"]
            if not isinstance(members, SequenceNode):
                self.err("E003", "`stocks` of a group must be a list", members, "e.g. `[a, b, c]`")
                return None
            names = tuple(str(m.value) if isinstance(m, ScalarNode) else "" for m in members.value)
            return A.GroupDecl(name, names, doc, span, tuple(self.span(m) for m in members.value))
        raise AssertionError(section)

    def table_inside(self, section: str, props: dict[str, Node], what: str) -> bool:
        """`initial: {table: start.csv}`: the file named inside the value, where `table:`
        would be read as an element's name; it goes in place of the value."""
        key = {"stocks": "initial", "parameters": "value"}.get(section)
        inside = props.get(key) if key else None
        if not (isinstance(inside, MappingNode) and any(getattr(k, "value", None) == "table" for k, _ in inside.value)):
            return False
        self.err("E003", f"`table:` goes in place of `{key}:`, not inside it", inside,
                 f"write `table: FILE.csv` under {what}, beside `units:`")
        return True

    def stock_table(self, name: str, props: dict[str, Node], units: A.UnitExpr | None, nn: bool, doc: A.Doc,
                    span: Span, dims: tuple[A.DimRef, ...], where: A.Expr | None) -> A.StockDecl | None:
        """An arrayed stock whose initial values are read from a CSV file, as a parameter's are."""
        table = self.string(props["table"], "`table`")
        if "initial" in props:
            self.err("E003", f"`{name}` sets both `initial` and `table`", props["table"], "give one")
            return None
        if not dims:
            self.err("E092", f"`{name}` reads a table but has no `dims`", props["table"], "add `dims: [level]`")
            return None
        array = A.ArrayPart(dims, where, (), True, table, self.span(props["table"]))
        return A.StockDecl(name, A.Num(0.0, None, span), units, nn, doc, span, array)

    def param(self, name: str, props: dict[str, Node], units: A.UnitExpr | None, doc: A.Doc, span: Span,
              dims: tuple[A.DimRef, ...]) -> A.ParamDecl | None:
        bounds = self.bounds(props["bounds"]) if "bounds" in props else None
        table = self.string(props["table"], "`table`") if "table" in props else None
        if table is not None and not dims:
            self.err("E092", f"`{name}` reads a table but has no `dims`", props["table"], "add `dims: [level]`")
        if "value" not in props and table is None:
            self.err("E003", f"`{name}` lacks `value`", span, f"add `value:` under `{name}`")
            return None
        number: float | None = None
        cases: tuple[A.Case, ...] = ()
        if "value" in props and isinstance(props["value"], MappingNode):
            default, cases = main_value(self, props["value"], "`value`", bool(dims))
            number = _number_of(self, default) if default is not None else None
            for c in cases:
                _number_of(self, c.value)
        elif "value" in props:
            number = self.number(props["value"], "`value`")
        where = self.expr(props["where"], "`where`") if "where" in props else None
        array = (A.ArrayPart(dims, where, cases, number is not None or table is not None, table,
                             self.span(props["table"]) if table else None) if dims else None)
        return A.ParamDecl(name, number if number is not None else 0.0, units, bounds, doc, span,
                           self.span(props["value"]) if "value" in props else span, array)

    def scenario(self, name: str, props: dict[str, Node], doc: A.Doc, span: Span) -> A.ScenarioDecl:
        title = self.string(props["title"], "`title`") if "title" in props else None
        extends = self.string(props["extends"], "`extends`") if "extends" in props else None
        counts = {}
        for key in ("draws", "seed"):
            if key in props:
                value = self.number(props[key], f"`{key}`")
                if value != int(value) or value < 0:
                    self.err("E053", f"`{key}` must be a whole number", props[key], f"e.g. `{key}: 100`")
                counts[key] = int(value)
        lhs = self.flag(props["latin_hypercube"], "`latin_hypercube`") if "latin_hypercube" in props else False
        report = self.tags(props["report"]) if "report" in props else ()
        from_fit = self.string(props["sample_from_fit"], "`sample_from_fit`") if "sample_from_fit" in props else None
        return A.ScenarioDecl(name, title, extends, tuple(self.scenario_sets(props)),
                              tuple(self.scenario_scales(props)), doc, span, tuple(self.scenario_sweeps(props)),
                              tuple(self.scenario_samples(props)), counts.get("draws"), counts.get("seed"), lhs,
                              report, from_fit)

    def scenario_sets(self, props: dict[str, Node]) -> list[A.ScenarioSet]:
        sets: list[A.ScenarioSet] = []
        if "set" in props:
            for k, v in self.mapping(props["set"], "`set`"):
                name = str(k.value)
                if isinstance(v, MappingNode):  # {value: 1, from: 2, over: 3, until: 8}, or a table
                    p = dict((kk.value, vv) for kk, vv in self.mapping(v, f"`{name}`"))
                    timing = {"from", "over", "until"}
                    if "value" not in p and not set(p) & timing:  # {kinship: 0.45, else: 0.3}
                        sets += self.set_table(name, v, self.span(k), A.Change())
                        continue
                    if set(p) - timing - {"value"} or "value" not in p:
                        self.err("E003", f"`{name}` needs `value` and may have from, over, until", v,
                                 "e.g. `{value: 1, from: 24, over: 12}`; a table of elements goes under "
                                 "`value:` when it changes from a time")
                        continue
                    sets += self.set_table(name, p["value"], self.span(k), self.change_of(p))
                else:
                    sets.append(A.ScenarioSet(name, self.number(v, f"`{name}`"), self.span(k)))
        return sets

    def set_table(self, name: str, node: Node, span: Span | None, change: A.Change) -> list[A.ScenarioSet]:
        """A number, or a table of elements: the array as a whole for `else` (the rest), then
        each element named, which overrides it."""
        if not isinstance(node, MappingNode):
            return [A.ScenarioSet(name, self.number(node, "`value`"), span, change)]
        if "[" in name:
            self.err("E092", f"a table sets elements of a whole array, but `{name}` is one element", node,
                     f"write `{name.split('[')[0]}: {{...}}`, or give `{name}` one number")
            return []
        default, entries = keyed(self, node, f"`{name}`", lambda v, k: self.number(v, f"`{name}[{k}]`"))
        return table_sets(name, span, change, default, entries, self.err)

    def scenario_scales(self, props: dict[str, Node]) -> list[A.ScenarioScale]:
        scales: list[A.ScenarioScale] = []
        node = props.get("scale")
        if node is not None and not isinstance(node, SequenceNode):
            self.err("E003", "`scale` must be a list", node, "e.g. `scale: [{flows: escalation, by: 0.9}]`")
        elif node is not None:
            for item in node.value:
                p = {}
                for k, v in self.mapping(item, "a scaling"):
                    if k.value not in ("flows", "by", "from", "over", "until"):
                        self.err("E003", f"unknown key `{k.value}` in a scaling", k, "use flows, by, from, over, until")
                        continue
                    p[k.value] = v
                if "flows" not in p or "by" not in p:
                    self.err("E003", "a scaling needs `flows` (a flow name or a tag) and `by`", item,
                             "e.g. `{flows: escalation, by: 0.9}`")
                    continue
                change = self.change_of(p)
                scales.append(A.ScenarioScale(self.string(p["flows"], "`flows`") or "", self.number(p["by"], "`by`"),
                                              change, self.span(p["flows"])))
        return scales

    def scenario_sweeps(self, props: dict[str, Node]) -> list[A.Sweep]:
        sweeps: list[A.Sweep] = []
        if "sweep" in props:
            for k, v in self.mapping(props["sweep"], "`sweep`"):
                if not isinstance(v, SequenceNode) or not v.value:
                    self.err("E003", f"`{k.value}` must be swept over a list of numbers", v, "e.g. `[0.3, 0.6]`")
                    continue
                sweeps.append(A.Sweep(str(k.value), tuple(self.number(x, "a value") for x in v.value), self.span(k)))
        return sweeps

    def scenario_samples(self, props: dict[str, Node]) -> list[A.Sample]:
        samples: list[A.Sample] = []
        if "sample" in props:
            for k, v in self.mapping(props["sample"], "`sample`"):
                text = self.string(v, "a distribution") or ""
                m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\((.*)\)\s*", text)
                try:
                    args = tuple(float(a) for a in m.group(2).split(",")) if m else None
                except ValueError:
                    args = None
                if m is None or args is None:
                    self.err("E003", f"cannot read the distribution of `{k.value}`: `{text}`", v,
                             "e.g. `uniform(12, 24)` or `normal(0.6, 0.1)`")
                    continue
                samples.append(A.Sample(str(k.value), m.group(1), args, self.span(k)))
        return samples

    def change_of(self, p: dict[str, Node]) -> A.Change:
        return A.Change(*(self.number(p[k], f"`{k}`") if k in p else None for k in ("from", "over", "until")))

    def endpoint(self, node: Node | None) -> str | None:
        if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
            return None
        s = self.string(node, "a flow end")
        return None if s in (None, "outside") else s

    def tags(self, node: Node) -> tuple[str, ...]:
        if isinstance(node, ScalarNode):
            return (str(node.value),)
        if isinstance(node, SequenceNode):
            return tuple(str(t.value) for t in node.value if isinstance(t, ScalarNode))
        self.err("E003", "`tags` must be a list of words", node)
        return ()

    def lookup(self, name: str, props: dict[str, Node], units: A.UnitExpr | None, doc: A.Doc,
               span: Span, array: A.ArrayPart | None) -> A.LookupDecl | None:
        node = props["points"]
        tables: list[A.LookupCase] = []
        pts: tuple[tuple[float, float], ...] | None = ()
        pspan = self.span(node)
        if isinstance(node, MappingNode):  # an arrayed lookup's table per element, `else` for the rest
            if array is None:
                self.err("E092", "`points` is a table of elements, but the lookup has no `dims`", node,
                         "add `dims: [level]`")
                return None
            default, entries = keyed(self, node, "`points`", lambda v, _k: (self.points(v), self.span(v)))
            if (default is not None and default[0] is None) or any(v[0] is None for _, v, _ in entries):
                return None  # a bad list of points, reported
            pts, pspan = default if default is not None else ((), pspan)
            tables = [A.LookupCase(k, v[0] or (), sp) for k, v, sp in entries]
            array = replace(array, has_default=bool(pts))
        else:
            pts = self.points(node)
            if pts is None:
                return None
        x_units = self.unit(props["x_units"]) if "x_units" in props else None
        interp = self.choice(props.get("interpolation"), A.Interpolation, A.Interpolation.LINEAR)
        extrap = self.choice(props.get("extrapolation"), A.Extrapolation, A.Extrapolation.CLAMP)
        return A.LookupDecl(name, pts, units, x_units, interp, extrap, doc, span, pspan,  # type: ignore[arg-type]
                            array, tuple(tables))

    def points(self, node: Node) -> tuple[tuple[float, float], ...] | None:
        if not isinstance(node, SequenceNode):
            self.err("E052", "`points` must be a list of [x, y] pairs", node, "e.g. `[[0, 0], [1, 0.5]]`")
            return None
        if len(node.value) > 10 * MAX_LOOKUP_POINTS:  # resolve gives the limit; this only spares the work
            self.err("E006", f"{len(node.value):,} lookup points; the limit is {MAX_LOOKUP_POINTS:,}", node)
            return None
        pts: list[tuple[float, float]] = []
        for p in node.value:
            if not isinstance(p, SequenceNode) or len(p.value) != 2:
                self.err("E052", "each lookup point must be a pair [x, y]", p, "e.g. `[0, 0.5]`")
                continue
            pts.append((self.number(p.value[0], "x"), self.number(p.value[1], "y")))
        return tuple(pts)

    def choice(self, node: Node | None, cls: type, default: object) -> object:
        if node is None:
            return default
        word = self.string(node, "this setting") or ""
        try:
            return cls(word)
        except ValueError:
            options = [m.value for m in cls]  # type: ignore[attr-defined]
            self.err("E003", f"unknown {cls.__name__.lower()} `{word}`", node,
                     did_you_mean(word, options) or "use one of " + ", ".join(options))
            return default


def _number_of(r: NodeReader, e: A.Expr) -> float:
    value = literal(e)
    if value is None:
        r.err("E010", "a parameter's value is a number", e.span, "compute it in an auxiliary instead")
    return value or 0.0


def _section_hint(word: str) -> str:
    """A model's name, title or description written at the top, as in other tools' files, belongs under `model:`."""
    if word in MODEL_KEYS:
        example = "model: {name: girfec}" if word == "name" else f"model: {{name: girfec, {word}: ...}}"
        return f"a model's {word} goes under `model:`, e.g. `{example}`"
    if word in ("set", "sets", "overrides", "change", "changes"):  # the DSL's word for it
        return "a change to the base model is written under `override:`, e.g. `override: {NAME: VALUE}`"
    return did_you_mean(word, SECTIONS) or "sections: " + ", ".join(SECTIONS)
