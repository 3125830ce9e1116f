"""Arrays: dimensions, arrayed declarations in both forms, subscripts, reductions, `where`,
tables from CSV, element references in scenarios, element columns in results; the arrayed
GIRFEC model gives today's hand-written trajectories; errors say what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import stockflow
from stockflow.compiler.base.diagnostics import SpecError
from stockflow.compiler.pipeline import parse_source, read_source
from stockflow.compiler.read.dsl import parse_dsl
from stockflow.compiler.read.yaml_reader import parse_yaml
from stockflow.compiler.write.format import format_dsl, format_yaml

from conftest import ROOT

SCALAR = ROOT / "specs" / "girfec" / "girfec.sfm"
ARRAYED = ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm"
LEVELS = ("universal", "additional", "targeted", "intensive")

HEAD = """model m
time { start 0 stop 10 dt 0.25 units year }
unit child
"""


def errors_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(HEAD + text)
    return [(d.code, d.message + " | " + (d.hint or "")) for d in exc.value.diagnostics]


# ---------------------------------------------------------------- the arrayed GIRFEC model
@pytest.fixture(scope="module")
def pair() -> tuple[stockflow.Model, stockflow.Model]:
    return stockflow.load(SCALAR), stockflow.load(ARRAYED)


def test_arrayed_girfec_gives_the_hand_written_trajectories(pair: tuple[stockflow.Model, stockflow.Model]) -> None:
    scalar, arrayed = pair
    a, b = scalar.run(), arrayed.run()
    assert arrayed.expectations(b) == []
    for level in LEVELS:
        np.testing.assert_allclose(b[f"children[{level}]"], a[level], rtol=1e-12, atol=0)
    for name in ("total_cost", "care_cost", "quality_child_years", "average_quality", "intensive_peak",
                 "discounted_cost", "intensive_after_5_years"):
        assert b.metric(name) == pytest.approx(a.metric(name), rel=1e-12, abs=0)
    flows = {("universal", "additional"): "universal_to_additional", ("intensive", "targeted"): "intensive_to_targeted"}
    for (f, t), name in flows.items():
        kind = "escalation" if LEVELS.index(t) > LEVELS.index(f) else "deescalation"
        np.testing.assert_allclose(b[f"{kind}[{f},{t}]"], a[name], rtol=1e-12)
    assert b.conservation["girfec_levels"] < 1e-12


def test_tags_reach_every_element_and_the_group_every_stock(pair: tuple[stockflow.Model, stockflow.Model]) -> None:
    g = pair[1].checked.graph
    up = sorted(f.id for f in g.flows if "escalation" in f.tags)
    assert up == sorted(f"escalation[{a},{b}]" for i, a in enumerate(LEVELS) for b in LEVELS[i + 1:])
    assert g.groups[0].stocks == tuple(f"children[{x}]" for x in LEVELS)
    assert len([p for p in g.params if p.id.startswith("rate[")]) == 12  # `where from != to`


def test_results_carry_an_element_column_per_dimension(pair: tuple[stockflow.Model, stockflow.Model]) -> None:
    res = pair[1].run()
    df = res.to_frame()
    assert {"level", "from", "to"} <= set(df.columns)
    row = df[(df.variable == "children") & (df.level == "targeted") & (df.time == 0)]
    assert row.value.tolist() == [662.0]
    flow = df[(df.variable == "escalation") & (df["from"] == "universal") & (df["to"] == "additional")]
    assert flow.value.iloc[0] == pytest.approx(7480 * 0.07)
    assert res["children"].shape == (len(res.times), 4)
    assert "children[universal]" in res.wide().columns


# ---------------------------------------------------------------- the two forms
def test_both_forms_read_and_print_arrays_alike(tmp_path: Path) -> None:
    spec = parse_source(read_source(ARRAYED))
    dsl_text = format_dsl(spec)
    assert parse_dsl(dsl_text, "x.sfm") == spec
    yaml_text = format_yaml(spec)

    def by_kind(x: object) -> list[object]:  # YAML groups declarations by section
        return sorted(x.decls, key=lambda d: (type(d).__name__, d.name))  # type: ignore[attr-defined]

    assert by_kind(parse_yaml(yaml_text, "x.yaml")) == by_kind(spec)
    p = tmp_path / "girfec.yaml"
    p.write_text(yaml_text, encoding="utf-8")
    np.testing.assert_array_equal(stockflow.load(p).run().values, stockflow.load(ARRAYED).run().values)


YAML = """
model: {name: y}
time: {start: 0, stop: 4, dt: 1, units: year}
dimensions:
  band: [young, middle, old]
stocks:
  people:
    dims: [band]
    initial: {young: 30, else: 10}
flows:
  ageing:
    dims: [band]
    where: band != old
    from: people[band]
    to: people[band + 1]
    rate: people[band] * 0.5
parameters:
  w:
    dims: [band]
    value: {young: 1, middle: 2, old: 3}
auxiliaries:
  weighted: sum(people[band] * w[band])
