"""Compile a checked model to jitted JAX runs: one scenario, or a vmapped batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compiler.ir.model import CheckedModel
from ._jax import Compiled, in_x64, jax, jnp
from ._loop import RunFunction
from ._plan import Plan
from ._sim_base import SimBase


class Simulator(SimBase):
    """Holds the traced functions of one model structure; values never force a re-compile."""

    @in_x64
    def __init__(self, model: CheckedModel, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()):
        super().__init__(model, jnp, scaled, timed)
        self._cache: dict[tuple[Any, ...], Any] = {}

    def function(self, plan: Plan, batched: bool, keep: tuple[str, ...] | None = None) -> Any:
        """The jitted run for a step grid; `keep` names the outputs to record (None: all)."""
        keep = self.fns.layout.outputs if keep is None else keep
        key = (plan, batched, keep)
        fn = self._cache.get(key)
        if fn is None:
            one = self._run_one(plan, keep)
            fn = Compiled(jax.vmap(one) if batched else one)
            self._cache[key] = fn
        return fn

    def pure(self, plan: Plan, keep: tuple[str, ...]) -> Any:
        """The run as a pure function of (params, override, mask), for calibration to wrap in
        its own jit and grad. Each step is checkpointed: reverse mode then recomputes a step
        instead of storing its stages, which is several times faster here."""
        return self._run_one(plan, keep, remat=True)

    def _run_one(self, plan: Plan, keep: tuple[str, ...], remat: bool = False) -> RunFunction:
        return RunFunction(self, plan, keep, remat)

    @in_x64
    def run(self, plan: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
            keep: tuple[str, ...] | None = None, chunk: int | None = None,
            progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, ...]:
        """One run, or a batch (2-D inputs) in chunks of at most `chunk` runs. Every chunk has the
        same shape (the last is padded), so one compiled function serves them all; the chunks are
        balanced, so padding wastes less than one run per chunk."""
        batched = params.ndim == 2
        fn = self.function(plan, batched, keep)
        n = params.shape[0] if batched else 1
        if not batched or chunk is None or n <= chunk:
            out = fn(params, override, mask)  # numpy in: jit's own conversion is the fast one
            if progress is not None:
                progress(n)
            return tuple(np.asarray(x) for x in out)
        # Balanced chunks, each a whole number of 64 runs: odd sizes vectorise badly (GIRFEC ran
        # about 30% slower per run in chunks of 7,693 than of 7,744).
        pieces = -(-n // chunk)
        balanced = -(-n // pieces)
        chunk = min(chunk, -(-balanced // 64) * 64) if chunk >= 64 else balanced
        starts = list(range(0, n, chunk))

        def launch(lo: int) -> Any:
            idx = np.minimum(np.arange(lo, lo + chunk), n - 1)  # pad by repeating the last run
            return fn(params[idx], override[idx], mask[idx])

        # Results go straight into arrays for all n runs. The next chunk is dispatched before
        # this one is copied out, so the copy overlaps the computation.
        results: list[np.ndarray] = []
        pending = launch(starts[0])
        for i, lo in enumerate(starts):
            out = pending
            if i + 1 < len(starts):
                pending = launch(starts[i + 1])
            take = min(chunk, n - lo)
            for j, x in enumerate(out):
                x = np.asarray(x)
                if i == 0:
                    results.append(np.empty((n,) + x.shape[1:], dtype=x.dtype))
                results[j][lo:lo + take] = x[:take]
            if progress is not None:
                progress(take)
        return tuple(results)
