"""XMILE arrays: dimensions (named and numbered), apply-to-all and per-element equations,
wildcards and array functions, and the layout Stella 10 and older save, each checked against
a NumPy computation of the same equations; an imported arrayed model runs as its spec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stockflow
from stockflow.compiler.base.diagnostics import SpecError

from conftest import ROOT

MODELS = ROOT / "tests" / "models" / "xmile_arrays"


def test_one_dimension_against_numpy() -> None:
    res = stockflow.load(MODELS / "one_dimension.xmile").run()
    pop = np.array([100.0, 250.0, 50.0])
    rate = np.array([0.03, 0.01, 0.05])
    for _ in range(40):  # Euler, dt 0.5
        pop = pop + 0.5 * (pop * rate - pop * 0.02)
    np.testing.assert_allclose(res["population"][-1], pop, rtol=1e-13)
    assert res["total"][-1] == pytest.approx(pop.sum(), rel=1e-13)
    assert res["average"][-1] == pytest.approx(pop.mean(), rel=1e-13)
    assert res["smallest"][-1] == pytest.approx(pop.min(), rel=1e-13)
    assert res["largest"][-1] == pytest.approx(pop.max(), rel=1e-13)
    assert res["share[south]"][-1] == pytest.approx(pop[1] / pop.sum(), rel=1e-13)
    assert res["south_then_west"][-1] == pytest.approx(pop[1] - pop[2], rel=1e-12)
    assert "Population[North_East]" in res.wide().columns


def test_two_dimensions_in_the_stella_10_layout_against_numpy() -> None:
    res = stockflow.load(MODELS / "two_dimensions_stella10.xmile").run()
    band = np.array([1.0, 2.0, 3.0])
    x = np.vstack([10 * band + 5, 10 * band + 5])
    rate = np.array([[0.2], [0.5]])

    def f(c: np.ndarray) -> np.ndarray:
        return -c * rate / band

    h = 0.25
    for _ in range(48):  # RK4
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    np.testing.assert_allclose(res["cases"][-1], x.reshape(-1), rtol=1e-12)
    np.testing.assert_allclose(res["open_by_site"][-1], x.sum(axis=1), rtol=1e-12)
    assert res["band_two"][-1] == pytest.approx(x[1, 1], rel=1e-12)


def test_stella_10_drawing_elements_are_skipped() -> None:
    """Stella 10 saves each variable's place on the diagram as <display>, and the diagram's
    connectors as a <display> beside the variables in <model>: E071 before, so SDXorg's
    teacup, SIR and hares-and-lynxes `_legacy.stmx` files did not open (they now match
    their canonical outputs)."""
    m = stockflow.load(ROOT / "tests" / "models" / "xmile_legacy" / "savings_legacy.stmx")
    assert not [d for d in m.checked.diagnostics if d.code == "W106"]
    np.testing.assert_allclose(m.run()["balance"], 100 * 1.0125 ** np.arange(41), rtol=1e-13)


def test_arrayed_graphical_functions_against_numpy() -> None:
    """One <gf> for a whole array (each element looks up its own value), one <gf> per element
    (clamped, with x points, extrapolated), and per-element equations of an aux."""
    res = stockflow.load(MODELS / "graphical_functions.xmile").run()
    x = np.full(3, 10.0)
    weights = np.array([1.0, 3.0, 9.0])
    for _ in range(12):  # Euler, dt 0.5
        pressure = np.array([np.interp(x[0], [0, 20], [0, 1]), np.interp(x[1], [0, 10, 30], [1, 2, 2.5]),
                             2 * x[2] / 10])  # linear extrapolation past x = 10
        closures = np.interp(x, [0, 20, 40], [0, 1, 6])
        x = x + 0.5 * (pressure - closures)
    np.testing.assert_allclose(res["caseload"][-1], x, rtol=1e-13)
    np.testing.assert_allclose(res["weight"][-1], weights * x, rtol=1e-13)


def test_an_imported_arrayed_model_runs_as_its_spec(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stockflow.cli import main

    out = tmp_path / "one.sfm"
    r = CliRunner().invoke(main, ["import", str(MODELS / "one_dimension.xmile"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "dim Region = [North_East, South, West]" in text
    a = stockflow.load(MODELS / "one_dimension.xmile").run()
    b = stockflow.load(out).run()
    np.testing.assert_array_equal(a.values, b.values)


def test_an_unknown_dimension_is_named(tmp_path: Path) -> None:
    text = (MODELS / "one_dimension.xmile").read_text(encoding="utf-8")
    bad = tmp_path / "bad.xmile"
    bad.write_text(text.replace('<dimensions><dim name="Region"/></dimensions>\n        <eqn>Population * leave',
                                '<dimensions><dim name="Regoin"/></dimensions>\n        <eqn>Population * leave'),
                   encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        stockflow.load(bad)
    assert exc.value.diagnostics[0].code == "E091" and "Regoin" in exc.value.diagnostics[0].message


DELAY = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>delay</name></header>
  <sim_specs method="METHOD"><start>0</start><stop>10</stop><dt>0.5</dt></sim_specs>
  <model><variables>
    <stock name="done"><eqn>0</eqn><inflow>completions</inflow></stock>
    <flow name="completions"><eqn>DELAY(starts, 2, 1)</eqn></flow>
    <aux name="starts"><eqn>TIME * TIME</eqn></aux>
  </variables></model>
</xmile>
"""


