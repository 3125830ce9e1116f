"""The calibration spec: which data, which model variables they observe, which parameters to
estimate. Written as a YAML file that names its model, or as a `calibrate:` section of a
YAML spec. Every value keeps its place in the file for error messages."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..base.diagnostics import Span, SpecError, printable
from ..base.hints import did_you_mean
from .yaml_nodes import NodeReader, compose, glued_colons

NOISE = ("normal", "poisson", "negative_binomial")
PRIORS = {"normal": 2, "lognormal": 2, "uniform": 2}
_TOP = ("model", "time_origin", "data", "observe", "estimate", "starts", "seed")
_DATA = ("file", "layout", "time", "series", "value", "unit", "prefer", "year_end", "where")
_OBS = ("stock", "flow", "aux", "rate", "series", "over", "noise", "sd", "cv", "dispersion", "weight", "unit", "by")
_EST = ("bounds", "prior", "start")


@dataclass(frozen=True)
class Prefer:
    """Revised figures: where one (series, time) has several rows, keep the row whose `column`
    starts with `keep`; rows starting with `drop` are left out."""

    column: str
    keep: str
    drop: str | None


@dataclass(frozen=True)
class DataSource:
    file: str  # resolved path
    layout: str  # tidy: one row per value; wide: one column per series
    time: str
    series: str | None
    value: str | None
    unit: str | None  # a column with each value's unit, checked against `observe.unit`
    prefer: Prefer | None
    span: Span
    year_end: tuple[int, int] | None = None  # (month, day): a time cell `2019/2020` or `2019-20` is that day of 2020
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, values kept): rows of one area of many


@dataclass(frozen=True)
class Observation:
    series: str  # the observation's name, which is the series' name in the data unless `named` says
    kind: str  # stock, flow (a total over a period), rate (a flow's instantaneous rate) or aux
    target: str  # the model variable
    over: tuple[float, str] | None  # flows: totals over this long (number, unit or None = model unit)
    noise: str
    sd: float | str | None  # a number, "estimate", or None (with cv)
    cv: float | None
    dispersion: float | str | None
    weight: float
    unit: str | None
    span: Span
    named: str | None = None  # `series:` the name in the data (a column, or a tidy file's series)
    by: tuple[tuple[str, str], ...] = ()  # (dimension, column): an array's elements read from columns
    cells: tuple[tuple[str, str], ...] = ()  # one element's (column, element) pairs, from `by`
    noise_of: str | None = None  # an element of an array whose elements share one estimated sd or dispersion

    @property
    def noise_name(self) -> str:
        """The name its estimated noise level goes by: `sd of children`, shared by the elements."""
        return self.noise_of or self.series

    @property
    def source(self) -> str:
        """The series' name in the data."""
        return self.series if self.named is None else self.named

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What picks its rows: the series' name, and the cells of the columns `by` reads."""
        return self.source, self.cells


@dataclass(frozen=True)
class Estimate:
    name: str
    bounds: tuple[float, float] | None
    prior: tuple[str, tuple[float, ...]] | None
    start: float | None
    span: Span


@dataclass(frozen=True)
class Calibration:
    file: str
    model: str  # path of the model spec
    time_origin: dt.date | None  # the date at the model's start time (for dated data)
    data: tuple[DataSource, ...]
    observe: tuple[Observation, ...]
    estimate: tuple[Estimate, ...]
    starts: int
    seed: int


def read_calibration(text: str, file: str, model: str | None = None) -> Calibration:
    """A calibration file, a YAML spec with a `calibrate:` section, or (with `model`) the body
    of a DSL `calibrate { ... }` block."""
    root = compose(text, file)
    glued = glued_colons(root, file)
    if glued:
        raise SpecError(glued)
    r = _Reader(file, text)
    cal = r.read(root, model)
    if r.errors:
        raise SpecError(r.errors)
    return cal


