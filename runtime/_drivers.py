"""Which assumptions matter: over a sampled scenario's draws, how strongly each sampled
parameter moves each metric, as Spearman's rank correlation. Near +1 or -1 that assumption
alone largely sets where the metric falls; near 0 it hardly matters. Ranks, not values, so a
monotone effect counts in full however curved. Where the draws are independent (`sample`
lines), each correlation is that parameter's own; draws taken together from a calibration
(`sample from fit`) can be correlated with one another, and then a correlation may carry
another's effect: each row says whether its scenario's draws are (`entangled`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

MIN_DRAWS = 10  # fewer, and a rank correlation is noise
ENTANGLED = 0.3  # a rank correlation between two drawn assumptions past which their effects mix


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties given the mean of their ranks."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    return (np.bincount(inverse, weights=r) / np.bincount(inverse))[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; NaN where either does not vary."""
    rx, ry = ranks(x) - (len(x) - 1) / 2, ranks(y) - (len(y) - 1) / 2
    den = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


def rho_text(v: float) -> str:
    """+0.84; 0.00 for one that rounds to nothing (never -0.00); n/a where a result does not vary."""
    return "n/a" if v != v else "0.00" if abs(v) < 0.005 else f"{v:+.2f}"


def driver_rows(res: Any, metrics: list[str] | None = None) -> list[SimpleNamespace]:
    """Rows scenario, point, metric, parameter, correlation, draws: for every sampled
    scenario and grid point with at least MIN_DRAWS draws, each sampled parameter against
    each metric (`metrics`, else those the scenarios show), strongest first within each."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(res.runs):
        if r.sampled:
            groups.setdefault((r.scenario, r.point), []).append(i)
    index = {m.name: j for j, m in enumerate(res.batch.metrics)}
    chosen = [m for m in (metrics or res.shown_metrics()) if m in index]
    rows: list[SimpleNamespace] = []
    for (name, _), idx in groups.items():
        if len(idx) < MIN_DRAWS:
            continue
        point = ", ".join(f"{k}={x:g}" for k, x in res.runs[idx[0]].swept)
        params = [k for k, _ in res.runs[idx[0]].sampled]
        drawn = np.array([[v for _, v in res.runs[i].sampled] for i in idx])
        pairs = [abs(spearman(drawn[:, a], drawn[:, b])) for a in range(len(params)) for b in range(a)]
        entangled = any(p > ENTANGLED for p in pairs if p == p)
        for metric in chosen:
            y = res.batch.metric_values[idx, index[metric]]
            found = [(p, spearman(drawn[:, k], y)) for k, p in enumerate(params)]
            found.sort(key=lambda pr: -abs(pr[1]) if pr[1] == pr[1] else 0.0)
            rows += [SimpleNamespace(scenario=name, point=point, metric=metric, parameter=p, correlation=rho,
                                     draws=len(idx), entangled=entangled) for p, rho in found]
    return rows
