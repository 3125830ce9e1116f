"""Scenarios: values and flow scalings on the same compiled model, run together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import stockflow
from stockflow import RunError, SpecError
from stockflow.cli import main

from conftest import ROOT, model

DRAIN = """
stock a = 100
flow f: a -> outside = a * k { tags drain }
param k [1/year] = 0.1 { bounds [0, 1] }
metric final_a = final(a)
scenario slow { scale drain by 0.5 }
scenario later { scale f by 0.5 from 5 }
scenario ramped { extends slow  set a = 50  scale drain by 0.5 from 2 over 4 }
scenario faster { set k = 0.2 }
"""


@pytest.fixture(scope="module")
def drain() -> stockflow.Model:
    return model(DRAIN, dt=0.05)


def test_scenarios_against_exact_discrete_solutions(drain: stockflow.Model) -> None:
    r = drain.run_scenarios()
    assert r.names == ("baseline", "slow", "later", "ramped", "faster")
    final = dict(zip(r.names, r.batch["final_a"], strict=True))
    n = 200  # Euler steps of 0.05 over 10 years: (1 - k dt)^n
    assert final["baseline"] == pytest.approx(100 * (1 - 0.1 * 0.05) ** n, rel=1e-12)
    assert final["slow"] == pytest.approx(100 * (1 - 0.05 * 0.05) ** n, rel=1e-12)
    assert final["faster"] == pytest.approx(100 * (1 - 0.2 * 0.05) ** n, rel=1e-12)
    assert final["later"] == pytest.approx(100 * (1 - 0.1 * 0.05) ** 100 * (1 - 0.05 * 0.05) ** 100, rel=1e-12)
    ramped = r["ramped"]
    # `ramped` replaces its parent's scaling of `drain` by one that phases in from t = 2 to 6
    assert ramped["a"][0] == 50
    t = ramped.times
    rate = ramped["f"] / ramped["a"]
    np.testing.assert_allclose(rate[t <= 2], 0.1)
    np.testing.assert_allclose(rate[t >= 6], 0.05)
    mid = np.argmin(abs(t - 4))
    assert rate[mid] == pytest.approx(0.075)


def test_scenarios_share_one_compiled_function(drain: stockflow.Model) -> None:
    drain.run_scenarios(backend="jax")
    scaled = tuple(sorted({"f"}))
    before = drain.simulator(scaled).trace_count
    drain.run_scenarios(["slow", "ramped", "faster", "later"], backend="jax")
    assert drain.simulator(scaled).trace_count == before


def test_metrics_table_and_tidy_output(drain: stockflow.Model, tmp_path: Path) -> None:
    r = drain.run_scenarios(["faster"])
    table = r.metrics_table()
    assert list(table.scenario) == ["baseline", "faster"]
    assert table.difference.iloc[0] == 0 and table.difference.iloc[1] < 0
    out = r.write(tmp_path / "s.csv")
    df = pd.read_csv(out)
    assert set(df.scenario) == {"baseline", "faster"}


def test_scenario_errors() -> None:
    cases = {
        "scenario s { set kk = 1 }": "E010",
        "aux x = 1\nscenario s { set x = 1 }": "E015",
        "scenario s { set k = 2 }": "E051",
        "scenario s { scale nothing by 2 }": "E010",
        "scenario s { extends t }": "E010",
        "scenario s { extends t }\nscenario t { extends s }": "E017",
        "scenario s { scale drain by 0.5 from 1  scale f by 2 from 2 }": "E016",
        "aux y = s\nscenario s { set k = 0.5 }": "E015",
        "scenario s { scale drain by -1 }": "E051",  # ran the outflow backwards, as an inflow, silently
    }
    base = "stock a = 100\nflow f: a -> outside = a * k { tags drain }\nparam k [1/year] = 0.1 { bounds [0, 1] }\n"
    for body, code in cases.items():
        with pytest.raises(SpecError) as e:
            model(base + body)
        assert code in [d.code for d in e.value.diagnostics], body


def test_unknown_scenario_in_a_run(drain: stockflow.Model) -> None:
    with pytest.raises(RunError) as e:
        drain.run_scenarios(["slw"])
    assert e.value.diagnostics[0].code == "E061" and "slow" in (e.value.diagnostics[0].hint or "")


def test_girfec_scenarios_in_both_forms_and_the_cli(tmp_path: Path) -> None:
    dsl = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").run_scenarios()
    yml = stockflow.load(ROOT / "specs" / "girfec" / "girfec.yaml").run_scenarios()
    assert dsl.names == yml.names == ("baseline", "wm2u", "wm2u_stronger", "wm2u_uncertain")
    np.testing.assert_array_equal(dsl.batch.metric_values, yml.batch.metric_values)
    cost = {name: dsl[name].metric("total_cost") for name in dsl.names[:3]}
    assert cost["wm2u_stronger"] < cost["wm2u"] < cost["baseline"]
    spread = dsl.metrics_table().query("scenario == 'wm2u_uncertain' and metric == 'total_cost'")
    assert spread.runs.item() == 200 and spread.p5.item() < cost["wm2u"] < spread.p95.item()
    out = tmp_path / "sc.parquet"
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--scenarios",
                                  "wm2u", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "baseline: baseline" in r.stdout and "wm2u" in r.stdout and "-0.20%" in r.stdout
    assert set(pd.read_parquet(out).scenario) == {"baseline", "wm2u"}
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--scenarios", "x,y"])
    assert r.exit_code == 1 and "E061" in r.stderr


def test_a_child_spec_adds_scenarios_and_diff_compares_under_each(tmp_path: Path) -> None:
    child = tmp_path / "c.sfm"
    child.write_text('extends "stockflow:girfec"\nscenario cheap "Cheaper delivery" {\n  extends wm2u\n'
                     '  set cost_per_family = 1000\n}\n')
    m = stockflow.load(child)
    assert m.scenarios == ["baseline", "wm2u", "wm2u_stronger", "wm2u_uncertain", "cheap"]
    r = CliRunner().invoke(main, ["diff", str(ROOT / "specs" / "girfec" / "girfec.sfm"), str(child), "--run"])
    assert "scenario wm2u_uncertain:" not in r.stdout  # runs with draws are compared via their tables
    assert r.exit_code == 1 and "+ scenario cheap: only in B" in r.stdout
    assert "scenario baseline:" in r.stdout and "scenario wm2u_stronger:" in r.stdout


UNCERTAIN = """
stock a = 100
flow f: a -> outside = a * k
param k [1/year] = 0.1 { bounds [0, 1] }
param g = 1 { bounds [0, 2] }
aux h [1] = g
metric final_a = final(a)
metric final_h = final(h)
scenario grid { sweep k over [0.1, 0.2]  sweep g over [0.5, 1, 1.5] }
scenario mc { sample k ~ normal(0.2, 0.05)  draws 400  seed 1 }
scenario lhs { sample k ~ triangular(0.1, 0.2, 0.4)  draws 50  latin_hypercube }
"""


@pytest.fixture(scope="module")
def uncertain() -> stockflow.Model:
    return model(UNCERTAIN, dt=0.1)


def test_sweeps_make_a_grid(uncertain: stockflow.Model) -> None:
    r = uncertain.run_scenarios(["grid"])
    grid = [dict(run.swept) for run in r.runs if run.scenario == "grid"]
    assert grid == [{"k": k, "g": g} for k in (0.1, 0.2) for g in (0.5, 1, 1.5)]
    table = r.metrics_table()
    row = table[(table.scenario == "grid") & (table.metric == "final_a") & (table.point == "k=0.2, g=1.5")]
    assert row.value.item() == pytest.approx(100 * (1 - 0.2 * 0.1) ** 100, rel=1e-12)
    h = table[(table.scenario == "grid") & (table.metric == "final_h")]
    assert list(h.value) == [0.5, 1, 1.5, 0.5, 1, 1.5]


def test_monte_carlo_is_seeded_truncated_and_summarised(uncertain: stockflow.Model) -> None:
    a, b = uncertain.run_scenarios(["mc"]), uncertain.run_scenarios(["mc"])
    np.testing.assert_array_equal(a.batch.metric_values, b.batch.metric_values)
    ks = a.inputs().query("scenario == 'mc'").value.to_numpy()
    assert len(ks) == 400 and ks.min() >= 0 and abs(ks.mean() - 0.2) < 0.01 and abs(ks.std() - 0.05) < 0.006
    row = a.metrics_table().query("scenario == 'mc' and metric == 'final_a'")
    finals = a.batch["final_a"][a.indices("mc")]
    assert row.value.item() == pytest.approx(np.median(finals))
    assert row.p5.item() == pytest.approx(np.percentile(finals, 5))
    assert row.p5.item() < row.value.item() < row.p95.item()


def test_latin_hypercube_covers_each_stratum(uncertain: stockflow.Model) -> None:
    r = uncertain.run_scenarios(["lhs"])
    ks = np.sort(r.inputs().query("scenario == 'lhs'").value.to_numpy())
    from scipy import stats

    u = stats.triang(c=0.1 / 0.3, loc=0.1, scale=0.3).cdf(ks)
    assert np.array_equal(np.floor(u * 50), np.arange(50))  # one draw in each of 50 equal-probability bins


def test_sampling_errors() -> None:
    base = "stock a = 1\nparam k [1/year] = 0.1 { bounds [0, 1] }\nflow f: a -> outside = a * k\n"
    for body, code in {"scenario s { sample k ~ gaussian(0, 1) }": "E013",
                       "scenario s { sample k ~ uniform(0, 2) }": "E051",
                       "scenario s { sample k ~ normal(0.1, -1) }": "E053",
                       "scenario s { sample k ~ triangular(0, 1) }": "E013",
                       "scenario s { sweep k over [0.1, 5] }": "E051",
                       "scenario s { sweep a over [1, 2] }": "E015",
                       "scenario s { sample z ~ uniform(0, 1) }": "E010"}.items():
        with pytest.raises(SpecError) as e:
            model(base + body)
        assert code in [d.code for d in e.value.diagnostics], body


def test_cli_shows_percentiles(uncertain: stockflow.Model, tmp_path: Path) -> None:
    spec = tmp_path / "u.sfm"
    spec.write_text("time { start 0  stop 10  dt 0.1  units year }\n" + UNCERTAIN)
    r = CliRunner().invoke(main, ["run", str(spec), "--scenarios", "mc,grid", "-o", str(tmp_path / "u.csv")])
    assert r.exit_code == 0, r.output
    assert "407 runs of 3 scenarios in one call" in r.stdout
    assert "median" in r.stdout and "p95" in r.stdout and "k=0.2, g=1.5" in r.stdout
    df = pd.read_csv(tmp_path / "u.csv")
    assert set(df.columns) >= {"scenario", "point", "draw", "run", "time", "variable", "value"}


def test_break_even_when_costs_rise_first(tmp_path: Path) -> None:
    m = model("""