class _Reader(NodeReader):
    def read(self, root: Node | None, block_of: str | None = None) -> Calibration:
        if not isinstance(root, MappingNode):
            self.err("E080", "a calibration file is a mapping with `model`, `data`, `observe` and `estimate`",
                     root or Span(self.file, 1, 1, 1, 2))
            raise SpecError(self.errors)
        top = dict((k.value, (k, v)) for k, v in self.mapping(root, "the file"))
        inline = "calibrate" in top or block_of is not None
        if block_of is not None:  # the body of a DSL calibrate block
            body = {k: v for k, (_, v) in top.items()}
            keys = [k for k, _ in top.values()]
            model = block_of
        elif inline:  # a YAML spec with a calibrate: section
            section = top["calibrate"][1]
            body = {k.value: v for k, v in self.mapping(section, "`calibrate`")}
            keys = [k for k, _ in self.mapping(section, "`calibrate`")]
            model = self.file
        else:
            body = {k: v for k, (_, v) in top.items()}
            keys = [k for k, _ in top.values()]
            model = ""
        for k in keys:
            if k.value not in _TOP or (inline and k.value == "model"):
                self.err("E080", f"unknown key `{k.value}` in a calibration", k,
                         did_you_mean(k.value, _TOP) or "keys: " + ", ".join(_TOP))
        if not inline:
            if "model" not in body:
                self.err("E080", "the calibration does not name its `model`", root, "add `model: path/to/spec.sfm`")
                raise SpecError(self.errors)
            model = self.path(body["model"], "`model`")
        for need in ("data", "observe", "estimate"):
            if need not in body:
                self.err("E080", f"the calibration has no `{need}`", root, f"add a `{need}:` section")
        if self.errors:
            raise SpecError(self.errors)
        origin = self.date(body["time_origin"]) if "time_origin" in body else None
        data = tuple(self.source(n) for n in self.items(body["data"], "`data`"))
        observe = tuple(self.observation(k, v) for k, v in self.mapping(body["observe"], "`observe`"))
        estimate = tuple(self.estimate_(k, v) for k, v in self.mapping(body["estimate"], "`estimate`"))
        starts = int(self.number(body["starts"], "`starts`")) if "starts" in body else 4
        seed = int(self.number(body["seed"], "`seed`")) if "seed" in body else 0
        if not 1 <= starts <= 1000:
            self.err_unless_told("E080", "`starts` must be between 1 and 1000", body["starts"])
        if not 0 <= seed < 2**63:
            self.err("E080", "`seed` must be a whole number from 0 to 2^63 - 1", body["seed"])
            seed = 0
        return Calibration(self.file, model, origin, data, observe, estimate, starts, seed)

    def items(self, node: Node, what: str) -> list[Node]:
        if isinstance(node, MappingNode):
            return [node]
        if not isinstance(node, SequenceNode):
            self.err("E080", f"{what} must be a list of data files", node)
            return []
        return list(node.value)

    def path(self, node: Node, what: str) -> str:
        """A file the calibration names, relative to it and inside the folders it may read."""
        from ..base.files import allowed_roots, check_named

        text = self.string(node, what) or ""
        base = Path(self.file).parent if not self.file.startswith("<") else Path.cwd()
        try:
            return check_named(str(base / text) if "://" not in text else text, allowed_roots(self.file),
                               self.span(node), what.strip("`"))
        except SpecError as exc:
            self.errors.extend(exc.diagnostics)
            return str(base / text)

    def date(self, node: Node) -> dt.date | None:
        value = self.scalar(node)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.err("E080", f"`{value}` is not a date", node, "write it as YYYY-MM-DD")
            return None

    def props(self, node: Node, allowed: tuple[str, ...], what: str) -> dict[str, Node]:
        out = {}
        for k, v in self.mapping(node, what):
            if k.value not in allowed:
                named = "series" in allowed and k.value in ("column", "name", "data", "header")
                self.err("E080", f"unknown key `{k.value}` in {what}", k,
                         "the series' name in the data (a column's header) is `series: ...`" if named
                         else did_you_mean(k.value, allowed) or "keys: " + ", ".join(allowed))
            out[k.value] = v
        return out

    def text(self, p: dict[str, Node], key: str, default: str | None = None) -> str | None:
        return self.string(p[key], f"`{key}`") if key in p else default

    def source(self, node: Node) -> DataSource:
        p = self.props(node, _DATA, "a data source")
        if "file" not in p:
            self.err("E080", "a data source needs its `file`", node, "add `file: data.csv`")
        layout = self.text(p, "layout", "tidy")
        if layout not in ("tidy", "wide"):
            self.err("E080", f"`layout` is tidy or wide, not `{layout}`", p["layout"])
        prefer = None
        if "prefer" in p:
            q = self.props(p["prefer"], ("column", "keep", "drop"), "`prefer`")
            if "column" not in q or "keep" not in q:
                self.err("E080", "`prefer` needs `column` and `keep`", p["prefer"],
                         "e.g. {column: note, keep: PREFERRED, drop: SUPERSEDED}")
            else:
                prefer = Prefer(self.text(q, "column") or "", self.text(q, "keep") or "", self.text(q, "drop"))
        if layout == "tidy" and ("series" not in p or "value" not in p):
            self.err("E080", "tidy data need `series` (the column naming each series) and `value`", node)
        return DataSource(self.path(p["file"], "`file`") if "file" in p else "", layout or "tidy",
                          self.text(p, "time", "time") or "time", self.text(p, "series"), self.text(p, "value"),
                          self.text(p, "unit"), prefer, self.span(node),
                          self.month_day(p["year_end"]) if "year_end" in p else None,
                          self.where(p["where"]) if "where" in p else ())

    def where(self, node: Node) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """`where: {area: Dundee City}`: keep the rows whose `area` is one of the values given."""
        out = []
        for k, v in self.mapping(node, "`where`"):
            values = v.value if isinstance(v, SequenceNode) else [v]
            cells = [str(x.value) for x in values if isinstance(x, ScalarNode) and str(x.value).strip()]
            if len(cells) != len(values) or not cells:
                self.err("E080", f"`where: {{{k.value}: ...}}` takes a value of the column, or a list of them", v,
                         f"e.g. `where: {{{k.value}: Dundee City}}`")
                continue
            out.append((k.value, tuple(cells)))
        return tuple(out)

    def by(self, node: Node) -> tuple[tuple[str, str], ...]:
        """`by: {authority: area}`: each element of `authority` reads the rows whose `area` names
        it; `by: area` for an array of one dimension."""
        if isinstance(node, ScalarNode):
            return (("", str(node.value)),) if str(node.value).strip() else ()
        out = [(k.value, self.string(v, f"`by.{k.value}`") or "") for k, v in self.mapping(node, "`by`")]
        if not out:
            self.err("E080", "`by` names the column each dimension's elements are read from", node,
                     "e.g. `by: {authority: area}`")
        return tuple(out)

    def month_day(self, node: Node) -> tuple[int, int] | None:
        """`year_end: 07-31`: the day of the year a year's value stands for (31 July)."""
        text = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
        try:
            if m is not None and dt.date(2000, int(m.group(1)), int(m.group(2))):  # a leap year: 02-29 is a day
                return int(m.group(1)), int(m.group(2))
        except ValueError:
            pass
        self.err("E080", f"`year_end` is a month and day, MM-DD, not `{printable(text)}`", node,
                 "e.g. `year_end: 07-31` for values that stand for 31 July, `03-31` for a financial year's end")
        return None

    def observation(self, key: ScalarNode, node: Node) -> Observation:
        p = self.props(node, _OBS, f"`observe.{key.value}`")
        kinds = [k for k in ("stock", "flow", "aux", "rate") if k in p]
        if len(kinds) != 1:
            self.err("E080", f"`{key.value}` must name one model variable: `stock:`, `flow:` (its total over "
                     "each period), `rate:` (a flow's instantaneous rate) or `aux:`", node,
                     "e.g. `stock: looked_after`")
            kinds = ["stock"]
        kind = kinds[0]
        target = self.text(p, kind, "") or ""
        noise = self.text(p, "noise", "normal") or "normal"
        if noise not in NOISE:
            self.err("E080", f"unknown noise model `{noise}`", p.get("noise", node), "one of: " + ", ".join(NOISE))
        sd = self.number_or_estimate(p["sd"], "`sd`") if "sd" in p else None
        cv = self.number(p["cv"], "`cv`") if "cv" in p else None
        if noise == "normal" and sd is None and cv is None:
            sd = "estimate"
        disp = self.number_or_estimate(p["dispersion"], "`dispersion`") if "dispersion" in p else (
            "estimate" if noise == "negative_binomial" else None)
        over = None
        if kind == "rate" and "over" in p:
            self.err("E080", f"`{key.value}` is an instantaneous rate, which covers no period: drop `over`, or "
                     "observe the total with `flow:` and `over:`", p["over"], "e.g. `rate: starting`")
        if kind == "flow":
            if "over" not in p:
                self.err("E080", f"flow observation `{key.value}` needs `over`: the period each total covers",
                         node, "e.g. `over: 1 year`")
            else:
                over = self.period(p["over"])
        weight = self.number(p["weight"], "`weight`") if "weight" in p else 1.0
        for what, value in (("weight", weight), ("cv", cv), ("sd", sd if isinstance(sd, float) else None),
                            ("dispersion", disp if isinstance(disp, float) else None)):
            if value is not None and not (math.isfinite(value) and value > 0):  # a fit would "converge" to nonsense
                self.err_unless_told("E080", f"`{what}` of `{key.value}` must be a positive finite number, not "
                                     f"{value:g}", p.get(what, node),
                                     f"e.g. `{what}: 1`" if what == "weight" else f"e.g. `{what}: 0.05`")
        if over is not None and not (math.isfinite(over[0]) and over[0] > 0):
            self.err("E080", f"the period `over` of `{key.value}` must be positive", p.get("over", node),
                     "e.g. `over: 1 year`")
        return Observation(key.value, kind, target, over, noise, sd, cv, disp, weight, self.text(p, "unit"),
                           self.span(key), self.text(p, "series"), self.by(p["by"]) if "by" in p else ())

    def number_or_estimate(self, node: Node, what: str) -> float | str:
        if isinstance(node, ScalarNode) and node.value in ("estimate", "shared"):
            return str(node.value)  # shared: one value for all of an array's elements
        v = self.number(node, what)
        if v <= 0:
            self.err_unless_told("E080", f"{what} must be positive", node)
        return v

    def period(self, node: Node) -> tuple[float, str] | None:
        if isinstance(node, ScalarNode) and node.tag.endswith((":int", ":float")):
            return float(self.scalar(node)), ""
        parts = str(getattr(node, "value", "")).split()
        try:
            return float(parts[0]), (parts[1] if len(parts) > 1 else "")
        except (ValueError, IndexError):
            self.err("E080", "`over` is a length of time such as `1 year` or `12`", node)
            return None

    def estimate_(self, key: ScalarNode, node: Node) -> Estimate:
        if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
            return Estimate(key.value, None, None, None, self.span(key))
        p = self.props(node, _EST, f"`estimate.{key.value}`")
        bounds = self.bounds(p["bounds"]) if "bounds" in p else None
        if bounds is not None and not bounds[0] < bounds[1]:
            self.err("E080", "bounds must be [low, high] with low < high", p["bounds"])
        prior = None
        if "prior" in p:
            text = self.string(p["prior"], "`prior`") or ""
            name, _, rest = text.partition("(")
            try:
                args = tuple(float(a) for a in rest.rstrip(") ").split(",") if a.strip())
            except ValueError:
                args = ()
            if name.strip() not in PRIORS or len(args) != PRIORS.get(name.strip(), -1):
                self.err("E080", f"`{text}` is not a prior stockflow knows", p["prior"],
                         "normal(mean, sd), lognormal(mu, sigma) or uniform(low, high)")
            else:
                prior = (name.strip(), args)
        start = self.number(p["start"], "`start`") if "start" in p else None
        return Estimate(key.value, bounds, prior, start, self.span(key))


def is_calibration(text: str, file: str) -> bool:
    """Whether a YAML file is a calibration rather than a model: `observe` or `estimate` at the
    top and no `time`. Read as safely as a spec; a file that does not read is no calibration
    (it is then read as a spec, with its own error)."""
    try:
        root = compose(text, file)
    except SpecError:
        return False
    keys = {k.value for k, _ in root.value if isinstance(k, ScalarNode)} if isinstance(root, MappingNode) else set()
    return bool({"observe", "estimate"} & keys) and "time" not in keys
