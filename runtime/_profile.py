"""Profile likelihood: one parameter held at a value, every other re-fitted.

Profiles walk outward from the optimum and start each re-fit from the previous point's
solution, so along a flat ridge the curve stays smooth instead of jumping between the local
optima that fresh starts would find. A 95% profile interval ends where the loss has risen by
1.92 (half the 95% point of chi-squared with one degree of freedom; more in small samples with
an estimated sd, see `_small_sample`); where it never rises that far before a bound, the
interval runs to the bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

RISE = 1.92  # chi2(1) 95% point / 2, with every noise level known
MAX_Z = 12.0  # a logistic or log coordinate this far out is at its bound for any purpose
UNSATURATED = 5.0  # a logistic coordinate within this of 0 (p in [0.007, 0.993]) has a usable gradient
SKEWED = 0.5  # a Laplace end whose profile rise is off 1.92 by more than this is not trusted


class Profiler:
    """Re-fits with parameter `i` held, each warm-started from the last."""

    def __init__(self, problem: Any, z_hat: np.ndarray, loss_hat: float, rise95: np.ndarray | None = None):
        self.problem, self.z_hat, self.loss_hat = problem, np.asarray(z_hat, dtype=np.float64), loss_hat
        # the rise that ends each parameter's 95% interval (see _small_sample)
        self.rise95 = np.full(len(self.z_hat), RISE) if rise95 is None else np.asarray(rise95)

    def rise(self, i: int, zi: float, warm: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """(loss - best loss, the re-fitted point) with z[i] held at zi."""
        from scipy.optimize import minimize

        from ._fit import _safe

        z0 = np.array(self.z_hat if warm is None else warm, dtype=np.float64)
        z0[i] = zi
        bounds: list[tuple[float | None, float | None]] = [(None, None)] * len(z0)
        bounds[i] = (zi, zi)
        if len(z0) == 1:
            return _safe(self.problem)(z0)[0] - self.loss_hat, z0
        best = None
        # A coordinate saturated at a bound has almost no gradient and would stay there, so a
        # second re-fit starts it back inside its range; the better of the two counts.
        for start in (z0, self._unsaturated(z0, i)):
            if best is not None and np.array_equal(start, z0):
                continue
            res = minimize(_safe(self.problem), start, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": 300, "gtol": 1e-8, "ftol": 1e-13})
            if best is None or res.fun < best.fun:
                best = res
        assert best is not None
        return max(float(best.fun) - self.loss_hat, 0.0), np.asarray(best.x)

    def _unsaturated(self, z: np.ndarray, held: int) -> np.ndarray:
        out = z.copy()
        for j, par in enumerate(self.problem.params):
            if j == held:
                continue
            if par.lo is not None and par.hi is not None:
                out[j] = np.clip(out[j], -UNSATURATED, UNSATURATED)
            elif par.lo is not None or par.hi is not None:
                home = par.to_z(par.start)
                out[j] = np.clip(out[j], home - UNSATURATED, home + UNSATURATED)
        return out

    def curve(self, i: int, values_z: np.ndarray) -> list[float]:
        """The profile at each z (any order), walking outward from the optimum on each side."""
        out = np.full(len(values_z), np.nan)
        zi = self.z_hat[i]
        for side in (values_z < zi, values_z >= zi):
            order = np.argsort(np.abs(values_z[side] - zi))
            idx = np.flatnonzero(side)[order]
            warm = None
            for k in idx:
                out[k], warm = self.rise(i, float(values_z[k]), warm)
        return [float(x) for x in out]

    def end(self, i: int, direction: int, step: float, limit: float) -> float | None:
        """Where the profile first rises by rise95 on one side (in z), or None if it never does
        within `limit` of the optimum (the interval runs to the bound, or on for ever)."""
        zi = float(self.z_hat[i])
        inside, inside_warm = zi, None
        dist = min(step, limit)
        outside = None
        while outside is None:
            trial = zi + direction * dist
            r, warm = self.rise(i, trial, inside_warm)
            if r >= self.rise95[i]:
                outside = trial
            elif dist >= limit:
                return None
            else:
                inside, inside_warm = trial, warm
                dist = min(dist * 1.6, limit)
        lo, hi = inside, outside  # bisect on the crossing, warm from the inside point
        for _ in range(12):
            mid = 0.5 * (lo + hi)
            r, warm = self.rise(i, mid, inside_warm)
            if r >= self.rise95[i]:
                hi = mid
            else:
                lo, inside_warm = mid, warm
            if abs(hi - lo) < 1e-3 * step:
                break
        return 0.5 * (lo + hi)


def laplace_trusted(prof: Profiler, i: int, z_lo: float, z_hi: float) -> tuple[bool, bool]:
    """Whether the profile rises by about rise95 at each end of the Laplace interval (in z)."""
    return tuple(abs(prof.rise(i, zb)[0] - prof.rise95[i]) <= SKEWED for zb in (z_lo, z_hi))


def interval(prof: Profiler, par: Any, i: int, sd_z: float, size_z: float) -> tuple[float, float]:
    """The 95% profile interval of parameter i, on its own scale. `size_z` is the parameter's
    size in z (1 for a transformed one: z is then a log or logit already)."""
    transformed = par.lo is not None or par.hi is not None
    step = 0.5 * 1.96 * sd_z if math.isfinite(sd_z) and sd_z > 0 else 0.5 * size_z
    ends = []
    for direction in (-1, 1):
        limit = _reach(par, float(prof.z_hat[i]), direction) if transformed else 1e3 * size_z
        zb = prof.end(i, direction, step, limit) if limit > 0 else None
        if zb is not None:
            ends.append(par.value(zb))
        elif transformed:  # the far side of a logistic is a bound, of a log 0 or infinity
            ends.append(_edge(par, par.value(prof.z_hat[i] + direction * 1e3)))
        else:
            ends.append(direction * math.inf)
    lo, hi = sorted(ends)
    return lo, hi


def _reach(par: Any, z: float, direction: int) -> float:
    """How far a profile walks in z on one side: to MAX_Z for a logistic (both bounds), which
    is at the bound for any purpose; for a log (one bound), MAX_Z from its starting value."""
    centre = 0.0 if par.lo is not None and par.hi is not None else par.to_z(par.start)
    return max(direction * (centre + direction * MAX_Z - z), 0.0)


def _edge(par: Any, value: float) -> float:
    for b in (par.lo, par.hi):
        if b is not None and abs(value - b) <= 1e-6 * max(1.0, abs(b)):
            return float(b)
    return math.inf if value > 0 else -math.inf
