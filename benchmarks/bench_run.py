"""stockflow against PySD on the GIRFEC model: one run, and many scenarios.

Both tools run the same equations (stockflow's XMILE export, which PySD reads) with Euler,
dt 0.25 month over 120 months (480 steps); the script checks that their numbers agree before
it times anything. Run: python benchmarks/bench_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import stockflow

from common import GIRFEC, best_of, machine, pysd_model, tempdir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000, help="scenarios in the batch")
    ap.add_argument("--pysd-runs", type=int, default=20, help="PySD runs timed (each is one call)")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    values = rng.uniform(0.04, 0.10, size=args.runs)  # rate_u_a, one value per scenario

    t0 = time.perf_counter()
    model = stockflow.load(GIRFEC)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.run(method="euler", outputs=["intensive"])
    t_first = time.perf_counter() - t0  # includes jit compilation
    t_single = best_of(lambda: model.run(method="euler", outputs=["intensive"]), 20)
    model.run_batch({"rate_u_a": values[:8]}, method="euler", outputs=["intensive"])  # compile the batch shape
    t0 = time.perf_counter()
    batch = model.run_batch({"rate_u_a": values}, method="euler", outputs=["intensive"])
    t_batch = time.perf_counter() - t0

    with tempdir() as tmp:
        from pathlib import Path

        t0 = time.perf_counter()
        pm = pysd_model(GIRFEC, Path(tmp))
        t_translate = time.perf_counter() - t0
        ref = pm.run(params={"rate_u_a": float(values[0])}, return_columns=["intensive"])
        diff = np.max(np.abs(ref["intensive"].to_numpy() - batch["intensive"][0]))
        if diff > 1e-9 * np.max(np.abs(batch["intensive"][0])):
            raise SystemExit(f"stockflow and PySD disagree by {diff}; not timing different models")
        k = min(args.pysd_runs, args.runs)
        t0 = time.perf_counter()
        for v in values[:k]:
            pm.run(params={"rate_u_a": float(v)}, return_columns=["intensive"])
        t_pysd = (time.perf_counter() - t0) / k

    print(f"GIRFEC, Euler, 480 steps, on {machine()}; stockflow and PySD agree to {diff:.1e}")
    print(f"{'':34}{'stockflow':>12}{'PySD':>12}{'ratio':>10}")
    print(f"{'load (parse, check / translate)':34}{t_load:>11.2f}s{t_translate:>11.2f}s")
    print(f"{'first run (stockflow: + compile)':34}{t_first:>11.2f}s")
    print(f"{'one run':34}{t_single * 1e3:>10.2f}ms{t_pysd * 1e3:>10.2f}ms{t_pysd / t_single:>9.1f}x")
    per = t_batch / args.runs
    print(f"{f'{args.runs} scenarios, per run':34}{per * 1e6:>10.1f}us{t_pysd * 1e6:>10.0f}us{t_pysd / per:>9.0f}x")
    print(f"{f'{args.runs} scenarios, total':34}{t_batch:>11.2f}s{t_pysd * args.runs:>11.1f}s")


if __name__ == "__main__":
    main()