aux cost_rate = if time < 2 then 10 else 0
stock s = 0
flow f: outside -> s = cost_rate
scenario early { }
""", dt=0.5)
    r = m.run_scenarios()
    # A scenario that spends 5 a year more for two years, then saves 4 a year: cumulative gap
    # +10 at t = 2, back to 0 at t = 4.5.
    m2 = model("""
aux cost_rate = base + extra * (if time < 2 then 1 else 0) - saving * (if time >= 2 then 1 else 0)
param base = 10
param extra = 0
param saving = 0
stock s = 0
flow f: outside -> s = cost_rate
scenario invest { set extra = 5  set saving = 4 }
scenario never { set extra = 5 }
scenario always_cheaper { set saving = 1 }
""", dt=0.25)
    table = m2.run_scenarios().break_even("cost_rate").set_index("scenario")
    assert table.loc["invest", "break_even"] == pytest.approx(4.5)
    assert m2.run_scenarios().break_even("s").set_index("scenario").loc["invest", "break_even"] == pytest.approx(4.5)
    assert np.isnan(table.loc["never", "break_even"]) and table.loc["never", "share"] == 0
    assert table.loc["always_cheaper", "break_even"] == 0
    assert r.names == ("baseline", "early")
    with pytest.raises(RunError):
        m2.run_scenarios().break_even("nothing")
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--scenarios", "wm2u",
                                  "--break-even", "cost_rate"])
    assert r.exit_code == 0 and "wm2u" in r.stdout.split("break-even")[-1] and "month" in r.stdout


def test_break_even_on_a_metric_or_an_array_says_what_to_give() -> None:
    """`--break-even total_cost` (a metric) and an array's name were internal errors."""
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--scenarios", "wm2u",
                                  "--break-even", "total_cost"])
    assert r.exit_code != 0 and "E061" in r.output and "is a metric" in r.output and "internal" not in r.output
    runs = stockflow.load(ROOT / "tests" / "models" / "sir_by_age.sfm").run_scenarios()
    with pytest.raises(RunError) as exc:
        runs.break_even("infected")
    assert "`infected[young]`" in (exc.value.diagnostics[0].hint or "")
    assert runs.batch["infected"].shape == (1, len(runs.batch.times), 3)  # (runs, times, elements)
    assert runs.break_even("infected[young]").break_even.iloc[0] == 0  # the baseline against itself


