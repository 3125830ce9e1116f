"""stockflow: stock-and-flow models as plain text, checked with sympy and run on JAX.

Importing this package is cheap: JAX and sympy load when a model is first compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


def _package_version() -> str:
    """The installed version. Read when asked for: importlib.metadata and its scan of the
    installed distributions cost a fresh process some 40 ms that a run never needs."""
    try:
        from importlib.metadata import version

        return version("stockflow")
    except Exception:  # noqa: BLE001 - running from a source tree that was never installed
        return "0.0.0+unknown"


__all__ = ["load", "load_text", "check", "Model", "Results", "BatchResults", "ScenarioResults", "SpecError",
           "RunError", "connect", "__version__"]

if TYPE_CHECKING:
    __version__: str
    from .api import (
        BatchResults,
        Model,
        Results,
        RunError,
        ScenarioResults,
        SpecError,
        check,
        connect,
        load,
        load_text,
    )


def __dir__() -> list[str]:
    """The public API, loaded lazily, shows in tab completion."""
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _package_version()
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'stockflow' has no attribute {name!r}")
