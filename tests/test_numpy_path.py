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
