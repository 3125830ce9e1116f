"""Shared helpers for the benchmarks: timing, and the same model for stockflow and PySD."""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIRFEC = ROOT / "specs" / "girfec" / "girfec.sfm"


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls, after one warm-up call."""
    return median_and_best(fn, repeats)[0]


def median_and_best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and least wall time of `repeats` calls, after one warm-up call. On a shared
    machine the least is the steadier of the two."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def pysd_model(spec: Path, workdir: Path):  # type: ignore[no-untyped-def]
    """The spec exported as XMILE and translated by PySD: the same equations in both tools."""
    import pysd

    import stockflow
    from stockflow.compiler.write.xmile import write_xmile

    xm = workdir / (spec.stem + ".xmile")
    xm.write_text(write_xmile(stockflow.load(spec).checked).text, encoding="utf-8")
    return pysd.read_xmile(str(xm))


def machine() -> str:
    import jax

    return f"{platform.processor() or platform.machine()}, {jax.device_count()} JAX device(s) ({jax.default_backend()})"


def tempdir() -> tempfile.TemporaryDirectory:  # type: ignore[type-arg]
    return tempfile.TemporaryDirectory(prefix="stockflow-bench-")
