"""What a run is given: parameter vectors and initial-value overrides by name, checked against
the model (E051 outside bounds, E061 for names that are not there), and the outputs to record."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .compiler.base.diagnostics import RunError, error, unknown_name
from .compiler.base.elements import slice_picks
from .compiler.base.names import canonical
from .compiler.ir import graph as G
from .compiler.ir.model import CheckedModel
from .runtime import VarInfo
from .runtime._results import array_elements, variable_names


class ModelInputs:
    """The input side of `Model`."""

    checked: CheckedModel
    _params: dict[str, G.Param]
    _stock_ids: list[str]
    _user_stocks: dict[str, G.Stock]

    @property
    def name(self) -> str:
        return self.checked.graph.info.name

    @property
    def stocks(self) -> list[str]:
        return [s.display for s in self._user_stocks.values()]

    # supplied by the output side (ModelOutputs)
    variables: Callable[[], tuple[VarInfo, ...]]
    metric_infos: Callable[[], tuple[VarInfo, ...]]


    def param_vector(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        vec = np.array([p.value for p in self.checked.graph.params], dtype=np.float64)
        index = {pid: i for i, pid in enumerate(self._params)}
        for name, value in (overrides or {}).items():
            for pid, v in self._spread(name, value, self._param_ids(name)):
                _check_bounds(self._params[pid], np.array([v]))
                vec[index[pid]] = v
        return vec

    def _spread(self, name: str, value: Any, ids: list[str]) -> list[tuple[str, float]]:
        """`value` for each of `ids` (one variable, or an array's elements in order): a number
        for all; for an array, also one number per element in that order (a list or NumPy
        array, of the array's shape or flat) or {element: number} for some of them."""
        if isinstance(value, int | float) and math.isfinite(value):  # the usual case, on every run: no array made
            return [(vid, float(value)) for vid in ids]
        if isinstance(value, Mapping):
            return [(self._element_id(name, ids, key), _number(name, v)) for key, v in value.items()]
        values = np.asarray(value, dtype=object) if not isinstance(value, str) else None
        if values is None or values.ndim == 0:
            v = _number(name, value)
            return [(vid, v) for vid in ids]
        flat = values.reshape(-1)
        if len(ids) == 1 or flat.size != len(ids):
            raise RunError([error("E061", f"`{name}` takes {len(ids)} value(s), one per element, not {flat.size}",
                                  None, "give one number for every element, in order, or {element: number}")])
        return [(vid, _number(name, v)) for vid, v in zip(ids, flat, strict=True)]

    def _element_id(self, name: str, ids: list[str], key: Any) -> str:
        """The element of array `name` that a key names: `north`, `north, foster` or a tuple."""
        words = key if isinstance(key, tuple) else str(key).split(",")
        vid = canonical(f"{name}[{','.join(str(w).strip() for w in words)}]")
        if vid not in ids:
            raise unknown_name(str(key), f"an element of `{name}`",
                               [i.split("[", 1)[1].rstrip("]") for i in ids if "[" in i], "see Model.parameters")
        return vid

    def _param_matrix(self, columns: Mapping[str, Sequence[float]], n: int) -> np.ndarray:
        """One parameter vector per row, from columns of values (vectorised: N may be large)."""
        out = np.tile(self.param_vector(), (n, 1))
        index = {pid: i for i, pid in enumerate(self._params)}
        for name, values in columns.items():
            v = np.atleast_1d(np.asarray(values, dtype=np.float64))
            for pid in self._param_ids(name):
                _check_bounds(self._params[pid], v)
                out[:, index[pid]] = v
        return out

    def _elements(self, name: str, known: Mapping[str, Any]) -> list[str]:
        """The one variable `name` names, or every element of the array it names (as a
        scenario's `set rate = 0` sets every element); [] if neither is in `known`."""
        key = canonical(name)
        if key in known:
            return [key]
        head = key.split("[", 1)[0]
        array = next((a for a in self.checked.graph.arrays if a.name == head), None)
        ids = [vid for vid, _ in array.elements] if array is not None else []
        if array is not None and head != key:  # a slice: `looked_after[dundee]`
            picks = slice_picks(name, [k for _, k in array.elements]) or []
            ids = [ids[j] for j in picks]
        return ids if ids and all(vid in known for vid in ids) else []

    def _param_ids(self, name: str) -> list[str]:
        return self._elements(name, self._params) or [self._param_id(name)]

    def _param_id(self, name: str) -> str:
        pid = canonical(name)
        if pid not in self._params:
            stocks = {s.id: s.display for s in self._user_stocks.values()}
            stocks |= {a.name: a.name for a in self.checked.graph.arrays if a.elements[0][0] in stocks}
            stocks = {k: f"`{n}` is a stock: give its initial value with `--initial {n}=VALUE` "
                      f"(Python: `initial={{'{n}': VALUE}}`)" for k, n in stocks.items()}
            computed = {v.id: v.name for v in self.variables() if v.kind != "stock" and not v.hidden}
            computed |= {a.name: a.name for a in self.checked.graph.arrays if a.elements[0][0] in computed}
            others = {k: f"`{n}` is computed by its equation: change the parameters it uses, "
                      "or its equation with `set` in a spec that extends this one" for k, n in computed.items()}
            raise unknown_name(name, f"a parameter of {self.name}", [p.display for p in self._params.values()],
                               "see Model.parameters", {**others, **stocks}, self.checked.graph.arrays)
        return pid

    def initial_vectors(self, initial: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        n = len(self._stock_ids) + len(self.checked.graph.groups)
        override = np.zeros(n)
        mask = np.zeros(n, dtype=bool)
        index = {s: i for i, s in enumerate(self._stock_ids)}
        for name, value in (initial or {}).items():
            sids = self._elements(name, self._user_stocks)
            if not sids:
                shown = {p.id: p.display for p in self._params.values()}
                shown |= {a.name: a.name for a in self.checked.graph.arrays if a.elements[0][0] in shown}
                params = {k: f"`{n}` is a parameter: set it with `--set {n}=VALUE` "
                          f"(Python: `params={{'{n}': VALUE}}`)" for k, n in shown.items()}
                arrays = [a.name for a in self.checked.graph.arrays if a.elements[0][0] in self._user_stocks]
                raise unknown_name(name, f"a stock of {self.name}", arrays + self.stocks, "see Model.stocks", params,
                                   self.checked.graph.arrays)
            for sid, v in self._spread(name, value, sids):
                _check_sign(self._user_stocks[sid], v)
                override[index[sid]] = v
                mask[index[sid]] = True
        return override, mask

    def output_ids(self, outputs: Sequence[str] | None) -> tuple[str, ...]:
        visible = tuple(v.id for v in self.variables() if not v.hidden)
        if outputs is None:
            return visible
        known = {v.id for v in self.variables()}
        ids = []
        metrics = {m.id: f"`{m.name}` is a metric: metrics are always computed; list variables only"
                   for m in self.metric_infos()}
        params = {p.id: f"`{p.display}` is a parameter: `Results[{p.display!r}]` gives its value"
                  for p in self._params.values()}
        shown = [v for v in self.variables() if not v.hidden]
        for name in outputs:
            elements = [shown[i].id for i in array_elements(shown, name)]
            if canonical(name) not in known and not elements:
                raise unknown_name(name, f"a stock, flow or auxiliary of {self.name}",
                                   variable_names(shown), None, {**params, **metrics}, self.checked.graph.arrays)
            ids += elements or [canonical(name)]  # an array's name: each of its elements
        return tuple(dict.fromkeys(ids))


def _is_frame(x: Any) -> bool:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def _column_length(params: Mapping[str, Sequence[float]]) -> int:
    sizes = {len(np.atleast_1d(np.asarray(v, dtype=np.float64))) for v in params.values()}
    if len(sizes) > 1:
        raise RunError([error("E061", f"parameter columns have different lengths: {sorted(sizes)}", None,
                              "give every parameter the same number of values")])
    return sizes.pop() if sizes else 1


def _check_bounds(p: Any, values: np.ndarray) -> None:
    """E061 for a value that is not a finite number; E051 for the first outside the
    parameter's bounds."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise RunError([error("E061", f"{p.display} = {float(values[bad][0])} is not a finite number", p.span,
                              "give a number")])
    if p.bounds is None:
        return
    out = ~((values >= p.bounds[0]) & (values <= p.bounds[1]))
    if out.any():
        raise RunError([error("E051", f"{p.display} = {float(values[out][0]):g} is outside its bounds "
                              f"[{p.bounds[0]:g}, {p.bounds[1]:g}]", p.span,
                              "choose a value within the bounds, or widen them in the spec")])


def _check_sign(s: Any, value: float) -> None:
    """E051 for a negative start given to a stock the spec says is never negative: the run
    would cap its outflows at a stock below zero and go on without a word."""
    if s.non_negative and value < 0:
        raise RunError([error("E051", f"{s.display} = {value:g}: the spec marks `{s.display}` non_negative, so it "
                              "cannot start below zero", s.span, "give 0 or more")])


def _rows(params: Sequence[Mapping[str, float]]) -> list[Mapping[str, float]]:
    rows = list(params)
    if not rows:
        raise RunError([error("E061", "no parameter sets to run", None, "give at least one (it may be {})")])
    return rows


def _number(name: str, value: Any) -> float:
    """A value given for `name` as a float, or E061 saying what it takes."""
    try:
        v = float(value)
        if not np.isfinite(v):  # a run would fail later with E060 somewhere downstream
            raise RunError([error("E061", f"`{name}` = {v} is not a finite number", None, "give a number")])
        return v
    except (TypeError, ValueError):
        raise RunError([error("E061", f"`{name}` takes a number, not {type(value).__name__} "
                              f"{str(value)[:40]!r}", None, "give a number, or for an array one number per "
                              "element (a list, in order) or {element: number}")]) from None
