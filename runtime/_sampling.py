"""Seeded draws of parameters: Monte Carlo or Latin hypercube, by inverse distribution functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compiler.ir.scenarios import Draw


def _dist(d: Draw) -> Any:
    from scipy import stats  # on first use: a second of import that `check` never needs

    a = d.args
    if d.dist == "uniform":
        return stats.uniform(loc=a[0], scale=a[1] - a[0])
    if d.dist == "normal":
        return stats.norm(loc=a[0], scale=a[1])
    if d.dist == "lognormal":
        return stats.lognorm(s=a[1], scale=np.exp(a[0]))
    if d.dist == "triangular":
        return stats.triang(c=(a[1] - a[0]) / (a[2] - a[0]), loc=a[0], scale=a[2] - a[0])
    return stats.beta(a[0], a[1])


def unit_points(n: int, k: int, seed: int, latin_hypercube: bool = True) -> np.ndarray:
    """(n, k) points in the unit cube, seeded: a Latin hypercube (each axis cut into n equal
    strata, one point in each), or plain Monte Carlo. The one sampler for scenario draws and
    calibration starts."""
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    if k == 0:
        return np.zeros((n, 0))
    return qmc.LatinHypercube(d=k, rng=rng).random(n) if latin_hypercube else rng.random((n, k))


def draw(samples: tuple[Draw, ...], n: int, seed: int, latin_hypercube: bool) -> np.ndarray:
    """(n, len(samples)) values; the same seed always gives the same values."""
    if not samples:
        return np.zeros((n, 0))
    k = len(samples)
    u = unit_points(n, k, seed, latin_hypercube)
    out = np.empty((n, k))
    for j, d in enumerate(samples):
        dist = _dist(d)
        # Truncate to the parameter's bounds: draw uniformly between their probabilities.
        lo, hi = dist.cdf(d.bounds[0]), dist.cdf(d.bounds[1])
        out[:, j] = np.clip(dist.ppf(lo + u[:, j] * (hi - lo)), *d.bounds)
    return out