"""


def test_yaml_arrays_with_where_and_offsets(tmp_path: Path) -> None:
    p = tmp_path / "y.yaml"
    p.write_text(YAML, encoding="utf-8")
    res = stockflow.load(p).run()
    x = np.array([30.0, 10.0, 10.0])
    for _ in range(4):  # Euler, dt 1, by hand
        move = 0.5 * x[:2]
        x = x + np.array([-move[0], move[0] - move[1], move[1]])
    np.testing.assert_allclose(res["people"][-1], x, rtol=1e-14)
    assert res["weighted"][-1] == pytest.approx(float(x @ [1, 2, 3]), rel=1e-14)


# ---------------------------------------------------------------- two dimensions, reductions, tables
TWO = HEAD + """
dim region = [north, south]
dim band = range(0, 2)
stock kids[region, band] [child] = {(north, 0): 100, (south, 2): 40, else: 20} { non_negative }
param leave[region] [1/year] = {north: 0.1, south: 0.3}
flow ageing[region, band] [child/year]: kids[region, band] -> kids[region, band + 1] = kids[region, band] * 0.25 [1/year] {
  where band < 2
}
flow leaving[region] [child/year]: kids[region, 2] -> outside = kids[region, 2] * leave[region]
aux per_region[region] [child] = sum(kids[region, band])
aux share[region, band] [1] = kids[region, band] / sum(kids[region, band!])
aux everyone [child] = sum(kids[region, band])
aux mean_kids [child] = mean(kids[region, band])
aux most [child] = max(kids[region, band])
aux least [child] = min(kids[region, band])
aux scale_prod [1] = prod(kids[region, band] / kids[region, band])
group all_kids = [kids]
"""


def test_two_dimensions_against_numpy() -> None:
    res = stockflow.load_text(TWO).run()
    x = np.array([[100.0, 20, 20], [20, 20, 40]])
    leave = np.array([0.1, 0.3])
    for _ in range(40):
        age = 0.25 * x[:, :2]
        d = np.zeros_like(x)
        d[:, :2] -= age
        d[:, 1:] += age
        d[:, 2] -= leave * x[:, 2]
        x = x + 0.25 * d
    for r, region in enumerate(("north", "south")):
        for b in range(3):
            assert res[f"kids[{region},{b}]"][-1] == pytest.approx(x[r, b], rel=1e-13)
        assert res[f"per_region[{region}]"][-1] == pytest.approx(x[r].sum(), rel=1e-13)
        assert res[f"share[{region},1]"][-1] == pytest.approx(x[r, 1] / x[r].sum(), rel=1e-13)
    assert res["everyone"][-1] == pytest.approx(x.sum(), rel=1e-13)
    assert res["mean_kids"][-1] == pytest.approx(x.mean(), rel=1e-13)
    assert res["most"][-1] == pytest.approx(x.max(), rel=1e-13)
    assert res["least"][-1] == pytest.approx(x.min(), rel=1e-13)
    assert res["scale_prod"][-1] == pytest.approx(1.0)


def test_a_table_from_csv(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text("level,value\nlow,0.1\nhigh,0.4\n", encoding="utf-8")
    spec = tmp_path / "m.sfm"
    spec.write_text(HEAD + """
dim level = [low, high]
param rate[level] [1/year] = csv "rates.csv" { source "rates.csv, made up for the test" }
stock s[level] [child] = 1
flow out[level] [child/year]: s[level] -> outside = s[level] * rate[level]
""", encoding="utf-8")
    m = stockflow.load(spec)
    assert m.parameters["rate[high]"] == 0.4
    assert m.run()["s[high]"][-1] == pytest.approx((1 - 0.1) ** 40, rel=1e-12)
    from click.testing import CliRunner

    from stockflow.cli import main

    told = CliRunner().invoke(main, ["explain", str(spec), "rate[high]"]).stdout
    assert "value: 0.4\n" in told  # the declaration says only `csv "rates.csv"`
    (tmp_path / "rates.csv").write_text("level,value\nlow,0.1\nmiddle,0.4\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        stockflow.load(spec)
    assert exc.value.diagnostics[0].code == "E094" and "middle" in exc.value.diagnostics[0].message
    for rows in ("level,value\nlow,0.1\n", "level,value\n"):  # a row left out was taken as 0
        (tmp_path / "rates.csv").write_text(rows, encoding="utf-8")
        with pytest.raises(SpecError) as exc:
            stockflow.load(spec)
        [d] = exc.value.diagnostics
        assert d.code == "E094" and "no row" in d.message and "rate[high]" in d.message and d.span.line == 6


def test_scenarios_set_one_element_or_all() -> None:
    text = HEAD + """
dim level = [low, high]
param rate[level] [1/year] = {low: 0.1, high: 0.2}
stock s[level] [child] = 1
flow out[level] [child/year]: s[level] -> outside = s[level] * rate[level]
scenario one { set rate[high] = 0 }
scenario every { set rate = 0 }
scenario swept { sweep rate[low] over [0, 0.1] }
scenario stopped { scale out by 0 }
"""
    m = stockflow.load_text(text)
    out = m.run_scenarios(["one", "every", "swept", "stopped"])
    final = out.to_frame()
    last = final[final.time == 10]

    def end(scenario: str, level: str) -> list[float]:
        return last[(last.scenario == scenario) & (last.variable == "s") & (last.level == level)].value.tolist()

    assert end("one", "high") == [1.0]
    assert end("one", "low") == [pytest.approx(0.975**40)]
    assert end("every", "low") == [1.0]
    assert sorted(end("swept", "low")) == [pytest.approx(0.975**40), 1.0]
    assert end("stopped", "low") == end("stopped", "high") == [1.0]  # an arrayed flow scaled by its name


TABLE_SETS = """
dim level = [low, mid, high]
param rate[level] [1/year] = {low: 0.1, mid: 0.15, high: 0.2}
stock s[level] [child] = 1
flow out[level] [child/year]: s[level] -> outside = s[level] * rate[level]
"""


def test_a_scenario_sets_several_elements_with_a_table_in_both_forms() -> None:
    """`set rate = {high: 0, else: 0.05}` is the array set as a whole for `else`, then each
    element named; elements it leaves out keep their values. With `from ... over`, each ramps."""
    dsl = HEAD + TABLE_SETS + """
