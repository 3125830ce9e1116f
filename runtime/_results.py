"""Run results as tidy tables, written atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..compiler.diagnostics import Diagnostic


@dataclass(frozen=True)
class VarInfo:
    id: str
    name: str
    kind: str  # stock, flow, aux, metric
    units: str
    hidden: bool


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
        key = name.lower()
        for i, v in enumerate(self.variables):
            if v.id == key:
                return self.values[:, i]
        for i, m in enumerate(self.metrics):
            if m.id == key:
                return self.metric_values[i]
        if key in self.params:  # a constant, at every save time
            return np.full(len(self.times), self.params[key])
        raise KeyError(f"no variable, metric or parameter named {name!r}")

    def metric(self, name: str) -> float:
        return float(self[name])

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
        if cols:
            vals = self.values[:, cols]
            parts.append(pd.DataFrame({
                "time": np.repeat(self.times, len(cols)),
                "variable": np.tile([self.variables[i].name for i in cols], t),
                "kind": np.tile([self.variables[i].kind for i in cols], t),
                "units": np.tile([self.variables[i].units for i in cols], t),
                "value": vals.reshape(-1),
            }))
        if self.metrics:
            parts.append(pd.DataFrame({
                "time": np.full(len(self.metrics), self.times[-1]),
                "variable": [m.name for m in self.metrics],
                "kind": "metric",
                "units": [m.units for m in self.metrics],
                "value": self.metric_values,
            }))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["time", "variable", "kind", "units", "value"])

    def write(self, path: str | Path) -> Path:
        return write_table(self.to_frame(), path)


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
        key = name.lower()
        for i, v in enumerate(self.variables):
            if v.id == key:
                return self.values[:, :, i]
        for i, m in enumerate(self.metrics):
            if m.id == key:
                return self.metric_values[:, i]
        raise KeyError(f"no variable or metric named {name!r}")

    def run(self, i: int) -> Results:
        return Results(self.times, self.variables, self.values[i], self.metrics, self.metric_values[i], {})

    def to_frame(self, hidden: bool = False) -> Any:
        import pandas as pd

        frames = []
        for i in range(len(self)):
            df = self.run(i).to_frame(hidden)
            df.insert(0, "scenario", i)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def write(self, path: str | Path) -> Path:
        return write_table(self.to_frame(), path)


def replace_atomically(tmp: str, path: Path) -> None:
    """Move a finished temporary file into place, with the mode a normal write would give."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_table(df: Any, path: str | Path) -> Path:
    """Write CSV or Parquet (by extension) through a temporary file and an atomic rename."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ValueError(f"cannot write {path.name}: use a .csv or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, float_format="%.17g")
        else:
            df.to_parquet(tmp, index=False)
        replace_atomically(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
