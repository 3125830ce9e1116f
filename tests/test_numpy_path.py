"""The NumPy path for single small runs and small batches gives the JAX path's numbers, on
every bundled model, the SDXorg reference models and generated ones, for both methods; `auto`
takes it only while that is the quicker way, and a fresh process running a small model never
imports JAX."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_properties import SUBNORMAL

import stockflow
from stockflow.runtime._numpy_run import NUMPY_MAX_RUNS

from conftest import PEER, ROOT, needs_peer_models
from strategies import stock_flow_models

BUNDLED = sorted((ROOT / "specs").glob("*/*.sfm"))
PEERS = sorted(PEER.rglob("*.xmile")) if PEER.is_dir() else []


def same(model: stockflow.Model, **kw: object) -> None:
    a = model.run(backend="numpy", **kw)  # type: ignore[arg-type]
    b = model.run(backend="jax", **kw)  # type: ignore[arg-type]
    assert (a.times == b.times).all()
    for v in b.variables:
        np.testing.assert_allclose(a[v.id], b[v.id], rtol=1e-12, atol=1e-12 * max(1.0, np.abs(b[v.id]).max()))
    for m in b.metrics:
        assert a.metric(m.name) == pytest.approx(b.metric(m.name), rel=1e-12, abs=1e-12), m.name


@pytest.mark.parametrize("spec", BUNDLED, ids=[p.parent.name for p in BUNDLED])
def test_bundled_models(spec: Path) -> None:
    same(stockflow.load(spec))


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_girfec_both_methods_with_sparse_saves_and_recomputed_outputs(method: str) -> None:
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    same(m, method=method, save_step=1.0)
    aux = next(v.id for v in m.variables() if v.kind == "aux" and not v.hidden)
    same(m, method=method, outputs=[aux])  # outputs recomputed from the recorded state


def test_stocks_recorded_out_of_order_and_apart_are_the_numpy_paths() -> None:
    """The JAX run records its stocks as one slice where they lie in a row, else one gather:
    a subset out of order and with gaps is each stock's own trajectory."""
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    stocks = [v.id for v in m.variables() if v.kind == "stock" and not v.hidden]
    same(m, outputs=[stocks[3], stocks[0], stocks[2]])
    same(m, outputs=stocks[1:3])
    whole = m.run(backend="jax")
    picked = m.run(backend="jax", outputs=[stocks[3], stocks[0]])
    assert (picked[stocks[3]] == whole[stocks[3]]).all() and (picked[stocks[0]] == whole[stocks[0]]).all()


@needs_peer_models()
def test_reference_models() -> None:
    checked = 0
    for path in PEERS:
        try:
            m = stockflow.load(path)
        except stockflow.SpecError:
            continue  # the ones stockflow refuses are tested in test_xmile
        same(m)
        checked += 1
    assert checked >= 40


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=stock_flow_models(), method=st.sampled_from(["euler", "rk4"]))
@example(SUBNORMAL, "euler")
def test_generated_models(body: str, method: str) -> None:
    head = f"time {{ start 0  stop 5  dt 0.125  units year  method {method} }}\n"
    m = stockflow.load_text(head + body)
    same(m)
    same_batch(m)


def same_batch(model: stockflow.Model) -> None:
    """Three runs at once (the second and third with parameters scaled) on both paths."""
    from stockflow.runtime._numpy_run import NumpySimulator

    vec = model.param_vector(None)
    params = np.stack([vec, vec * 0.9, vec * 1.1])
    o, k = model.initial_vectors(None)
    override, mask = np.stack([o] * 3), np.stack([k] * 3)
    p, keep = model.plan(), model.output_ids(None)
    ours = NumpySimulator(model.checked).run(p, params, override, mask, keep)
    theirs = model.simulator().run(p, params, override, mask, keep)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(b).max(initial=0))))


def test_auto_takes_numpy_while_it_is_quicker() -> None:
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    for _ in range(NUMPY_MAX_RUNS):
        m.run()
        assert m.last_backend == "numpy"
    m.run()
    assert m.last_backend == "jax"  # compiling now pays for itself
    fresh = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    fresh.run(backend="jax")  # compiles the JAX runner: from now on it is the quicker one
    fresh.run()
    assert fresh.last_backend == "jax"