scenario table { set rate = {high: 0, else: 0.05} }
scenario some { set rate = {low: 0.3, high: 0.0} }
scenario ramped { set rate = {mid: 0.5, else: 0} from 2 over 4 }
scenario by_hand { set rate = 0.05  set rate[high] = 0 }
scenario some_by_hand { set rate[low] = 0.3  set rate[high] = 0 }
scenario ramped_by_hand { set rate = 0 from 2 over 4  set rate[mid] = 0.5 from 2 over 4 }
"""
    m = stockflow.load_text(dsl)
    names = ["table", "some", "ramped", "by_hand", "some_by_hand", "ramped_by_hand"]
    out = m.run_scenarios(names)
    end = {name: out.run(name)["s"][-1] for name in names}
    assert list(end["table"]) == list(end["by_hand"])
    assert end["table"][2] == 1.0 and end["table"][0] == pytest.approx((1 - 0.25 * 0.05) ** 40)
    assert list(end["some"]) == list(end["some_by_hand"])
    assert end["some"][1] == pytest.approx((1 - 0.25 * 0.15) ** 40)  # mid kept its own rate
    assert list(end["ramped"]) == list(end["ramped_by_hand"]) and end["ramped"][1] < end["table"][1]
    # `format` keeps each table as written, in both forms, and reads back to the same sets
    text = format_dsl(parse_dsl(dsl, "m.sfm"))
    assert "  set rate = {high: 0, else: 0.05}\n" in text and "  set rate = {mid: 0.5, else: 0} from 2 over 4\n" in text
    assert format_dsl(parse_dsl(text, "m.sfm")) == text
    assert "      rate:\n        value:\n          mid: 0.5\n          else: 0.0\n        from: 2.0\n" in format_yaml(
        parse_dsl(dsl, "m.sfm"))
    yaml = stockflow.load_text(format_yaml(parse_dsl(dsl, "m.sfm")), form="yaml")
    again = yaml.run_scenarios(names)
    for name in names:
        assert list(again.run(name)["s"][-1]) == list(end[name])
    handwritten = stockflow.load_text(format_yaml(parse_dsl(HEAD + TABLE_SETS, "m.sfm")) + """scenarios:
  ramped:
    set:
      rate: {value: {mid: 0.5, else: 0}, from: 2, over: 4}
  table:
    set: {rate: {high: 0, else: 0.05}}
""", form="yaml")
    mine = handwritten.run_scenarios(["ramped", "table"])
    assert list(mine.run("ramped")["s"][-1]) == list(end["ramped"])
    assert list(mine.run("table")["s"][-1]) == list(end["table"])


def test_a_reduction_of_an_arrays_name_takes_every_element() -> None:
    """`sum(children)` was E092 ("say which elements"); as in Stella it is every element, also
    inside an equation over the array's own dimension, and over two dimensions."""
    m = stockflow.load_text(HEAD + """dim level = [low, mid, high]
dim band = [young, old]
stock c[level] = {low: 1, mid: 2, high: 4}
stock g[level, band] = {(low, young): 1, else: 3}
flow out[level]: c[level] -> outside = c[level] * 0.1 [1/year]
aux total = sum(c)
aux share[level] = c[level] / sum(c)
aux top = max(c)
aux least = min(g)
aux every = sum(g)
aux average = mean(c)
""")
    r = m.run()
    assert r["total"][0] == 7 and r["top"][0] == 4 and r["least"][0] == 1 and r["every"][0] == 16
    assert r["average"][0] == pytest.approx(7 / 3, rel=1e-15)
    np.testing.assert_allclose(r["share"][-1], r["c"][-1] / r["c"][-1].sum(), rtol=1e-15)
    with pytest.raises(SpecError) as exc:  # one dimension twice: `level!` twice would be the diagonal
        stockflow.load_text(HEAD + "dim level = [low, high]\nparam rate[from: level, to: level] = 0.1\n"
                                   "aux all = sum(rate)\n")
    assert exc.value.diagnostics[0].code == "E092"


