"""stockflow against PySD on the GIRFEC model: compile, one run, ensembles, fresh processes.

Both tools run the same equations (stockflow's XMILE export, which PySD reads) with Euler,
dt 0.25 month over 120 months (480 steps); the script checks that their numbers agree before
it times anything. PySD runs one scenario per call, so its ensemble times are its measured
time per run times N (said so in the output).
Run: python benchmarks/bench_run.py [--sizes 1 100 10000 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import stockflow

from common import GIRFEC, best_of, machine, pysd_model, tempdir

# Compile times are measured cold: this process keeps no disk cache of compiled runs.
os.environ["STOCKFLOW_CACHE_DIR"] = ""


def fresh(cmd: list[str], cache: str = "") -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "STOCKFLOW_CACHE_DIR": cache})
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 10_000, 100_000])
    ap.add_argument("--pysd-runs", type=int, default=20, help="PySD runs timed (each is one call)")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    values = rng.uniform(0.04, 0.10, size=max(args.sizes))  # rate_u_a, one value per scenario

    t0 = time.perf_counter()
    model = stockflow.load(GIRFEC)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run(method="euler", outputs=["intensive"], backend="jax")
    t_compile = time.perf_counter() - t0  # the first run: tracing and XLA compilation
    t_single = best_of(lambda: model.run(method="euler", outputs=["intensive"], backend="jax"), 20)
    # What a fresh process's single run takes (runtime/_numpy_run.py): no import, trace or compile.
    t_numpy = best_of(lambda: model.run(method="euler", outputs=["intensive"], backend="numpy"), 5)
    batches = {}
    for n in args.sizes:
        model.run_batch({"rate_u_a": values[:n]}, method="euler", outputs=["intensive"])  # compile this shape
        t0 = time.perf_counter()
        batch = model.run_batch({"rate_u_a": values[:n]}, method="euler", outputs=["intensive"])
        batches[n] = time.perf_counter() - t0

    with tempdir() as tmp:
        t0 = time.perf_counter()
        pm = pysd_model(GIRFEC, Path(tmp))
        t_translate = time.perf_counter() - t0
        ref = pm.run(params={"rate_u_a": float(values[0])}, return_columns=["intensive"])
        diff = float(np.max(np.abs(ref["intensive"].to_numpy() - batch["intensive"][0])))
        if diff > 1e-9 * np.max(np.abs(batch["intensive"][0])):
            raise SystemExit(f"stockflow and PySD disagree by {diff}; not timing different models")
        k = args.pysd_runs
        t0 = time.perf_counter()
        for v in values[:k]:
            pm.run(params={"rate_u_a": float(v)}, return_columns=["intensive"])
        t_pysd = (time.perf_counter() - t0) / k
        xm = str(Path(tmp) / "girfec.xmile")
        exe = str(Path(sys.executable).with_name("stockflow"))
        cmd = [exe, "run", str(GIRFEC), "--method", "euler"]
        f_sf = fresh(cmd)
        fresh(cmd, str(Path(tmp) / "xla"))  # fill a disk cache, then run again with it
        f_warm = fresh(cmd, str(Path(tmp) / "xla"))
        f_pysd = fresh([sys.executable, "-W", "ignore", "-c",
                        f"import pysd; pysd.read_xmile({xm!r}).run()"])

    print(f"GIRFEC, Euler, 480 steps, on {machine()}; stockflow and PySD agree to {diff:.1e}")
    print(f"{'':40}{'stockflow':>12}{'PySD':>12}{'stockflow faster':>18}")
    print(f"{'load: parse+check / translate':40}{t_load:>11.2f}s{t_translate:>11.2f}s")
    print(f"{'compile (first run)':40}{t_compile:>11.2f}s")
    print(f"{'one run after compile':40}{t_single * 1e3:>10.2f}ms{t_pysd * 1e3:>10.2f}ms{t_pysd / t_single:>17.0f}x")
    print(f"{'one run on NumPy (no compile)':40}{t_numpy * 1e3:>10.2f}ms{t_pysd * 1e3:>10.2f}ms{t_pysd / t_numpy:>17.1f}x")
    for n, t in batches.items():
        label = f"N = {n:,} scenarios, one call (PySD: N x 1)"
        print(f"{label:40}{t:>11.3f}s{t_pysd * n:>11.1f}s{t_pysd * n / t:>17.0f}x")
        print(f"{'   scenarios per second':40}{n / t:>12,.0f}{1 / t_pysd:>12,.0f}")
    print(f"{'fresh process: run the spec':40}{f_sf:>11.2f}s{f_pysd:>11.2f}s{f_pysd / f_sf:>17.1f}x")
    print(f"{'   again, compiled run cached on disk':40}{f_warm:>11.2f}s{f_pysd:>11.2f}s{f_pysd / f_warm:>17.1f}x")


if __name__ == "__main__":
    main()
