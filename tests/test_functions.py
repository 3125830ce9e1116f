"""Every one-argument function of the language, on every path: a hand loop in Python's math,
the NumPy and JAX backends, the JavaScript the explorer runs, and an XMILE round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_explorer import assert_same, needs_node, node_run

import stockflow
from stockflow.compiler.write.xmile import write_xmile

FUNCTIONS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
             "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp,
             "ln": math.log, "sqrt": math.sqrt, "abs": abs}
# each flow reads its function at a point inside its domain that moves with the stock
TEXT = "model functions\ntime { start 0 stop 2 dt 0.25 units year }\nstock s = 0.3\n" + "\n".join(
    f"flow f_{name} [1/year]: outside -> s = {name}(s / 10) * 0.01 [1/year]" for name in FUNCTIONS) + "\n"


def by_hand() -> list[float]:
    s, out = 0.3, [0.3]
    for _ in range(8):
        s += 0.25 * sum(f(s / 10) * 0.01 for f in FUNCTIONS.values())
        out.append(s)
    return out


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_each_backend_computes_what_python_does(backend: str) -> None:
    got = stockflow.load_text(TEXT).run(backend=backend)["s"]
    np.testing.assert_allclose(got, by_hand(), rtol=1e-14)


@needs_node
def test_the_browser_model_computes_the_same(tmp_path: Path) -> None:
    model = stockflow.load_text(TEXT)
    js, got = node_run(model, tmp=tmp_path)
    assert_same(js, got, model.run())


def test_xmile_writes_and_reads_every_function(tmp_path: Path) -> None:
    text = write_xmile(stockflow.load_text(TEXT).checked).text
    for word in ("SINH(", "COSH(", "TANH(", "ARCTAN("):
        assert word in text
    path = tmp_path / "f.xmile"
    path.write_text(text, encoding="utf-8")
    np.testing.assert_allclose(stockflow.load(path).run()["s"], by_hand(), rtol=1e-14)


def test_a_summarys_times_outside_the_run_are_refused_at_check() -> None:
    """GIRFEC moved from months to quarters kept `integral(cost_rate, 108, 120)`: £0 without a
    word, and `at(intensive, 60)` failed only when run, after `check` had passed it."""
    from stockflow import SpecError

    head = "model q\ntime { start 0  stop 40  dt 1  units quarter }\nstock s = 1\n"
    for metric, says in (("integral(s, 108, 120)", "integral(..., 108, 120): outside the run"),
                         ("at(s, 60)", "at(..., 60): outside the run"),
                         ("mean(s, 30, 50)", "mean(..., 30, 50): outside the run"),
                         ("integral(s, 20, 10)", "the window ends before it starts")):
        with pytest.raises(SpecError) as exc:
            stockflow.load_text(head + f"metric m = {metric}\n")
        [d] = exc.value.diagnostics
        assert d.code == "E050" and says in d.message, d.message
    ok = stockflow.load_text(head + "metric m = integral(s, 108 month, 120 month)\nmetric a = at(s, 0)\n")
    assert ok.run().metric("m") == pytest.approx(4.0)  # months 108 to 120 are quarters 36 to 40


def test_an_event_outside_the_run_is_warned_of_once() -> None:
    m = stockflow.load_text("model q\ntime { start 0  stop 40  dt 1  units quarter }\ndim area = [north, south]\n"
                            "stock s[area] = 1\nflow f[area]: outside -> s[area] = step(1, 150 month) + pulse(1, 20 month)"
                            " + ramp(0.1, 2, 4)\n")
    w110 = [w for w in m.warnings if w.code == "W110"]
    assert len(w110) == 1 and "starts at 50, outside the run" in w110[0].message  # 150 months: one per equation
