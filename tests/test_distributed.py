"""Batches on a real Dask cluster of two worker processes: the same numbers, bit for bit and in
the same order, as one process; a worker killed mid-batch costs a retry, not a result."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import stockflow
from stockflow.cli import main
from stockflow.compiler.base.diagnostics import RunError
from stockflow.runtime import _distributed as D

from conftest import ROOT

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (stockflow[cluster])")

GIRFEC = ROOT / "specs" / "girfec" / "girfec.sfm"
AGES = ROOT / "specs" / "girfec-ages" / "girfec-ages.sfm"


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with stockflow.connect("local:2") as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def columns(model: stockflow.Model, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Values around the spec's own, inside every bound."""
    rng = np.random.default_rng(seed)
    return {name: v * rng.uniform(0.8, 1.0, n) for name, v in model.parameters.items() if v > 0}


def test_batch_is_bit_identical_and_in_order(client) -> None:  # type: ignore[no-untyped-def]
    m = stockflow.load(GIRFEC)
    cols = columns(m, 1000)
    here = m.run_batch(cols, backend="jax")
    there = m.run_batch(cols, backend="jax", client=client)
    assert m.last_backend == "jax" and m.last_devices == ("cpu",)
    assert np.array_equal(there.values, here.values)
    assert np.array_equal(there.metric_values, here.metric_values)
    assert there.values.shape[0] == 1000 and here.metric_values[0, 0] != here.metric_values[999, 0]


def test_scenarios_of_an_arrayed_model_match(client) -> None:  # type: ignore[no-untyped-def]
    m = stockflow.load(AGES)
    here = m.run_scenarios(method="euler")
    there = m.run_scenarios(method="euler", client=client)
    assert there.names == here.names and there.runs == here.runs
    assert np.array_equal(there.batch.values, here.batch.values)
    assert np.array_equal(there.batch.metric_values, here.batch.metric_values)


def test_a_small_batch_runs_on_the_backend_this_process_would_choose(client) -> None:  # type: ignore[no-untyped-def]
    m = stockflow.load(GIRFEC)
    here = m.run_scenarios()
    backend = m.last_backend
    there = m.run_scenarios(client=client)
    assert m.last_backend == backend
    assert np.array_equal(there.batch.values, here.batch.values)


def test_a_killed_worker_is_retried_and_the_batch_is_complete(client) -> None:  # type: ignore[no-untyped-def]
    m = stockflow.load(GIRFEC)
    cols = columns(m, 2048, seed=1)
    here = m.run_batch(cols, backend="jax", method="euler", dt=0.125)
    pids = client.run(os.getpid)
    done: dict[str, object] = {}

    def batch() -> None:
        try:  # dt 0.125 with Euler is new to the workers: each compiles first, so chunks are in flight
            done["result"] = m.run_batch(cols, backend="jax", method="euler", dt=0.125, client=client)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            done["error"] = exc

    worker = threading.Thread(target=batch)
    worker.start()
    busy: list[str] = []
    deadline = time.monotonic() + 60
    while not busy and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks and w in pids]
        time.sleep(0.02)
    assert busy, "no chunk ever reached a worker"
    os.kill(pids[busy[0]], signal.SIGKILL)
    worker.join(180)
    assert "error" not in done, done.get("error")
    there = done["result"]
    assert np.array_equal(there.values, here.values)  # type: ignore[attr-defined]
    assert np.array_equal(there.metric_values, here.metric_values)  # type: ignore[attr-defined]
    assert busy[0] not in client.run(os.getpid)  # that worker really died (its nanny started another)


