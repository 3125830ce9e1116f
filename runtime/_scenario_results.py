"""The results of running several scenarios together: per-run facts (which grid point and
draw), metric tables against the baseline, and break-even times."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..compiler.base.diagnostics import Diagnostic, RunError, error, unknown_name
from ..compiler.base.names import canonical
from ..compiler.ir.ast import Method
from ._results import BatchResults, Results, array_elements


@dataclass(frozen=True)
class RunInfo:
    """One run of a scenario: which grid point and draw, and the values swept or sampled."""

    scenario: str
    point: int
    draw: int
    swept: tuple[tuple[str, float], ...]
    sampled: tuple[tuple[str, float], ...]

    @property
    def values(self) -> tuple[tuple[str, float], ...]:
        return self.swept + self.sampled


def _swept(run: RunInfo) -> str:
    """A grid point as the tables name it: `multiplier=0.6`."""
    return ", ".join(f"{k}={x:g}" for k, x in run.swept)


def _settles_below(t: np.ndarray, gap: np.ndarray) -> float:
    """The first time after which `gap` stays <= 0 (interpolated), or NaN if it ends above 0."""
    if gap[-1] > 0:
        return float("nan")
    above = np.flatnonzero(gap > 0)
    if above.size == 0:
        return float(t[0])
    k = int(above[-1])  # the last time still above: the crossing lies between k and k + 1
    g0, g1 = gap[k], gap[k + 1]
    return float(t[k] + (t[k + 1] - t[k]) * g0 / (g0 - g1))


class ScenarioResults:
    """Runs of several scenarios; the first scenario is the baseline the others are compared with.

    A scenario with sweeps has one grid point per combination of swept values, and with
    samples `draws` runs per point; percentiles summarise the draws."""

    def __init__(self, names: tuple[str, ...], runs: tuple[RunInfo, ...], batch: BatchResults, method: Method = Method.EULER,
                 report: tuple[str, ...] = ()):
        self.names = names
        self.runs = runs
        self.batch = batch
        self.method = method
        self.report = report  # metric names the scenarios ask to show; () means all

    def shown_metrics(self) -> list[str]:
        return list(self.report) or [m.name for m in self.batch.metrics]

    @property
    def baseline(self) -> str:
        return self.names[0]

    def indices(self, name: str) -> list[int]:
        return [i for i, r in enumerate(self.runs) if r.scenario == name]

    def points(self) -> list[tuple[str, list[int]]]:
        """Each scenario's runs, a grid point of a sweep apart, named as the results tables name
        them (`range (multiplier=0.6)`): a sweep's median over its points is none of them."""
        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(self.runs):
            groups.setdefault((r.scenario, r.point), []).append(i)
        out = []
        for (name, _), idx in groups.items():
            swept = _swept(self.runs[idx[0]])
            out.append((name + (f" ({swept})" if swept else ""), idx))
        return out

    def __getitem__(self, name: str) -> Results:
        found = self.indices(name)
        if not found:
            found = [i for i, r in enumerate(self.runs) if r.scenario.lower() == name.lower()]
        if not found:
            raise unknown_name(name, "a scenario of these runs", self.names)
        if len(found) > 1:
            raise KeyError(f"scenario {name!r} has {len(found)} runs; use .run(i) with .indices({name!r})")
        return self.batch.run(found[0])

    def run(self, i: int | str) -> Results:
        """Run `i` (an index into `runs`), or the one run of the scenario named `i`."""
        if isinstance(i, str):
            return self[i]
        return self.batch.run(i)

    def __repr__(self) -> str:
        return (f"<ScenarioResults: {len(self.runs)} runs of {len(self.names)} scenarios "
                f"({', '.join(self.names)}); baseline {self.baseline}>")

    def metrics_table(self, percentiles: tuple[float, float, float] = (5, 50, 95)) -> Any:
        """Per scenario, grid point and metric: the value (the median over draws), the lower and
        upper percentiles, and the difference of the value from the baseline's."""
        import pandas as pd

        lo_q, _, hi_q = percentiles
        columns = ["scenario", "point", "runs", "metric", "units", "value", f"p{lo_q:g}", f"p{hi_q:g}",
                   "difference", "relative"]
        rows = [vars(r) for r in self.metric_rows(percentiles)]
        return pd.DataFrame(rows, columns=columns)  # named columns even with no metrics

    def metric_rows(self, percentiles: tuple[float, float, float] = (5, 50, 95)) -> list[SimpleNamespace]:
        """`metrics_table`'s rows, each with the table's columns as attributes, without pandas
        (whose import the report and the explorer would otherwise pay for one small table)."""
        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(self.runs):
            groups.setdefault((r.scenario, r.point), []).append(i)
        lo_q, mid_q, hi_q = percentiles
        rows = []
        for j, m in enumerate(self.batch.metrics):
            base = float(np.percentile(self.batch.metric_values[groups[(self.baseline, 0)], j], mid_q))
            for (name, _), idx in groups.items():
                v = self.batch.metric_values[idx, j]
                swept = _swept(self.runs[idx[0]])
                mid = float(np.percentile(v, mid_q))
                rows.append(SimpleNamespace(**{
                    "scenario": name, "point": swept, "runs": len(idx), "metric": m.name, "units": m.units,
                    "value": mid, f"p{lo_q:g}": float(np.percentile(v, lo_q)),
                    f"p{hi_q:g}": float(np.percentile(v, hi_q)), "difference": mid - base,
                    "relative": (mid - base) / abs(base) if base else float("nan")}))
        return rows

    def shown_metric_rows(self) -> dict[str, list[SimpleNamespace]]:
        """The rows of the metrics to show (the spec's `report` list, else all), by metric, in order."""
        shown = set(self.shown_metrics())
        out: dict[str, list[SimpleNamespace]] = {}
        for r in self.metric_rows():
            if r.metric in shown:
                out.setdefault(r.metric, []).append(r)
        return out

    def break_even(self, rate: str) -> Any:
        """When each run's cumulative `rate` (e.g. cost per year) falls below the baseline's for
        good: the first time after which it stays at or below, or NaN if it never does in the
        horizon. A stock is taken as already cumulative; anything else is integrated from the
        recorded trajectory as the run did: left-point sums after Euler (exact when every step
        is recorded), trapezoids after RK4.

        Returns one row per scenario and grid point: the median break-even time over the runs
        that break even, the share of runs that do, and the times by which half and nine in ten
        of all the runs have (NaN if they do not within the horizon)."""
        import pandas as pd

        return pd.DataFrame([vars(r) for r in self.break_even_rows(rate)],
                            columns=["scenario", "point", "runs", "break_even", "share", "by_50", "by_90"])

    def break_even_rows(self, rate: str) -> list[SimpleNamespace]:
        """`break_even`'s rows, each with the table's columns as attributes, without pandas."""
        found = next((v for v in self.batch.variables if v.id == canonical(rate)), None)
        if found is None:
            raise RunError([_not_a_rate(rate, self.batch)])
        series = self.batch[rate]
        t = self.batch.times
        kind = found.kind
        if kind == "stock":
            cumulative = series
        else:
            step = series[:, :-1] if self.method is Method.EULER else (series[:, 1:] + series[:, :-1]) / 2
            cumulative = np.concatenate([np.zeros((series.shape[0], 1)), np.cumsum(step * np.diff(t), axis=1)],
                                        axis=1)
        base = cumulative[self.indices(self.baseline)[0]]
        times = np.array([_settles_below(t, c - base) for c in cumulative])
        rows = []
        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(self.runs):
            groups.setdefault((r.scenario, r.point), []).append(i)
        for (name, _), idx in groups.items():
            found = times[idx][~np.isnan(times[idx])]
            ever = np.where(np.isnan(times[idx]), np.inf, times[idx])  # a run that never breaks even: never
            by = {f"by_{q}": float(np.quantile(ever, q / 100, method="higher")) for q in (50, 90)}
            rows.append(SimpleNamespace(
                scenario=name, point=", ".join(f"{k}={x:g}" for k, x in self.runs[idx[0]].swept),
                runs=len(idx), break_even=float(np.median(found)) if found.size else float("nan"),
                share=found.size / len(idx), **{k: v if math.isfinite(v) else float("nan") for k, v in by.items()}))
        return rows

    def drivers(self, metrics: list[str] | None = None) -> Any:
        """Which assumptions matter: for each sampled scenario, each sampled parameter's rank
        correlation with each metric over the draws (see runtime/_drivers.py), strongest
        first. Columns: scenario, point, metric, parameter, correlation, draws, and
        entangled (the scenario's assumptions were drawn correlated with one another, as
        from a calibration, so a correlation may carry another's effect)."""
        import pandas as pd

        return pd.DataFrame([vars(r) for r in self.driver_rows(metrics)],
                            columns=["scenario", "point", "metric", "parameter", "correlation", "draws", "entangled"])

    def driver_rows(self, metrics: list[str] | None = None) -> list[SimpleNamespace]:
        """`drivers`' rows, each with the table's columns as attributes, without pandas."""
        from ._drivers import driver_rows

        return driver_rows(self, metrics)

    def inputs(self) -> Any:
        """The values each run swept or sampled: run, scenario, point, draw, parameter, value."""
        import pandas as pd

        return pd.DataFrame([{"run": i, "scenario": r.scenario, "point": r.point, "draw": r.draw,
                              "parameter": k, "value": v} for i, r in enumerate(self.runs) for k, v in r.values],
                            columns=["run", "scenario", "point", "draw", "parameter", "value"])

    def to_frame(self, hidden: bool = False) -> Any:
        import pandas as pd

        df = self.batch.to_frame(hidden).rename(columns={"scenario": "run"})
        run = df["run"].to_numpy()
        df.insert(0, "scenario", pd.Categorical.from_codes(
            np.array([self.names.index(r.scenario) for r in self.runs])[run], categories=pd.Index(self.names)))
        df.insert(1, "point", np.array([r.point for r in self.runs])[run])
        df.insert(2, "draw", np.array([r.draw for r in self.runs])[run])
        return df

    def write(self, path: str | Path, inputs: tuple[str, ...] = ()) -> Path:
        from ._results import write_table

        b = self.batch
        return write_table(self.to_frame, path, inputs, (b.values.size + b.metric_values.size, 9))


def _not_a_rate(rate: str, batch: BatchResults) -> Diagnostic:
    """Why `rate` cannot be followed over time: a metric, an array, or not recorded."""
    key = canonical(rate)
    if any(m.id == key for m in batch.metrics):
        return error("E061", f"`{rate}` is a metric, one number a run; savings are found by following a rate "
                     "over time", None, "give the flow or auxiliary the metric adds up, e.g. the cost rate")
    elements = [batch.variables[i].name for i in array_elements(batch.variables, key)]
    if elements:
        return error("E061", f"`{rate}` is an array; savings are found on one rate", None,
                     f"name one element, e.g. `{elements[0]}`, or an aux that sums them")
    return error("E061", f"`{rate}` was not recorded in these runs", None,
                 "give a flow or auxiliary, e.g. the cost rate")