def test_four_ways_to_the_same_intensive_rise(tmp_path: Path) -> None:
    spec = ROOT / "specs" / "examples" / "intensive_four_ways.sfm"
    m = stockflow.load(spec)
    assert m.warnings == ()
    r = m.run_scenarios()
    boxes = [n for n in r.names if n.startswith("box_")]
    assert boxes == ["box_a", "box_b", "box_c", "box_d"]
    first = r[boxes[0]]["intensive"]
    assert first[-1] > first[0]
    slopes = {}
    for box in boxes:
        run = r[box]
        np.testing.assert_allclose(run["intensive"], first, rtol=1e-12)  # the same stock ...
        slopes[box] = (np.sign(run["joining"][-1] - run["joining"][0]), np.sign(run["leaving"][-1] - run["leaving"][0]))
    # ... from four different combinations of inflow and outflow trends
    assert slopes == {"box_a": (0, -1), "box_b": (1, 1), "box_c": (1, 0), "box_d": (-1, -1)}
    stays = {box: r[box].metric("stay_at_end") for box in boxes}
    assert stays["box_d"] > stays["box_a"] > stays["box_c"] > stays["box_b"]
    out = tmp_path / "four.png"
    res = CliRunner().invoke(main, ["plot", str(spec), "--kind", "flows-by-scenario", "--stock", "intensive",
                                    "-o", str(out)])
    assert res.exit_code == 0 and out.read_bytes().startswith(b"\x89PNG")


