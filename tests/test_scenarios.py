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
    drain.run_scenarios()
    scaled = tuple(sorted({"f"}))
    before = drain.simulator(scaled).trace_count
    drain.run_scenarios(["slow", "ramped", "faster", "later"])
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
    assert dsl.names == yml.names == ("baseline", "wm2u", "wm2u_stronger")
    np.testing.assert_array_equal(dsl.batch.metric_values, yml.batch.metric_values)
    cost = dict(zip(dsl.names, dsl.batch["total_cost"], strict=True))
    assert cost["wm2u_stronger"] < cost["wm2u"] < cost["baseline"]
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
    assert m.scenarios == ["baseline", "wm2u", "wm2u_stronger", "cheap"]
    r = CliRunner().invoke(main, ["diff", str(ROOT / "specs" / "girfec" / "girfec.sfm"), str(child), "--run"])
    assert r.exit_code == 1 and "+ scenario cheap: only in B" in r.stdout
    assert "scenario baseline:" in r.stdout and "scenario wm2u_stronger:" in r.stdout
