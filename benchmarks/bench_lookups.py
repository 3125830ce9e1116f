"""How an arrayed lookup scales on JAX: a chain of N stocks whose flows each read their own
element's table (`lookup eff[i]`, three points each, different values), Euler, 40 steps.
"first run" is building the integrator and XLA's compile; "step" a warm run's time over its
steps. With the tables stacked (`compiler/codegen/stacked.py`) the elements are one
interpolation, so the traced step does not grow with N (`tests/test_vectorised.py`).
Run: python benchmarks/bench_lookups.py [N ...]   (default 32 320)
"""

from __future__ import annotations

import sys
import time

import stockflow

from common import machine, median_and_best

STEPS = 40


def lookup_chain(n: int) -> str:
    tabs = ", ".join(f"{e}: [(0, {1 + e * 0.001:.4f}), (20, {2 + e * 0.0005:.4f}), (40, {2.5 + e * 0.0001:.4f})]"
                     for e in range(1, n))
    return f"""model lookups
time {{ start 0 stop {STEPS * 0.25:g} dt 0.25 units year }}
dim i = range(1, {n})
stock x[i] = {{1: 100, else: 30}}
lookup eff[i] = {{ {tabs}, else: [(0, 1), (20, 1.5), (40, 2.2)] }}
flow move[i] [1/year]: x[i] -> x[i + 1] = x[i] * 0.1 [1/year] * eff[i](x[i] - 40) {{ where i < {n} }}
aux total = sum(x[i])
"""


def main(sizes: list[int]) -> None:
    print(f"arrayed lookups: chain of N stocks, a table each, Euler, {STEPS} steps; {machine()}")
    print(f"{'N':>6} {'first run s':>12} {'step us':>9}")
    for n in sizes:
        m = stockflow.load_text(lookup_chain(n))
        t0 = time.perf_counter()
        m.run(backend="jax", outputs=["total"])
        first = time.perf_counter() - t0
        _, best = median_and_best(lambda m=m: m.run(backend="jax", outputs=["total"]), 5)
        print(f"{n:>6} {first:>12.2f} {best / STEPS * 1e6:>9.1f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [32, 320])
