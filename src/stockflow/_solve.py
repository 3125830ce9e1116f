"""From a fitted optimum to what the report says: estimates with intervals of a stated kind
(Laplace where it can be trusted, profile likelihood where it cannot), what the data
determine, and whether the fit converged, in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .compiler.base.diagnostics import RunError, error
from .runtime import _profile as profile
from .runtime._fit import AGREE, CONVERGED, Optimum, Problem
from .runtime._ident import SPREAD, Direction, analyse
from .runtime._laplace import FLAT_SD, intervals, judging_scale, model_information, relative, size
from .runtime._small_sample import critical


@dataclass(frozen=True)
class Estimate:
    name: str
    value: float
    se: float
    low: float  # 95% interval
    high: float
    start: float
    is_noise: bool
    limit: str = ""  # "lower bound", "upper bound" or "infinity" when the fit ran to one; else ""
    interval: str = "Laplace"  # how low..high was found: "Laplace" or "profile" (likelihood)
    spread: float = math.inf  # the larger half of low..high on the judging scale (see runtime._ident)

    @property
    def bounded(self) -> bool:
        """Whether the data give it a finite interval, off its bounds."""
        return not self.limit and math.isfinite(self.low) and math.isfinite(self.high) and (
            self.interval != "Laplace" or math.isfinite(self.se))

    @property
    def determined(self) -> bool:
        """Whether the data pin this estimate down: a finite interval, off its bounds, within a
        factor of 2 either way (69% of its size for one that may be zero or negative), the
        report's verdict."""
        return self.bounded and self.spread < SPREAD


@dataclass(frozen=True)
class Solved:
    estimates: tuple[Estimate, ...]
    correlation: np.ndarray
    names: tuple[str, ...]  # the model parameters, in order
    spreads: tuple[float, ...]  # their 95% half-intervals on the judging scale
    relative: tuple[bool, ...]
    weak: tuple[Direction, ...]
    model_i: list[int]
    theta: np.ndarray
    fisher: np.ndarray
    decrement: float


def solve(prob: Problem, opt: Optimum, client: Any = None) -> Solved:
    """Estimates and intervals at the optimum; the profile intervals on a Dask `client`'s
    workers, one task each, if given."""
    params = prob.params
    theta, jac = prob.theta(opt.z), prob.dtheta_dz(opt.z)
    H = np.asarray(prob.hessian(opt.z), dtype=np.float64)
    if not np.all(np.isfinite(H)):  # eigh of it raised LinAlgError: an internal error, not a word of why
        shown = ", ".join(f"{p.name} = {float(t):.6g}" for p, t in zip(params, theta, strict=True))
        raise RunError([error("E060", f"the fit's curvature at its best point ({shown}) is NaN or infinite, so no "
                              "interval can be given", None,
                              "an equation is not smooth there (a power or square root of zero, a division by "
                              "zero): run the model at these values (`stockflow run --set NAME=VALUE`) and look "
                              "at what feeds the observed series")])
    _, _, sd_u = intervals(params, opt.z, jac, H, theta)
    T = judging_scale(params, theta, jac)
    mult, rise95 = critical(prob, opt.z, theta, (T * sd_u) ** 2)
    found, corr, sd_u = intervals(params, opt.z, jac, H, theta, mult)
    model_i, F = model_information(params, theta, jac, H)
    names = tuple(params[i].name for i in model_i)
    rel = tuple(relative(params[i], float(theta[i])) for i in model_i)
    weak = analyse(list(names), F, tuple(n for n, r in zip(names, rel, strict=True) if r))
    in_weak = {n for d in weak for n, w in d.loadings if abs(w) >= 0.25}
    prof = profile.Profiler(prob, opt.z, opt.loss, rise95)
    any_bound = any(f[3] in ("lower bound", "upper bound") for f in found)
    spreads = mult * sd_u
    untrusted = []  # (index, sd in z, size in z) of each parameter whose interval is a profile one
    for i, (par, (_, _, _, limit)) in enumerate(zip(params, found, strict=True)):
        if par.index is None:
            continue
        sd_z = abs(T[i]) * sd_u[i]
        trusted = not (any_bound or limit or not math.isfinite(sd_z) or par.name in in_weak)
        if trusted:  # a quadratic loss rises by 1.92 at the Laplace ends; a skewed one does not
            trusted = all(profile.laplace_trusted(prof, i, opt.z[i] - mult[i] * sd_z, opt.z[i] + mult[i] * sd_z))
        if not trusted:
            untrusted.append((i, sd_z, 1.0 if par.lo is not None or par.hi is not None else abs(T[i])))
    ends = dict(zip([u[0] for u in untrusted], _profile_intervals(prob, prof, opt, rise95, untrusted, client),
                    strict=True))
    ests = []
    for i, (par, (se, lo, hi, limit)) in enumerate(zip(params, found, strict=True)):
        kind = "Laplace"
        if i in ends:
            lo, hi = ends[i]
            kind = "profile"
            spreads[i] = math.inf if limit else _spread(par, float(theta[i]), lo, hi)
        ests.append(Estimate(par.name, float(theta[i]), se, lo, hi, par.start, par.index is None, limit, kind,
                             float(spreads[i])))
    free = [i for i, f in enumerate(found) if not f[3]]
    g = np.asarray(prob.value_and_grad(opt.z)[1], dtype=np.float64)
    dec = decrement(H[np.ix_(free, free)] * np.outer(T[free], T[free]), g[free] * T[free]) if free else 0.0
    return Solved(tuple(ests), corr, names, tuple(float(spreads[i]) for i in model_i), rel, weak, model_i, theta,
                  F, dec)


