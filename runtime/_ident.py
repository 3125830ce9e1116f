"""What the data can and cannot tell: eigen-analysis of the Fisher information.

Parameters are compared on a relative scale (log of the value), so "a factor of 2" means the
same for a rate of 0.01 and a cost of 10,000. A direction in that space is poorly determined
when its 95% interval spans more than a factor of 2 either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FACTOR = 2.0  # a 95% interval wider than x/÷ this counts as not pinned down
LIMIT = (1.96 / math.log(FACTOR)) ** 2  # the Fisher information below which that happens


@dataclass(frozen=True)
class Direction:
    """A combination of log-parameters and how well the data determine it."""

    loadings: tuple[tuple[str, float], ...]  # parameter, weight (unit vector, largest first)
    factor: float  # its 95% interval spans x/÷ this

    def words(self) -> str:
        names = [n for n, w in self.loadings if abs(w) >= 0.25]
        if len(names) == 1:
            return f"`{names[0]}` on its own"
        same = [n for n, w in self.loadings if w > 0.25]
        opposite = [n for n, w in self.loadings if w < -0.25]
        if same and opposite:
            return (f"{_list(same)} against {_list(opposite)}: raising one side and lowering the other "
                    "gives almost the same fit")
        return f"{_list(names)} together: raising or lowering them all by one factor gives almost the same fit"


@dataclass(frozen=True)
class Identifiability:
    names: tuple[str, ...]
    factors: tuple[float, ...]  # each parameter's own 95% interval, as x/÷ factor
    weak: tuple[Direction, ...]
    suggestions: tuple[tuple[str, int, float], ...]  # unobserved series; weak directions left, worst factor


def analyse(names: list[str], fisher: np.ndarray) -> tuple[np.ndarray, tuple[Direction, ...], tuple[float, ...]]:
    """Eigen-analysis of the Fisher information F (log-parameter scale)."""
    F = 0.5 * (fisher + fisher.T)
    lam, vec = np.linalg.eigh(F)
    weak = []
    for k in range(len(lam)):
        if lam[k] >= LIMIT:
            continue
        v = vec[:, k] / np.linalg.norm(vec[:, k])
        v = v if v[np.argmax(np.abs(v))] > 0 else -v
        order = np.argsort(-np.abs(v))
        weak.append(Direction(tuple((names[i], float(v[i])) for i in order), _factor(lam[k])))
    cov = np.linalg.pinv(F, hermitian=True)
    own = tuple(_factor(1 / d) if d > 0 else math.inf for d in np.diag(cov))
    return lam, tuple(weak), own


def after_adding(fisher: np.ndarray) -> tuple[int, float]:
    """How many directions stay poorly determined, and the worst one's factor."""
    lam = np.linalg.eigvalsh(0.5 * (fisher + fisher.T))
    return int(np.sum(lam < LIMIT)), _factor(lam[0])


def _factor(info: float) -> float:
    if info <= 0:
        return math.inf
    return float(min(math.exp(min(1.96 / math.sqrt(info), 700)), 1e300))


def _list(xs: list[str]) -> str:
    xs = [f"`{x}`" for x in xs]
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]