def test_delay_is_the_input_exactly_that_time_earlier(tmp_path: Path) -> None:
    p = tmp_path / "delay.xmile"
    p.write_text(DELAY.replace("METHOD", "Euler"), encoding="utf-8")
    m = stockflow.load(p)
    res = m.run()
    t = res.times
    want = np.where(t < 2, 1.0, (t - 2) ** 2)
    np.testing.assert_allclose(res["completions"], want, rtol=1e-12, atol=1e-12)
    with pytest.raises(stockflow.RunError) as exc:
        m.run(dt=0.25)
    assert exc.value.diagnostics[0].code == "E050"
    from stockflow.compiler.write.xmile import write_xmile

    assert "DELAY(starts, 2, 1)" in write_xmile(m.checked).text
    p.write_text(DELAY.replace("METHOD", "RK4"), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        stockflow.load(p)
    assert err.value.diagnostics[0].code == "E013" and "Euler" in err.value.diagnostics[0].message


def test_modules_are_flattened_with_their_ports_against_numpy() -> None:
    res = stockflow.load(MODELS / "modules.xmile").run()
    for name, arrivals in (("North", 4.0), ("South", 6.0)):
        w = 10.0
        for _ in range(20):  # Euler, dt 0.5: waiting' = arrivals - 0.3 waiting
            w = w + 0.5 * (arrivals - 0.3 * w)
        assert res[f"{name}_waiting"][-1] == pytest.approx(w, rel=1e-13)
    assert res["total_waiting"][-1] == pytest.approx(res["North_waiting"][-1] + res["South_waiting"][-1], rel=1e-14)
    assert res["north_seen"][-1] == pytest.approx(0.3 * res["North_waiting"][-1], rel=1e-14)


def test_a_module_without_its_model_is_named(tmp_path: Path) -> None:
    text = (MODELS / "modules.xmile").read_text(encoding="utf-8").replace('isee:model_name="staff"',
                                                                        'isee:model_name="stafff"')
    bad = tmp_path / "bad.xmile"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        stockflow.load(bad)
    assert exc.value.diagnostics[0].code == "E072" and "team" in exc.value.diagnostics[0].message


@pytest.mark.parametrize("source", [MODELS / "one_dimension.xmile", MODELS / "two_dimensions_stella10.xmile",
                                    MODELS / "graphical_functions.xmile",
                                    ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm",
                                    ROOT / "tests" / "models" / "sir_by_age.sfm"],
                         ids=["one_dimension", "two_dimensions", "graphical_functions", "girfec_arrayed",
                              "contact_matrix"])
def test_arrays_round_trip_through_xmile(source: Path, tmp_path: Path) -> None:
    from stockflow.compiler.write.xmile import write_xmile

    m = stockflow.load(source)
    text = write_xmile(m.checked).text
    out = tmp_path / "back.xmile"
    out.write_text(text, encoding="utf-8")
    back = stockflow.load(out)
    a, b = m.run(), back.run()
    import re

    for s in m.stocks:  # the same stocks: as an array where XMILE holds one, else element by element
        name = s if s in back.stocks else re.sub(r"[\[\],]+", "_", s).strip("_")
        np.testing.assert_allclose(b[name], a[s], rtol=1e-12)
    if source.suffix == ".xmile":
        assert "<dimensions>" in text and "<element subscript=" in text


def test_a_long_sum_exported_element_by_element_reads_back(tmp_path: Path) -> None:
    """Moves between levels cannot be an XMILE array, so they export element by element, and a
    cost over 40 areas at three levels became a sum of 120 terms written out. Reading the
    file back refused it ("nested deeper than 100 levels"): stockflow could not read its own
    export of a model of all Scotland's authorities."""
    from stockflow.compiler.write.xmile import write_xmile

    areas = ", ".join(f"a{i}" for i in range(40))
    m = stockflow.load_text(f"""time {{ start 0  stop 4  dt 0.25  units year }}
dim area = [{areas}]
dim level = [low, mid, high]
stock kids[area, level] = {{(a0, low): 50, else: 10}}
param cost[level] = {{low: 1, mid: 10, high: 100}}
flow up[area, level]: kids[area, level] -> kids[area, level + 1] = kids[area, level] * 0.1 {{ where level != high }}
aux cost_rate = sum(kids[area!, level!] * cost[level!])
""")
    out = tmp_path / "back.xmile"
    out.write_text(write_xmile(m.checked).text, encoding="utf-8")
    a, b = m.run(), stockflow.load(out).run()
    np.testing.assert_allclose(b["cost_rate"], a["cost_rate"], rtol=1e-12)
    np.testing.assert_allclose(b["kids_a0_high"], a["kids[a0,high]"], rtol=1e-12)
    assert a["cost_rate"][0] == pytest.approx(50 + 39 * 10 + 40 * 10 * 10 + 40 * 10 * 100)


def test_stella_layouts_a_shared_table_input_and_a_pulse_once() -> None:
    """As Stella Architect saves them: an arrayed graphical function whose elements have a
    table each and share one <eqn> written beside them (was E072, "has no equation"), and
    PULSE(volume, first, 0) for a single pulse (was E053, a division by zero)."""
    res = stockflow.load(MODELS / "shared_gf_input.xmile").run()
    xs = np.linspace(1, 13, 13)
    pizza = [97, 91, 86, 78, 72, 66, 58, 50, 44, 33, 20, 3, 0]
    salad = [2, 6, 10, 15, 20, 31, 45, 54, 62, 69, 80, 92, 100]
    times = 1 + 0.25 * np.arange(48)
    for name, ys in (("Pizza", pizza), ("Salad", salad)):
        demand = np.interp(times, xs, ys)
        np.testing.assert_allclose(res[f"demand[{name.lower()}]"][:-1], demand, rtol=1e-13)
        assert res[f"sold[{name.lower()}]"][-1] == pytest.approx(0.25 * demand.sum(), rel=1e-13)
    harvested = res["harvested"]
    assert harvested[-1] == pytest.approx(100, rel=1e-13)  # once, at time 4, not again at 8 or 12
    assert np.count_nonzero(np.diff(harvested)) == 1 and harvested[np.searchsorted(times, 4) + 1] == pytest.approx(100)
    assert res["again"][-1] == pytest.approx(10, rel=1e-13) and np.count_nonzero(np.diff(res["again"])) == 1


def test_equations_listed_in_element_order_against_numpy(tmp_path: Path) -> None:
    """An array's `<eqn>1, 2; 3, 4</eqn>` (Vensim's lists of constants, as xmutil writes them)
    and one <eqn> an element without <element> wrappers: each element's own, in order, the
    last dimension fastest. Only the first was read before: the other elements took its value."""
    res = stockflow.load(MODELS / "listed_equations.xmile").run()
    rates, pop = np.array([0.1, 0.2, -0.05]), np.array([10.0, 20.0, 30.0])
    for _ in range(8):  # Euler, dt 0.5
        pop = pop + 0.5 * pop * rates
    np.testing.assert_allclose(res["pop"][-1], pop, rtol=1e-13)
    assert [res[f"grid[{e},{b}]"][0] for e in "abc" for b in "xy"] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(res["each"][-1], [2 * pop[0], pop[1] + 4, 4.0], rtol=1e-13)
    text = (MODELS / "listed_equations.xmile").read_text(encoding="utf-8")
    bad = {"short.xmile": text.replace("0.1, 0.2, -0.05", "0.1, 0.2"),
           "unconverted.xmile": text.replace("0.1, 0.2, -0.05", " ??? "),
           "twice.xmile": text.replace("<eqn>TIME</eqn>\n</aux>", "<eqn>TIME</eqn>\n</aux>\n<aux name=\"one\">"
                                       "<eqn>1</eqn><eqn>2</eqn></aux>")}
    words = {"short.xmile": ("E093", "lists 2 values for its 3 elements"),
             "unconverted.xmile": ("E072", "has `???` for its equation"),
             "twice.xmile": ("E072", "`one` has 2 <eqn>s")}
    for name, body in bad.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
        with pytest.raises(SpecError) as exc:
            stockflow.load(tmp_path / name)
        d = exc.value.diagnostics[0]
        assert (d.code, words[name][1] in d.message) == (words[name][0], True), d
        assert d.span is not None and d.span.line > 1


MATRIX = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>matrix</name></header>
  <sim_specs><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
  <dimensions><dim name="g"><elem name="a"/><elem name="b"/></dim></dimensions>
  <model><variables>
    <stock name="x"><dimensions><dim name="g"/></dimensions><eqn>1</eqn><inflow>grow</inflow></stock>
    <flow name="grow"><dimensions><dim name="g"/></dimensions>
      <element subscript="a"><eqn>m[a, a] * x[a] + m[a, b] * x[b]</eqn></element>
      <element subscript="b"><eqn>m[b, a] * x[a] + m[b, b] * x[b]</eqn></element>
    </flow>
    <aux name="m"><dimensions><dim name="g"/><dim name="g"/></dimensions>
      <element subscript="a, a"><eqn>0.1</eqn></element><element subscript="a, b"><eqn>0.2</eqn></element>
      <element subscript="b, a"><eqn>0.3</eqn></element><element subscript="b, b"><eqn>0.4</eqn></element>
    </aux>
  </variables></model>
</xmile>
"""


def test_a_matrix_over_one_dimension_twice_against_numpy(tmp_path: Path) -> None:
    """A variable whose `<dimensions>` name one dimension twice (a matrix) reads, and runs as
    x' = M x."""
    path = tmp_path / "matrix.xmile"
    path.write_text(MATRIX, encoding="utf-8")
    r = stockflow.load(path).run()
    m, x = np.array([[0.1, 0.2], [0.3, 0.4]]), np.ones(2)
    for _ in range(4):
        x = x + m @ x
    np.testing.assert_allclose([r["x[a]"][-1], r["x[b]"][-1]], x, rtol=1e-12)


def test_element_equations_that_name_only_their_own_element_read_as_one(tmp_path: Path) -> None:
    """An exported array (every element its own `<element>`) came back as a table of equations
    that differ only in naming their own element; it reads as the one equation it was
    (`pop[age] - 1`), and elements that really differ stay a table."""
    from stockflow.compiler.pipeline import import_xmile
    from stockflow.compiler.write.format import format_dsl
    from stockflow.compiler.write.xmile import write_xmile

    m = stockflow.load(ROOT / "tests" / "models" / "sir_by_age.sfm")
    spec = import_xmile(write_xmile(m.checked).text, str(tmp_path / "x.xmile"))
    text = format_dsl(spec)
    assert "stock susceptible[age] [person] = pop[age] - susceptible_constant\n" in text
    assert "flow recovery_flow[age] [person/day]: infected[age] -> recovered[age] = infected[age] / recovery\n" in text
    assert "aux force[age] [1/day] = {" in text  # its elements differ: a table still
    back = stockflow.Model(stockflow.api.compile_spec(spec))
    for s in m.stocks:
        np.testing.assert_allclose(back.run()[s], m.run()[s], rtol=1e-12)