def _profile_intervals(prob: Problem, prof: profile.Profiler, opt: Optimum, rise95: np.ndarray,
                       wanted: list[tuple[int, float, float]], client: Any) -> list[tuple[float, float]]:
    if client is not None and prob.recipe is not None and wanted:
        from .runtime._distributed_fit import intervals as on_cluster

        return on_cluster(client, prob, opt.z, opt.loss, rise95, wanted)
    return [profile.interval(prof, prob.params[i], i, sd_z, size_z) for i, sd_z, size_z in wanted]


def _spread(par: Any, theta: float, lo: float, hi: float) -> float:
    """The larger half of an interval on the parameter's judging scale."""
    if relative(par, theta):
        return max(math.log(theta / lo) if lo > 0 else math.inf, math.log(hi / theta) if hi > 0 else math.inf)
    return max(theta - lo, hi - theta) / size(par, theta)


def decrement(H: np.ndarray, g: np.ndarray) -> float:
    """How much further the loss could fall from here, judged on the judging scale: the Newton
    decrement along curved directions, plus what a move of FLAT_SD along the flat ones gives."""
    H = 0.5 * (H + H.T)
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
        return math.inf
    lam, V = np.linalg.eigh(H)
    curved = lam > 1 / FLAT_SD**2
    gv = V.T @ g
    return float(0.5 * np.sum(gv[curved] ** 2 / lam[curved]) + FLAT_SD * math.sqrt(float(np.sum(gv[~curved] ** 2))))


_SCIPY_WORDS = (
    ("ABNORMAL", "the optimiser could not lower the loss any further along its search direction"),
    ("TOTAL NO. OF ITERATIONS", "it stopped at the iteration limit before the loss levelled off"),
    ("TOTAL NO. OF F", "it stopped at the limit on loss evaluations before the loss levelled off"),
    ("NAN", "the loss became NaN or infinite"),
)


def convergence(opt: Optimum, dec: float, estimates: tuple[Estimate, ...]) -> tuple[bool, str]:
    """Whether the fit converged, and why not in words with what to try. Converged means: no
    step from the best point lowers the loss by more than CONVERGED, no estimate runs off to
    infinity, and, with several starts, at least two of them reached the same best fit."""
    parts = []
    if not dec <= CONVERGED:
        why = next((words for key, words in _SCIPY_WORDS if key in opt.message.upper()), "")
        parts.append((why + ", and " if why else "")
                     + ("the fit is not at an optimum: the loss still falls by "
                        + (f"about {dec:.3g}" if math.isfinite(dec) else "an unknown amount")
                        + " (log-likelihood units) from the best point found"))
    best = min(opt.losses)
    agree = agreeing(opt.losses)
    if len(opt.losses) > 1 and agree < 2:
        worse = sorted(x - best for x in opt.losses if x - best >= AGREE)
        parts.append(f"only 1 of {len(opt.losses)} starts reached the best fit; the others stopped "
                     f"{worse[0]:.3g} to {worse[-1]:.3g} higher, so a better fit may exist that no start found")
    for e in estimates:
        if e.limit != "infinity":
            continue
        if e.name.startswith("dispersion of "):
            parts.append(f"`{e.name}` grows without limit: those counts vary no more than Poisson counts do, "
                         "so try `noise: poisson` for them")
        else:
            parts.append(f"`{e.name}` grows without limit: the data do not hold it back")
    if not parts:
        return True, f"{agree} of {len(opt.losses)} starts reached the best fit; Newton decrement {dec:.2g}"
    parts.append("try more starts (`--starts 20`), starting values nearer the data, or bounds on the "
                 "parameters that run away")
    return False, "; ".join(parts)


def agreeing(losses: tuple[float, ...]) -> int:
    best = min(losses)
    return sum(1 for x in losses if x - best < AGREE)
