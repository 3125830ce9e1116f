"""Calibration diagnostics that match what the fit did: parameters at bounds get profile
intervals, convergence is judged on the optimum and the starts, each parameter is judged on
its own scale, confounded parameters get no finite standard error, `cv` noise has no cliff,
and instantaneous rates can be observed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from stockflow._solve import convergence
from stockflow.calibrate import calibrate
from stockflow.compiler.base.diagnostics import SpecError
from stockflow.runtime._fit import Optimum, cv_sd, minimise
from stockflow.runtime._jax import x64

ONE = """model one
time { start 0  stop 10  dt 0.125  units year }
unit child
stock s [child] = 2000
flow inflow [child/year]: outside -> s = joining
flow outflow [child/year]: s -> outside = s * leave_rate * 1 [1/year]
param joining [child/year] = 400 { bounds [0, 5000] }
param leave_rate = 0.2 { bounds [0.05, 1] }
param shift [child] = -5
aux shifted [child] = s + shift
"""
CAL = """model: one.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  OBSERVE
estimate:
  ESTIMATE
starts: STARTS
"""
TRUTH = {"joining": 500.0, "leave_rate": 0.1, "shift": 0.0}


def setup(d: Path, observe: str, estimate: str, starts: int = 6, years: range = range(1, 7),
          model: str = ONE) -> object:
    """A fit to placeholder data, whose compiled problem then fits simulated data."""
    (d / "one.sfm").write_text(model)
    names = [line.split(":")[0].strip() for line in observe.split("\n")]
    (d / "data.csv").write_text("year,series,value\n" + "".join(f"{y},{n},{1000 + y}\n" for y in years for n in names))
    (d / "cal.yaml").write_text(CAL.replace("OBSERVE", observe).replace("ESTIMATE", estimate)
                                .replace("STARTS", str(starts)))
    return calibrate(d / "cal.yaml", starts=1)


def simulated(fit: object, seed: int, sd: float | None = None, cv: float | None = None) -> list[np.ndarray]:
    prob = fit.problem  # type: ignore[attr-defined]
    z = np.array([p.to_z(TRUTH.get(p.name, p.start)) for p in prob.params])
    rng = np.random.default_rng(seed)
    out = []
    for mu in prob.predictions(z):
        mu = np.asarray(mu)
        out.append(mu + rng.normal(0, sd if sd is not None else cv * np.abs(mu), mu.shape))  # type: ignore[operator]
    return out


@pytest.fixture(scope="module")
def stocks_only(tmp_path_factory: pytest.TempPathFactory) -> object:
    return setup(tmp_path_factory.mktemp("one"), "s_count: {stock: s, noise: normal, sd: estimate}",
                 "joining:\n  leave_rate:")


def test_a_parameter_at_its_bound_gives_profile_intervals_that_cover_the_truth(stocks_only: object) -> None:
    """Seed 10 puts the ML estimate of leave_rate on its lower bound. The Laplace interval of
    `joining` would hold leave_rate as known there; the profile one lets it move."""
    fit = stocks_only.with_data(simulated(stocks_only, 10, sd=150.0), starts=6)  # type: ignore[attr-defined]
    e = {x.name: x for x in fit.estimates}
    assert e["leave_rate"].limit == "lower bound"
    assert e["joining"].interval == e["leave_rate"].interval == "profile"
    assert e["joining"].low < 500 < e["joining"].high
    assert e["leave_rate"].low == 0.05 and 0.1 < e["leave_rate"].high < 1.0
    report = fit.report()
    assert "Every parameter" not in report
    assert re.search(r"leave_rate .* at its lower bound; the data allow it up to 0\.1\d+ \(95%, profile\)", report)
    assert "`leave_rate` is at a bound, so every model parameter's interval above is a profile one" in report


def test_profile_intervals_match_a_brute_force_scan(tmp_path: Path) -> None:
    """Where the loss rises by 1.92 (the other parameter re-fitted), found independently by a
    scan, on data that put leave_rate on its bound; the sd is known, so 1.92 is the threshold."""
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: 150}", "joining:\n  leave_rate:")
    fit = fit0.with_data(simulated(fit0, 10, sd=150.0), starts=6)  # type: ignore[attr-defined]
    e = {x.name: x for x in fit.estimates}["joining"]
    assert e.interval == "profile"
    prob = fit.problem

    def rise(joining: float) -> float:
        zs = [np.array([prob.params[0].to_z(joining), prob.params[1].to_z(lr)])
              for lr in np.linspace(0.0500001, 0.4, 1500)]
        return min(float(prob.loss(z)) for z in zs) - fit.loss

    with x64():
        assert rise(e.high * 0.98) < 1.92 < rise(e.high * 1.02)
        assert rise(e.low * 1.02) < 1.92 < rise(e.low * 0.98)


def test_profiles_follow_a_flat_ridge_smoothly(tmp_path: Path) -> None:
    """joining and leave_rate from an equilibrium stock: only their ratio shows. Along the
    ridge every profile point fits as well as the best, instead of jumping about."""
    one = ONE.replace("stock s [child] = 2000", "stock s [child] = 5000").replace("[0, 5000]", "[0, 100000]")
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: estimate}", "joining:\n  leave_rate:", starts=3,
                 model=one)
    fit = fit0.with_data(simulated(fit0, 1, sd=50.0), starts=3)  # type: ignore[attr-defined]
    prof = fit.profile("joining", points=21)
    # leave_rate's bounds [0.05, 1] end the ridge at joining 250 and 5,000; between them it is flat
    rises = [r for v, r in prof if 300 < v < 4900]
    assert len(rises) >= 5 and max(rises) < 0.1, prof
    e = {x.name: x for x in fit.estimates}
    for name in ("joining", "leave_rate"):  # neither is pinned down, and the truth is inside both
        assert not e[name].determined and e[name].interval == "profile" or e[name].limit
        assert e[name].low < TRUTH[name] < e[name].high
    assert "NOT determined by these data" in fit.report()


def test_exactly_confounded_parameters_get_no_finite_standard_error(tmp_path: Path) -> None:
    """outflow = s * leave_rate * k: only the product shows in any data."""
    one = ONE.replace("s * leave_rate * 1 [1/year]", "s * leave_rate * k").replace(
        "param shift", "param k [1/year] = 1 { bounds [0.2, 5] }\nparam shift")
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: estimate}", "joining:\n  leave_rate:\n  k:",
                 model=one)
    for seed in range(4):
        fit = fit0.with_data(simulated(fit0, seed, sd=60.0), starts=2)  # type: ignore[attr-defined]
        e = {x.name: x for x in fit.estimates}
        for name in ("leave_rate", "k"):
            assert not e[name].determined, (seed, e[name])
            assert not (e[name].interval == "Laplace" and math.isfinite(e[name].se)), (seed, e[name])
        report = fit.report()
        assert "loosely determined" not in report.split("The data cannot")[0].split("k ")[-1]
        assert "[inf, inf]" not in report


def test_an_additive_parameter_is_judged_in_its_own_units(tmp_path: Path) -> None:
    """`shift` may be negative: its verdict is ± in its own units, not a factor, and says
    whether the data fix its sign."""
    fit0 = setup(tmp_path, "x_count: {aux: shifted, noise: normal, sd: 40}", "joining:\n  leave_rate:\n  shift:",
                 starts=2, years=range(1, 11))
    fit = fit0.with_data(simulated(fit0, 2, sd=40.0), starts=2)  # type: ignore[attr-defined]
    report = fit.report()
    verdicts = report.split("What the data determine")[1]
    line = next(x for x in verdicts.splitlines() if x.strip().startswith("shift "))
    assert "x/÷" not in line and "±" in line and "do not fix its sign" in line
    assert "`shift` on its own" not in report or "± " in report


def test_cv_noise_has_no_cliff_where_a_fitted_value_nears_zero() -> None:
    """The cv sd is floored smoothly at a tenth of the series' size, so the loss is finite and
    smooth through a fitted value of 0."""
    y = np.array([100.0, 120.0, 140.0])
    with x64():
        sd0 = float(np.asarray(cv_sd(0.05, 0.0, y))[()])
        assert sd0 == pytest.approx(0.05 * 12.0)
        assert float(np.asarray(cv_sd(0.05, 1e-9, y))[()]) == pytest.approx(sd0)
        assert float(np.asarray(cv_sd(0.05, 1000.0, y))[()]) == pytest.approx(50.0, rel=1e-3)


def test_cv_fits_reach_the_best_fit_from_every_start(tmp_path: Path) -> None:
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, cv: 0.05}", "joining:\n  leave_rate:", starts=8,
                 years=range(1, 11))
    for seed in range(3):
        fit = fit0.with_data(simulated(fit0, seed, cv=0.05), starts=8)  # type: ignore[attr-defined]
        best = min(fit.start_losses)
        assert sum(1 for x in fit.start_losses if x - best < 0.01) >= 7, fit.start_losses
        assert fit.converged


def test_a_fit_stopped_short_or_whose_starts_disagree_is_not_converged(stocks_only: object) -> None:
    from stockflow._solve import solve
    from stockflow.runtime._laplace import start_points

    prob = stocks_only.problem.with_values(np.concatenate(simulated(stocks_only, 3, sd=150.0)))  # type: ignore
    with x64():
        opt = minimise(prob, [np.array([p.to_z(p.start) for p in prob.params])], max_iter=1)
        short = Optimum(opt.z, opt.loss, True, "CONVERGENCE", 1, 1, opt.grad_norm, 0, (opt.loss,), opt.decrement)
        # the polish would finish it: judge the point L-BFGS-B's first step left
        from scipy.optimize import minimize

        res = minimize(lambda z: float(prob.loss(z)), start_points(prob.params, 1, 0)[0], method="L-BFGS-B",
                       options={"maxiter": 1})
        got = solve(prob, Optimum(res.x, float(res.fun), True, "CONVERGENCE", 1, 1, 0.0, 0, (float(res.fun),), 1.0))
    ok, why = convergence(short, got.decrement, got.estimates)
    assert not ok and "not at an optimum: the loss still falls by" in why and "--starts" in why
    ok, why = convergence(short, 0.0, got.estimates)
    assert ok
    spread = Optimum(opt.z, 10.0, True, "", 1, 1, 0.0, 0, (10.0, 12.5, 40.0), 0.0)
    ok, why = convergence(spread, 0.0, got.estimates)
    assert not ok and "only 1 of 3 starts reached the best fit" in why


def test_an_instantaneous_rate_is_observed_as_the_flow_at_each_date(tmp_path: Path) -> None:
    fit0 = setup(tmp_path, "out_rate: {rate: outflow, noise: normal, sd: 5}", "joining:\n  leave_rate:", starts=2,
                 years=range(1, 11))
    prob = fit0.problem  # type: ignore[attr-defined]
    z = np.array([p.to_z(TRUTH.get(p.name, p.start)) for p in prob.params])
    mu = np.asarray(prob.predictions(z)[0])
    run = fit0.model.run(params={"joining": 500.0, "leave_rate": 0.1})  # type: ignore[attr-defined]
    assert mu == pytest.approx(np.interp(np.arange(1.0, 11.0), run.times, run["outflow"]), rel=1e-12)
    fit = fit0.with_data([mu + np.random.default_rng(0).normal(0, 5, mu.shape)], starts=2)  # type: ignore
    e = {x.name: x for x in fit.estimates}
    assert e["joining"].low < 500 < e["joining"].high and e["leave_rate"].low < 0.1 < e["leave_rate"].high
    (tmp_path / "bad.yaml").write_text((tmp_path / "cal.yaml").read_text().replace("sd: 5}", "sd: 5, over: 1 year}"))
    with pytest.raises(SpecError) as exc:
        calibrate(tmp_path / "bad.yaml")
    assert exc.value.diagnostics[0].code == "E080" and "instantaneous rate" in exc.value.diagnostics[0].message


def test_small_samples_widen_intervals_as_linear_regression_does(stocks_only: object) -> None:
    """One series with an estimated sd: its leverage is the number of model parameters, so the
    multiplier is t(n - p) sqrt(n / (n - p)), the exact one for linear regression."""
    from scipy.stats import t as student

    from stockflow.runtime._small_sample import critical

    prob = stocks_only.problem.with_values(np.concatenate(simulated(stocks_only, 0, sd=150.0)))  # type: ignore
    with x64():
        opt = minimise(prob, [np.array([p.to_z(p.start) for p in prob.params])])
        J = np.asarray(prob.jacobian(opt.z))[:, :2]
        sd = prob.theta(opt.z)[2]
        var = np.diag(np.linalg.inv(J.T @ J / sd**2))
        mult, rise = critical(prob, opt.z, prob.theta(opt.z), np.concatenate([var, [1.0]]))
    n, p = 6, 2
    t = student.ppf(0.975, n - p)
    assert mult[:2] == pytest.approx(t * np.sqrt(n / (n - p)), rel=1e-6)
    assert rise[:2] == pytest.approx(n / 2 * np.log1p(t**2 / (n - p)), rel=1e-6)  # the F-test's profile threshold
    assert mult[2] == 1.96  # the noise term keeps its own


def test_a_scenario_samples_its_parameters_from_a_fit(tmp_path: Path) -> None:
    """`calibrate -o fit` writes draws.csv; `sample from fit "fit/"` runs the scenario once per
    draw with the fitted parameters set jointly, so the spread carries the data's uncertainty."""
    import pandas as pd
    from click.testing import CliRunner

    import stockflow
    from stockflow.cli import main

    model = ONE + 'metric child_years [child*year] = integral(s)\n'
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: 20}\n  out_total: {flow: outflow, over: 1 year, "
                 "noise: normal, sd: 20}", "joining:\n  leave_rate:", starts=2, years=range(1, 11), model=model)
    values = simulated(fit0, 5, sd=20.0)
    (tmp_path / "data.csv").write_text("year,series,value\n" + "".join(
        f"{y},{name},{v:.3f}\n" for name, vs in zip(("s_count", "out_total"), values, strict=True)
        for y, v in zip(range(1, 11), vs, strict=True)))
    res = CliRunner().invoke(main, ["calibrate", str(tmp_path / "cal.yaml"), "-o", str(tmp_path / "fit")])
    assert res.exit_code == 0, res.output
    draws = pd.read_csv(tmp_path / "fit" / "draws.csv")
    assert list(draws.columns) == ["chain", "draw", "joining", "leave_rate"] and len(draws) == 1000
    (tmp_path / "what_if.sfm").write_text('extends "fit/calibrated.sfm"\n'
                                          'scenario from_data { sample from fit "fit/"  draws 40  seed 3 }\n')
    m = stockflow.load(tmp_path / "what_if.sfm")
    out = m.run_scenarios(["from_data"])
    runs = [r for r in out.runs if r.scenario == "from_data"]
    assert len(runs) == 40
    pairs = {(round(dict(r.sampled)["joining"], 9), round(dict(r.sampled)["leave_rate"], 9)) for r in runs}
    rows = {(round(a, 9), round(b, 9)) for a, b in zip(draws.joining, draws.leave_rate, strict=True)}
    assert len(pairs) == 40 and pairs <= rows  # whole rows of the fit's draws, never mixed across rows
    summary = out.metrics_table()  # the metric's spread over the draws
    row = summary[(summary.scenario == "from_data") & (summary.metric == "child_years")].iloc[0]
    assert row.runs == 40 and row.p5 < row.value < row.p95
    from stockflow.runtime._drivers import ENTANGLED, spearman

    together = abs(spearman(np.array([dict(r.sampled)["joining"] for r in runs]),
                            np.array([dict(r.sampled)["leave_rate"] for r in runs])))
    ranked = out.driver_rows(["child_years"])
    assert {r.parameter for r in ranked} == {"joining", "leave_rate"}
    assert all(r.entangled == (together > ENTANGLED) for r in ranked)  # fitted jointly: said when they move together
    (tmp_path / "bad.sfm").write_text('extends "fit/calibrated.sfm"\nscenario x { sample from fit "nowhere/" }\n')
    with pytest.raises(SpecError) as exc:
        stockflow.load(tmp_path / "bad.sfm").run_scenarios(["x"])
    assert "nowhere" in exc.value.diagnostics[0].message
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "draws.csv").write_text("chain,draw,unrelated\n0,0,1.5\n")
    (tmp_path / "bad.sfm").write_text('extends "fit/calibrated.sfm"\nscenario x { sample from fit "other/" }\n')
    with pytest.raises(SpecError) as exc:
        stockflow.load(tmp_path / "bad.sfm").run_scenarios(["x"])
    assert exc.value.diagnostics[0].code == "E086" and "holds no parameter" in exc.value.diagnostics[0].message


def test_laplace_draws_span_the_reported_intervals(tmp_path: Path) -> None:
    """Six points with an estimated sd widen the intervals (t with 4 degrees of freedom); the
    draws that `sample from fit` uses are widened the same way, so their middle 95% is the
    reported interval, not the narrower plain-Laplace one."""
    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: estimate}", "joining:\n  leave_rate:",
                 starts=2, years=range(1, 7))
    fit = fit0.with_data(simulated(fit0, 1, sd=3.0), starts=2)  # type: ignore[attr-defined]
    draws = fit.laplace_draws(20000, seed=1)
    assert draws is not None, [e.interval for e in fit.estimates]
    for e in fit.estimates:
        if e.is_noise:
            continue
        lo, hi = np.quantile(draws[e.name], [0.025, 0.975])
        assert lo == pytest.approx(e.low, rel=0.02) and hi == pytest.approx(e.high, rel=0.02), (e, lo, hi)
        assert (e.high - e.low) / 2 > 1.96 * e.se * 1.2  # wider than plain Laplace: the t widening
