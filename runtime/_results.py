"""Run results as tidy tables, written atomically."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..compiler.base.diagnostics import Diagnostic, unknown_name
from ..compiler.base.elements import slice_picks
from ..compiler.base.names import a_noun, canonical


@dataclass(frozen=True)
class VarInfo:
    id: str
    name: str
    kind: str  # stock, flow, aux, metric
    units: str
    hidden: bool
    array: str = ""  # an element of an arrayed declaration: that declaration's name
    at: tuple[tuple[str, str], ...] = ()  # and its element: (index name, element) per dimension


def array_elements(variables: tuple[VarInfo, ...] | list[VarInfo], name: str) -> list[int]:
    """The positions among `variables` of the elements of the array named `name`, or of the
    slice it names (`looked_after[dundee]`, `looked_after[*, kinship]`), in declaration
    order; [] if `name` names neither."""
    key = canonical(name)
    head = key.split("[", 1)[0]
    if head != key and any(v.id == key for v in variables):  # one element, asked for on every run: no slice
        return []
    mine = [i for i, v in enumerate(variables) if v.array.lower() == head]
    if head == key or not mine:
        return mine
    picks = slice_picks(name, [tuple(e for _, e in variables[i].at) for i in mine])
    return [mine[j] for j in picks or []]


def variable_names(variables: tuple[VarInfo, ...] | list[VarInfo], metrics: tuple[VarInfo, ...] = ()) -> list[str]:
    """What a user may ask for by name: each array once by its own name, scalars, metrics."""
    return list(dict.fromkeys([v.array or v.name for v in variables] + [m.name for m in metrics]))


def element_columns(variables: list[VarInfo]) -> tuple[list[str], dict[str, list[str | None]]]:
    """The tidy table's `variable` column and one column per index name of the arrays among
    `variables` (None where a variable has no such index)."""
    names = [v.array or v.name for v in variables]
    indices = list(dict.fromkeys(k for v in variables for k, _ in v.at))
    cols = {k: [dict(v.at).get(k) for v in variables] for k in indices}
    return names, cols


@dataclass(frozen=True)
class Results:
    """One run: trajectories at the save times and the metrics."""

    times: np.ndarray  # (T,)
    variables: tuple[VarInfo, ...]  # columns of `values`
    values: np.ndarray  # (T, V)
    metrics: tuple[VarInfo, ...]
    metric_values: np.ndarray  # (M,)
    conservation: dict[str, float]  # group -> largest relative drift of total minus net boundary flow
    warnings: tuple[Diagnostic, ...] = ()
    params: dict[str, float] = field(default_factory=dict)  # the parameter values of this run, by id

    def __getitem__(self, name: str) -> np.ndarray:
        """The trajectory of a variable, or a metric's value, by name (case-insensitive)."""
        key = canonical(name)
        for i, v in enumerate(self.variables):
            if v.id == key:
                return self.values[:, i]
        for i, m in enumerate(self.metrics):
            if m.id == key:
                return self.metric_values[i]
        elements = array_elements(self.variables, key)
        if elements:  # an arrayed variable: one column per element, in declaration order
            return self.values[:, elements]
        if key in self.params:  # a constant, at every save time
            return np.full(len(self.times), self.params[key])
        raise unknown_name(name, "a recorded variable, metric or parameter of this run",
                           variable_names(self.variables, self.metrics))

    def metric(self, name: str) -> float:
        """A metric's value by name."""
        for i, m in enumerate(self.metrics):
            if m.id == canonical(name):
                return float(self.metric_values[i])
        raise unknown_name(name, "a metric of this model", [m.name for m in self.metrics],
                           None if self.metrics else "the spec declares no `metric`",
                           {v.id: f"`{v.name}` is {a_noun(v.kind)}: use results[{v.name!r}] for its trajectory"
                            for v in self.variables})

    def __repr__(self) -> str:
        shown = [v.name for v in self.variables if not v.hidden]
        names = ", ".join(shown[:8]) + (", ..." if len(shown) > 8 else "")
        return (f"<Results: {len(self.times)} times from {self.times[0]:g} to {self.times[-1]:g}; "
                f"{len(shown)} variables ({names}); {len(self.metrics)} metrics>")

    def wide(self, hidden: bool = False) -> Any:
        """One row per save time, one column per variable."""
        import pandas as pd

        cols = [i for i, v in enumerate(self.variables) if hidden or not v.hidden]
        df = pd.DataFrame(self.values[:, cols], columns=[self.variables[i].name for i in cols])
        df.insert(0, "time", self.times)
        return df

    def to_frame(self, hidden: bool = False) -> Any:
        """Tidy table: time, variable, kind, units, value; metrics at the final time."""
        import pandas as pd

        cols = [i for i, v in enumerate(self.variables) if hidden or not v.hidden]
        t = len(self.times)
        parts = []
        names, at = element_columns([self.variables[i] for i in cols])
        if cols:
            vals = self.values[:, cols]
            parts.append(pd.DataFrame({
                "time": np.repeat(self.times, len(cols)),
                "variable": np.tile(names, t),
                **{k: np.tile(np.asarray(v, dtype=object), t) for k, v in at.items()},
                "kind": np.tile([self.variables[i].kind for i in cols], t),
                "units": np.tile([self.variables[i].units for i in cols], t),
                "value": vals.reshape(-1),
            }))
        if self.metrics:
            parts.append(pd.DataFrame({
                "time": np.full(len(self.metrics), self.times[-1]),
                "variable": [m.name for m in self.metrics],
                **{k: [None] * len(self.metrics) for k in at},
                "kind": "metric",
                "units": [m.units for m in self.metrics],
                "value": self.metric_values,
            }))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["time", "variable", "kind", "units", "value"])

    def tidy_length(self) -> int:
        """The rows of `to_frame()`, counted without building it."""
        return len(self.times) * sum(not v.hidden for v in self.variables) + len(self.metrics)

    def write(self, path: str | Path, inputs: tuple[str, ...] = (), wide: bool = False) -> Path:
        """Tidy results to .csv or .parquet (`wide`: `wide()`'s table, a column per variable);
        never over a file named in `inputs`. A tidy CSV is written row by row, the bytes
        `to_frame().to_csv(...)` would write, without pandas."""
        if wide:
            return write_table(self.wide, path, inputs, (len(self.times), self.values.shape[1] + 1))
        size = (self.values.size + self.metric_values.size, 5)
        if Path(path).suffix.lower() != ".csv":
            return write_table(self.to_frame, path, inputs, size)
        from ._csv import check_csv_size, tidy_lines, write_csv

        check_csv_size(Path(path), *size)
        cols = [i for i, v in enumerate(self.variables) if not v.hidden]
        names, at = element_columns([self.variables[i] for i in cols])
        lines = tidy_lines(self.times, names, at, [self.variables[i].kind for i in cols],
                         [self.variables[i].units for i in cols], self.values[:, cols],
                         [(m.name, m.units, float(v)) for m, v in zip(self.metrics, self.metric_values, strict=True)])
        header = ["time", "variable", *at, "kind", "units", "value"]
        return write_csv(Path(path), header, lines, inputs)


