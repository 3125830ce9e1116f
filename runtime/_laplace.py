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


FLAT_SD = 10.0  # an sd over 10 on the judging scale (a factor of e^20 for a rate) is no information


def relative(par: Any, theta: float) -> bool:
    """Whether a parameter is judged on a relative scale (log of its value): one that is
    positive and cannot be otherwise. One that may be zero or negative is judged on its own
    additive scale."""
    return par.lo is not None and par.lo >= 0 and theta > 0


def size(par: Any, theta: float) -> float:
    """The unit of the judging scale: the value itself for a relative parameter; for an
    additive one a quarter of its range if it has one, else its size (estimate or start)."""
    if relative(par, theta):
        return theta
    if par.lo is not None and par.hi is not None:
        return (par.hi - par.lo) / 4
    return max(abs(theta), abs(par.start)) or 1.0


def judging_scale(params: tuple[Any, ...], theta: np.ndarray, jac: np.ndarray) -> np.ndarray:
    """dz/du for each parameter, u being the judging scale: multiply a Hessian in z by the
    outer product of this to have it in u."""
    return np.array([size(par, float(theta[i])) / jac[i] if jac[i] != 0 else 1.0
                     for i, par in enumerate(params)])


def covariance(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Laplace covariance on the judging scale, and which parameters lie along directions the
    data say (almost) nothing about: curvature so small that the sd would pass FLAT_SD, zero
    or negative. Their variance is unbounded; a finite number there would be noise in the
    last digits of the Hessian."""
    H = 0.5 * (H + H.T)
    lam, V = np.linalg.eigh(H)
    flat = lam <= 1 / FLAT_SD**2
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


def intervals(params: tuple[Any, ...], z: np.ndarray, jac: np.ndarray, H: np.ndarray, theta: np.ndarray,
              mult: Any = 1.96) -> tuple[list[tuple[float, float, float, str]], np.ndarray, np.ndarray]:
    """Per parameter: (standard error, low, high, limit) of its 95% Laplace interval (the
    estimate -+ `mult` standard errors, in the optimiser's space; one number, or one per parameter); the correlation matrix (NaN
    for parameters the data do not determine); and each one's sd on its judging scale (inf
    where not determined)."""
    T = judging_scale(params, theta, jac)
    cov_u, free = covariance(H * np.outer(T, T))
    sd_u = np.where(free, np.inf, np.sqrt(np.clip(np.diag(cov_u), 0, None)))
    sd_z = np.abs(T) * sd_u
    out = []
    for i, par in enumerate(params):
        m = float(mult[i]) if np.ndim(mult) else float(mult)
        if np.isfinite(sd_z[i]):
            lo = par.value(z[i] - m * sd_z[i])
            hi = par.value(z[i] + m * sd_z[i])
            se = float(abs(jac[i]) * sd_z[i])
        else:  # the data say nothing about it: the interval is the whole allowed range
            lo = par.lo if par.lo is not None else -math.inf
            hi = par.hi if par.hi is not None else math.inf
            se = math.inf
        limit = limit_of(par, float(z[i]), float(sd_z[i]))
        if limit:  # Laplace says nothing useful at a bound or at infinity
            lo = par.lo if limit != "upper bound" and par.lo is not None else lo
            hi = par.hi if limit != "lower bound" and par.hi is not None else (math.inf if limit == "infinity" else hi)
            sd_u[i] = math.inf
        out.append((se, min(lo, hi), max(lo, hi), limit))
    d = np.sqrt(np.clip(np.diag(cov_u), 1e-300, None))
    corr = np.clip(cov_u / np.outer(d, d), -1.0, 1.0)
    corr[free, :] = np.nan
    corr[:, free] = np.nan
    return out, corr, sd_u


def model_information(params: tuple[Any, ...], theta: np.ndarray, jac: np.ndarray, H: np.ndarray
                      ) -> tuple[list[int], np.ndarray]:
    """The model parameters' places, and their Fisher information on the judging scale with
    the noise terms integrated out."""
    model_i = [i for i, par in enumerate(params) if par.index is not None]
    noise_i = [i for i, par in enumerate(params) if par.index is None]
    T = judging_scale(params, theta, jac)
    Hu = H * np.outer(T, T)
    F = Hu[np.ix_(model_i, model_i)]
    if noise_i:
        F = F - Hu[np.ix_(model_i, noise_i)] @ inverse(Hu[np.ix_(noise_i, noise_i)]) @ Hu[np.ix_(noise_i, model_i)]
    return model_i, F
