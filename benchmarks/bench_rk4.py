"""What an RK4 step costs against an Euler step on GIRFEC, on each path a run can take.

RK4 evaluates the model four times a step, so four is the floor; issue 15 asks for at most
4.5. The same spec, 480 steps of a quarter month either way, side by side in one process:
JAX with one run (a jitted call through `Model.run`) and with 10,000 runs at once, and
NumPy (the path a fresh process's small run or batch takes) with one run and 200.
Run: python benchmarks/bench_rk4.py
"""

from __future__ import annotations

from functools import partial

import numpy as np

import stockflow

from common import GIRFEC, machine, median_and_best


def main() -> None:
    model = stockflow.load(GIRFEC)
    wide = {"rate_u_a": np.linspace(0.04, 0.10, 10_000)}
    narrow = {"rate_u_a": np.linspace(0.04, 0.10, 200)}
    cases = {
        "JAX, one run (Model.run)": (lambda m: model.run(method=m, outputs=["intensive"], backend="jax"), 50),
        "JAX, 10,000 runs at once": (lambda m: model.run_batch(wide, method=m, outputs=(), backend="jax"), 3),
        "NumPy, one run": (lambda m: model.run(method=m, outputs=["intensive"], backend="numpy"), 5),
        "NumPy, 200 runs at once": (lambda m: model.run_batch(narrow, method=m, outputs=(), backend="numpy"), 3),
    }
    print(f"GIRFEC, 480 steps, on {machine()}: least time of several calls, after a warm-up")
    print(f"{'':28}{'Euler':>12}{'RK4':>12}{'RK4 / Euler':>14}")
    for label, (call, repeats) in cases.items():
        euler = median_and_best(partial(call, "euler"), repeats)[1]
        rk4 = median_and_best(partial(call, "rk4"), repeats)[1]
        print(f"{label:28}{_ms(euler):>12}{_ms(rk4):>12}{rk4 / euler:>13.2f}x")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
