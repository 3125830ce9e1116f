"""The bundled GIRFEC model: both forms agree, children are conserved, the story holds."""

from __future__ import annotations

import numpy as np
import pytest

import stockflow

from conftest import ROOT

SPEC = ROOT / "specs" / "girfec"


@pytest.fixture(scope="module")
def dsl() -> stockflow.Model:
    return stockflow.load(SPEC / "girfec.sfm")


@pytest.fixture(scope="module")
def yaml_model() -> stockflow.Model:
    return stockflow.load(SPEC / "girfec.yaml")


def test_yaml_and_dsl_compile_to_the_same_graph(dsl: stockflow.Model, yaml_model: stockflow.Model) -> None:
    a, b = dsl.checked, yaml_model.checked
    assert dict(a.equations) == dict(b.equations)
    assert dict(a.initials) == dict(b.initials)
    assert dict(a.derivatives) == dict(b.derivatives)
    assert dict(a.metric_equations) == dict(b.metric_equations)
    assert dict(a.units) == dict(b.units)
    assert [p.value for p in a.graph.params] == [p.value for p in b.graph.params]


def test_yaml_and_dsl_give_identical_trajectories(dsl: stockflow.Model, yaml_model: stockflow.Model) -> None:
    ra, rb = dsl.run(), yaml_model.run()
    np.testing.assert_array_equal(ra.values, rb.values)
    np.testing.assert_array_equal(ra.metric_values, rb.metric_values)


def test_every_parameter_has_a_source_or_assumption(dsl: stockflow.Model) -> None:
    for p in dsl.checked.graph.params:
        assert p.doc.source or p.doc.assumption, p.display
    for s in dsl.checked.graph.stocks:
        if not s.hidden and s.initial != 0:
            assert s.doc.source or s.doc.assumption or s.id == "engaged_families", s.display


def test_clean_check(dsl: stockflow.Model) -> None:
    assert dsl.warnings == ()


def test_children_are_conserved_and_baseline_is_steady(dsl: stockflow.Model) -> None:
    base = dsl.run(params={"intervention_scale": 0})
    assert base.conservation["girfec_levels"] < 1e-9
    for level in ("universal", "additional", "targeted", "intensive"):
        assert base[level][-1] == pytest.approx(base[level][0], rel=0.01)
    np.testing.assert_allclose(base["total_children"], 10_000, rtol=1e-3)


def test_programme_slows_escalation_and_pays_back(dsl: stockflow.Model) -> None:
    runs = dsl.run_batch({"intervention_scale": [0.0, 1.0]})
    base, prog = runs.run(0), runs.run(1)
    assert prog["intensive"][-1] < 0.9 * base["intensive"][-1]
    assert prog.metric("care_cost") < base.metric("care_cost")
    assert prog.metric("delivery_cost") > 0 == base.metric("delivery_cost")
    assert prog.metric("average_quality") > base.metric("average_quality")
    # Things get more expensive before savings appear: cumulative cost is above the baseline's
    # after one year and below it after ten.
    def cumulative(r: object) -> np.ndarray:
        rate = r["cost_rate"]  # type: ignore[index]
        return np.concatenate([[0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * 0.25 / 12)])

    gap = cumulative(prog) - cumulative(base)
    assert gap[48] > 0  # month 12 at dt = 0.25
    assert gap[-1] < 0


def test_total_cost_equals_the_integral_of_the_cost_rate(dsl: stockflow.Model) -> None:
    r = dsl.run()
    months = r.times
    from scipy.integrate import trapezoid  # numpy 1.26, the lowest declared, has no np.trapezoid

    integral = trapezoid(r["cost_rate"], months) / 12  # GBP/year over months
    assert r.metric("total_cost") == pytest.approx(integral, rel=1e-5)
