"""Seeded draws of parameters: Monte Carlo or Latin hypercube, by inverse distribution functions.

The distribution functions come from `scipy.special` and the Latin hypercube is drawn here:
`scipy.stats` alone took 0.6 s to import in every process that samples. Both give the values
`scipy.stats` gave, for the same seeds (tests/test_sampling.py compares them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler.ir.scenarios import Draw

Fn = Callable[[np.ndarray], np.ndarray]


def _dist(d: Draw) -> tuple[Fn, Fn]:
    """(cdf, ppf) of a draw's distribution."""
    a = d.args
    if d.dist == "uniform":
        lo, width = a[0], a[1] - a[0]
        return (lambda x: np.clip((x - lo) / width, 0.0, 1.0)), (lambda q: q * width + lo)
    if d.dist == "triangular":
        return _triangular(*a)
    from scipy import special  # only where it is needed: its import is a tenth of a fresh report

    if d.dist == "normal":
        mu, sd = a[0], a[1]
        return (lambda x: special.ndtr((x - mu) / sd)), (lambda q: special.ndtri(q) * sd + mu)
    if d.dist == "lognormal":
        mu, s = a[0], a[1]
        scale = np.exp(mu)
        return (lambda x: _positive(x, lambda y: special.ndtr(np.log(y / scale) / s))), \
            (lambda q: np.exp(s * special.ndtri(q)) * scale)
    p, q_ = a[0], a[1]
    return (lambda x: special.betainc(p, q_, np.clip(x, 0.0, 1.0))), (lambda q: special.betaincinv(p, q_, q))


def _positive(x: Any, f: Fn) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, f(np.where(x > 0, x, 1.0)), 0.0)


def _triangular(lo: float, mode: float, hi: float) -> tuple[Fn, Fn]:
    width = hi - lo
    c = (mode - lo) / width

    def cdf(x: Any) -> np.ndarray:
        y = np.clip((np.asarray(x, dtype=np.float64) - lo) / width, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(y < c, y * y / c, (y * y - 2 * y + c) / (c - 1))
        return np.where(y <= 0, 0.0, np.where(y >= 1, 1.0, inside))

    def ppf(q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q))) * width + lo

    return cdf, ppf


def latin_hypercube(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(n, k) points, each axis cut into n equal strata with one point in each: a uniform
    offset in every cell, the strata shuffled axis by axis. Drawn from a child of `rng`, in
    the order scipy.stats.qmc.LatinHypercube draws them, so a seed gives the points it always
    gave."""
    child = rng.spawn(1)[0]
    offsets = child.uniform(size=(n, k))
    strata = np.tile(np.arange(1, n + 1), (k, 1))
    for i in range(k):
        child.shuffle(strata[i, :])
    return (strata.T - offsets) / n


def unit_points(n: int, k: int, seed: int, latin_hypercube_design: bool = True) -> np.ndarray:
    """(n, k) points in the unit cube, seeded: a Latin hypercube, or plain Monte Carlo. The one
    sampler for scenario draws and calibration starts."""
    rng = np.random.default_rng(seed)
    if k == 0:
        return np.zeros((n, 0))
    return latin_hypercube(n, k, rng) if latin_hypercube_design else rng.random((n, k))


def draw(samples: tuple[Draw, ...], n: int, seed: int, latin_hypercube: bool) -> np.ndarray:
    """(n, len(samples)) values; the same seed always gives the same values."""
    if not samples:
        return np.zeros((n, 0))
    k = len(samples)
    u = unit_points(n, k, seed, latin_hypercube)
    out = np.empty((n, k))
    for j, d in enumerate(samples):
        cdf, ppf = _dist(d)
        # Truncate to the parameter's bounds: draw uniformly between their probabilities.
        lo, hi = cdf(np.float64(d.bounds[0])), cdf(np.float64(d.bounds[1]))
        out[:, j] = np.clip(ppf(lo + u[:, j] * (hi - lo)), *d.bounds)
    return out
