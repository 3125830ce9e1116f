"""The Python API: runs, batches, re-use of compiled code, inputs and run-time errors."""

from __future__ import annotations

import numpy as np
import pytest

import stockflow
from stockflow import RunError
from stockflow.runtime.reference import reference_run

from conftest import ROOT, model

GROWTH = """
unit child
stock kids [child] = 100 { non_negative }
flow births [child/year]: outside -> kids = kids * birth_rate
flow leaving [child/year]: kids -> outside = kids / stay
param birth_rate [1/year] = 0.1 { bounds [0, 1] }
param stay [year] = 5
aux doubled [child] = 2 * kids
metric final_kids [child] = final(kids)
metric kid_years [child*year] = integral(kids)
metric peak [child] = maximum(kids)
metric mean_kids [child] = mean(kids)
"""


@pytest.fixture(scope="module")
def growth() -> stockflow.Model:
    return model(GROWTH, method="rk4")


def test_metrics_match_the_trajectory(growth: stockflow.Model) -> None:
    r = growth.run()
    x = r["kids"]
    # net rate 0.1 - 0.2 = -0.1: exact solution 100 exp(-0.1 t)
    np.testing.assert_allclose(x, 100 * np.exp(-0.1 * r.times), rtol=1e-8)
    assert r.metric("final_kids") == pytest.approx(x[-1], rel=1e-12)
    assert r.metric("kid_years") == pytest.approx(1000 * (1 - np.exp(-1.0)), rel=1e-8)
    assert r.metric("mean_kids") == pytest.approx(r.metric("kid_years") / 10, rel=1e-12)
    assert r.metric("peak") == pytest.approx(100.0)
    np.testing.assert_allclose(r["doubled"], 2 * x)


def test_changing_values_never_retraces(growth: stockflow.Model) -> None:
    growth.run(backend="jax")
    sim = growth.simulator()
    before = sim.trace_count
    for rate in (0.0, 0.2, 0.3):
        growth.run(params={"birth_rate": rate}, initial={"kids": 50}, backend="jax")
    assert sim.trace_count == before


def test_batch_equals_single_runs(growth: stockflow.Model) -> None:
    rates = [0.0, 0.15, 0.3]
    batch = growth.run_batch({"birth_rate": rates})
    for i, rate in enumerate(rates):
        single = growth.run(params={"birth_rate": rate})
        np.testing.assert_array_equal(batch["kids"][i], single["kids"])
        np.testing.assert_array_equal(batch.metric_values[i], single.metric_values)
    rows = growth.run_batch([{"birth_rate": 0.15}], initial=[{"kids": 7}])
    assert rows["kids"][0][0] == 7


def test_jax_matches_numpy_reference(growth: stockflow.Model) -> None:
    r = growth.run(params={"birth_rate": 0.25})
    p = growth.plan()
    times, ref = reference_run(growth.checked, p, growth.param_vector({"birth_rate": 0.25}))
    layout_cols = [v.id for v in growth.variables()]
    for v in r.variables:
        np.testing.assert_allclose(r[v.id], ref[:, layout_cols.index(v.id)], rtol=1e-12, atol=1e-12)


