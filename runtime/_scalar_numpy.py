"""NumPy as the generated functions' array module, quick on single numbers.

One run on NumPy evaluates every equation on scalars, where a NumPy call costs a microsecond
or more of overhead (`np.where(c, a, b)` on two floats). This module answers the elementwise
calls the code generator makes most (where, maximum, minimum, abs, clip and the logical
ones) with plain Python when every argument is a single number, with the same IEEE results
(NaN included), and passes everything else to NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compiler.codegen.backend import NUMBERS


def _f(x: Any) -> Any:
    """A Python float as a NumPy one (IEEE division by zero and overflow, not exceptions);
    anything else (an index, a NumPy number) as it is."""
    return np.float64(x) if type(x) is float else x


_S = NUMBERS  # single numbers, as the code generator's stack tells them


class ScalarNumpy:
    __name__ = "numpy"  # not JAX: no barriers, no tracing

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    @staticmethod
    def where(c: Any, a: Any, b: Any) -> Any:
        if type(c) in _S and type(a) in _S and type(b) in _S:
            return _f(a) if c else _f(b)
        return np.where(c, a, b)

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        if type(a) in _S and type(b) in _S:
            return _f(a) if (a >= b or a != a) else _f(b)  # NaN wins, as in np.maximum
        return np.maximum(a, b)

    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        if type(a) in _S and type(b) in _S:
            return _f(a) if (a <= b or a != a) else _f(b)
        return np.minimum(a, b)

    @staticmethod
    def abs(a: Any) -> Any:
        return _f(abs(a)) if type(a) in _S else np.abs(a)

    @classmethod
    def clip(cls, a: Any, lo: Any, hi: Any) -> Any:
        if type(a) in _S and type(lo) in _S and type(hi) in _S:
            return cls.minimum(cls.maximum(a, lo), hi)
        return np.clip(a, lo, hi)

    @staticmethod
    def logical_and(a: Any, b: Any) -> Any:
        return bool(a) and bool(b) if type(a) in _S and type(b) in _S else np.logical_and(a, b)

    @staticmethod
    def logical_or(a: Any, b: Any) -> Any:
        return bool(a) or bool(b) if type(a) in _S and type(b) in _S else np.logical_or(a, b)

    @staticmethod
    def logical_not(a: Any) -> Any:
        return not bool(a) if type(a) in _S else np.logical_not(a)

    @staticmethod
    def logical_xor(a: Any, b: Any) -> Any:
        return bool(a) != bool(b) if type(a) in _S and type(b) in _S else np.logical_xor(a, b)


xp = ScalarNumpy()
