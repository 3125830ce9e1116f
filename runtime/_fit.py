"""Maximum-likelihood (or MAP) fitting with gradients through the compiled integrator.

Parameters are optimised in an unbounded space z: bounded ones through a logistic, those with
only a lower bound through exp. The loss is the negative log-likelihood of every observation
plus the negative log-prior; scipy's L-BFGS-B takes its value and gradient from one jitted
JAX function. Uncertainty is the Laplace approximation at the optimum.
"""

from __future__ import annotations

import copy
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
    also: tuple[int, ...] = ()  # one value shared by every element of an array: its other positions
    elements: tuple[str, ...] = ()  # and those elements' names

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

    def value(self, z: float) -> float:
        """`from_z` on one plain number, without JAX: eager JAX compiles each operation it
        meets first (about a second of a fresh fit). Equal to `from_z` within a few ulps."""
        lo, hi, z = self.lo, self.hi, float(z)
        if lo is not None and hi is not None:
            return lo + (hi - lo) * _logistic(z)
        if lo is not None:
            return lo + _exp(z)
        if hi is not None:
            return hi - _exp(z)
        return z

    def slope(self, z: float) -> float:
        """d value / d z at `z`."""
        lo, hi, z = self.lo, self.hi, float(z)
        if lo is not None and hi is not None:
            s = _logistic(z)
            return (hi - lo) * s * (1.0 - s)
        if lo is not None:
            return _exp(z)
        if hi is not None:
            return -_exp(z)
        return 1.0

    def from_z(self, z: Any) -> Any:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            return lo + (hi - lo) * jax.nn.sigmoid(z)
        if lo is not None:
            return lo + jnp.exp(z)
        if hi is not None:
            return hi - jnp.exp(z)
        return z


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _exp(z: float) -> float:
    return math.exp(z) if z < 709.78 else math.inf


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
    """The loss as a function of z, and the pieces needed to report on it. The observed values
    are an argument of the compiled functions, not constants in them: `with_values` gives the
    same problem on other data (a simulation study, a bootstrap) without tracing again."""

    @in_x64
    def __init__(self, run: Any, base: np.ndarray, inits: tuple[np.ndarray, np.ndarray], keep: tuple[str, ...],
                 series: tuple[Series, ...],
                 params: tuple[Param, ...], noise_of: dict[str, tuple[int | None, float | None]],
                 t0: float, dt: float, flow_factor: dict[str, float], trapezoid: bool):
        self.params = params
        self.series = series
        self.keep = keep
        self.y = np.concatenate([np.asarray(s.values, dtype=np.float64) for s in series])
        col = {n: i for i, n in enumerate(keep)}
        model_idx = [(i, pi) for i, p in enumerate(params) if p.index is not None for pi in (p.index, *p.also)]
        cuts = np.cumsum([0] + [len(s.values) for s in series])
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
                else:  # a stock, an auxiliary, or a flow's instantaneous rate (in the flow's own units)
                    preds.append(interp(values, s.ends))
            return preds

        def loss(z: Any, y_all: Any) -> Any:
            preds = predictions(z)
            total = 0.0
            for k, (s, mu) in enumerate(zip(series, preds, strict=True)):
                o = s.obs
                y = y_all[cuts[k]:cuts[k + 1]]
                slot, fixed = noise_of[o.series]
                scale = params[slot].from_z(z[slot]) if slot is not None else fixed
                if o.noise == "normal" and o.cv is not None and slot is None:
                    scale = cv_sd(o.cv, mu, y)
                total = total + o.weight * _nll(o.noise, y, mu, scale)
            for i, p in enumerate(params):
                total = total - _log_prior(p.prior, p.from_z(z[i]))
            return total

        def with_predictions(z: Any, y_all: Any) -> Any:
            return loss(z, y_all), jnp.concatenate(predictions(z))

        def forward(z: Any, y_all: Any) -> Any:
            """As value_and_grad, in forward mode: one tangent a parameter, pushed through the
            run beside it. A few parameters' tangents cost less than reverse mode's pass back
            over every step, and the program is far smaller: GIRFEC's RK4 fit, its stocks
            non-negative, traced and compiled in 9 s instead of 32 s, and each gradient took
            17 ms instead of 32. A plain Euler model's reverse pass is cheap: the Scottish
            looked-after model's gradient takes 0.19 ms in reverse mode, 0.29 ms forwards."""
            def tangent(v: Any) -> Any:
                out, (dvalue, _) = jax.jvp(lambda q: with_predictions(q, y_all), (z,), (v,))
                return out, dvalue

            out, grad = jax.vmap(tangent, out_axes=(None, 0))(jnp.eye(z.shape[0], dtype=z.dtype))
            return out, grad

        self.loss_fn = loss  # the JAX function itself, for samplers that trace it again
        self.cuts = cuts
        # One traced and compiled function gives the loss, its gradient and the predictions:
        # tracing the integrator is most of a fit's time, so nothing else is traced. The
        # Hessian and the predictions' Jacobian are central differences of these exact values.
        self.forward = _forward_pays(run, len(params))
        gradient = forward if self.forward else jax.value_and_grad(with_predictions, has_aux=True)
        self._value_and_grad = Compiled(gradient)
        self.recipe: tuple[Any, ...] | None = None  # how to build it again elsewhere (`of_model`)

    @classmethod
    def of_model(cls, model: Any, plan: Any, base: np.ndarray, inits: tuple[np.ndarray, np.ndarray],
                 keep: tuple[str, ...], *rest: Any) -> Problem:
        """The problem on a checked model's run, remembering what built it, so that a Dask worker
        can build the same problem (runtime._distributed_fit). `rest`: as in __init__ after keep."""
        from ._simulate import Simulator

        prob = cls(Simulator(model).pure(plan, keep), base, inits, keep, *rest)
        prob.recipe = (model, plan, base, inits, keep, *rest)
        return prob

    def with_values(self, values: np.ndarray, series: tuple[Series, ...] | None = None) -> Problem:
        """The same problem with other observed values (in the order of `series`, concatenated),
        and the series that hold them, if given."""
        other = copy.copy(self)
        other.y = np.asarray(values, dtype=np.float64).reshape(self.y.shape)
        if series is not None:
            other.series = series
        return other

    def _all(self, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        (value, preds), grad = self._value_and_grad(np.asarray(z, dtype=np.float64), self.y)
        return float(value), np.asarray(grad, dtype=np.float64), np.asarray(preds, dtype=np.float64)

    def predictions(self, z: np.ndarray) -> list[np.ndarray]:
        flat = self._all(z)[2]
        return [flat[self.cuts[k]:self.cuts[k + 1]] for k in range(len(self.series))]

    def loss(self, z: np.ndarray) -> float:
        return self._all(z)[0]

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = self._all(z)
        return value, grad

    def _differences(self, z: np.ndarray, part: int) -> np.ndarray:
        """Central differences of the gradient (part 1) or the predictions (part 2) along
        each coordinate; of exact values, so accurate to about 1e-10 relative."""
        z = np.asarray(z, dtype=np.float64)
        cols = []
        for i in range(len(z)):
            h = 1e-5 * max(1.0, abs(z[i]))
            up, down = z.copy(), z.copy()
            up[i] += h
            down[i] -= h
            cols.append((self._all(up)[part] - self._all(down)[part]) / (2 * h))
        return np.stack(cols, axis=-1)

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        """d predictions / d z: every series' predictions, concatenated, by every parameter."""
        return self._differences(z, 2)

    def hessian(self, z: np.ndarray) -> np.ndarray:
        H = self._differences(z, 1)
        return 0.5 * (H + H.T)

    def theta(self, z: np.ndarray) -> np.ndarray:
        return np.array([p.value(z[i]) for i, p in enumerate(self.params)], dtype=np.float64)

    def dtheta_dz(self, z: np.ndarray) -> np.ndarray:
        return np.array([p.slope(z[i]) for i, p in enumerate(self.params)], dtype=np.float64)


def cv_sd(cv: float, mu: Any, y: Any, xp: Any = jnp) -> Any:
    """The sd of a `cv` observation: cv times the fitted value, floored smoothly at a tenth of
    the series' typical size. Without the floor the loss leaps towards infinity wherever a
    fitted value nears zero, a wall that traps the optimiser's starts."""
    floor = 0.1 * xp.maximum(xp.mean(xp.abs(y)), 1e-12)
    return cv * xp.sqrt(mu**2 + floor**2)


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
    decrement: float  # how much further a Newton step from z would lower the loss (0 at an optimum)


# Up to this many estimates, a model run with RK4 or with non-negative stocks has its gradient
# taken in forward mode (see Problem's `forward`); past it, one reverse pass costs less than
# a tangent per estimate.
FORWARD_MAX = 16
AGREE = 0.01  # starts whose losses differ by less than this (log-likelihood units) reached one fit
MAX_ITER = 500  # L-BFGS-B iterations from one start
CONVERGED = 1e-3  # a Newton decrement below this is an optimum for any statistical purpose


def _forward_pays(run: Any, n: int) -> bool:
    """Whether forward mode beats reverse for this run's gradient (see Problem's `forward`):
    few estimates, on a run whose steps are costly to pass back over (RK4's four stages, or
    the caps of non-negative stocks)."""
    plan, sim = getattr(run, "plan", None), getattr(run, "sim", None)
    rk4 = plan is not None and plan.method.value == "rk4"
    capped = sim is not None and any(s.non_negative for s in sim.model.graph.stocks)
    return n <= FORWARD_MAX and (rk4 or capped)


def minimise(problem: Problem, starts: list[np.ndarray], max_iter: int = MAX_ITER, found: list[Any] | None = None
             ) -> Optimum:
    """L-BFGS-B from every start (or `found`: each start's result, computed elsewhere, as on a
    Dask cluster by `_distributed_fit.from_starts`); the best one then finished with Newton
    steps on the exact Hessian, which L-BFGS-B's relative-reduction test often stops short of."""
    fg = _safe(problem)
    if found is None:
        found = [from_start(problem, z0, max_iter) for z0 in starts]
    best = None
    losses = []
    evals = 0
    for k, res in enumerate(found):
        evals += int(res.nfev)
        losses.append(float(res.fun))
        if best is None or res.fun < best[0].fun:
            best = (res, k)
    assert best is not None
    res, k = best
    z, value, decrement, steps = newton_polish(problem, np.asarray(res.x), float(res.fun))
    losses[k] = min(losses[k], value)
    g = fg(z)[1]
    return Optimum(z, value, bool(res.success), str(res.message), int(res.nit) + steps, evals + steps,
                   float(np.linalg.norm(g)), k, tuple(losses), decrement)


def from_start(problem: Problem, z0: np.ndarray, max_iter: int) -> Any:
    """scipy's L-BFGS-B result from one start."""
    from scipy.optimize import minimize

    return minimize(_safe(problem), z0, jac=True, method="L-BFGS-B",
                    options={"maxiter": max_iter, "gtol": 1e-8, "ftol": 1e-13})


def _safe(problem: Problem) -> Any:
    def fg(z: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = problem.value_and_grad(np.asarray(z, dtype=np.float64))
        v, g = float(v), np.asarray(g, dtype=np.float64)
        if not math.isfinite(v) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(z)
        return v, g
    return fg


def newton_polish(problem: Problem, z: np.ndarray, value: float, max_steps: int = 20
                  ) -> tuple[np.ndarray, float, float, int]:
    """Damped Newton steps on the curved directions; returns the point, its loss, the Newton
    decrement left (g' H+ g / 2, in log-likelihood units) and the steps taken."""
    fg = _safe(problem)
    steps = 0
    decrement = math.inf
    for steps in range(max_steps + 1):
        g = fg(z)[1]
        H = np.asarray(problem.hessian(z), dtype=np.float64)
        step, decrement = newton_step(H, g)
        if decrement < 1e-12 or steps == max_steps:
            break
        for _ in range(30):  # halve until the loss falls
            trial = z + step
            v = fg(trial)[0]
            if v < value:
                z, value = trial, v
                break
            step = step / 2
        else:
            break
    return z, value, decrement, steps


def newton_step(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    """The Newton step along directions of positive curvature, and the Newton decrement. A
    gradient along a flat or downhill direction counts in full: the loss falls that way."""
    H = 0.5 * (H + H.T)
    if not np.all(np.isfinite(H)):
        return np.zeros_like(g), math.inf
    lam, V = np.linalg.eigh(H)
    curved = lam > 1e-9 * max(float(np.max(np.abs(lam))), 1e-300)
    gv = V.T @ g
    step = -V[:, curved] @ (gv[curved] / lam[curved])
    flat_grad = float(np.sum(gv[~curved] ** 2))
    decrement = 0.5 * float(np.sum(gv[curved] ** 2 / lam[curved])) + (math.inf if flat_grad > 1e-8 else 0.0)
    return step, decrement