def test_explain_names_the_elements_a_scenario_sets(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stockflow.cli import main

    spec = tmp_path / "m.sfm"
    spec.write_text(HEAD + TABLE_SETS + "scenario some { set rate = {low: 0.3, high: 0.0} from 2 }\n", encoding="utf-8")
    whole = CliRunner().invoke(main, ["explain", str(spec), "rate"]).stdout
    assert "  some  sets rate[low] to 0.3 from 2; sets rate[high] to 0 from 2\n" in whole
    one = CliRunner().invoke(main, ["explain", str(spec), "rate[high]"]).stdout
    assert "  some  sets it to 0 from 2\n" in one
    assert "in scenarios:" not in CliRunner().invoke(main, ["explain", str(spec), "rate[mid]"]).stdout
    two = tmp_path / "two.sfm"  # a slice: its elements, then the first explained
    two.write_text(HEAD + "dim area = [n, s]\ndim kind = [kin, foster]\nstock c[area, kind] [child] = 1\n",
                   encoding="utf-8")
    out = CliRunner().invoke(main, ["explain", str(two), "c[*, foster]"])
    assert out.exit_code == 0 and out.stdout.startswith("c[*, foster]: 2 element(s) of `c`: c[n,foster], c[s,foster]\n")


@pytest.mark.parametrize(("line", "says"), [
    ("scenario a { set rate[low] = {high: 1} }", "a table sets elements of a whole array, but `rate[low]` is one"),
    ("scenario a { set rate = {hgh: 1} }", "`rate` is indexed `rate[level]`, and `hgh` is not an element"),
    ("scenario a { set rate = {low: 1, low: 2} }", "the table gives `rate[low]` twice"),
    ("scenario a { set rate = {low: k} }", "a scenario sets numbers, not equations"),
])
def test_a_scenarios_table_that_cannot_be_read_says_why(line: str, says: str) -> None:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(HEAD + TABLE_SETS + line + "\n")
    assert any(says in d.message or says in (d.hint or "") for d in exc.value.diagnostics), exc.value


# ---------------------------------------------------------------- errors
BASE = "dim level = [low, mid, high]\nstock s[level] [child] = 1\n"


@pytest.mark.parametrize(("text", "code", "words"), [
    ("stock t[levle] [child] = 1", "E091", "did you mean `level`"),
    ("aux a [child] = s[hihg]", "E091", "`hihg` is not an element of `level`"),
    ("aux a [child] = s", "E092", "arrayed over level"),
    ("aux a [child] = s[low, mid]", "E092", "1 dimension(s)"),
    ("dim band = [a, b]\naux t[level, band] [child] = 1 child\naux u[level] [child] = t[level]", "E092",
     "write `t[level, a]` for one element, or `sum(t[level, band!])` for the total"),
    ("param p [1] = 2\naux a [1] = p[low]", "E092", "has no dimensions"),
    ("aux a [child] = s[level]", "E092", "does not run over it"),
    ("aux a [child] = s[level] * 2", "E092", "name one element (`s[low]`), or add up over it: `sum(s[level])`"),
    ("aux a[level] [child] = {low: 1}", "E093", "2 elements of `a` have no value"),
    ("aux a[level] [child] = s[level + 1]", "E093", "runs past the end"),
    ("flow f[level] [child/year]: s -> outside = 1", "E092", "say which element"),
    ("aux a[level] [child] = s[level] { where level != mid }\naux b [child] = a[mid]", "E093", "does not exist"),
    ("dim level2 = [a, b] in level", "E091", "not an element of `level`"),
    ("dim dup = [a, a]", "E090", "twice"),
    ("flow f[level] [child/year]: s[level] -> outside = s[lvl] * 0.1 [1/year]", "E091",
     "`lvl` is not an element of `level`, nor an index this equation runs over (level)"),
])
def test_errors_say_what_is_wrong(text: str, code: str, words: str) -> None:
    found = errors_of(BASE + text)
    assert any(c == code and words in m for c, m in found), found


def test_errors_point_at_the_place() -> None:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(HEAD + BASE + "aux a [child] = s[hihg]\n")
    d = exc.value.diagnostics[0]
    assert d.span is not None and d.span.line == 6 and d.hint == "did you mean `high`?"
    with pytest.raises(SpecError) as exc:  # a misspelt index, not an element
        stockflow.load_text(HEAD + BASE + "aux a[level] [child] = s[levl]\n")
    assert exc.value.diagnostics[0].hint == "did you mean `level`?"


def test_an_array_refused_where_declared_is_one_error_not_one_per_use() -> None:
    """`k[a: j]` with no dimension `j` was read as units ("units are one unit"), and every use
    of an array refused where declared (unknown dimension, too many elements) added a false
    "`k` has no dimensions"."""
    found = errors_of(BASE + "param k[a: lvl] = 1\naux b[level] [child] = s[level] * k[level]\n")
    assert [c for c, _ in found] == ["E091"] and "`lvl` is not a dimension" in found[0][1]
    found = errors_of("dim i = range(1, 15000)\nstock x[i] = 1\nparam k[i] [1/year] = 0.1\n"
                      "flow f [1/year]: x[1] -> outside = x[1] * k[1]\n")
    assert [c for c, _ in found] == ["E006"]
    assert "`k` would have 15,000 elements, 30,000 with the arrays before it" in found[0][1]


def test_one_unused_element_is_told_the_where_that_leaves_it_out() -> None:
    """`up[intensive]` unused (nothing escalates from the top level) was told "remove it",
    which cannot be done to one element."""
    m = stockflow.load_text(HEAD + BASE + "param up[level] [1/year] = {low: 0.1, mid: 0.1, high: 0}\n"
                            "flow f[level] [child/year]: s[level] -> s[level + 1] = s[level] * up[level] "
                            "{ where level != high }\n")
    [w] = [d for d in m.checked.diagnostics if d.code == "W102"]
    assert w.message == "parameter `up[high]` is never used"
    assert w.hint == "leave it out with `where level != high`, or use it in an equation"


@pytest.mark.parametrize(("body", "hint"), [
    ("stocks:\n  x: {dims: [level], initial: [100, 20, 5]}\n", "`{lo: 100, mid: 20, hi: 5}`"),
    ("stocks:\n  x: {dims: [level], initial: 1}\nparameters:\n  p: {dims: [level], value: [1, 2, 3]}\n",
     "`{lo: 1, mid: 2, hi: 3}`"),
    ("stocks:\n  x: {dims: [level], initial: 1}\nparameters:\n  p: {dims: [level], value: [1, 2]}\n",
     "`{universal: 100, additional: 20}`"),  # no dimension of two elements: the form alone
    ("stocks:\n  x: {dims: [level], initial: 1}\nflows:\n  f: {dims: [level], from: x, to: outside, rate: '0.1'}\n",
     "e.g. `x[level]` for each element's own, or `x[lo]` for one"),
])
def test_yaml_array_slips_are_told_the_fix(body: str, hint: str) -> None:
    """A YAML list of values (`initial: [100, 20, 5]`) was "must be an expression ... quote it",
    or "must be a number"; a flow over `level` from the bare array was told `x[from]`, an
    index it does not have."""
    text = "time: {start: 0, stop: 2, dt: 1, units: year}\ndimensions:\n  level: [lo, mid, hi]\n" + body
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(text, form="yaml")
    [d] = exc.value.diagnostics
    assert hint in (d.hint or ""), d.hint


def test_a_long_table_written_in_the_spec_is_told_to_move_to_a_csv_file() -> None:
    table = ", ".join(f"{e}: {0.1 + e / 1e5:.5f}" for e in range(1, 8001))
    found = errors_of(f"dim i = range(1, 8000)\nparam k[i] [1/year] = {{{table}}}\n")
    assert [c for c, _ in found] == ["E006"]
    assert "a table of about 8,000 entries" in found[0][1] and 'csv "FILE.csv"' in found[0][1]
    found = errors_of("aux a = max(" + ", ".join(["1.5"] * 20000) + ")\n")  # a long call stays a call
    assert [c for c, _ in found] == ["E006"] and "a call of up to 20,000 arguments" in found[0][1]


def test_a_fault_of_every_element_is_one_diagnostic() -> None:
    """An equation written once for 8 elements was 8 E032s; a table without units 4 W108s,
    whose hint wrote the element (`param k[low] [1/year]`, which does not parse)."""
    got = errors_of("dim level = [low, high]\ndim band = [a, b, c, d]\nstock s[level, band] [child] = 1\n"
                    "flow f[level, band] [child/year]: s[level, band] -> outside = s[level, band] * 2 [child/year]\n")
    assert len(got) == 1 and got[0][0] == "E032"
    assert got[0][1].startswith("`f[low,a]` is declared in child/year but its equation is in child^2/year "
                                "(and the same for `f[low,b]`, `f[low,c]`, `f[low,d]` and 4 more)")
    m = stockflow.load_text(HEAD + "dim level = [low, high]\nstock s[level] [child] = 1\n"
                            "param k[from: level, to: level] = 0.1\n"
                            "flow f[from: level, to: level] [child/year]: s[from] -> s[to] = s[from] * k[from, to]"
                            " { where from != to }\n")
    w108 = [d for d in m.checked.diagnostics if d.code == "W108"]
    assert len(w108) == 1 and "(and the same for `k[high,low]`)" in w108[0].message
    assert "`param k[from: level, to: level] [1/year] = ...`" in (w108[0].hint or "")


def test_subranges_pick_elements_of_the_parent() -> None:
    m = stockflow.load_text(HEAD + BASE + "dim upper = [mid, high] in level\naux top[upper] [child] = s[upper] * 2\n"
                            "aux total_top [child] = sum(top[upper])\n")
    res = m.run()
    assert res["total_top"][0] == 4.0
    assert "top[mid]" in res.wide().columns and "top[low]" not in res.wide().columns


# ---------------------------------------------------------------- calibration
CAL_MODEL = """model decay
time { start 0  stop 10  dt 0.25  units year }
unit child
dim level = [low, high]
stock s[level] [child] = {low: 1000, high: 400}
param rate[level] [1/year] = {low: 0.1, high: 0.3} { bounds [0, 2] }
flow leave[level] [child/year]: s[level] -> outside = s[level] * rate[level]
"""


@pytest.fixture(scope="module")
def decay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exact stock values from rate = (0.15, 0.15): both fits below should recover 0.15."""
    d = tmp_path_factory.mktemp("arrcal")
    (d / "decay.sfm").write_text(CAL_MODEL, encoding="utf-8")
    r = stockflow.load(d / "decay.sfm").run(params={"rate[low]": 0.15, "rate[high]": 0.15})
    rows = [(year, f"s_{lv}", r[f"s[{lv}]"][year * 4]) for year in range(1, 11) for lv in ("low", "high")]
    (d / "data.csv").write_text("year,series,value\n" + "".join(f"{a},{b},{float(c)!r}\n" for a, b, c in rows),
                                encoding="utf-8")
    return d


def _cal(d: Path, name: str, estimate: str) -> Path:
    text = ("model: decay.sfm\ndata:\n  - {file: data.csv, time: year, series: series, value: value}\nobserve:\n"
            "  s_low: {stock: 's[low]', noise: normal, sd: 1}\n  s_high: {stock: 's[high]', noise: normal, sd: 1}\n"
            f"estimate:\n{estimate}starts: 2\nseed: 1\n")
    (d / name).write_text(text, encoding="utf-8")
    return d / name


def _fit_and_overlay(d: Path, name: str, estimate: str) -> tuple[dict[str, float], dict[str, float]]:
    """The estimates, and the parameters of the calibrated.sfm written beside the model."""
    from stockflow.calibrate import calibrate

    fit = calibrate(_cal(d, f"{name}.yaml", estimate))
    out = d / name / "calibrated.sfm"
    out.parent.mkdir(exist_ok=True)
    out.write_text(fit.overlay(out), encoding="utf-8")
    return fit.params(), stockflow.load(out).parameters


def test_calibration_estimates_one_element(decay: Path) -> None:
    est, p = _fit_and_overlay(decay, "one", "  'rate[high]':\n")
    assert est["rate[high]"] == pytest.approx(0.15, rel=1e-6)
    assert p["rate[high]"] == pytest.approx(0.15, rel=1e-6)
    assert p["rate[low]"] == 0.1


def test_a_tight_interval_in_the_calibrated_spec_keeps_its_digits(decay: Path) -> None:
    """The calibrated spec's source read `95% interval [0.15, 0.15]` where the report showed
    the digits that tell the ends apart."""
    from stockflow.calibrate import calibrate

    cal = _cal(decay, "tight.yaml", "  'rate[high]':\n")
    cal.write_text(cal.read_text().replace("sd: 1}", "sd: 0.000001}"), encoding="utf-8")
    fit = calibrate(cal)
    note = re.search(r"95% interval \[([^,]+), ([^\]]+)\]", fit.overlay(decay / "tight" / "calibrated.sfm"))
    assert note is not None and note.group(1) != note.group(2), note


def test_calibration_fits_one_value_shared_by_every_element(decay: Path) -> None:
    est, p = _fit_and_overlay(decay, "shared", "  rate:\n")
    assert est["rate"] == pytest.approx(0.15, rel=1e-6)
    assert p["rate[low]"] == pytest.approx(0.15, rel=1e-6) and p["rate[high]"] == p["rate[low]"]


# ---------------------------------------------------------------- two dimensions: levels by age band
AGES = ROOT / "specs" / "girfec-ages" / "girfec-ages.sfm"


def test_levels_by_age_band_model() -> None:
    m = stockflow.load(AGES)
    out = m.run_scenarios(["wm2u", "early_years"], method="euler")  # one compile for both; Euler compiles faster
    res = out["wm2u"]
    assert max(out.batch.conservation.values()) < 1e-12
    assert m.expectations(res) == []  # its reality checks hold
    assert res["by_band[under_5]"][0] == pytest.approx(10000 * 5 / 18, rel=1e-12)
    assert res["total_children"][0] == pytest.approx(10000, rel=1e-12)
    assert res["ageing[targeted,age_5_11]"][0] == pytest.approx(10000 * 7 / 18 * 0.066 / 7, rel=1e-12)
    levels = sum(res[f"by_level[{lv}]"] for lv in LEVELS)
    np.testing.assert_allclose(levels, res["total_children"], rtol=1e-12)
    # the programme concentrated on the under-5s leaves teenagers' needs where they were
    teen_wm2u = out["wm2u"].metric("intensive_teenagers_at_end")
    teen_early = out["early_years"].metric("intensive_teenagers_at_end")
    assert teen_early > teen_wm2u


def test_a_hostile_size_is_refused_before_anything_is_built() -> None:
    import time

    t0 = time.perf_counter()
    found = errors_of("dim a = range(0, 99999)\ndim b = range(0, 99999)\nstock x[a, b] = 1\naux t = sum(x[a, b])\n"
                      "expect ok = x[a, b] >= 0\n")
    assert time.perf_counter() - t0 < 20
    assert [c for c, _ in found].count("E006") >= 2
    assert any("10,000,000,000 elements" in m for _, m in found)


def test_a_dimension_maps_onto_another() -> None:
    text = HEAD + """
dim region = [west, east]
dim authority = [glasgow, edinburgh, fife] { maps region [west, east, east] }
param regional_rate[region] [1/year] = {west: 0.1, east: 0.2}
stock children[authority] [child] = {glasgow: 100, edinburgh: 50, fife: 30}
flow leaving[authority] [child/year]: children[authority] -> outside = children[authority] * regional_rate[authority]
aux east_rate [1/year] = regional_rate[east]
"""
    res = stockflow.load_text(text).run()
    assert res["children[glasgow]"][-1] == pytest.approx(100 * 0.975**40, rel=1e-12)
    assert res["children[fife]"][-1] == pytest.approx(30 * 0.95**40, rel=1e-12)
    spec = parse_dsl(text, "m.sfm")
    assert parse_dsl(format_dsl(spec), "m.sfm") == spec
    dims = [d for d in parse_yaml(format_yaml(spec), "m.yaml").decls if getattr(d, "maps", ())]
    assert dims == [spec.decls[2]]
    found = errors_of("dim region = [west, east]\ndim authority = [glasgow, fife] { maps region [west] }\n")
    assert found[0][0] == "E092" and "2 elements" in found[0][1]


def test_a_run_sets_every_element_by_the_arrays_name(tmp_path: Path) -> None:
    """`--set rate=0.2` and `--initial s=5` were E061 "not a parameter" and "not a stock",
    though a scenario's `set rate = 0.2` sets every element."""
    text = HEAD + """
dim level = [low, high]
param rate[level] [1/year] = {low: 0.1, high: 0.4}
stock s[level] [child] = 1
flow out[level] [child/year]: s[level] -> outside = s[level] * rate[level]
"""
    m = stockflow.load_text(text)
    res = m.run(params={"rate": 0.2, "rate[high]": 0.0}, initial={"s": 5.0})
    assert res["s[low]"][-1] == pytest.approx(5 * (1 - 0.2 * 0.25) ** 40, rel=1e-12)
    assert res["s[high]"][-1] == 5.0  # the element named after the array keeps its own value
    batch = m.run_batch({"rate": [0.0, 0.2]})
    np.testing.assert_allclose(batch["s[high]"][:, -1], [1.0, (1 - 0.05) ** 40], rtol=1e-12)
    from click.testing import CliRunner

    from stockflow.cli import main

    spec = tmp_path / "m.sfm"
    spec.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(main, ["run", str(spec), "--set", "rate=0", "--initial", "s=3"])
    assert out.exit_code == 0 and re.search(r"s\[low\] +3 +3 ", out.stdout) and \
        re.search(r"s\[high\] +3 +3 ", out.stdout), out.stdout
    with pytest.raises(stockflow.RunError) as exc:
        m.run(params={"s": 1.0})
    assert exc.value.diagnostics[0].code == "E061"


def test_a_run_takes_a_slice_of_an_array(tmp_path: Path) -> None:
    """`--initial 'cared[dundee]=5'` (every placement of one authority) and `outputs=` or
    `plot --vars` of such a slice were E061, "name one element of each"."""
    m = stockflow.load_text(HEAD + """
dim area = [dundee, fife, angus]
dim kind = [kin, foster]
stock cared[area, kind] [child] = 1
param leave[area, kind] [1/year] = 0.1
flow go[area, kind] [child/year]: cared[area, kind] -> outside = cared[area, kind] * leave[area, kind]
dim level = [lo, hi]
param rate[from: level, to: level] [1/year] = 0.1 { where from != to }
stock s[level] [child] = 1
flow move[from: level, to: level] [child/year]: s[from] -> s[to] = s[from] * rate[from, to] { where from != to }
""")
    res = m.run(initial={"cared[dundee]": 5.0, "cared[*, foster]": 7.0}, params={"leave[angus]": 0.0},
                outputs=["cared[fife]", "go[*, kin]"])
    assert sorted(v.id for v in res.variables) == ["cared[fife,foster]", "cared[fife,kin]", "go[angus,kin]", "go[dundee,kin]",
                                 "go[fife,kin]"]
    assert res["cared[fife,kin]"][0] == 1.0 and res["cared[fife,foster]"][0] == 7.0
    assert res["go[dundee,kin]"][0] == pytest.approx(0.5) and res["go[angus,kin]"][0] == 0.0
    with pytest.raises(stockflow.RunError) as exc:  # `lo` is in both `from` and `to`: say which
        m.run(params={"rate[lo]": 0.2})
    assert "or `*` for every element of one (`rate[*, lo]`)" in (exc.value.diagnostics[0].hint or "")
    assert m.run(params={"rate[lo, *]": 0.0})["s[hi]"][-1] < 1.0 == m.run(params={"rate[*, lo]": 0.0})["s[lo]"][0]


def test_a_scenario_sets_a_slice_of_an_array() -> None:
    """`set cared[dundee] = 5` in a scenario was E010, "not defined", with a hint to name one
    element of each; and the `*` form the hint now shows for runs did not parse in a scenario."""
    body = """
dim area = [dundee, fife]
dim kind = [kin, foster]
stock cared[area, kind] [child] = 1
flow go[area, kind] [child/year]: cared[area, kind] -> outside = cared[area, kind] * 0.1 [1/year]
"""
    dsl = HEAD + body + "scenario s { set cared[dundee] = 5  set cared[*, foster] = 7 }\n"
    m = stockflow.load_text(dsl)
    run = m.run_scenarios(["s"]).run("s")
    assert {s: float(run[s][0]) for s in m.stocks} == {"cared[dundee,kin]": 5.0, "cared[dundee,foster]": 7.0,
                                                       "cared[fife,kin]": 1.0, "cared[fife,foster]": 7.0}
    assert "set cared[*,foster] = 7" in format_dsl(parse_dsl(dsl, "m.sfm"))
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(dsl.replace("set cared[dundee] = 5", "sweep cared[dundee] over [1, 2]"))
    assert "`cared[dundee]` is several elements; a sweep or sample varies one" in exc.value.diagnostics[0].message


def test_a_check_over_a_dimension_names_the_elements_that_fail() -> None:
    """`expect few = infected[age] <= 100` failed listing every element's value, so the reader
    had to find which one broke it; it names the failing elements only."""
    m = stockflow.load_text((ROOT / "tests" / "models" / "sir_by_age.sfm").read_text(encoding="utf-8")
                            + "expect few = infected[age] <= 1000 person\n")
    [d] = m.expectations(m.run())
    assert d.code == "E062" and "infected[adult] = " in d.message
    assert "infected[young]" not in d.message and "infected[old]" not in d.message


def test_an_alias_of_a_dimension_used_once_shares_the_dimensions_column() -> None:
    """`aux force[a: age]` (an alias for a reduction inside) put its elements in a column `a`,
    apart from every other variable's `age`; one column per dimension, aliases only where one
    dimension stands twice (`from`, `to`)."""
    m = stockflow.load(ROOT / "tests" / "models" / "sir_by_age.sfm")
    frame = m.run().to_frame()
    assert list(frame.columns) == ["time", "variable", "age", "kind", "units", "value"]
    assert set(frame[frame.variable == "force"].age) == {"young", "adult", "old"}
    girfec = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm").run().to_frame()
    assert {"level", "from", "to"} <= set(girfec.columns)


@pytest.mark.parametrize("rows, value, says", [
    ('level,value\nlow,"1,500"\nhigh,0.4\n', 1500.0, None),  # thousands grouped, as a spreadsheet saves them
    ('level,value\nlow,"0,1"\nhigh,0.4\n', None, "its comma does not separate thousands"),
    ("level;value\nlow;0.1\nhigh;0.4\n", None, "separated by `;`"),
    # a count with its thousands comma, unquoted, was 1 (the cell before the comma), silently
    ("level,value\nlow,1,500\nhigh,0.4\n", None, "rates.csv row 2 has 3 cells, its header 2"),
    ("level,value,\nlow,1500,\nhigh,0.4,\n", 1500.0, None),  # a spreadsheet's empty last column
    ("level,value\nlow,1500,\nhigh,0.4, \n", 1500.0, None),  # trailing commas on the rows alone
])
def test_a_csv_table_from_a_spreadsheet(rows: str, value: float | None, says: str | None, tmp_path: Path) -> None:
    """Table cells are read as calibration data are: `1,500` is 1500, `0,1` (a decimal comma) is
    refused rather than read as 1, and a `;`-separated file is named as such."""
    (tmp_path / "rates.csv").write_text(rows, encoding="utf-8")
    spec = tmp_path / "m.sfm"
    spec.write_text(HEAD + 'dim level = [low, high]\nparam rate[level] = csv "rates.csv"\nstock s[level] = 1\n'
                    "flow out[level]: s[level] -> outside = s[level] * rate[level] * 0\n", encoding="utf-8")
    if value is not None:
        assert stockflow.load(spec).parameters["rate[low]"] == value
        return
    with pytest.raises(SpecError) as exc:
        stockflow.load(spec)
    [d] = exc.value.diagnostics
    assert d.code == "E094" and says in d.message


def test_python_takes_an_arrays_values_as_a_list_or_by_element() -> None:
    """A notebook user passes an array's values as a list or a dict; both were TypeErrors."""
    from stockflow.compiler.base.diagnostics import RunError

    m = stockflow.load_text(HEAD + """
dim area = [north, south]
dim kind = [kin, home]
param rate[area] [1/year] = 0.1
stock s[area, kind] [child] = 10
flow out[area, kind] [child/year]: s[area, kind] -> outside = s[area, kind] * rate[area]
""")
    res = m.run(params={"rate": [0.2, 0.4]}, initial={"s": np.array([[1.0, 2.0], [3.0, 4.0]])})
    assert list(res["s"][0]) == [1.0, 2.0, 3.0, 4.0] and res["out[south,home]"][0] == pytest.approx(4 * 0.4)
    res = m.run(params={"rate": {"south": 0.3}}, initial={"s": {("north", "home"): 5, "south, kin": 6}})
    assert list(res["s"][0]) == [10.0, 5.0, 6.0, 10.0] and res["out[north,kin]"][0] == pytest.approx(1.0)
    for params, says in (({"rate": [1, 2, 3]}, "takes 2 value(s)"), ({"rate": {"west": 1}}, "an element of `rate`"),
                         ({"rate": "fast"}, "takes a number")):
        with pytest.raises(RunError) as exc:
            m.run(params=params)
        assert exc.value.diagnostics[0].code == "E061" and says in exc.value.diagnostics[0].message


def test_a_flow_over_one_dimension_twice_is_told_to_leave_out_its_diagonal() -> None:
    [(code, says)] = errors_of("dim level = [low, mid, high]\nstock c[level] = 10\n"
                               "flow move[from: level, to: level]: c[from] -> c[to] = c[from] * 0.1 [1/year]\n")
    assert code == "E014" and "`move[low,low]` runs from `c[low]` to itself" in says and "where from != to" in says


@pytest.mark.parametrize(("index", "where"), [
    ("age + 1", "age != 17"), ("age + 2", "age < 16"), ("age - 1", "age != 0"), ("age - 3", "age > 2")])
def test_an_index_past_the_end_gets_the_where_that_keeps_it_in(index: str, where: str) -> None:
    """The hint said "leave that element out with `where`"; a new user had to work out which
    condition. It now gives it, and the spec with it checks."""
    text = HEAD + f"dim age = range(0, 17)\nstock kids[age] [child] = 1\n" \
                  f"flow ageing[age] [child/year]: kids[age] -> kids[{index}] = kids[age] / 1 [year]"
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(text + "\n")
    [d] = exc.value.diagnostics
    assert d.code == "E093" and d.hint == f"leave it out with `where {where}`, or give it its own equation"
    m = stockflow.load_text(text + f" {{ where {where} }}\n")
    assert len([f for f in m.checked.graph.flows if f.id.startswith("ageing")]) == 18 - abs(int(index[-1]))


def test_an_element_written_as_a_spreadsheet_labels_it_gets_a_name_to_write() -> None:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text("time: {start: 0, stop: 1, dt: 1, units: year}\ndimensions:\n  band: [0-4, 5-11, 18+]\n"
                            "stocks:\n  k: {dims: [band], initial: 1}\n", form="yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E090" and d.hint == "use letters, digits and _: `band_0_4`"


def test_a_wrong_element_from_the_caller_is_told_which_index_is_wrong(tmp_path: Path) -> None:
    """`explain SPEC 'kids[18,targeted]'` offered `kids[8,targeted]`, the nearest spelling, for
    an age past the end; the elements in the wrong order got another element altogether. The
    hint now says which index is wrong, the range of a numbered dimension, or the order."""
    from click.testing import CliRunner

    from stockflow.cli import main

    spec = tmp_path / "ages.sfm"
    spec.write_text("""time { start 0  stop 2  dt 1  units year }
dim age = range(0, 17)
dim level = [universal, targeted]
stock kids[age, level] = 1
param rate[level] [1/year] = 0.1
flow out[age, level]: kids[age, level] -> outside = kids[age, level] * rate[level]
""", encoding="utf-8")

    def told(*args: str) -> str:
        out = CliRunner().invoke(main, [args[0], str(spec), *args[1:]])
        assert out.exit_code != 0
        return out.output

    past = told("explain", "kids[18,targeted]")
    assert "`kids` is indexed `kids[age, level]`, and `18` is outside `age`, which runs from 0 to 17" in past
    assert "did you mean" not in past
    assert "did you mean `kids[3,targeted]`?" in told("explain", "kids[targeted, 3]")
    assert "`kids` is indexed `kids[age, level]`: name one element of each" in told("explain", "kids[3, a, b]")
    assert CliRunner().invoke(main, ["explain", str(spec), "kids[3]"]).output.startswith(
        "kids[3]: 2 element(s) of `kids`: kids[3,universal], kids[3,targeted]")  # a slice
    assert "`targetted` is not an element of `level` (universal, targeted); did you mean `kids[3,targeted]`?" in told(
        "run", "--initial", "kids[3,targetted]=5")
    assert "`rate` is indexed `rate[level]`, and `intensive` is not an element of `level`" in told(
        "run", "--set", "rate[intensive]=0.2")
    raw = CliRunner().invoke(main, ["explain", str(spec), "kids[\x1b[31m,targeted]"], color=True).output
    assert "\x1b" not in raw and "\\x1b[31m" in raw  # as a terminal would get it: shown, not acted on
    m = stockflow.load(spec)
    with pytest.raises(KeyError, match=r"`18` is outside `age`"):
        m.run(outputs=["kids[18,universal]"])