def test_a_calibration_on_a_cluster_is_the_same_fit(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Six starts and two profile intervals (leave_rate on its bound) as tasks: every estimate,
    interval and start's loss equal to the single-process fit's."""
    from test_calibration_trust import setup, simulated

    fit0 = setup(tmp_path, "s_count: {stock: s, noise: normal, sd: estimate}", "joining:\n  leave_rate:")
    data = simulated(fit0, 10, sd=150.0)
    here = fit0.with_data(data, starts=6)  # type: ignore[attr-defined]
    there = fit0.with_data(data, starts=6, client=client)  # type: ignore[attr-defined]
    assert [e.interval for e in here.estimates][:2] == ["profile", "profile"]
    assert there.estimates == here.estimates
    assert there.start_losses == here.start_losses and len(here.start_losses) == 6
    assert there.converged == here.converged and there.message == here.message
    built = client.run(_built_on_worker)
    assert any("fit" in kinds for kinds in built.values())  # the workers did the fitting


def _built_on_worker() -> list[str]:
    from stockflow.runtime._distributed import _MODELS

    return [str(k[0]) for k in _MODELS]


def test_cli_runs_scenarios_on_a_cluster(client) -> None:  # type: ignore[no-untyped-def]
    address = client.scheduler.address
    out = CliRunner().invoke(main, ["run", str(GIRFEC), "--scenarios", "all", "--cluster", address])
    assert out.exit_code == 0, out.output + out.stderr
    assert f"on Dask at {address}" in out.output
    alone = CliRunner().invoke(main, ["run", str(GIRFEC), "--scenarios", "all"])
    assert out.output.split("\n", 1)[1] == alone.output.split("\n", 1)[1]  # every table the same


def test_cli_calibrates_and_profiles_on_a_cluster(client) -> None:  # type: ignore[no-untyped-def]
    cal = str(ROOT / "specs" / "scotland_looked_after" / "calibrate.yaml")
    profile = ["--profile", "leave_rate", "--profile", "starts_trend"]  # each curve a task
    there = CliRunner().invoke(main, ["calibrate", cal, "--cluster", client.scheduler.address, *profile])
    assert there.exit_code == 0, there.output + there.stderr
    assert there.output.count("Profile of") == 2
    here = CliRunner().invoke(main, ["calibrate", cal, *profile])
    def words(out: str) -> str:
        return re.sub(r"; [0-9.]+ s\b", "; (time) s", out)

    assert words(there.output) == words(here.output)  # the same report, word for word but the time taken


def test_cli_cluster_needs_scenarios() -> None:
    out = CliRunner().invoke(main, ["run", str(GIRFEC), "--cluster", "local"])
    assert out.exit_code == 2 and "needs --scenarios" in out.stderr


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(RunError) as err:
        D.connect("tcp://127.0.0.1:9", timeout=1)
    d = err.value.diagnostics[0]
    assert d.code == "E063" and "127.0.0.1:9" in d.message and "local" in (d.hint or "")


@pytest.mark.parametrize("text", ["local:0", "local:x", "local:-2"])
def test_bad_local_worker_count(text: str) -> None:
    with pytest.raises(RunError) as err:
        D.connect(text)
    assert err.value.diagnostics[0].code == "E063"


def test_without_dask_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(RunError) as err:
        stockflow.connect("local")
    assert err.value.diagnostics[0].code == "E063" and "stockflow[cluster]" in (err.value.diagnostics[0].hint or "")


def test_the_model_pickled_for_workers_runs_the_same() -> None:
    import pickle

    m = stockflow.load(AGES)
    back = stockflow.Model(pickle.loads(D.model_bytes(m.checked)))
    assert np.array_equal(back.run(backend="numpy").values, m.run(backend="numpy").values)
    with pytest.raises(TypeError):  # the process's own pickling is left as it was
        pickle.dumps(m.checked)


@pytest.mark.parametrize(("n", "memory", "workers", "expected"), [
    (1000, 8192, 2, 128),  # 8 tasks of whole 64s
    (10, 8192, 2, 10),  # one small chunk, not ten of one run
    (100, 8192, 2, 64),
    (10**6, 8192, 2, 8192),  # the memory bound holds
    (5000, 100, 4, 100),
])
def test_chunk_size(n: int, memory: int, workers: int, expected: int) -> None:
    assert D.chunk_size(n, memory, workers) == expected
