"""How arrays scale: compile time and time per step of an arrayed chain model with N elements,
against the same model written out as N scalar declarations by hand (the yardstick the issue
names) and against a hand-written vectorised JAX step.

The model: `dim i = range(1, N)`, a stock per element draining into the next,
  stock x[i] = 1;  flow move[i]: x[i] -> x[i + 1] = x[i] * k[i] { where i < N }
  flow out: x[N] -> outside = x[N] * 0.1;  param k[i] = 0.1 + 0.001 * position
Euler, dt 0.25, 400 steps. "compile" is spec text to checked model (parse, arrays pass, names,
units, conservation, sympy); "first run" adds building and XLA-compiling the integrator; "step"
is a warm run's time over its steps.
Run: python benchmarks/bench_arrays.py [N ...]   (default 4 32 320 3200)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import stockflow
from stockflow.runtime._jax import jax, jnp, x64

from common import machine, median_and_best

STEPS = 400


def arrayed(n: int) -> str:
    ks = ", ".join(f"{e}: {0.1 + 0.001 * e:.4f}" for e in range(1, n + 1))
    return f"""model chain
time {{ start 0 stop {STEPS * 0.25:g} dt 0.25 units year }}
dim i = range(1, {n})
stock x[i] = 1
param k[i] [1/year] = {{{ks}}}
flow move[i] [1/year]: x[i] -> x[i + 1] = x[i] * k[i] {{ where i < {n} }}
flow out [1/year]: x[{n}] -> outside = x[{n}] * 0.1 [1/year]
"""


def scalar(n: int) -> str:
    lines = [f"model chain\ntime {{ start 0 stop {STEPS * 0.25:g} dt 0.25 units year }}"]
    for e in range(1, n + 1):
        lines.append(f"stock x_{e} = 1\nparam k_{e} [1/year] = {0.1 + 0.001 * e:.4f}")
        if e < n:
            lines.append(f"flow move_{e} [1/year]: x_{e} -> x_{e + 1} = x_{e} * k_{e}")
    lines.append(f"flow out [1/year]: x_{n} -> outside = x_{n} * 0.1 [1/year]")
    return "\n".join(lines) + "\n"


def handwritten(n: int):  # noqa: ANN201 - a compiled function
    k = jnp.asarray(0.1 + 0.001 * np.arange(1, n + 1), dtype=jnp.float64)

    def step(x, _):  # noqa: ANN001, ANN202
        move = x[:-1] * k[:-1]
        d = jnp.zeros_like(x).at[:-1].add(-move).at[1:].add(move).at[-1].add(-0.1 * x[-1])
        return x + 0.25 * d, None

    run = jax.jit(lambda x0: jax.lax.scan(step, x0, None, length=STEPS)[0])
    return run, jnp.ones(n, dtype=jnp.float64)


def measure(text: str) -> tuple[float, float, float, np.ndarray]:
    t0 = time.perf_counter()
    m = stockflow.load_text(text)
    compiled = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = m.run(outputs=[m.stocks[-1]], backend="jax")
    first = time.perf_counter() - t0
    warm, _ = median_and_best(lambda: m.run(outputs=[m.stocks[-1]], backend="jax"), 3)
    return compiled, first, warm / STEPS, res.values[-1]


def main(sizes: list[int]) -> None:
    print(f"arrays: chain of N stocks, Euler, {STEPS} steps; {machine()}")
    print(f"{'N':>6} {'form':<12} {'compile s':>10} {'first run s':>12} {'step us':>10}")
    for n in sizes:
        with x64():
            run, x0 = handwritten(n)
            run(x0).block_until_ready()
            hw, _ = median_and_best(lambda run=run, x0=x0: run(x0).block_until_ready(), 5)
            want = np.asarray(run(x0))[-1]
        rows = [("arrayed", arrayed(n))] + ([("scalar", scalar(n))] if n <= 320 else [])
        for form, text in rows:
            c, f, s, last = measure(text)
            assert abs(float(last[0]) - float(want)) <= 1e-9 * abs(float(want)), (last, want)
            print(f"{n:>6} {form:<12} {c:>10.2f} {f:>12.2f} {s * 1e6:>10.2f}")
        print(f"{n:>6} {'hand JAX':<12} {'':>10} {'':>12} {hw / STEPS * 1e6:>10.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [4, 32, 320, 3200])
