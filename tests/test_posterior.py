"""Posterior sampling: NUTS on the fit's own log-density, diagnostics that refuse unmixed
chains, and the CLI's outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("numpyro", reason="posterior sampling is the `bayes` extra (numpyro, arviz)")
pytest.importorskip("arviz", reason="posterior sampling is the `bayes` extra (numpyro, arviz)")

from stockflow.calibrate import calibrate  # noqa: E402
from stockflow.cli import main  # noqa: E402
from stockflow.report_posterior import posterior_text  # noqa: E402
from stockflow.runtime._posterior import Posterior  # noqa: E402

MODEL = """model one
time { start 0  stop 10  dt 0.25  units year }
unit child
stock s [child] = 2000
flow inflow [child/year]: outside -> s = joining
flow outflow [child/year]: s -> outside = s * leave_rate
param joining [child/year] = 400 { bounds [0, 5000] }
param leave_rate [1/year] = 0.2 { bounds [0.01, 1] }
"""
CAL = """model: one.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  s_count: {stock: s, noise: normal, sd: 60}
  in_total: {flow: inflow, over: 1 year, noise: poisson}
estimate:
  joining: {prior: "lognormal(6, 1)"}
  leave_rate:
starts: 2
"""


@pytest.fixture(scope="module")
def fit(tmp_path_factory: pytest.TempPathFactory) -> object:
    import stockflow

    d = tmp_path_factory.mktemp("post")
    (d / "one.sfm").write_text(MODEL)
    r = stockflow.load(d / "one.sfm").run(params={"joining": 500.0, "leave_rate": 0.1})
    rng = np.random.default_rng(4)
    rows = []
    for year in range(1, 11):
        k = year * 4
        rows.append(f"{year},s_count,{rng.normal(r['s'][k], 60):.1f}\n")
        rows.append(f"{year},in_total,{rng.poisson(500)}\n")
    (d / "data.csv").write_text("year,series,value\n" + "".join(rows))
    (d / "cal.yaml").write_text(CAL)
    return calibrate(d / "cal.yaml")


def test_chains_that_disagree_are_refused_in_words(fit: object) -> None:
    rng = np.random.default_rng(0)
    draws = np.stack([rng.normal(0.1, 0.01, (200, 2)), rng.normal(0.2, 0.01, (200, 2))])  # two modes
    post = Posterior(("joining", "leave_rate"), draws, (1.9, 1.8), (12.0, 15.0), (20.0, 22.0), 3, 1.0)
    assert not post.mixed
    text = posterior_text(fit, post)
    assert "R-hat of `joining` is 1.9000 (over 1.01): the chains disagree" in text
    assert "effective sample size of 12" in text
    assert "NOT mixed: no posterior is reported" in text and "credible" not in text


def test_posterior_agrees_with_the_fit_and_the_cli_writes_it(fit: object, tmp_path: Path) -> None:
    """Where the data determine the parameters, the posterior's medians and 95% credible
    intervals are the fit's estimates and intervals to a few per cent; the CLI writes the
    draws, the summary and the figure, and leaves the caller's JAX settings alone."""
    import jax
    import pandas as pd

    before = jax.config.jax_enable_x64
    cal = Path(fit.calibration.file)  # type: ignore[attr-defined]
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["calibrate", str(cal), "--posterior", "--draws", "500", "-o", str(out)])
    assert jax.config.jax_enable_x64 == before
    assert res.exit_code == 0, res.output
    assert "Posterior (NUTS, 4 chains of 500 draws" in res.output
    assert "95% credible interval" in res.output and "No prior given for `leave_rate`" in res.output
    for name in ("posterior.csv", "posterior_summary.csv", "posterior.png", "report.txt", "draws.csv"):
        assert (out / name).is_file(), name
    draws = pd.read_csv(out / "posterior.csv")
    assert list(draws.columns) == ["chain", "draw", "joining", "leave_rate"] and len(draws) == 2000
    s = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    assert (s.rhat <= 1.01).all() and (s.ess_bulk >= 400).all()
    for e in fit.estimates:  # type: ignore[attr-defined]
        assert s.loc[e.name, "median"] == pytest.approx(e.value, rel=0.05)
        assert s.loc[e.name, "low"] == pytest.approx(e.low, rel=0.15)
        assert s.loc[e.name, "high"] == pytest.approx(e.high, rel=0.15)
    # draws.csv, what `sample from fit` reads, holds the posterior's draws
    assert pd.read_csv(out / "draws.csv").joining.tolist() == draws.joining.tolist()
