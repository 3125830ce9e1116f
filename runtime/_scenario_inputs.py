"""Scenarios as inputs to one vmapped call: each run's parameter vector (with the inputs of
flow scalings and timed changes appended) and initial-value override, and what each run is."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..compiler.ir.scenarios import Scenario
from ._fit_draws import fit_draws
from ._plan import Plan
from ._sampling import draw
from ._scenario_results import RunInfo

ParamVector = Callable[[Mapping[str, float]], np.ndarray]
InitialVectors = Callable[[Mapping[str, float]], tuple[np.ndarray, np.ndarray]]


def structure(chosen: Sequence[Scenario]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The flows any of the scenarios scale and the parameters any changes over time: what the
    compiled run must take as inputs (a structural choice; values never re-compile)."""
    scaled = tuple(sorted({x.flow for sc in chosen for x in sc.scales}))
    timed = tuple(sorted({x.param for sc in chosen for x in sc.timed}))
    return scaled, timed


def encode(chosen: Sequence[Scenario], p: Plan, param_vector: ParamVector, initial_vectors: InitialVectors,
           scaled: tuple[str, ...] | None = None, timed: tuple[str, ...] | None = None,
           param_ids: frozenset[str] = frozenset()
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[RunInfo]]:
    """(params, override, mask) stacked over every run of every scenario, and the runs. The
    inputs are laid out for `scaled` and `timed` (default: what these scenarios use)."""
    if scaled is None or timed is None:
        scaled, timed = structure(chosen)
    never = 1e300
    params: list[np.ndarray] = []
    inits: list[tuple[np.ndarray, np.ndarray]] = []
    runs: list[RunInfo] = []
    for sc in chosen:
        extra = {x.flow: x for x in sc.scales}
        cols = []
        for f in scaled:  # factor, start, fully ramped in, end
            x = extra.get(f)
            start = p.start - 1.0 if x is None or x.start is None else x.start
            ramped = start + (x.over or 0.0) if x is not None else start
            until = x.until if x is not None and x.until is not None else never
            cols += [x.factor if x is not None else 1.0, start, ramped, until]
        changes = {c.param: c for c in sc.timed}
        for name in timed:  # new value, start, fully ramped in, end; never, without a change
            c = changes.get(name)
            if c is None:
                cols += [0.0, never, never, never]
            else:
                cols += [c.value, c.start, c.start + (c.over or 0.0), c.until if c.until is not None else never]
        init = initial_vectors(dict(sc.initial))
        drawn = draw(sc.samples, sc.draws, sc.seed, sc.latin_hypercube)  # the same draws at every grid point
        from_fit = fit_draws(sc.from_fit, set(param_ids), sc.draws, sc.seed) if sc.from_fit else None
        grid = list(itertools.product(*[values for _, values in sc.sweeps]))
        for point, swept in enumerate(grid):
            for d in range(sc.draws):
                on_grid = tuple((name, v) for (name, _), v in zip(sc.sweeps, swept, strict=True))
                sampled = tuple((x.param, float(drawn[d, j])) for j, x in enumerate(sc.samples))
                if from_fit is not None:  # the scenario's own `sample` lines win over the fit's draws
                    own = {x.param for x in sc.samples}
                    sampled = tuple(kv for kv in from_fit[d] if kv[0] not in own) + sampled
                vec = param_vector({**dict(sc.params), **dict(on_grid), **dict(sampled)})
                params.append(np.concatenate([vec, np.asarray(cols, dtype=np.float64)]))
                inits.append(init)
                runs.append(RunInfo(sc.display, point, d, on_grid, sampled))
    return (np.stack(params), np.stack([o for o, _ in inits]), np.stack([m for _, m in inits]), runs)
