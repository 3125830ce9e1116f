"""The fixed step grid of a run: validated once, shared by the JAX and reference integrators."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..compiler.base.diagnostics import SpecError, error
from ..compiler.ir.ast import Method, TimeSpec
from ..compiler.read.time import grid_faults, step_limit


@dataclass(frozen=True, slots=True)
class Plan:
    start: float
    dt: float
    n_steps: int
    save_every: int
    method: Method

    @property
    def n_saves(self) -> int:
        return self.n_steps // self.save_every + 1

    def save_times(self) -> np.ndarray:
        return self.start + np.arange(0, self.n_steps + 1, self.save_every) * self.dt

    @property
    def stop(self) -> float:
        return self.start + self.n_steps * self.dt


def plan(time: TimeSpec, method: str | None = None, dt: float | None = None,
         save_step: float | None = None) -> Plan:
    given = dt is not None  # a run's own dt: its faults are not the spec's `time` line's
    dt = time.dt if dt is None else float(dt)
    name = (method or time.method.value).lower()
    span = time.span
    if name not in {m.value for m in Method}:
        raise SpecError([error("E050", f"unknown integration method `{name}`", span, "use euler or rk4")])
    if not (dt > 0 and math.isfinite(dt)):
        raise SpecError([error("E050", f"dt must be a positive finite number, not {dt:g}"
                               + (" (the dt given for this run)" if given else ""), None if given else span,
                               "e.g. 0.25" if given else "e.g. dt 0.25")])
    length = time.stop - time.start
    ratio = length / dt
    too_many = step_limit(length, dt, None if given else span)
    if too_many is not None:  # checked before any work is sized by it
        raise SpecError([too_many])
    save = save_step if save_step is not None else time.save_step
    faults = grid_faults(time, dt, save)
    if faults:
        raise SpecError(faults)
    n = round(ratio)  # at most MAX_STEPS: the ratio is within half a step of it
    if n < 1:
        raise SpecError([error("E050", f"stop - start ({length:g}) is not a whole number of dt ({dt:g}) steps",
                               span, "make stop larger than start")])
    every = 1 if save is None else round(save / dt)
    return Plan(time.start, dt, n, every, Method(name))


def recorded_columns(state_index: dict[str, int], keep: tuple[str, ...]) -> list[int] | None:
    """The state columns a run records at each save point when every output asked for is a
    stock; None when outputs must be recomputed from the whole state."""
    cols = [state_index.get(n) for n in keep]
    return None if any(c is None for c in cols) else [c for c in cols if c is not None]
