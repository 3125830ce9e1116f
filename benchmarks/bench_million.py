"""A million GIRFEC scenarios in one call, within the 2 GB results limit, with no user setup.

Only the metrics are kept (`outputs=()`), so the results are 1,000,000 x 11 numbers; the
runs go through in chunks sized from the model, never from N. Prints the time and the peak
memory of the process. Run: python benchmarks/bench_million.py [--runs N]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import stockflow

from common import GIRFEC, machine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1_000_000)
    args = ap.parse_args()
    model = stockflow.load(GIRFEC)
    values = np.random.default_rng(1).uniform(0.04, 0.10, size=args.runs)
    t0 = time.perf_counter()
    batch = model.run_batch({"rate_u_a": values}, method="euler", outputs=())
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    total = batch["total_cost"]
    print(f"GIRFEC, Euler, 480 steps, on {machine()}")
    print(f"{args.runs:,} scenarios in {took:.1f} s ({args.runs / took:,.0f} a second), peak memory {peak:,.0f} MB")
    print(f"total_cost over the runs: 5th {np.percentile(total, 5):,.0f}, 95th {np.percentile(total, 95):,.0f} GBP")


if __name__ == "__main__":
    main()
