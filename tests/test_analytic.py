"""Euler and RK4 against closed-form solutions, and their orders of convergence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import stockflow

from conftest import model

DECAY = """
stock x = 1
flow out: x -> outside = k * x
param k [1/year] = 0.5
"""


def test_euler_is_the_exact_discrete_recurrence() -> None:
    r = model(DECAY, dt=0.1).run()
    n = np.arange(len(r.times))
    np.testing.assert_allclose(r["x"], (1 - 0.5 * 0.1) ** n, rtol=1e-13)
    np.testing.assert_allclose(r.times, 0.1 * n, atol=1e-12)


def test_rk4_matches_exponential_decay() -> None:
    # Global relative error of RK4 is about T * k^5 * dt^4 / 120 = 4e-10 here.
    r = model(DECAY, dt=0.02, method="rk4").run()
    np.testing.assert_allclose(r["x"], np.exp(-0.5 * r.times), rtol=1e-9)
    np.testing.assert_allclose(r["out"], 0.5 * np.exp(-0.5 * r.times), rtol=1e-9)


CHAIN = """
stock a = 3
stock b = 1
stock c = 0
flow ab: a -> b = 0.7 [1/year] * a
flow bc: b -> c = 0.3 [1/year] * b
flow ca: c -> a = 0.1 [1/year] * c
flow leak: b -> outside = 0.05 [1/year] * b
"""


def test_linear_chain_matches_matrix_exponential() -> None:
    r = model(CHAIN, dt=0.02, method="rk4").run()
    A = np.array([[-0.7, 0, 0.1], [0.7, -0.35, 0], [0, 0.3, -0.1]])
    y0 = np.array([3.0, 1.0, 0.0])
    for k in (0, 100, 250, len(r.times) - 1):
        exact = expm(A * r.times[k]) @ y0
        got = np.array([r["a"][k], r["b"][k], r["c"][k]])
        np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-12)


def _final_error(method: str, dt: float) -> float:
    r = model(DECAY, dt=dt, method=method).run()
    return abs(r["x"][-1] - np.exp(-5.0))


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("rk4", 4)])
def test_order_of_convergence(method: str, order: int) -> None:
    errs = [_final_error(method, dt) for dt in (0.2, 0.1, 0.05)]
    ratios = [errs[i] / errs[i + 1] for i in range(2)]
    for ratio in ratios:
        assert ratio == pytest.approx(2**order, rel=0.1)


@pytest.mark.parametrize(("start", "end"), [(10.0, 10.25), (50.0, 51.0)])
def test_a_branch_of_parameters_only_is_hoisted_whole(start: float, end: float) -> None:
    """`else k / 2` depends on parameters only: hoisting it out of the loop once broke the
    compile (sympy cannot rebuild a piecewise from a hoisted branch). Constant rates, so
    Euler is exact: 5 years at k/2 = 0.05 or at 2k = 0.2."""
    m = model(f"stock x = {start}\nparam k = 0.1\naux a = if x > 40 then k * 2 else k / 2\n"
              "flow grow: outside -> x = a\n", stop=5)
    for backend in ("numpy", "jax"):
        assert m.run(backend=backend)["x"][-1] == pytest.approx(end, rel=1e-14)


def test_a_metric_whose_time_cancels_is_in_whole_units() -> None:
    """The integral of a cost in GBP/year over a monthly run was 144 in a unit shown as
    `0.0833333 GBP` (twelfths of a pound): a board read £144 for £12."""
    m = stockflow.load_text("""time { start 0  stop 12  dt 1  units month }
unit GBP
param r [1/year] = 0.3
aux c [GBP/year] = 12 [GBP/year]
metric total = integral(c)
metric share = integral(r)
metric declared [GBP] = integral(c)
metric avg = mean(c)
""")
    res = m.run()
    shown = {x.id: x.units for x in res.metrics}
    assert res.metric("total") == pytest.approx(12.0, rel=1e-14) and shown["total"] == "GBP"
    assert res.metric("share") == pytest.approx(0.3, rel=1e-14) and shown["share"] in ("", "1")
    assert res.metric("declared") == pytest.approx(12.0, rel=1e-14)
    assert res.metric("avg") == pytest.approx(12.0, rel=1e-14) and shown["avg"] == "GBP/year"


def test_a_stock_without_units_takes_a_yearly_flow_per_year() -> None:
    """A flow of 0.3 [1/year] into a stock given no units, in a monthly run, was added 0.3 a
    month: 3.6 after a year, silently. It is converted as a stock with units converts it."""
    m = stockflow.load_text("""time { start 0  stop 12  dt 1  units month }
unit GBP
param r [1/year] = 0.3
stock s = 0
flow f: outside -> s = r
aux c [GBP/year] = 12 [GBP/year]
aux per_month = c * 1 [month]
aux frac = r * 6 [month]
stock t = 1
flow g: outside -> t = per_month / 1 [GBP] / 1 [month]
group both = [s]
""")
    res = m.run()
    assert res["s"][-1] == pytest.approx(0.3, rel=1e-14)
    assert res["per_month"][0] == pytest.approx(1.0, rel=1e-14) and res["frac"][0] == pytest.approx(0.15, rel=1e-14)
    assert res["t"][-1] == pytest.approx(13.0, rel=1e-14)  # one pound a month, a month at a time
    shown = {v.id: v.units for v in res.variables}
    assert shown["per_month"] == "GBP"
