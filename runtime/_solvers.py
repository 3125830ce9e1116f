"""Fixed-step solvers. Each takes one step and returns the outputs at the step's start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Rhs = Callable[[Any, Any, Any, Any], tuple[Any, Any]]


class Euler:
    order = 1

    def step(self, rhs: Rhs, y: Any, t: Any, dt: float, p: Any) -> tuple[Any, Any]:
        d, out = rhs(y, t, p, dt)
        return y + dt * d, out


class RK4:
    order = 4

    def step(self, rhs: Rhs, y: Any, t: Any, dt: float, p: Any) -> tuple[Any, Any]:
        k1, out = rhs(y, t, p, dt)
        k2, _ = rhs(y + (dt / 2) * k1, t + dt / 2, p, dt)
        k3, _ = rhs(y + (dt / 2) * k2, t + dt / 2, p, dt)
        k4, _ = rhs(y + dt * k3, t + dt, p, dt)
        return y + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4), out


SOLVERS = {"euler": Euler, "rk4": RK4}
