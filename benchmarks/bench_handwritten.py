"""Generated code against hand-written JAX, on the same equations, in one process.

The hand-written yardstick is the GIRFEC core (benchmarks/handwritten.py); stockflow runs the
same core cut from the bundled spec. The script checks they agree, then times the jitted call
of one run (inputs ready, result on the host) and N scenarios in one call. The full GIRFEC spec
(non-negative caps on 5 stocks, 11 metrics, conservation check) is timed too, for scale: it
does several times the work of the core at every step.
Run: python benchmarks/bench_handwritten.py [--runs 100000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import stockflow

from common import GIRFEC, best_of, machine, median_and_best, tempdir
from handwritten import PARAMS, core_spec, run_function

os.environ["STOCKFLOW_CACHE_DIR"] = ""  # compile times measured cold
LEVELS = ("universal", "additional", "targeted", "intensive", "engaged_families", "effect")


def one_call(model: stockflow.Model) -> tuple[object, tuple[np.ndarray, ...]]:
    """The model's jitted single-run function and its inputs, as Model.run would call it."""
    sim = model.simulator()
    fn = sim.function(model.plan("euler"), False, model.output_ids(["intensive"]))
    o, m = model.initial_vectors(None)
    return fn, (model.param_vector(None), o, m)


def main() -> None:
    import jax

    # The yardstick in float64, as stockflow computes: since stockflow scopes float64 to its own
    # calls, hand-written JAX in this process would otherwise run in float32 (and disagree by 7e-5).
    jax.config.update("jax_enable_x64", True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    args = ap.parse_args()
    n = args.runs
    with tempdir() as tmp:
        path = Path(tmp) / "girfec_core.sfm"
        path.write_text(core_spec(), encoding="utf-8")
        core = stockflow.load(path)
    full = stockflow.load(GIRFEC)
    start = core.run(method="euler", outputs=list(LEVELS))
    y0 = np.array([start[v][0] for v in LEVELS])
    values = {p.id: p.value for p in core.checked.graph.params}
    p0 = np.array([values[k] for k in PARAMS])
    rates = np.random.default_rng(1).uniform(0.04, 0.10, size=n)  # rate_u_a, one per scenario

    t0 = time.perf_counter()
    hand = jax.jit(run_function(core.plan("euler").n_steps, core.plan("euler").dt))
    jax.block_until_ready(hand(p0, y0))
    t_hand_compile = time.perf_counter() - t0
    diff = float(np.max(np.abs(np.asarray(hand(p0, y0)) - start["intensive"][:-1])))
    if diff > 1e-12 * float(np.max(start["intensive"])):
        raise SystemExit(f"hand-written and generated code disagree by {diff}; not timing different models")
    hand_batch = jax.jit(jax.vmap(run_function(core.plan("euler").n_steps, core.plan("euler").dt), in_axes=(0, None)))
    pb = np.tile(p0, (n, 1))
    pb[:, 0] = rates

    rows = []
    fn, inputs = one_call(core)
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*inputs))
    t_core_compile = time.perf_counter() - t0
    rows.append(("compile (first run)", t_core_compile, t_hand_compile, "s"))
    sf = median_and_best(lambda: [np.asarray(x) for x in fn(*inputs)], 300)
    hw = median_and_best(lambda: np.asarray(hand(p0, y0)), 300)
    rows.append(("one run, jitted call: median", sf[0], hw[0], "us"))
    rows.append(("one run, jitted call: best", sf[1], hw[1], "us"))
    rows.append(("one run, Model.run (median)", best_of(lambda: core.run(method="euler", outputs=["intensive"]), 100),
                 None, "us"))
    sf_batch = median_and_best(lambda: core.run_batch({"rate_u_a": rates}, method="euler", outputs=["intensive"]), 3)
    hw_batch = median_and_best(lambda: np.asarray(hand_batch(pb, y0)), 3)
    t_sf, t_hw = sf_batch[1], hw_batch[1]
    rows.append((f"N = {n:,}, one call (best of 3): per second", n / t_sf, n / t_hw, "/s"))

    ffn, finputs = one_call(full)
    jax.block_until_ready(ffn(*finputs))
    full_one = median_and_best(lambda: [np.asarray(x) for x in ffn(*finputs)], 300)
    t_full = median_and_best(lambda: full.run_batch({"rate_u_a": rates}, method="euler", outputs=["intensive"]), 3)[1]

    print(f"GIRFEC core, Euler, 480 steps, on {machine()}; generated and hand-written agree to {diff:.1e}")
    print(f"{'':44}{'stockflow':>14}{'hand-written':>14}{'time vs hand':>16}")
    for label, a, b, unit in rows:
        scale = 1e6 if unit == "us" else 1.0
        fa = f"{a * scale:,.1f}{unit}" if unit != "/s" else f"{a:,.0f}{unit}"
        fb = "" if b is None else (f"{b * scale:,.1f}{unit}" if unit != "/s" else f"{b:,.0f}{unit}")
        ratio = "" if b is None else f"{(b / a if unit == '/s' else a / b):.2f}x"
        print(f"{label:44}{fa:>14}{fb:>14}{ratio:>16}")
    print("Full GIRFEC spec (caps, metrics, conservation check):")
    print(f"{'   one run, jitted call: median / best':44}{full_one[0] * 1e6:>12.1f}us{full_one[1] * 1e6:>12.1f}us")
    print(f"{f'   N = {n:,}, one call (best of 3): per second':44}{n / t_full:>12,.0f}/s")


if __name__ == "__main__":
    main()