def test_time_varying_sets_and_scalings() -> None:
    m = model("""
stock a = 100
flow f: a -> outside = a * k { tags drain }
param k [1/year] = 0.1 { bounds [0, 1] }
aux kk [1/year] = k * 1
aux k_over_dt = k / dt
scenario timed { set k = 0.3 from 2 over 2 until 8 }
scenario pulse { scale drain by 2 from 4 until 6 }
scenario plain { set k = 0.2 }
""", dt=0.5)
    r = m.run_scenarios()
    t = r["timed"].times
    expected = np.where(t < 2, 0.1, np.where(t < 4, 0.1 + 0.2 * (t - 2) / 2, np.where(t < 8, 0.3, 0.1)))
    np.testing.assert_allclose(r["timed"]["kk"], expected, rtol=1e-12)
    np.testing.assert_allclose(r["timed"]["k_over_dt"], expected / 0.5, rtol=1e-12)  # not hoisted as a constant
    np.testing.assert_allclose(r["pulse"]["f"] / r["pulse"]["a"], np.where((t >= 4) & (t < 6), 0.2, 0.1), rtol=1e-12)
    np.testing.assert_allclose(r["plain"]["kk"], 0.2)
    np.testing.assert_allclose(r["baseline"]["kk"], 0.1)
    for body, code in {"scenario s { set a = 5 from 2 }": "E015",
                       "scenario s { set k = 0.2 from 5 over 2 until 6 }": "E050",
                       "scenario s { scale drain by 2 from 5 over -1 }": "E050"}.items():
        with pytest.raises(SpecError) as e:
            model("stock a = 100\nflow f: a -> outside = a * k { tags drain }\nparam k [1/year] = 0.1\n" + body)
        assert code in [d.code for d in e.value.diagnostics], body


def test_report_chooses_the_metrics_shown(tmp_path: Path) -> None:
    spec = tmp_path / "r.sfm"
    spec.write_text('extends "stockflow:girfec"\nscenario focus { extends wm2u  report total_cost, average_quality }\n')
    r = CliRunner().invoke(main, ["run", str(spec), "--scenarios", "focus"])
    assert r.exit_code == 0 and "total_cost" in r.stdout and "average_quality" in r.stdout
    assert "care_cost" not in r.stdout and "intensive_peak" not in r.stdout
    assert stockflow.load(spec).run_scenarios(["focus"]).shown_metrics() == ["total_cost", "average_quality"]
    bad = tmp_path / "b.sfm"
    bad.write_text('extends "stockflow:girfec"\nscenario focus { report total_cots }\n')
    with pytest.raises(SpecError) as e:
        stockflow.load(bad)
    assert e.value.diagnostics[0].code == "E010" and "total_cost" in (e.value.diagnostics[0].hint or "")


