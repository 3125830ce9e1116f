"""Calibration on a Dask cluster: each start of a multi-start fit, each profile-likelihood
interval and each profile curve is a task. A worker builds the same problem from its recipe (the checked model, the
plan, the data) once, and runs there exactly what this process would run, so the fit is the
same; only where each piece runs changes."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from ._distributed import each, kept, shipped


def from_starts(client: Any, problem: Any, starts: list[np.ndarray], max_iter: int) -> list[Any]:
    """scipy's L-BFGS-B result from each start, in the order of `starts`."""
    key, blob = _shipped(problem)
    out: list[Any] = [None] * len(starts)
    each(client, len(starts), lambda i: (_start, key, blob, starts[i], max_iter), out.__setitem__)
    return out


def intervals(client: Any, problem: Any, z_hat: np.ndarray, loss_hat: float, rise95: np.ndarray,
              wanted: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
    """The 95% profile interval of each (parameter index, sd in z, size in z), in order."""
    key, blob = _shipped(problem)
    out: list[Any] = [None] * len(wanted)
    each(client, len(wanted), lambda k: (_interval, key, blob, z_hat, loss_hat, rise95, *wanted[k]),
         out.__setitem__)
    return out


def curves(client: Any, problem: Any, z_hat: np.ndarray, loss_hat: float,
           wanted: list[tuple[int, np.ndarray]]) -> list[list[float]]:
    """The profile curve of each (parameter index, z values), in order, one task each."""
    key, blob = _shipped(problem)
    out: list[Any] = [None] * len(wanted)
    each(client, len(wanted), lambda k: (_curve, key, blob, z_hat, loss_hat, *wanted[k]), out.__setitem__)
    return out


def _shipped(problem: Any) -> tuple[str, bytes]:
    return shipped((problem.recipe, problem.y, problem.series))


def _problem(key: str, blob: bytes) -> Any:
    def build() -> Any:
        from ._fit import Problem
        from ._jax import x64

        recipe, y, series = pickle.loads(blob)
        with x64():
            return Problem.of_model(*recipe).with_values(y, series)

    return kept(("fit", key), build)


def _start(key: str, blob: bytes, z0: np.ndarray, max_iter: int) -> Any:
    from ._fit import from_start
    from ._jax import x64

    with x64():
        return from_start(_problem(key, blob), z0, max_iter)


def _interval(key: str, blob: bytes, z_hat: np.ndarray, loss_hat: float, rise95: np.ndarray, i: int,
              sd_z: float, size_z: float) -> tuple[float, float]:
    from . import _profile as profile
    from ._jax import x64

    problem = _problem(key, blob)
    with x64():
        return profile.interval(profile.Profiler(problem, z_hat, loss_hat, rise95), problem.params[i], i, sd_z, size_z)


def _curve(key: str, blob: bytes, z_hat: np.ndarray, loss_hat: float, i: int, values_z: np.ndarray) -> list[float]:
    from ._jax import x64
    from ._profile import Profiler

    with x64():
        return Profiler(_problem(key, blob), z_hat, loss_hat).curve(i, values_z)
