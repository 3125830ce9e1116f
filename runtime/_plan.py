"""The fixed step grid of a run: validated once, shared by the JAX and reference integrators."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..compiler.base.diagnostics import SpecError, error
from ..compiler.base.limits import MAX_STEPS
from ..compiler.ir.ast import Method, TimeSpec


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
    dt = time.dt if dt is None else float(dt)
    name = (method or time.method.value).lower()
    span = time.span
    if name not in {m.value for m in Method}:
        raise SpecError([error("E050", f"unknown integration method `{name}`", span, "use euler or rk4")])
    if not (dt > 0 and math.isfinite(dt)):
        raise SpecError([error("E050", f"dt must be a positive finite number, not {dt:g}", span, "e.g. dt 0.25")])
    length = time.stop - time.start
    ratio = length / dt
    if not math.isfinite(ratio) or ratio > MAX_STEPS + 0.5:  # checked before any work is sized by it
        raise SpecError([error("E006", f"{ratio:.3g} steps is more than the limit of {MAX_STEPS}", span,
                               "use a larger dt or a shorter horizon")])
    n = round(ratio)
    if n < 1 or abs(n * dt - length) > 1e-9 * max(1.0, abs(length)):
        raise SpecError([error("E050", f"stop - start ({length:g}) is not a whole number of dt ({dt:g}) steps",
                               span, "choose dt so that (stop - start) / dt is a whole number")])
    if n > MAX_STEPS:
        raise SpecError([error("E006", f"{n} steps is more than the limit of {MAX_STEPS}", span,
                               "use a larger dt or a shorter horizon")])
    save = save_step if save_step is not None else time.save_step
    every = 1
    if save is not None:
        every = round(save / dt)
        if every < 1 or abs(every * dt - save) > 1e-9 * max(1.0, save) or n % every:
            raise SpecError([error("E050", f"save step {save:g} must be a whole number of dt steps that "
                                   f"divides the horizon", span, f"e.g. save {dt * max(1, every):g}")])
    return Plan(time.start, dt, n, every, Method(name))


def recorded_columns(state_index: dict[str, int], keep: tuple[str, ...]) -> list[int] | None:
    """The state columns a run records at each save point when every output asked for is a
    stock; None when outputs must be recomputed from the whole state."""
    cols = [state_index.get(n) for n in keep]
    return None if any(c is None for c in cols) else [c for c in cols if c is not None]
