"""Large batches: run in chunks sized to bounded working memory, refused (E006) when their
results would not fit, with a progress bar on a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler.base.diagnostics import RunError, Span, error
from ._plan import Plan, recorded_columns

MAX_RESULT_BYTES = 2_000_000_000
CHUNK_BYTES = 256_000_000  # working memory of one chunk of a large batch
# Beyond this, a step's working set leaves the CPU's caches: GIRFEC ran 19k scenarios a
# second in chunks of 8,192 and 10k in chunks of 32,768 (benchmarks/bench_million.py).
CHUNK_RUNS = 8192


def chunk_runs(p: Plan, stock_ids: list[str], n_groups: int, n_params: int, keep: tuple[str, ...]) -> int:
    """Runs per chunk of a batch: as many as fit CHUNK_BYTES of recorded rows, outputs and
    loop state. It depends on the model and the outputs only, never on how many runs there
    are. A run records the stocks asked for, or its whole state if outputs other than
    stocks must be recomputed from it."""
    n_state = len(stock_ids) + n_groups
    cols = recorded_columns({s: i for i, s in enumerate(stock_ids)}, keep)
    recorded = n_state if cols is None else len(cols)
    per_run = 8 * (p.n_saves * (recorded + len(keep)) + 64 * n_state + n_params) + 8  # a model of metrics only: 8
    return max(1, min(CHUNK_RUNS, CHUNK_BYTES // per_run))


def run_chunked(sim: Any, p: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
                keep: tuple[str, ...], chunk: int) -> tuple[np.ndarray, ...]:
    """A batch in chunks, with a progress bar on a terminal (quiet in CI or when piped)."""
    return with_progress(params.shape[0], chunk,
                         lambda bar: sim.run(p, params, override, mask, keep, chunk, bar))


def with_progress(n: int, chunk: int, work: Callable[[Callable[[int], None] | None], Any]) -> Any:
    """work(update): `update(runs)` moves a progress bar on a terminal, for a batch of more than
    one chunk (None in CI, when piped, or for one chunk)."""
    if not (n > chunk and sys.stderr.isatty() and not os.environ.get("CI")):
        return work(None)
    import click

    with click.progressbar(length=n, label=f"{n} runs", file=sys.stderr) as bar:
        return work(bar.update)


def check_size(p: Plan, n_state: int, n_keep: int, n_metrics: int, runs: int, span: Span | None) -> None:
    """Refuse runs whose results would not fit in memory (E006); working memory is bounded
    by running large batches in chunks."""
    kept = (p.n_saves * n_keep + n_metrics) * 8 * runs
    one_run = p.n_saves * (n_state + n_keep) * 8  # a chunk holds at least one run's states
    need = max(kept, one_run)
    if need > MAX_RESULT_BYTES:
        raise RunError([error("E006", f"this run would keep {need / 1e9:.1f} GB of results; the limit is "
                              f"{MAX_RESULT_BYTES / 1e9:.0f} GB", span,
                              "record less often (`save` in the time settings), fewer outputs "
                              "(`outputs=`), or fewer runs per batch")])