def test_break_even_over_draws_says_by_when_half_and_nine_in_ten_save() -> None:
    """Spend 5 a year more for two years, then save `saving` a year: each draw breaks even at
    2 + 10 / saving (on the step grid). by_50 and by_90 are those times' quantiles over all
    draws, a draw that never breaks even counting as never."""
    body = """
aux cost_rate = base + extra * (if time < 2 then 1 else 0) - saving * (if time >= 2 then 1 else 0)
param base = 10
param extra = 5
param saving = 0 { bounds [0, 10] }
stock s = 0
flow f: outside -> s = cost_rate
scenario baseline { set extra = 0 }
scenario unsure { sample saving ~ uniform(0.5, 8)  draws 40  seed 2 }
"""
    m = model(body, dt=0.25)
    res = m.run_scenarios()
    row = res.break_even("cost_rate").set_index("scenario").loc["unsure"]
    savings = [dict(r.sampled)["saving"] for r in res.runs if r.scenario == "unsure"]
    expected = np.array([2 + 10 / s if 2 + 10 / s <= 10 else np.inf for s in savings])
    step = 0.25  # the first step at or after the crossing
    expected = np.where(np.isfinite(expected), np.ceil(expected / step - 1e-9) * step, np.inf)
    for q, col in ((0.5, "by_50"), (0.9, "by_90")):
        want = np.quantile(expected, q, method="higher")
        assert (np.isnan(row[col]) and not np.isfinite(want)) or row[col] == pytest.approx(want, abs=step), col
    assert row.share == pytest.approx(np.mean(np.isfinite(expected)))


GROWS = """stock s = 10
flow grow: outside -> s = s * k
param k = 0.1
expect stays_small = s <= 20
"""


def _counting_runs(m: stockflow.Model) -> list[int]:
    calls: list[int] = []
    run = m.run

    def counted(*args: object, **kw: object) -> object:
        calls.append(1)
        return run(*args, **kw)  # type: ignore[arg-type]

    m.run = counted  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("scenarios, reused", [
    ("scenario same { set k = 0.1 }\nscenario faster { set k = 0.3 }", True),  # the baseline is as written
    ("scenario baseline { set k = 0.3 }\nscenario same { set k = 0.1 }", True),  # `same` changes nothing
    ("scenario baseline { set k = 0.3 }\nscenario other { set k = 0.2 }", False),
    ("scenario baseline { set k = 0.3 }\nscenario scaled { set k = 0.1\n scale grow by 0.5 }", False),
])
def test_expectations_on_the_model_as_written_reuse_a_run_that_is_it(scenarios: str, reused: bool) -> None:
    """A report's reality checks need the model as written; when a scenario in hand is just
    that (over the same plan), its run is used instead of running the model again."""
    m = model(GROWS + scenarios)
    calls = _counting_runs(m)
    res = m.run_scenarios()
    found = m.check_expectations(res)
    assert len(calls) == (0 if reused else 1)
    assert [d.code for d in found] == ["E062"] and "stays_small" in found[0].message  # 10 e^(0.1 t) > 20
    assert [d.message for d in found] == [d.message for d in model(GROWS + scenarios).check_expectations()]
    m.check_expectations(m.run_scenarios(method="rk4"))  # another plan: the model is run as written
    assert len(calls) == (1 if reused else 2)


def test_a_change_until_a_time_from_the_start() -> None:
    """`scale births by 0.5 until 5` (from the start) was a syntax error, and `format` dropped
    an `until` given without `from`."""
    from stockflow.compiler.read.dsl import parse_dsl
    from stockflow.compiler.write.format import format_dsl

    text = ("model p\ntime { start 0  stop 10  dt 1  units year }\nstock p = 100\n"
            "flow births: outside -> p = 10\nscenario bust { scale births by 0.5 until 5 }\n")
    runs = stockflow.load_text(text).run_scenarios(["bust"])
    assert runs["bust"]["p"][-1] == pytest.approx(100 + 5 * 5 + 5 * 10)  # half the births for five years
    assert "scale births by 0.5 until 5" in format_dsl(parse_dsl(text, "p.sfm"))
    # a stock's initial value holds at the start: an `until` was dropped without a word (YAML could say it)
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(text + "scenario low { set p = 50 until 3 }\n")
    assert exc.value.diagnostics[0].code == "E015" and "until a time" in exc.value.diagnostics[0].message


def test_a_change_outside_the_run_is_refused() -> None:
    """`scale births by 0.5 from 20` in a ten-year run changed nothing, without a word."""
    head = "model p\ntime { start 0  stop 10  dt 1  units year }\nstock p = 100\nflow births: outside -> p = 10\n"
    for line, says in (("scale births by 0.5 from 20", "starts at 20, when the run has ended"),
                       ("scale births by 0.5 from 10", "starts at 10, when the run has ended"),
                       ("set p = 50 until 0", "until a time")):
        with pytest.raises(SpecError) as exc:
            stockflow.load_text(head + f"scenario late {{ {line} }}\n")
        assert any(says in d.message for d in exc.value.diagnostics), [d.message for d in exc.value.diagnostics]
    stockflow.load_text(head + "scenario ramp { scale births by 0.5 from 5 over 20 }\n")  # past the end: half done
