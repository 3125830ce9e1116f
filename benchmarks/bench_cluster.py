"""Throughput of a GIRFEC ensemble on Dask: one process, then a local cluster of 1 and 2
worker processes, side by side, each timed warm (its workers have compiled) and with the
results checked bit-identical to the single process. Prints the device each ran on.

Run: python benchmarks/bench_cluster.py [--runs N] [--workers 1,2] [--cluster ADDRESS]
(`--cluster tcp://HOST:8786` adds a row for a cluster that is already running.)
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import stockflow

from common import GIRFEC, machine


def timed(fn) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Wall time, this process's CPU time, and the result of fn(), after a warm-up call."""
    fn()  # warm-up: JAX's trace and compile, here or on every worker
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--cluster", help="also time a running cluster at this address")
    args = ap.parse_args()
    model = stockflow.load(GIRFEC)
    rates = np.random.default_rng(1).uniform(0.04, 0.10, size=args.runs)

    def batch(client=None):  # type: ignore[no-untyped-def]
        return lambda: model.run_batch({"rate_u_a": rates}, method="rk4", outputs=(), backend="jax", client=client)

    took, cpu, alone = timed(batch())
    print(f"GIRFEC, RK4, 480 steps, {args.runs:,} runs, metrics only; here: {machine()}, {os.cpu_count()} cores")
    print(f"{'where':<28} {'runs/s':>10} {'vs one process':>15}  device")
    print(f"{'one process':<28} {args.runs / took:>10,.0f} {1:>15.2f}x  {model.last_backend} on cpu, "
          f"keeping {cpu / took:.1f} cores busy (XLA's own threads)")
    rows = [(f"local:{n}", f"LocalCluster, {n} worker(s)") for n in map(int, args.workers.split(","))]
    rows += [(args.cluster, args.cluster)] if args.cluster else []
    for address, label in rows:
        with stockflow.connect(address) as client:
            took_c, _, res = timed(batch(client))
            same = np.array_equal(res.metric_values, alone.metric_values)  # type: ignore[attr-defined]
            print(f"{label:<28} {args.runs / took_c:>10,.0f} {took / took_c:>15.2f}x  "
                  f"{model.last_backend} on {', '.join(model.last_devices)}; bit-identical: {same}")


if __name__ == "__main__":
    main()