def test_a_fresh_small_run_never_imports_jax() -> None:
    code = ("import sys, stockflow\n"
            f"r = stockflow.load({str(ROOT / 'specs' / 'girfec' / 'girfec.sfm')!r}).run()\n"
            "print('jax' in sys.modules, round(r.metric('total_cost')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"
    assert out[1] == str(round(stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").run(backend="jax")
                               .metric("total_cost")))


def test_an_unknown_backend_is_refused() -> None:
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    with pytest.raises(stockflow.RunError, match="E053"):
        m.run(backend="gpu")


@pytest.mark.parametrize("spec", BUNDLED, ids=[p.parent.name for p in BUNDLED])
def test_scenario_batches_on_numpy_match_jax(spec: Path) -> None:
    from stockflow.runtime._numpy_run import NumpySimulator
    from stockflow.runtime._scenario_inputs import encode, structure

    m = stockflow.load(spec)
    g = m.checked.graph
    from stockflow.compiler.ir.scenarios import BASELINE, as_written

    declared = {sc.id: sc for sc in g.scenarios}
    chosen = [declared.get(BASELINE) or as_written()] + [sc for k, sc in declared.items() if k != BASELINE]
    scaled, timed = structure(chosen)
    p = m.plan()
    params, override, mask, _ = encode(chosen, p, m.param_vector, m.initial_vectors,
                                       param_ids=frozenset(x.id for x in g.params))
    keep = m.output_ids(None)
    ours = NumpySimulator(m.checked, scaled, timed).run(p, params, override, mask, keep)
    theirs = m.simulator(scaled, timed).run(p, params, override, mask, keep)
    for a, b in zip(ours[:2], theirs[:2], strict=True):  # trajectories, metrics
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.abs(b).max())))
    np.testing.assert_allclose(ours[2], theirs[2], atol=1e-12)  # each group's worst relative drift


def test_batches_choose_numpy_only_while_small() -> None:
    m = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    m.run_batch({"rate_u_a": [0.05, 0.06, 0.07]})
    assert m.last_backend == "numpy"
    big = m.run_batch({"rate_u_a": np.linspace(0.04, 0.1, 2000)})
    assert m.last_backend == "jax"
    m.run_batch({"rate_u_a": [0.05, 0.06, 0.07]})
    assert m.last_backend == "jax"  # compiled already: the quicker way now
    small = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").run_batch({"rate_u_a": [0.04, 0.1]})
    np.testing.assert_allclose(small["intensive"][0], big["intensive"][0], rtol=1e-12)
    np.testing.assert_allclose(small["intensive"][1], big["intensive"][-1], rtol=1e-12)


CAPPED = """time { start 0  stop 6  dt 0.5  units year  method METHOD }
unit child
stock a [child] = 100 { non_negative }
stock b [child] = 5 { non_negative }
flow leave [child/year]: a -> outside = a * rate + push
flow move [child/month]: a -> b = monthly
param monthly [child/month] = 2.5
flow back [child/year]: b -> a = b * back_rate - pull
param back_rate [1/year] = 0.1
param rate [1/year] = 0.2
param push [child/year] = 10
param pull [child/year] = 3
"""


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_a_batch_cuts_back_flows_as_single_runs_do(method: str) -> None:
    """Runs side by side where the caps bind in some runs, at some steps, and not in others:
    a units factor (a flow per month into a stock per year), a negative inflow that drains,
    and a flow between two capped stocks. The batch on NumPy (one array per stock's flows)
    gives each single run's numbers exactly, and JAX's to rounding."""
    m = stockflow.load_text(CAPPED.replace("METHOD", method))
    rates = np.array([0.05, 0.2, 0.9, 1.6, 2.5, 0.05])
    pulls = np.array([0.0, 3.0, 8.0, 0.5, 20.0, 1.0])
    backs = np.array([0.1, 4.0, 0.1, 3.0, 0.5, 6.0])
    columns = {"rate": rates, "pull": pulls, "back_rate": backs}
    batch = m.run_batch(columns, backend="numpy")
    jax = m.run_batch(columns, backend="jax")
    for i in range(len(rates)):
        single = m.run(params={k: float(v[i]) for k, v in columns.items()}, backend="numpy")
        for s in ("a", "b", "leave", "move", "back"):
            np.testing.assert_array_equal(batch[s][i], single[s], err_msg=f"{s}, run {i}")
            np.testing.assert_allclose(jax[s][i], single[s], rtol=1e-12, atol=1e-9)
    # each stock's cap binds in some runs and not in others: with Euler a cut stock is empty
    # (to rounding: -4e-16 at most); RK4 cuts each stage, so it nears zero instead
    for s in ("a", "b") if method == "euler" else ():
        x = batch[s]
        assert x.min() > -1e-12 and 1 <= (x.min(axis=1) < 1e-9).sum() < len(rates), s
