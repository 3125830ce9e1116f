"""The numerics of a fit after the optimiser: where to start it, the Laplace approximation
(covariance from the Hessian, 95% intervals, correlations), which limit an estimate ran to,
and the Fisher information of the model's parameters with the noise terms integrated out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._sampling import unit_points


def start_points(params: tuple[Any, ...], n: int, seed: int) -> list[np.ndarray]:
    """The model's own values first, then a seeded Latin hypercube over the bounds."""
    z0 = np.array([p.to_z(p.start) for p in params])
    out = [z0]
    if n > 1:
        for row in unit_points(n - 1, len(params), seed):
            z = z0.copy()
            for i, p in enumerate(params):
                if p.index is None:
                    continue
                if p.lo is not None and p.hi is not None:
                    theta = p.lo + (p.hi - p.lo) * (0.02 + 0.96 * row[i])
                elif p.start > 0:
                    theta = p.start * 10 ** (2 * row[i] - 1)
                else:
                    theta = p.start + (abs(p.start) + 1) * (2 * row[i] - 1)
                z[i] = p.to_z(theta)
            out.append(z)
    return out


def covariance(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Laplace covariance, and which parameters lie along directions the loss does not curve in
    (zero or negative curvature: the data do not determine them; their variance is unbounded)."""
    H = 0.5 * (H + H.T)
    lam, V = np.linalg.eigh(H)
    flat = lam <= 1e-9 * max(float(np.max(np.abs(lam))), 1e-300)
    inv = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, lam))
    cov = (V * inv) @ V.T
    free = np.any(np.abs(V[:, flat]) > 1e-3, axis=1) if flat.any() else np.zeros(len(lam), dtype=bool)
    return cov, free


def inverse(H: np.ndarray) -> np.ndarray:
    H = 0.5 * (H + H.T)
    try:
        np.linalg.cholesky(H)
        return np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(H, hermitian=True)


def limit_of(par: Any, z: float, sd_z: float) -> str:
    """Which limit an estimate ran to, judged in the optimiser's space. A bounded parameter
    whose logistic is within 1e-4 of an end of its range is at that bound. One with a single
    bound that moved 1e5 times past its starting scale, along a direction the loss hardly
    curves in (a 95% interval of e^6 either way), is running off towards infinity."""
    if par.lo is not None and par.hi is not None:
        return "lower bound" if z < -9.2 else "upper bound" if z > 9.2 else ""
    if par.lo is not None or par.hi is not None:
        scale = math.log(max(abs(par.start), 1e-12))
        if z > scale + 11.5 and not sd_z < 3:
            return "infinity"
        if z < scale - 11.5:
            return "lower bound" if par.lo is not None else "upper bound"
    return ""


def intervals(params: tuple[Any, ...], z: np.ndarray, jac: np.ndarray, H: np.ndarray
              ) -> tuple[list[tuple[float, float, float, str]], np.ndarray]:
    """Per parameter: (standard error, low, high, limit) of its 95% Laplace interval; and the
    correlation matrix (NaN for parameters the data do not determine)."""
    cov_z, free = covariance(H)
    sd_z = np.where(free, np.inf, np.sqrt(np.clip(np.diag(cov_z), 0, None)))
    out = []
    for i, par in enumerate(params):
        if np.isfinite(sd_z[i]):
            lo = float(par.from_z(z[i] - 1.96 * sd_z[i]))
            hi = float(par.from_z(z[i] + 1.96 * sd_z[i]))
            se = float(abs(jac[i]) * sd_z[i])
        else:  # the data say nothing about it: the interval is the whole allowed range
            lo = par.lo if par.lo is not None else -math.inf
            hi = par.hi if par.hi is not None else math.inf
            se = math.inf
        limit = limit_of(par, float(z[i]), float(sd_z[i]))
        if limit:  # Laplace says nothing useful at a bound or at infinity
            lo = par.lo if limit != "upper bound" and par.lo is not None else lo
            hi = par.hi if limit != "lower bound" and par.hi is not None else (math.inf if limit == "infinity" else hi)
        out.append((se, min(lo, hi), max(lo, hi), limit))
    cov_t = cov_z * np.outer(jac, jac)
    d = np.sqrt(np.clip(np.diag(cov_t), 1e-300, None))
    corr = np.clip(cov_t / np.outer(d, d), -1.0, 1.0)
    corr[free, :] = np.nan
    corr[:, free] = np.nan
    return out, corr


def model_information(params: tuple[Any, ...], theta: np.ndarray, jac: np.ndarray, H: np.ndarray
                      ) -> tuple[list[int], np.ndarray]:
    """The model parameters' places, and their Fisher information on a relative scale with the
    noise terms integrated out: d theta / d u with u = log(theta) for positive estimates,
    theta / |theta| for the others."""
    model_i = [i for i, par in enumerate(params) if par.index is not None]
    noise_i = [i for i, par in enumerate(params) if par.index is None]
    T = np.array([(theta[i] if theta[i] > 0 else (abs(theta[i]) or 1.0)) / jac[i] for i in range(len(params))])
    Hu = H * np.outer(T, T)
    F = Hu[np.ix_(model_i, model_i)]
    if noise_i:
        F = F - Hu[np.ix_(model_i, noise_i)] @ inverse(Hu[np.ix_(noise_i, noise_i)]) @ Hu[np.ix_(noise_i, model_i)]
    return model_i, F
