"""CheckedModel -> the functions an integrator needs, for a given array module: on JAX, arrays
kept as arrays (build_vector); otherwise, and for models without arrays, element by element
(compiled)."""

from __future__ import annotations

from typing import Any

from ..ir.model import CheckedModel
from .build_vector import VectorCode
from .compiled import ScalarCode
from .layout import Hoister, Layout, ModelFunctions, change_inputs, layout_of

__all__ = ["build", "Hoister", "Layout", "ModelFunctions", "change_inputs", "layout_of"]


def build(model: CheckedModel, xp: Any, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> ModelFunctions:
    """The model's functions; flows in `scaled` get a multiplier and parameters in `timed` a
    change over time, both driven by scenario inputs."""
    c: ScalarCode
    if xp.__name__.startswith("jax") and model.graph.arrays:  # arrays as arrays
        c = VectorCode(model, xp, scaled, timed)
    else:
        c = ScalarCode(model, xp, scaled, timed)
    return ModelFunctions(c.lay, c.init, c.prepare, c.constants, c.rhs, c.deriv, c.extremes, c.outputs, c.metrics)
