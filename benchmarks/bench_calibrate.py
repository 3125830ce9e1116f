"""Calibration with stockflow's gradients against derivative-free fitting of the same model.

The model is specs/scotland_looked_after (Euler, 132 steps) with the normal-noise version of
its likelihood: the sum of squared relative errors of the stock, the yearly starts and the
yearly ceasings against the published series. Three ways to minimise the same loss from the
same start:
  1. stockflow: L-BFGS-B with the gradient from jax.grad through the compiled integrator;
  2. Nelder-Mead on the same compiled model (no gradients);
  3. PySD (the peer) running the model's XMILE export, with scipy's L-BFGS-B and gradients by
     finite differences.
Each is timed to reach the loss stockflow reaches (within 1e-6 relative).
Run: python benchmarks/bench_calibrate.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

import stockflow
from stockflow.calibrate import calibrate
from stockflow.runtime._jax import jax, jnp

from common import ROOT, best_of, machine, pysd_model, tempdir

SPEC = ROOT / "specs" / "scotland_looked_after" / "looked_after.sfm"
CAL = ROOT / "specs" / "scotland_looked_after" / "calibrate.yaml"
NAMES = ["initial_looked_after", "starts_2008", "starts_trend", "leave_rate", "net_adjustment"]
SCALE = np.array([15000.0, 5000.0, 100.0, 0.3, 100.0])  # the optimiser works on theta / SCALE


def targets() -> tuple[list, np.ndarray]:
    """The observations as (kind, column, row or (row0, row1)) and their values."""
    fit = calibrate(CAL, starts=1)  # only to read and place the data exactly as stockflow does
    p = fit.model.plan(save_step=0.125)
    where, values = [], []
    for s in fit.series:
        for t0, t1, y in zip(s.starts, s.ends, s.values, strict=True):
            r0, r1 = int(round((t0 - p.start) / p.dt)), int(round((t1 - p.start) / p.dt))
            where.append((s.obs.kind, s.obs.target, r0, r1))
            values.append(y)
    return where, np.asarray(values)


def main() -> None:
    where, y = targets()
    model = stockflow.load(SPEC)
    g = model.checked.graph
    idx = [[p.id for p in g.params].index(n) for n in NAMES]
    keep = ("looked_after", "starting", "ceasing")
    p = model.plan(save_step=0.125)
    run = model.simulator().pure(p, keep)
    base = jnp.asarray(model.param_vector())
    inits = tuple(jnp.asarray(a) for a in model.initial_vectors(None))
    col = {k: i for i, k in enumerate(keep)}
    dt = p.dt

    def predict_from(traj: np.ndarray | jax.Array, xp=jnp):  # noqa: ANN001
        out = []
        for kind, target, r0, r1 in where:
            series = traj[:, col[target]]
            out.append(series[r1] if kind == "stock" else xp.sum(series[r0:r1]) * dt)
        return xp.stack(out)

    def loss_j(x: jax.Array) -> jax.Array:
        vec = base.at[jnp.asarray(idx)].set(x * SCALE)
        mu = predict_from(run(vec, *inits)[0])
        return jnp.sum(((mu - y) / y) ** 2)

    f = jax.jit(loss_j)
    fg = jax.jit(jax.value_and_grad(loss_j))
    x0 = np.array([model.param_vector()[i] for i in idx]) / SCALE
    f(jnp.asarray(x0))
    fg(jnp.asarray(x0))  # compile before timing

    # the price of a gradient: value-and-gradient against the value alone (checkpointed steps)
    xj = jnp.asarray(x0)
    t_f = best_of(lambda: f(xj).block_until_ready(), 50)
    t_fg = best_of(lambda: fg(xj)[1].block_until_ready(), 50)
    counts = {"n": 0}

    def f_np(x: np.ndarray) -> float:
        counts["n"] += 1
        return float(f(jnp.asarray(x)))

    def fg_np(x: np.ndarray) -> tuple[float, np.ndarray]:
        counts["n"] += 1
        v, gr = fg(jnp.asarray(x))
        return float(v), np.asarray(gr)

    t0 = time.perf_counter()
    res = minimize(fg_np, x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
    t_grad, n_grad, best = time.perf_counter() - t0, counts["n"], float(res.fun)
    goal = best * (1 + 1e-6)

    def until_goal(fun):  # noqa: ANN001, ANN202
        class Reached(Exception):
            pass

        def wrapped(x: np.ndarray) -> float:
            v = fun(x)
            if v <= goal:
                raise Reached
            return v

        return wrapped, Reached

    counts["n"] = 0
    wrapped, Reached = until_goal(f_np)
    t0 = time.perf_counter()
    try:
        minimize(wrapped, x0, method="Nelder-Mead", options={"maxfev": 20000, "xatol": 1e-12, "fatol": 1e-15})
        nm_note = "did not reach it"
    except Reached:
        nm_note = "reached"
    t_nm, n_nm = time.perf_counter() - t0, counts["n"]

    with tempdir() as tmp:
        pm = pysd_model(SPEC, Path(tmp))
        times = np.arange(p.n_steps + 1) * dt + p.start
        counts["n"] = 0

        def f_pysd(x: np.ndarray) -> float:
            counts["n"] += 1
            params = dict(zip(NAMES, x * SCALE, strict=True))
            out = pm.run(params=params, return_columns=list(keep), return_timestamps=times)
            traj = out[list(keep)].to_numpy()
            mu = predict_from(traj, np)
            return float(np.sum(((mu - y) / y) ** 2))

        check = f_pysd(res.x)
        wrapped, Reached = until_goal(f_pysd)
        counts["n"] = 0
        t0 = time.perf_counter()
        try:
            minimize(wrapped, x0, method="L-BFGS-B", options={"maxfun": 3000})
            pysd_note = "reached"
        except Reached:
            pysd_note = "reached"
        else:
            pysd_note = "did not reach it"
        t_pysd, n_pysd = time.perf_counter() - t0, counts["n"]

    print(f"Scotland looked-after model, 5 parameters, {len(y)} observations, on {machine()}")
    print(f"best loss {best:.6g} (PySD computes {check:.6g} at the same point)")
    print(f"one loss {t_f * 1e3:.2f} ms, loss and gradient {t_fg * 1e3:.2f} ms ({t_fg / t_f:.1f}x)")
    print(f"{'method':52}{'evaluations':>12}{'seconds':>10}{'ratio':>8}")
    print(f"{'stockflow: L-BFGS-B, jax.grad through the integrator':52}{n_grad:>12}{t_grad:>10.3f}{1:>8}")
    print(f"{'Nelder-Mead on the compiled model (' + nm_note + ')':52}{n_nm:>12}{t_nm:>10.3f}"
          f"{t_nm / t_grad:>7.0f}x")
    print(f"{'PySD + L-BFGS-B, finite differences (' + pysd_note + ')':52}{n_pysd:>12}{t_pysd:>10.3f}"
          f"{t_pysd / t_grad:>7.0f}x")


if __name__ == "__main__":
    main()