@dataclass(frozen=True)
class BatchResults:
    """Many runs of one model: arrays with a leading scenario axis."""

    times: np.ndarray
    variables: tuple[VarInfo, ...]
    values: np.ndarray  # (B, T, V)
    metrics: tuple[VarInfo, ...]
    metric_values: np.ndarray  # (B, M)
    conservation: dict[str, float]

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __getitem__(self, name: str) -> np.ndarray:
        """A variable's trajectories, (runs, times), or a metric's values, (runs,), by name; an
        arrayed variable's by its array's name, (runs, times, elements)."""
        key = canonical(name)
        for i, v in enumerate(self.variables):
            if v.id == key:
                return self.values[:, :, i]
        for i, m in enumerate(self.metrics):
            if m.id == key:
                return self.metric_values[:, i]
        elements = array_elements(self.variables, key)
        if elements:  # an arrayed variable: (runs, times, elements), elements in declaration order
            return self.values[:, :, elements]
        raise unknown_name(name, "a recorded variable or metric of these runs",
                           variable_names(self.variables, self.metrics))

    def run(self, i: int) -> Results:
        if not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"run {i!r}: these results hold runs 0 to {len(self) - 1}")
        return Results(self.times, self.variables, self.values[i], self.metrics, self.metric_values[i], {})

    def __repr__(self) -> str:
        return (f"<BatchResults: {len(self)} runs, {len(self.times)} times from {self.times[0]:g} to "
                f"{self.times[-1]:g}; {len(self.variables)} variables; {len(self.metrics)} metrics>")

    def to_frame(self, hidden: bool = False) -> Any:
        """Tidy table of every run, built column by column: scenario (the run's index), time,
        variable, kind, units, value; metrics at the final time."""
        import pandas as pd

        cols = [i for i, v in enumerate(self.variables) if hidden or not v.hidden]
        n, t, m = len(self), len(self.times), len(self.metrics)
        per_run = t * len(cols) + m
        var_names, at = element_columns([self.variables[i] for i in cols])
        names = var_names + [x.name for x in self.metrics]
        kinds = [self.variables[i].kind for i in cols] + ["metric"] * m
        units = [self.variables[i].units for i in cols] + [x.units for x in self.metrics]
        one = np.concatenate([np.repeat(self.times, len(cols)), np.full(m, self.times[-1])])
        where = np.concatenate([np.tile(np.arange(len(cols)), t), np.arange(len(cols), len(cols) + m)])
        values = np.concatenate([self.values[:, :, cols].reshape(n, -1), self.metric_values.reshape(n, m)], axis=1)
        return pd.DataFrame({
            "scenario": np.repeat(np.arange(n), per_run),
            "time": np.tile(one, n),
            # categorical: one code per row, not 37 million string objects for 2,000 runs
            "variable": _categorical(names, np.tile(where, n)),
            **{k: _categorical([x or "" for x in v] + [""] * m, np.tile(where, n)) for k, v in at.items()},
            "kind": _categorical(kinds, np.tile(where, n)),
            "units": _categorical(units, np.tile(where, n)),
            "value": values.reshape(-1),
        })

    def write(self, path: str | Path, inputs: tuple[str, ...] = ()) -> Path:
        """Tidy results to .csv or .parquet; never over a file named in `inputs`."""
        return write_table(self.to_frame, path, inputs, (self.values.size + self.metric_values.size, 6))


