"""What the data can and cannot tell: eigen-analysis of the Fisher information.

Each parameter is judged on its own scale (see `_laplace.size`): a positive one on the log of
its value, so "a factor of 2" means the same for a rate of 0.01 and a cost of 10,000; one that
may be zero or negative in its own units, against its size. A direction on that scale is
poorly determined when its 95% interval spans more than ln 2 either way: a factor of 2 for a
positive parameter, 69% of its size for an additive one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FACTOR = 2.0  # a 95% interval wider than x/÷ this counts as not pinned down
SPREAD = math.log(FACTOR)  # the same on the judging scale
LIMIT = (1.96 / SPREAD) ** 2  # the Fisher information below which that happens
WELL = math.log(1.5)  # a 95% interval within x/÷ 1.5 (or 41% of its size) is well determined


@dataclass(frozen=True)
class Direction:
    """A combination of parameters (on their judging scales) and how well the data determine it."""

    loadings: tuple[tuple[str, float], ...]  # parameter, weight (unit vector, largest first)
    spread: float  # half its 95% interval on the judging scale
    relative: tuple[str, ...] = ()  # the parameters judged on a relative scale

    @property
    def factor(self) -> float:
        return _factor(self.spread)

    def words(self) -> str:
        names = [n for n, w in self.loadings if abs(w) >= 0.25]
        if len(names) == 1:
            return f"`{names[0]}` on its own"
        same = [n for n, w in self.loadings if w > 0.25]
        opposite = [n for n, w in self.loadings if w < -0.25]
        if same and opposite:
            return (f"{_list(same)} against {_list(opposite)}: raising one side and lowering the other "
                    "gives almost the same fit")
        how = "by one factor" if all(n in self.relative for n in names) else "in proportion to their sizes"
        return f"{_list(names)} together: raising or lowering them all {how} gives almost the same fit"

    def size_words(self) -> str:
        """How wide its 95% interval is, in the words of its scale."""
        names = [n for n, w in self.loadings if abs(w) >= 0.25]
        if all(n in self.relative for n in names):
            return f"x/÷ {factor_text(self.factor)}"
        return f"± {spread_text(self.spread)} of {'its size' if len(names) == 1 else 'their sizes'}"


@dataclass(frozen=True)
class Identifiability:
    names: tuple[str, ...]
    spreads: tuple[float, ...]  # each parameter's own 95% half-interval on its judging scale (inf: none)
    relative: tuple[bool, ...]  # judged on a relative scale (else additive)
    weak: tuple[Direction, ...]
    suggestions: tuple[tuple[str, int, float], ...]  # unobserved series; weak directions left, worst factor

    @property
    def factors(self) -> tuple[float, ...]:
        return tuple(_factor(s) for s in self.spreads)


def analyse(names: list[str], fisher: np.ndarray, relative: tuple[str, ...]) -> tuple[Direction, ...]:
    """The poorly determined directions of the Fisher information F (on the judging scale)."""
    F = 0.5 * (fisher + fisher.T)
    lam, vec = np.linalg.eigh(F)
    weak = []
    for k in range(len(lam)):
        if lam[k] >= LIMIT:
            continue
        v = vec[:, k] / np.linalg.norm(vec[:, k])
        v = v if v[np.argmax(np.abs(v))] > 0 else -v
        order = np.argsort(-np.abs(v))
        weak.append(Direction(tuple((names[i], float(v[i])) for i in order), _spread(lam[k]), relative))
    return tuple(weak)


def verdict(spread: float) -> str:
    if not math.isfinite(spread):
        return "NOT determined by these data"
    return "well determined" if spread < WELL else "loosely determined" if spread < SPREAD else \
        "NOT determined by these data"


def after_adding(fisher: np.ndarray) -> tuple[int, float]:
    """How many directions stay poorly determined, and the worst one's factor."""
    lam = np.linalg.eigvalsh(0.5 * (fisher + fisher.T))
    return int(np.sum(lam < LIMIT)), _factor(_spread(lam[0]))


def factor_text(f: float) -> str:
    return "over 1000" if f > 1000 else f"{f:.3g}"


def spread_text(s: float) -> str:
    return "over 1000x" if s > 1000 else f"{s:.0%}" if s < 10 else f"{s:.3g}x"


def _spread(info: float) -> float:
    return 1.96 / math.sqrt(info) if info > 0 else math.inf


def _factor(spread: float) -> float:
    return float(min(math.exp(min(spread, 700)), 1e300))


def _list(xs: list[str]) -> str:
    xs = [f"`{x}`" for x in xs]
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]
