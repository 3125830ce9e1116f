"""Posterior sampling on the same JAX log-density the fit minimises: NUTS from numpyro
(several chains), convergence diagnostics from arviz (R-hat, effective sample size), and a
refusal to summarise draws that have not mixed.

The sampler works in the optimiser's unbounded space z, so the density there carries the
log-Jacobian of each transform. A parameter with no prior has a flat one on its own scale
within its bounds; the report says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._jax import jax, jnp, x64

RHAT = 1.01  # the largest R-hat of a posterior that has mixed (Vehtari et al. 2021)
ESS_PER_CHAIN = 100  # and the least bulk and tail effective sample size, per chain


@dataclass(frozen=True)
class Posterior:
    names: tuple[str, ...]
    draws: np.ndarray  # (chains, draws, parameters), on each parameter's own scale
    rhat: tuple[float, ...]
    ess_bulk: tuple[float, ...]
    ess_tail: tuple[float, ...]
    divergences: int
    seconds: float

    @property
    def mixed(self) -> bool:
        chains = self.draws.shape[0]
        return (all(r <= RHAT for r in self.rhat) and min(self.ess_bulk) >= ESS_PER_CHAIN * chains
                and min(self.ess_tail) >= ESS_PER_CHAIN * chains)

    def problems(self) -> list[str]:
        """Why the draws have not mixed, in words."""
        chains = self.draws.shape[0]
        out = [f"R-hat of `{n}` is {r:.4f} (over {RHAT}): the chains disagree"
               for n, r in zip(self.names, self.rhat, strict=True) if not r <= RHAT]
        low = [(n, min(b, t)) for n, b, t in zip(self.names, self.ess_bulk, self.ess_tail, strict=True)
               if not min(b, t) >= ESS_PER_CHAIN * chains]
        out += [f"`{n}` has an effective sample size of {e:.0f} (under {ESS_PER_CHAIN * chains})" for n, e in low]
        return out

    def summary(self) -> Any:
        import pandas as pd

        flat = self.draws.reshape(-1, self.draws.shape[-1])
        q = np.quantile(flat, [0.025, 0.5, 0.975], axis=0)
        return pd.DataFrame({"parameter": self.names, "mean": flat.mean(0), "sd": flat.std(0, ddof=1),
                             "low": q[0], "median": q[1], "high": q[2], "rhat": self.rhat,
                             "ess_bulk": self.ess_bulk, "ess_tail": self.ess_tail})

    def frame(self) -> Any:
        import pandas as pd

        c, d, _ = self.draws.shape
        out = pd.DataFrame(self.draws.reshape(c * d, -1), columns=list(self.names))
        out.insert(0, "draw", np.tile(np.arange(d), c))
        out.insert(0, "chain", np.repeat(np.arange(c), d))
        return out


def log_jacobian(params: tuple[Any, ...], z: Any) -> Any:
    """log |d theta / d z| summed over the parameters."""
    total: Any = 0.0
    for i, p in enumerate(params):
        if p.lo is not None and p.hi is not None:
            total = total + math.log(p.hi - p.lo) + jax.nn.log_sigmoid(z[i]) + jax.nn.log_sigmoid(-z[i])
        elif p.lo is not None or p.hi is not None:
            total = total + z[i]
    return total


def sample(problem: Any, z_hat: np.ndarray, scale: np.ndarray, draws: int, warmup: int, chains: int,
           seed: int) -> Posterior:
    """NUTS from `chains` points scattered about the optimum (by `scale`, sd in z, each)."""
    import time
    import warnings

    with warnings.catch_warnings():  # arviz announces its coming refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        import arviz as az
    from numpyro.infer import MCMC, NUTS

    t0 = time.perf_counter()
    params = problem.params
    rng = np.random.default_rng(seed)
    inits = z_hat + rng.normal(0, 1, (chains, len(z_hat))) * np.minimum(scale, 1.0)
    with x64():
        y = jnp.asarray(problem.y, dtype=jnp.float64)

        def potential(z: Any) -> Any:
            return problem.loss_fn(z, y) - log_jacobian(params, z)

        # a dense mass matrix: rates and counts along a ridge are the usual shape of these posteriors
        mcmc = MCMC(NUTS(potential_fn=potential, dense_mass=True), num_warmup=warmup, num_samples=draws,
                    num_chains=chains, chain_method="sequential", progress_bar=False)
        mcmc.run(jax.random.PRNGKey(seed), init_params=jnp.asarray(inits, dtype=jnp.float64),
                 extra_fields=("diverging",))
        zs = np.asarray(mcmc.get_samples(group_by_chain=True), dtype=np.float64)  # (chains, draws, P)
        divergences = int(np.sum(np.asarray(mcmc.get_extra_fields()["diverging"])))
        theta = np.stack([np.asarray(p.from_z(jnp.asarray(zs[..., i])), dtype=np.float64)
                          for i, p in enumerate(params)], axis=-1)
    names = tuple(p.name for p in params)
    data = az.from_dict(posterior={f"p{i}": theta[..., i] for i in range(len(names))})
    rhat = az.rhat(data)
    bulk = az.ess(data, method="bulk")
    tail = az.ess(data, method="tail")
    return Posterior(names, theta, tuple(float(rhat[f"p{i}"]) for i in range(len(names))),
                     tuple(float(bulk[f"p{i}"]) for i in range(len(names))),
                     tuple(float(tail[f"p{i}"]) for i in range(len(names))), divergences,
                     time.perf_counter() - t0)
