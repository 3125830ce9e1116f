"""The samplers give the values scipy.stats gives: the Latin hypercube point for point, and each
distribution's truncated draws, for the same seeds, so a spec's sampled scenarios are what they
were when stockflow imported scipy.stats for them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from stockflow.compiler.ir.scenarios import Draw
from stockflow.runtime._sampling import draw, latin_hypercube


@pytest.mark.parametrize(("n", "k", "seed"), [(1, 1, 0), (10, 3, 1), (203, 5, 42), (1000, 2, 7)])
def test_latin_hypercube_is_scipys(n: int, k: int, seed: int) -> None:
    ours = latin_hypercube(n, k, np.random.default_rng(seed))
    theirs = qmc.LatinHypercube(d=k, rng=np.random.default_rng(seed)).random(n)
    assert np.array_equal(ours, theirs)
    strata = np.floor(ours * n).astype(int)  # one point in each stratum of every axis
    assert all(sorted(strata[:, j]) == list(range(n)) for j in range(k))


def scipy_dist(d: Draw):  # type: ignore[no-untyped-def]
    a = d.args
    return {"uniform": lambda: stats.uniform(loc=a[0], scale=a[1] - a[0]),
            "normal": lambda: stats.norm(loc=a[0], scale=a[1]),
            "lognormal": lambda: stats.lognorm(s=a[1], scale=np.exp(a[0])),
            "triangular": lambda: stats.triang(c=(a[1] - a[0]) / (a[2] - a[0]), loc=a[0], scale=a[2] - a[0]),
            "beta": lambda: stats.beta(a[0], a[1])}[d.dist]()


def scipy_draw(samples: tuple[Draw, ...], n: int, seed: int) -> np.ndarray:
    u = qmc.LatinHypercube(d=len(samples), rng=np.random.default_rng(seed)).random(n)
    out = np.empty((n, len(samples)))
    for j, d in enumerate(samples):
        dist = scipy_dist(d)
        lo, hi = dist.cdf(d.bounds[0]), dist.cdf(d.bounds[1])
        out[:, j] = np.clip(dist.ppf(lo + u[:, j] * (hi - lo)), *d.bounds)
    return out


INF = float("inf")
DRAWS = (
    Draw("a", "uniform", (0.04, 0.1), (-INF, INF)),
    Draw("b", "uniform", (0.0, 2.0), (0.5, 1.5)),  # truncated inside its range
    Draw("c", "normal", (0.07, 0.01), (0.0, INF)),
    Draw("d", "normal", (-3.0, 2.0), (-4.0, 1.0)),
    Draw("e", "lognormal", (0.0, 0.5), (0.0, INF)),
    Draw("f", "lognormal", (2.0, 0.25), (5.0, 9.0)),
    Draw("g", "triangular", (0.8, 1.0, 1.3), (-INF, INF)),
    Draw("h", "triangular", (0.0, 0.0, 1.0), (0.0, 1.0)),  # the mode at an end
    Draw("i", "triangular", (0.0, 1.0, 1.0), (0.2, 0.9)),
    Draw("j", "beta", (2.0, 5.0), (0.0, 1.0)),
    Draw("k", "beta", (0.5, 0.5), (0.1, 0.95)),
)


@pytest.mark.parametrize("seed", [0, 3, 2024])
def test_draws_are_scipys(seed: int) -> None:
    ours, theirs = draw(DRAWS, 500, seed, True), scipy_draw(DRAWS, 500, seed)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)
    for j, d in enumerate(DRAWS):
        assert (ours[:, j] >= d.bounds[0]).all() and (ours[:, j] <= d.bounds[1]).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rank_correlation_is_scipys_spearman(seed: int) -> None:
    from stockflow.runtime._drivers import spearman

    rng = np.random.default_rng(seed)
    x = rng.normal(size=60)
    y = np.round(x**3 + rng.normal(size=60), 1)  # a monotone effect, with noise and ties
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)  # curved but monotone: in full
    assert np.isnan(spearman(x, np.full(60, 3.0)))  # a result that does not vary


def test_which_assumptions_matter_ranks_the_one_that_moves_the_result() -> None:
    """`strong` sets the leaving rate; `weak` adds a little; `idle` is used by nothing that
    the metric sees. The ranking says so, and the report and the console show it."""
    import stockflow

    m = stockflow.load_text("""time { start 0  stop 10  dt 0.5  units year }
stock s = 100
flow f: s -> outside = s * (strong + 0.3 * weak)
param strong [1/year] = 0.2 { bounds [0, 1] }
param weak [1/year] = 0.2 { bounds [0, 1] }
param idle = 0.2 { bounds [0, 1] }
aux unused = idle
metric left = final(s)
scenario unsure { sample strong ~ uniform(0.1, 0.3)  sample weak ~ uniform(0.1, 0.3)  sample idle ~ uniform(0, 1)
  draws 200  seed 3 }
""")
    res = m.run_scenarios(["unsure"])
    got = {r.parameter: r.correlation for r in res.driver_rows()}
    assert list(got) == ["strong", "weak", "idle"]  # strongest first
    assert got["strong"] < -0.9 and -0.6 < got["weak"] < -0.1 and abs(got["idle"]) < 0.2
    frame = res.drivers()
    assert list(frame.columns) == ["scenario", "point", "metric", "parameter", "correlation", "draws", "entangled"]
    assert set(frame["draws"]) == {200} and not frame["entangled"].any()  # independent draws
    from stockflow.report import build

    html = build(m, res)
    assert "Which assumptions matter" in html and "left depends most on strong (the higher it is, the lower left)" in html
    assert m.run_scenarios(["baseline"]).driver_rows() == []  # nothing sampled, nothing to rank
