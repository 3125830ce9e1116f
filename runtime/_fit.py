"""Maximum-likelihood (or MAP) fitting with gradients through the compiled integrator.

Parameters are optimised in an unbounded space z: bounded ones through a logistic, those with
only a lower bound through exp. The loss is the negative log-likelihood of every observation
plus the negative log-prior; scipy's L-BFGS-B takes its value and gradient from one jitted
JAX function. Uncertainty is the Laplace approximation at the optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._data import Series
from ._jax import Compiled, in_x64, jax, jnp

LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Param:
    """One estimated quantity: a model parameter, or a noise scale / dispersion."""

    name: str
    index: int | None  # position in the model's parameter vector; None for noise terms
    lo: float | None
    hi: float | None
    start: float
    prior: tuple[str, tuple[float, ...]] | None = None

    def to_z(self, theta: float) -> float:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            p = min(max((theta - lo) / (hi - lo), 1e-9), 1 - 1e-9)
            return math.log(p / (1 - p))
        if lo is not None:
            return math.log(max(theta - lo, 1e-300))
        if hi is not None:
            return math.log(max(hi - theta, 1e-300))
        return theta

    def from_z(self, z: Any) -> Any:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            return lo + (hi - lo) * jax.nn.sigmoid(z)
        if lo is not None:
            return lo + jnp.exp(z)
        if hi is not None:
            return hi - jnp.exp(z)
        return z


def _nll(noise: str, y: Any, mu: Any, scale: Any) -> Any:
    if noise == "normal":
        return jnp.sum(0.5 * ((y - mu) / scale) ** 2 + jnp.log(scale) + 0.5 * LOG_2PI)
    mu = jnp.maximum(mu, 1e-9)
    if noise == "poisson":
        return jnp.sum(mu - y * jnp.log(mu) + jax.scipy.special.gammaln(y + 1.0))
    k = scale  # negative binomial (NB2): variance mu + mu^2 / k
    ll = (jax.scipy.special.gammaln(y + k) - jax.scipy.special.gammaln(k) - jax.scipy.special.gammaln(y + 1.0)
          + k * jnp.log(k / (k + mu)) + y * jnp.log(mu / (k + mu)))
    return -jnp.sum(ll)


def _log_prior(prior: tuple[str, tuple[float, ...]] | None, theta: Any) -> Any:
    if prior is None:
        return 0.0
    kind, a = prior
    if kind == "normal":
        return -0.5 * ((theta - a[0]) / a[1]) ** 2
    if kind == "lognormal":
        lt = jnp.log(jnp.maximum(theta, 1e-300))
        return -0.5 * ((lt - a[0]) / a[1]) ** 2 - lt
    return 0.0  # uniform: the bounds say it all


class Problem:
    """The loss as a function of z, and the pieces needed to report on it."""

    @in_x64
    def __init__(self, run: Any, base: np.ndarray, inits: tuple[np.ndarray, np.ndarray], keep: tuple[str, ...],
                 series: tuple[Series, ...],
                 params: tuple[Param, ...], noise_of: dict[str, tuple[int | None, float | None]],
                 t0: float, dt: float, flow_factor: dict[str, float], trapezoid: bool):
        self.params = params
        self.series = series
        self.keep = keep
        col = {n: i for i, n in enumerate(keep)}
        model_idx = [(i, p.index) for i, p in enumerate(params) if p.index is not None]
        base_j = jnp.asarray(base)
        override, mask = (jnp.asarray(a) for a in inits)

        def interp(values: Any, times: np.ndarray) -> Any:
            x = (times - t0) / dt
            i0 = np.clip(np.floor(x).astype(int), 0, None)
            i1 = np.minimum(i0 + 1, values.shape[0] - 1)
            w = jnp.asarray(x - i0)
            return values[i0] * (1 - w) + values[i1] * w

        def predictions(z: Any) -> list[Any]:
            vec = base_j
            for i, pi in model_idx:
                vec = vec.at[pi].set(params[i].from_z(z[i]))
            traj, _, _ = run(vec, override, mask)
            preds = []
            for s in series:
                values = traj[:, col[s.obs.target]]
                if s.obs.kind == "flow":
                    f = values * flow_factor[s.obs.target] * dt
                    steps = 0.5 * (f[:-1] + f[1:]) if trapezoid else f[:-1]
                    cum = jnp.concatenate([jnp.zeros(1), jnp.cumsum(steps)])
                    preds.append(interp(cum, s.ends) - interp(cum, s.starts))
                else:
                    preds.append(interp(values, s.ends))
            return preds

        def loss(z: Any) -> Any:
            preds = predictions(z)
            total = 0.0
            for s, mu in zip(series, preds, strict=True):
                o = s.obs
                slot, fixed = noise_of[o.series]
                scale = params[slot].from_z(z[slot]) if slot is not None else fixed
                if o.noise == "normal" and o.cv is not None and slot is None:
                    scale = o.cv * jnp.abs(mu) + 1e-12
                total = total + o.weight * _nll(o.noise, jnp.asarray(s.values), mu, scale)
            for i, p in enumerate(params):
                total = total - _log_prior(p.prior, p.from_z(z[i]))
            return total

        self.predictions = Compiled(predictions)
        self.loss = Compiled(loss)
        self.value_and_grad = Compiled(jax.value_and_grad(loss))
        self.hessian = Compiled(jax.hessian(loss))

    @in_x64
    def theta(self, z: np.ndarray) -> np.ndarray:
        return np.array([float(p.from_z(jnp.asarray(z[i]))) for i, p in enumerate(self.params)])

    @in_x64
    def dtheta_dz(self, z: np.ndarray) -> np.ndarray:
        return np.array([float(jax.grad(p.from_z)(jnp.asarray(z[i], dtype=jnp.float64)))
                         for i, p in enumerate(self.params)])


@dataclass(frozen=True)
class Optimum:
    z: np.ndarray
    loss: float
    success: bool
    message: str
    iterations: int
    evaluations: int
    grad_norm: float
    start: int  # which start reached it
    losses: tuple[float, ...]  # the loss each start reached


def minimise(problem: Problem, starts: list[np.ndarray], max_iter: int = 500) -> Optimum:
    from scipy.optimize import minimize

    def fg(z: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = problem.value_and_grad(np.asarray(z, dtype=np.float64))
        v, g = float(v), np.asarray(g, dtype=np.float64)
        if not math.isfinite(v) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(z)
        return v, g

    best = None
    losses = []
    evals = 0
    for k, z0 in enumerate(starts):
        res = minimize(fg, z0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": 1e-8})
        evals += int(res.nfev)
        losses.append(float(res.fun))
        if best is None or res.fun < best[0].fun:
            best = (res, k)
    assert best is not None
    res, k = best
    g = fg(res.x)[1]
    return Optimum(np.asarray(res.x), float(res.fun), bool(res.success), str(res.message), int(res.nit), evals,
                   float(np.linalg.norm(g)), k, tuple(losses))
