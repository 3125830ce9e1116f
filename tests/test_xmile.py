"""XMILE import and export: the SDXorg reference models, round trips, errors, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stockflow
import stockflow.compiler.ir.ast
from stockflow.cli import main
from stockflow.compiler.pipeline import import_xmile
from stockflow.compiler.write.xmile import write_xmile

from conftest import PEER, ROOT, needs_peer_models
from strategies import stock_flow_models
from xmile_conformance import ABSENT, EULER_CANONICAL, compare

_ABSENT = f"reference models not found at {PEER} (a clone without ../shared)"
MODELS = sorted(PEER.rglob("*.xmile")) if PEER.is_dir() else [
    pytest.param(PEER / "absent.xmile", marks=pytest.mark.skip(reason=_ABSENT))]
IDS = [p.relative_to(PEER).as_posix() if isinstance(p, Path) else "absent" for p in MODELS]


def test_the_reference_set_is_all_there() -> None:
    if not PEER.is_dir():
        pytest.skip(_ABSENT)
    assert len(MODELS) == 46


@needs_peer_models()
@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_reference_model_matches_canonical_output(path: Path) -> None:
    rel = path.relative_to(PEER).as_posix()
    out = compare(path, rel)
    assert not out.failures, out.failures
    assert out.absent == ABSENT.get(rel, set())
    assert out.compared > 0 and out.columns


@needs_peer_models()
def test_rk4_where_the_file_asks_for_it() -> None:
    """zeroled_decimals says RK4: the outflow `Time` then leaves exactly its integral, 0.5 at t=1."""
    [rel] = EULER_CANONICAL
    r = stockflow.load(PEER / rel).run()
    assert r["stockmixed"][1] == pytest.approx(0.1223 - 0.5 - 0.5 - 0.3, abs=1e-12)


def _flows_in_stock_units(m: stockflow.Model, name: str, values: np.ndarray) -> np.ndarray:
    f = next((x for x in m.checked.graph.flows if x.id == name), None)
    if f is None:
        return values
    return values * float(m.checked.flow_factors.get((f.id, f.source or f.target), 1))


def _assert_same_run(m1: stockflow.Model, m2: stockflow.Model) -> None:
    r1, r2 = m1.run(), m2.run()
    np.testing.assert_allclose(r1.times, r2.times)
    shown = [v.id for v in r1.variables if not v.hidden]
    assert shown
    for vid in shown:
        a = _flows_in_stock_units(m1, vid, r1[vid])
        np.testing.assert_allclose(r2[vid], a, rtol=1e-12, atol=1e-9, err_msg=vid)


def _reimport(m: stockflow.Model, tmp_path: Path, name: str = "out.xmile") -> stockflow.Model:
    path = tmp_path / name
    path.write_text(write_xmile(m.checked).text, encoding="utf-8")
    return stockflow.load(path)


@pytest.mark.parametrize("spec", ["specs/girfec/girfec.sfm", "docs/examples/every_construct.sfm",
                                  "specs/examples/intensive_four_ways.sfm", "tests/models/sir.sfm"])
def test_export_then_import_gives_the_same_trajectories(spec: str, tmp_path: Path) -> None:
    m = stockflow.load(ROOT / spec)
    _assert_same_run(m, _reimport(m, tmp_path))


def test_export_keeps_the_graph(tmp_path: Path) -> None:
    m = stockflow.load(ROOT / "tests" / "models" / "sir.sfm")
    g1, g2 = m.checked.graph, _reimport(m, tmp_path).checked.graph
    assert [(f.id, f.source, f.target) for f in g1.flows] == [(f.id, f.source, f.target) for f in g2.flows]
    assert {s.id for s in g1.stocks} == {s.id for s in g2.stocks}
    assert {a.id for a in g1.auxes} | {p.id for p in g1.params} == {a.id for a in g2.auxes} | {p.id for p in g2.params}


def test_export_keeps_the_models_name_and_title(tmp_path: Path) -> None:
    """The title went nowhere (`model girfec "girfec"` came back); it is the header's
    `<caption>`, as Vensim writes one."""
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    back = _reimport(m, tmp_path).checked.graph.info
    assert (back.name, back.title) == ("girfec", "GIRFEC four-level population of need")


@needs_peer_models()
@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_reference_models_survive_export_and_import(path: Path, tmp_path: Path) -> None:
    m = stockflow.load(path)
    m2 = _reimport(m, tmp_path)
    _assert_same_run(m, m2)
    g1, g2 = m.checked.graph, m2.checked.graph
    assert [(f.id.lower(), f.source, f.target) for f in g1.flows] == \
        [(f.id.lower(), f.source, f.target) for f in g2.flows]


@settings(deadline=None, max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(stock_flow_models(), st.sampled_from(["euler", "rk4"]))
def test_random_models_round_trip_through_xmile(body: str, method: str) -> None:
    import tempfile

    head = f"time {{ start 0  stop 24  dt 0.5  units month  method {method} }}\n"
    m = stockflow.load_text(head + body)
    with tempfile.TemporaryDirectory() as tmp:
        _assert_same_run(m, _reimport(m, Path(tmp)))


def test_units_are_kept_when_they_agree() -> None:
    text = """<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
      <sim_specs method="Euler" time_units="Years"><start>0</start><stop>2</stop><dt>0.5</dt></sim_specs>
      <model_units><unit name="people"><alias>persons</alias></unit></model_units>
      <model><variables>
        <stock name="Population"><eqn>100</eqn><outflow>deaths</outflow><units>people</units></stock>
        <flow name="deaths"><eqn>Population * "death rate"</eqn><units>persons/Year</units><non_negative/></flow>
        <aux name="death rate"><eqn>0.5</eqn><units>1/Year</units></aux>
      </variables></model></xmile>"""
    spec = import_xmile(text, "pop.xmile")
    assert not spec.notes
    m = stockflow.Model(stockflow.compiler.pipeline.compile_spec(spec), "pop", spec)
    assert m.unit_text("population", None) == "people"
    assert m.run()["population"][-1] == pytest.approx(100 * 0.75**4)


def test_names_follow_xmile_rules() -> None:
    text = """<xmile version="1.0"><sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>
      <model><variables>
        <aux name="Room  Temperature"><eqn>70</eqn></aux>
        <aux name="Flow"><eqn>ROOM_temperature * 2</eqn></aux>
        <aux name="b"><eqn>"room temperature" + TIME + Time + STARTTIME + STOPTIME + DT</eqn></aux>
      </variables></model></xmile>"""
    spec = import_xmile(text, "names.xmile")
    names = [d.name for d in spec.decls if not isinstance(d, stockflow.compiler.ir.ast.UnitDecl)]
    assert names == ["Room_Temperature", "Flow_", "b"]  # `flow` is a stockflow keyword
    r = stockflow.Model(stockflow.compiler.pipeline.compile_spec(spec), "n", spec).run()
    assert r["flow_"][0] == 140
    assert r["b"][0] == 70 + 0 + 0 + 0 + 1 + 1


def test_builtin_names_cannot_name_variables() -> None:
    text = """<xmile version="1.0"><sim_specs><start>0</start><stop>1</stop><dt>1</dt></sim_specs>
      <model><variables><aux name="Time"><eqn>1</eqn></aux></variables></model></xmile>"""
    with pytest.raises(stockflow.SpecError) as exc:
        import_xmile(text, "t.xmile")
    assert [d.code for d in exc.value.diagnostics] == ["E012"]


def test_oversized_xmile_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stockflow.compiler.pipeline as P

    monkeypatch.setattr(P, "MAX_XMILE_BYTES", 1000)
    big = tmp_path / "big.xmile"
    big.write_text("<xmile>" + " " * 2000 + "</xmile>")
    [d] = stockflow.check(big)
    assert d.code == "E006" and "1000" in d.message


def test_cli_import_export_and_run(tmp_path: Path) -> None:
    runner = CliRunner()
    src = ROOT / "specs" / "girfec" / "girfec.sfm"
    xm = tmp_path / "girfec.xmile"
    res = runner.invoke(main, ["export", str(src), "-o", str(xm)])
    assert res.exit_code == 0, res.output
    assert "metric total_cost" in res.output  # says what XMILE cannot hold
    for out in ("girfec2.sfm", "girfec2.yaml"):
        res = runner.invoke(main, ["import", str(xm), "-o", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        assert "W106" not in res.output  # its month/year conversions are written as auxes with units
        res = runner.invoke(main, ["check", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["run", str(xm), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.csv").stat().st_size > 0
    res = runner.invoke(main, ["import", str(src)])
    assert res.exit_code == 2


@needs_peer_models()
def test_imported_spec_text_compiles_to_the_same_model(tmp_path: Path) -> None:
    """`stockflow import` writes a spec whose equations are exactly the XMILE model's."""
    path = PEER / "tests" / "special_characters_xmile" / "test_special_variable_names.xmile"
    out = tmp_path / "special.sfm"
    res = CliRunner().invoke(main, ["import", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    m1, m2 = stockflow.load(path), stockflow.load(out)
    assert dict(m1.checked.equations) == dict(m2.checked.equations)
    assert dict(m1.checked.initials) == dict(m2.checked.initials)


@pytest.mark.filterwarnings("ignore")  # PySD's own deprecation warnings, not stockflow's
def test_pysd_computes_what_stockflow_computes_from_our_export(tmp_path: Path) -> None:
    """An independent XMILE reader (PySD, Euler only) on the exported GIRFEC model."""
    pysd = pytest.importorskip("pysd")
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    path = tmp_path / "girfec.xmile"
    path.write_text(write_xmile(m.checked).text, encoding="utf-8")
    cols = ["universal", "additional", "targeted", "intensive", "cost_rate", "effect"]
    ref = pysd.read_xmile(str(path)).run(params={"rate_u_a": 0.05}, return_columns=cols)
    r = m.run(method="euler", params={"rate_u_a": 0.05})
    for c in cols:
        np.testing.assert_allclose(ref[c].to_numpy(), r[c], rtol=1e-12, atol=1e-9, err_msg=c)


@pytest.mark.parametrize(("eqn", "specs", "code"), [
    ("1", "<start>0</start><stop>2</stop><dt>0</dt>", "E050"),
    ("1", "<start>5</start><stop>2</stop><dt>1</dt>", "E050"),
    ("1/0", "<start>0</start><stop>2</stop><dt>1</dt>", "E053"),
    ("a +* 2", "<start>0</start><stop>2</stop><dt>1</dt>", "E004"),
])
def test_bad_xmile_values_are_errors_not_tracebacks(eqn: str, specs: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.xmile"
    path.write_text(f"<xmile><sim_specs>{specs}</sim_specs><model><variables>"
                    f"<aux name='x'><eqn>{eqn}</eqn></aux><stock name='s'><eqn>1</eqn><inflow>x</inflow></stock>"
                    "</variables></model></xmile>")
    assert code in [d.code for d in stockflow.check(path)]


@pytest.mark.parametrize("name", ["girfec/girfec.sfm", "girfec-city/girfec-city.sfm",
                                  "examples/intensive_four_ways.sfm", "scotland_looked_after/looked_after.sfm"])
def test_export_writes_units_its_equations_compute(name: str, tmp_path: Path) -> None:
    """import(export(x)) keeps every unit: each conversion is an aux with units, never a bare factor."""
    from stockflow.compiler.pipeline import import_xmile
    from stockflow.compiler.write.xmile import write_xmile

    model = stockflow.load(ROOT / "specs" / name)
    text = write_xmile(model.checked).text
    assert "(1/12)" not in text
    spec = import_xmile(text, str(tmp_path / "x.xmile"))
    assert not spec.notes  # no W106: the units agree as labels, as other tools read them
    back = stockflow.Model(stockflow.api.compile_spec(spec))
    units = {v.id: v.units for v in model.variables()}
    for v in back.variables():
        if v.id in units and not v.hidden:
            assert v.units, v.id
    np.testing.assert_allclose(back.run()[model.stocks[0]], model.run()[model.stocks[0]], rtol=1e-12)


LITERALS = """model literals
time { start 0 stop 10 dt 0.25 units year }
unit child
dim level = [low, high]
stock pop[level] [child] = 100
flow leave[level] [child/year]: pop[level] -> outside = pop[level] / 6 [month]
aux seen [child] = smooth(pop[low], 3 [month])
aux late [child] = delay3(pop[high], 2 [year])
flow born [child/year]: outside -> pop[low] = step(20 [child/year], 2 [year]) + seen * 0.1 [1/year] + late / 1 [year]
"""


def test_numbers_with_units_are_exported_as_constants_with_units(tmp_path: Path) -> None:
    """`pop / 6 [month]` was written `pop / 0.5`: a tool reading units as labels saw child, not
    child/year, and the model came back without units (W106)."""
    m = stockflow.load_text(LITERALS)
    text = write_xmile(m.checked).text
    assert "(pop_low / leave_constant)" in text and "SMTH1(pop_low, seen_constant, pop_low)" in text
    assert '<aux name="seen_constant">\n        <eqn>0.25</eqn>\n        <units>year</units>' in text
    spec = import_xmile(text, str(tmp_path / "x.xmile"))
    assert not spec.notes
    back = stockflow.Model(stockflow.api.compile_spec(spec))
    assert back.unit_text("leave_constant", None) == "year" and back.unit_text("born_constant", None) == "child/year"
    r1, r2 = m.run(), back.run()
    for a, b in (("pop[low]", "pop_low"), ("pop[high]", "pop_high"), ("seen", "seen"), ("late", "late")):
        np.testing.assert_allclose(r2[b], r1[a], rtol=1e-12, atol=1e-12, err_msg=a)


def test_a_smoothing_time_in_other_units_is_read_as_xmile_tools_read_it(tmp_path: Path) -> None:
    """A 3-month smoothing time in a model run in years is 3 years to Stella (units are labels):
    stockflow converted it to 0.25 year in the hidden stock's rate, unnoticed."""
    path = tmp_path / "smth.xmile"
    path.write_text("""<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
      <sim_specs method="Euler" time_units="year"><start>0</start><stop>4</stop><dt>0.25</dt></sim_specs>
      <model><variables>
        <aux name="input"><eqn>STEP(10, 1)</eqn></aux>
        <aux name="t"><eqn>3</eqn><units>month</units></aux>
        <aux name="seen"><eqn>SMTH1(input, t)</eqn></aux>
      </variables></model></xmile>""", encoding="utf-8")
    found = [d for d in stockflow.check(path) if d.code == "W106"]
    assert found and "`seen`" in found[0].message
    s, want = 0.0, [0.0]
    for k in range(16):
        s += 0.25 * ((10.0 if k * 0.25 >= 1 else 0.0) - s) / 3
        want.append(s)
    np.testing.assert_allclose(stockflow.load(path).run()["seen"], want, rtol=1e-12)


def test_lookup_of_a_variable_with_its_own_table(tmp_path: Path) -> None:
    """`LOOKUP(effect, x)` where `effect` is an aux with an inline <gf> reads that table at x,
    as Stella does (SDXorg's test_lookups.stmx); it was E015."""
    path = tmp_path / "gf.stmx"
    path.write_text("""<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
      <sim_specs method="Euler" time_units="year"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
      <model><variables>
        <aux name="effect"><eqn>0</eqn><gf><xscale min="0" max="4"/><ypts>0, 10, 20, 0, 5</ypts></gf></aux>
        <aux name="later"><eqn>LOOKUP(effect, TIME + 0.5)</eqn></aux>
      </variables></model></xmile>""", encoding="utf-8")
    res = stockflow.load(path).run()
    np.testing.assert_allclose(res["later"], [5, 15, 10, 2.5, 5], rtol=1e-14)
    np.testing.assert_allclose(res["effect"], 0.0)


def test_a_fault_in_xmile_units_is_shown_at_its_units_element(tmp_path: Path) -> None:
    """W106 for units that cannot be read pointed at line 1, column 1 of the file."""
    path = tmp_path / "tu.xmile"
    path.write_text("""<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <sim_specs method="Euler" time_units="Time"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
  <model><variables>
    <stock name="s"><eqn>10</eqn><outflow>f</outflow></stock>
    <flow name="f"><eqn>s / t</eqn></flow>
    <aux name="t"><eqn>5</eqn>
      <units>days</units></aux>
  </variables></model></xmile>""", encoding="utf-8")
    found = [d for d in stockflow.check(path) if d.code == "W106"]
    assert found and "`days` is a time unit" in found[0].message
    assert found[0].span is not None and (found[0].span.line, found[0].span.column) == (7, 7)
    assert stockflow.load(path).run()["s"][-1] == pytest.approx(10 * 0.8**4)


def test_a_metrics_numbers_make_no_constants(tmp_path: Path) -> None:
    """XMILE has no metrics, so a number with units in one (`at(cost, 10 year)`) is not
    written; its constant was, and came back as an unused parameter (W102)."""
    m = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
    path = tmp_path / "g.xmile"
    path.write_text(write_xmile(m.checked).text, encoding="utf-8")
    assert not [d for d in stockflow.check(path) if d.code in ("W102", "W106")]


@pytest.mark.parametrize("spec", ["docs/examples/every_construct.sfm", "specs/girfec-ages/girfec-ages.sfm"])
def test_conversions_inside_an_equation_are_written_with_units(spec: str, tmp_path: Path) -> None:
    """A conversion inside an equation (a per-fortnight parameter added to per-month terms; a
    band's length in years over 18 years written as 216 months) was a bare factor, so the
    export came back without units (W106). Each is now a constant with units
    (`fortnight_per_month`, `month_per_year`), and the numbers are the same."""
    import re

    from stockflow.compiler.pipeline import import_xmile

    model = stockflow.load(ROOT / spec)
    text = write_xmile(model.checked).text
    spec_back = import_xmile(text, str(tmp_path / "x.xmile"))
    assert not spec_back.notes
    back = stockflow.Model(stockflow.api.compile_spec(spec_back))
    a, b = model.run(), back.run()
    for s in model.stocks:
        name = s if s in back.stocks else re.sub(r"[\[\],]+", "_", s).strip("_")
        np.testing.assert_allclose(b[name], a[s], rtol=1e-12, err_msg=s)


def test_an_initial_value_that_needs_a_conversion_is_read_as_xmile_tools_read_it(tmp_path: Path) -> None:
    """An initial value in child*year/month, declared child: Stella takes the number as it
    stands; the import converted it, 12 times too many children, and said nothing (the check
    that finds such conversions compared each stock's rate only)."""
    path = tmp_path / "init.xmile"
    path.write_text("""<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>init</name></header>
  <sim_specs time_units="month"><start>0</start><stop>2</stop><dt>1</dt></sim_specs>
  <model><variables>
    <stock name="kids"><eqn>years * per_month</eqn><units>child</units></stock>
    <aux name="years"><eqn>5</eqn><units>year</units></aux>
    <aux name="per_month"><eqn>10</eqn><units>child/month</units></aux>
  </variables></model>
</xmile>
""", encoding="utf-8")
    m = stockflow.load(path)
    assert [w.code for w in m.warnings] == ["W106"] and "`kids`" in m.warnings[0].message
    assert m.run()["kids"][0] == 50


def test_a_delay_whose_time_needs_a_conversion_round_trips(tmp_path: Path) -> None:
    """A delay's time in months in a model run in years: its stage time held a marked
    conversion that was printed as `_conv1`, an undefined name, so the export did not read."""
    m = stockflow.load_text("model sm\ntime { start 0  stop 5  dt 0.25  units year }\nunit child\n"
                            "stock s [child] = 100\nflow f [child/year]: outside -> s = 10 [child/year]\n"
                            "param tau [month] = 6\naux seen [child] = smooth(s, tau)\naux late [child] = delay3(s, tau)\n")
    text = write_xmile(m.checked).text
    assert "_conv" not in text and "SMTH1(" in text and "DELAY3(" in text
    path = tmp_path / "sm.xmile"
    path.write_text(text, encoding="utf-8")
    back = stockflow.load(path)
    assert "W106" not in [w.code for w in back.warnings]
    for name in ("seen", "late"):
        np.testing.assert_allclose(back.run()[name], m.run()[name], rtol=1e-12)


def test_a_flow_without_declared_units_keeps_its_conversion_named(tmp_path: Path) -> None:
    """A flow given no units whose equation is per year, into a stock of a monthly model: its
    conversion into child/month was written as a bare 1/12, so the file came back without
    units (W106)."""
    m = stockflow.load_text("model sm\ntime { start 0  stop 24  dt 1  units month }\nunit child\n"
                            "stock s [child] = 100\nparam r [1/year] = 0.3\nflow out: s -> outside = s * r\n")
    text = write_xmile(m.checked).text
    path = tmp_path / "sm.xmile"
    path.write_text(text, encoding="utf-8")
    back = stockflow.load(path)
    assert "W106" not in [w.code for w in back.warnings] and "year_per_month" in text
    assert back.checked.unitsys.show(back.checked.units["out"]) == "child/month"
    np.testing.assert_allclose(back.run()["s"], m.run()["s"], rtol=1e-12)


def test_a_bare_number_beside_time_is_a_time_when_units_are_read(tmp_path: Path) -> None:
    """`IF TIME >= 2026 AND TIME < 2027` in a file with units gave W105 twice per condition
    (our own export of `pulse(h, 2026, 1)` came back so): the number is a time in the model's
    time unit, as the file means it, and the run is unchanged."""
    path = tmp_path / "timed.xmile"
    path.write_text("""<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
      <sim_specs method="Euler" time_units="year"><start>2024</start><stop>2030</stop><dt>0.5</dt></sim_specs>
      <model><variables>
        <stock name="s"><eqn>0</eqn><inflow>f</inflow><units>child</units></stock>
        <flow name="f"><eqn>IF TIME &gt;= 2026 AND TIME &lt; 2027 THEN 3 ELSE 1</eqn><units>child/year</units></flow>
        <aux name="since"><eqn>TIME - 2024</eqn><units>year</units></aux>
      </variables></model></xmile>""", encoding="utf-8")
    assert [d.code for d in stockflow.check(path)] == []
    out = tmp_path / "timed.sfm"
    assert CliRunner().invoke(main, ["import", str(path), "-o", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "time >= 2026 year and time < 2027 year" in text and "time - 2024 year" in text
    times = 2024 + 0.5 * np.arange(13)
    flow = np.where((times >= 2026) & (times < 2027), 3.0, 1.0)
    want = np.concatenate([[0.0], np.cumsum(0.5 * flow[:-1])])
    got = stockflow.load(path).run()
    np.testing.assert_allclose(got["s"], want, rtol=1e-12)
    np.testing.assert_allclose(got["since"], times - 2024, rtol=1e-12)
