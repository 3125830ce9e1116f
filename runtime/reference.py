"""A plain NumPy integrator, step by step in Python: slow, simple, and independent of JAX.

Tests compare the JAX runtime against it. It uses the same generated model functions (with
numpy as the array module) but its own loop, solvers and output bookkeeping.
"""

from __future__ import annotations

import numpy as np

from ..compiler.codegen.build import build
from ..compiler.ir.ast import Method
from ..compiler.ir.model import CheckedModel
from ._plan import Plan


def reference_run(model: CheckedModel, plan: Plan, params: np.ndarray,
                  override: np.ndarray | None = None, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Returns (times, outputs) with outputs[k] = every layout output at save time k."""
    fns = build(model, np)
    n = fns.layout.n_state
    override = np.zeros(n) if override is None else override
    mask = np.zeros(n, dtype=bool) if mask is None else mask
    dt = plan.dt
    times, rows = [], []
    # IEEE results without warnings, as on the JAX path; runs report non-finite values as E060.
    with np.errstate(all="ignore"):
        y = np.asarray(fns.init(params, plan.start, dt, override, mask), dtype=np.float64)
        prep = fns.prepare(params, dt)

        def f(state: np.ndarray, t: float) -> np.ndarray:
            return np.asarray(fns.deriv(state, t, prep), dtype=np.float64)

        for k in range(plan.n_steps + 1):
            t = plan.start + k * dt
            if k % plan.save_every == 0:
                times.append(t)
                rows.append(np.asarray(fns.rhs(y, t, prep)[1], dtype=np.float64))
            if k == plan.n_steps:
                break
            if plan.method is Method.EULER:
                y = y + dt * f(y, t)
            else:
                k1 = f(y, t)
                k2 = f(y + dt / 2 * k1, t + dt / 2)
                k3 = f(y + dt / 2 * k2, t + dt / 2)
                k4 = f(y + dt * k3, t + dt)
                y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.asarray(times), np.vstack(rows)
