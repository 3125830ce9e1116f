"""Fixed-step solvers: `step(f, y, t, dt, p)` advances y' = f(y, t, p) by one step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Deriv = Callable[[Any, Any, Any], Any]


class Euler:
    order = 1

    def step(self, f: Deriv, y: Any, t: Any, dt: float, p: Any) -> Any:
        return y + dt * f(y, t, p)


class RK4:
    order = 4

    def step(self, f: Deriv, y: Any, t: Any, dt: float, p: Any) -> Any:
        k1 = f(y, t, p)
        k2 = f(y + (dt / 2) * k1, t + dt / 2, p)
        k3 = f(y + (dt / 2) * k2, t + dt / 2, p)
        k4 = f(y + dt * k3, t + dt, p)
        return y + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)


SOLVERS: dict[str, type[Euler] | type[RK4]] = {"euler": Euler, "rk4": RK4}