def test_outputs_selection_and_tidy_table(growth: stockflow.Model, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = growth.run(outputs=["kids"])
    assert [v.name for v in r.variables] == ["kids"]
    df = r.to_frame()
    assert set(df.columns) == {"time", "variable", "kind", "units", "value"}
    assert set(df["kind"]) == {"stock", "metric"}
    out = r.write(tmp_path / "sub" / "r.parquet")
    import pandas as pd

    back = pd.read_parquet(out)
    assert len(back) == len(df)
    csv = growth.run().write(tmp_path / "r.csv")
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind
    assert pd.read_csv(csv)["value"].notna().all()


def test_bad_inputs_have_codes(growth: stockflow.Model) -> None:
    with pytest.raises(RunError) as e:
        growth.run(params={"birth_rte": 0.1})
    assert e.value.diagnostics[0].code == "E061" and "birth_rate" in (e.value.diagnostics[0].hint or "")
    with pytest.raises(RunError) as e:
        growth.run(params={"birth_rate": 2})
    assert e.value.diagnostics[0].code == "E051"
    with pytest.raises(RunError) as e:
        growth.run(initial={"doubled": 1})
    assert e.value.diagnostics[0].code == "E061"
    with pytest.raises(stockflow.SpecError) as e:
        growth.run(dt=0.3)
    assert e.value.diagnostics[0].code == "E050"
    with pytest.raises(stockflow.SpecError) as e:  # not pinned on the spec's `dt`, which is fine
        growth.run(dt=0)
    [d] = e.value.diagnostics
    assert d.message.endswith("not 0 (the dt given for this run)") and d.span is None


def test_nan_is_reported_with_variable_and_time() -> None:
    m = model("""
stock x = 1
flow f: outside -> x = 1 / (2 - time)
""", dt=0.5, stop=4)
    with pytest.raises(RunError) as e:
        m.run()
    [d] = e.value.diagnostics
    assert d.code == "E060"
    assert "`f` became inf at time 2" in d.message


def test_non_negative_stock_caps_outflows_and_conserves() -> None:
    m = model("""
stock a = 1 { non_negative }
stock b = 0
flow drain: a -> b = 3
group ab = [a, b]
""", dt=0.25)
    r = m.run()
    assert r["a"].min() >= 0
    np.testing.assert_allclose(r["a"] + r["b"], 1.0, rtol=0, atol=1e-12)
    assert r.conservation["ab"] < 1e-12


def test_a_non_negative_stock_cannot_be_started_below_zero() -> None:
    """A negative start for a `non_negative` stock ran on without a word, in the spec, in a
    scenario and from `--initial`; each is now E051 where it is given."""
    body = "stock a = START { non_negative }\nflow drain: a -> outside = a * 0.1\n"
    with pytest.raises(stockflow.SpecError) as e:
        model(body.replace("START", "-5"))
    [d] = e.value.diagnostics
    assert (d.code, d.message) == ("E051", "`a` is marked non_negative but starts at -5")
    with pytest.raises(stockflow.SpecError) as e:
        model(body.replace("START", "5") + "scenario neg { set a = -1 }\n")
    assert e.value.diagnostics[0].message == "scenario `neg` starts `a` at -1, but the spec marks it non_negative"
    m = model(body.replace("START", "5"))
    with pytest.raises(RunError) as e:
        m.run(initial={"a": -0.5})
    assert e.value.diagnostics[0].code == "E051"
    assert m.run(initial={"a": 0})["a"][-1] == 0.0
    assert model(body.replace("START", "-5").replace(" { non_negative }", "")).run()["a"][0] == -5.0


def test_month_rates_against_a_year_clock() -> None:
    # 12 children a year in, counted on a monthly clock: 1 a month.
    m = model("""
unit child
stock kids [child] = 0
flow arrivals [child/year]: outside -> kids = 12 [child/year]
aux per_month [child/month] = arrivals
""", units="month", stop=6, dt=1)
    r = m.run()
    np.testing.assert_allclose(r["kids"], np.arange(7.0))
    np.testing.assert_allclose(r["per_month"], 1.0)
    np.testing.assert_allclose(r["arrivals"], 12.0)


def test_lookup_smooth_delay_and_time_functions() -> None:
    m = model("""
lookup effect = [(0, 0), (10, 1)]
lookup steps = [(0, 1), (5, 2)] { interpolation step }
lookup wide = [(0, 0), (1, 1)] { extrapolation linear }
aux e = effect(time)
aux s = steps(time)
aux w = wide(time)
aux input = step(10, 2) + ramp(1 [1/year], 4, 6) + pulse(100, 8, 1)
aux sm = smooth(input, 1)
aux d = delay1(input, 2)
aux d3 = delay3(input, 3)
aux s3 = smooth3(input, 1)
stock sink = 0
flow f: outside -> sink = sm + d + d3 + s3 + e + s + w
""", dt=0.5)
    r = m.run()
    t = r.times
    np.testing.assert_allclose(r["e"], np.clip(t / 10, 0, 1))
    np.testing.assert_allclose(r["s"], np.where(t >= 5, 2, 1))
    np.testing.assert_allclose(r["w"], t)
    expected_input = 10 * (t >= 2) + np.clip(t, 4, 6) - 4 + 100 * ((t >= 8) & (t < 9))
    np.testing.assert_allclose(r["input"], expected_input)
    assert r["sm"][0] == 0 and 0 < r["sm"][8] < 10  # lags the step at t = 2
    assert r["d"][0] == 0


def test_bundled_spec_by_name() -> None:
    m = stockflow.load("stockflow:girfec")
    assert m.name == "girfec"
    with pytest.raises(stockflow.SpecError):
        stockflow.load("stockflow:nothing")


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, stockflow; print('jax' in sys.modules, 'sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_oversized_runs_are_refused_with_advice() -> None:
    m = model("stock x = 1\nflow f: x -> outside = x * k\nparam k [1/year] = 0.1\n", stop=10_000_000, dt=1)
    with pytest.raises(RunError) as e:  # 20 runs x 10 million times x 2 outputs x 8 bytes = 3.2 GB
        m.run_batch({"k": [0.1] * 20})
    assert e.value.diagnostics[0].code == "E006" and "save" in (e.value.diagnostics[0].hint or "")


def test_windows_dates_and_discounting() -> None:
    m = model("""
stock a = 100
flow f: a -> outside = a * 0.1 [1/year]
aux c [1/year] = 1 [1/year]
metric window [1] = integral(c, 2, 5)
metric window_months [1] = integral(c, 24 month, 60 month)
metric mean_window = mean(a, 2, 5)
metric a_at_4 = at(a, 4)
metric green_book [1] = discounted(c)
metric five_percent [1] = discounted(c, 0.05)
""", dt=0.01)
    r = m.run()
    assert r.metric("window") == pytest.approx(3, rel=1e-12)
    assert r.metric("window_months") == pytest.approx(3, rel=1e-12)
    # Euler: a_k = 100 (1 - 0.001)^k; the window [2, 5) holds steps 200 to 499
    exact_mean = sum(100 * 0.999**k for k in range(200, 500)) * 0.01 / 3
    assert r.metric("mean_window") == pytest.approx(exact_mean, rel=1e-12)
    assert r.metric("a_at_4") == pytest.approx(100 * 0.999**400, rel=1e-12)
    # Euler sum of (1 + r)^-t over steps of 0.01 years, against the integral to O(dt)
    assert r.metric("green_book") == pytest.approx((1 - 1.035**-10) / np.log(1.035), rel=1e-3)
    assert r.metric("five_percent") == pytest.approx((1 - 1.05**-10) / np.log(1.05), rel=1e-3)
    with pytest.raises(stockflow.SpecError) as e:
        model("stock a = 1\nmetric x = at(a, 4.123)\n", dt=0.5).run()
    assert e.value.diagnostics[0].code == "E050"
    with pytest.raises(stockflow.SpecError) as e:
        model("stock a = 1\nmetric x = integral(a, 2)\n")
    assert e.value.diagnostics[0].code == "E013"


def test_at_metrics_read_the_state_whatever_is_recorded() -> None:
    """at(...) reads the same values whether the run records every variable, one stock (the
    states it needs are then caught during the loop), or every other step."""
    m = model("""
stock a = 100
stock b = 0
flow f: a -> b = a * 0.3 [1/year]
aux twice_b = 2 * b
metric a_at_2 = at(a, 2)
metric b2_at_3 = at(twice_b, 3)
metric a_at_end = at(a, 10)
metric a_at_start = at(a, 0)
""", dt=0.25)
    full = m.run()
    a, b = full["a"], full["b"]
    want = {"a_at_2": a[8], "b2_at_3": 2 * b[12], "a_at_end": a[-1], "a_at_start": 100.0}
    for kwargs in ({}, {"outputs": ["b"]}, {"outputs": ["a"], "save_step": 0.5}, {"save_step": 1.0}):
        r = m.run(**kwargs)
        for name, value in want.items():
            assert r.metric(name) == pytest.approx(value, rel=1e-14), (kwargs, name)
    assert m.run(outputs=["b"], save_step=0.5)["b"][-1] == pytest.approx(b[-1], rel=1e-14)


def test_chunked_batches_are_bit_identical(growth: stockflow.Model, monkeypatch: pytest.MonkeyPatch) -> None:
    import stockflow.api as api

    rates = list(np.linspace(0, 0.3, 11))
    whole = growth.run_batch({"birth_rate": rates})
    # 11 runs in chunks of 4 (the last padded): the same values, bit for bit
    monkeypatch.setattr(api, "chunk_runs", lambda *args: 4)
    chunked = growth.run_batch({"birth_rate": rates})
    np.testing.assert_array_equal(chunked.values, whole.values)
    np.testing.assert_array_equal(chunked.metric_values, whole.metric_values)
    # 300 runs in chunks of at most 140: three balanced chunks of 100, rounded up to 128 runs
    many = list(np.linspace(0, 0.3, 300))
    monkeypatch.setattr(api, "chunk_runs", lambda *args: 140)
    chunked = growth.run_batch({"birth_rate": many})
    monkeypatch.setattr(api, "chunk_runs", lambda *args: 1000)
    np.testing.assert_array_equal(chunked.values, growth.run_batch({"birth_rate": many}).values)
    seen = []
    sim = growth.simulator()
    p = growth.plan()
    vecs = np.stack([growth.param_vector({"birth_rate": r}) for r in rates])
    o, mk = growth.initial_vectors()
    sim.run(p, vecs, np.tile(o, (11, 1)), np.tile(mk, (11, 1)), growth.output_ids(None), 4, seen.append)
    assert seen == [4, 4, 3]


def test_compiled_runs_are_cached_on_disk() -> None:
    """A new process that runs a model again reads its compiled code instead of compiling."""
    import os

    from conftest import ROOT

    stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").run()
    cache = os.environ["STOCKFLOW_CACHE_DIR"]
    assert cache and os.listdir(cache)


def test_a_model_says_what_it_is_when_printed() -> None:
    """`print(model)` at a prompt gave `<stockflow.api.Model object at 0x7f...>`."""
    m = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
    assert repr(m) == ("<Model girfec_arrayed: 5 stocks, 24 flows, 33 parameters, 11 metrics, 4 scenarios; "
                       "0 to 120 months, rk4 dt 0.25>")
    one = stockflow.load_text("time { start 0 stop 1 dt 1 units year }\nstock s = 1\n")
    assert repr(one) == "<Model <spec>: 1 stock, 0 flows, 0 parameters, 0 metrics, 0 scenarios; 0 to 1 years, euler dt 1>"