def _categorical(labels: list[str], codes: np.ndarray) -> Any:
    import pandas as pd

    uniq = list(dict.fromkeys(labels))
    pos = {x: i for i, x in enumerate(uniq)}
    return pd.Categorical.from_codes(np.asarray([pos[x] for x in labels])[codes], categories=pd.Index(uniq))


def write_table(df: Any, path: str | Path, inputs: tuple[str, ...] = (),
                size: tuple[int, int] | None = None) -> Path:
    """Write CSV or Parquet (by extension), atomically. `df` is a DataFrame, or a function that
    builds one of about `size` (rows, columns), so that a CSV too large to write is refused before
    the table is built. Text cells that a spreadsheet would run as a formula are neutralised in
    CSV (OWASP's advice)."""
    from ..compiler.base.files import safe_csv_frame, write_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ValueError(f"cannot write {path.name}: use a .csv or .parquet file name")
    if suffix == ".csv":
        from ._csv import check_csv_size

        check_csv_size(path, *(size if size is not None else (len(df), len(df.columns))))
    table = df() if callable(df) else df
    if suffix == ".csv":
        from ._csv import write_frame_csv

        frame = safe_csv_frame(table)
        return write_atomic(path, lambda fh: write_frame_csv(frame, fh), inputs)
    return write_atomic(path, lambda fh: table.to_parquet(fh, index=False), inputs)
