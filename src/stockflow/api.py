"""The Python API: load a spec, check it, run it once or as a batch.

    >>> import stockflow
    >>> m = stockflow.load("specs/girfec/girfec.sfm")
    >>> r = m.run(params={"intervention_scale": 0})
    >>> r.metric("total_cost")
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .compiler.base.diagnostics import Diagnostic, RunError, SpecError, error, unknown_name, warning
from .compiler.base.registry import resolve_spec_path
from .compiler.ir import ast as A
from .compiler.ir import graph as G
from .compiler.ir.model import CheckedModel
from .compiler.ir.text import unit_text
from .compiler.pipeline import compile_spec, diagnose, load_spec, parse_text, read_source
from .runtime import BatchResults, Plan, Results, VarInfo, plan

__all__ = ["load", "load_text", "check", "Model", "Results", "BatchResults", "ScenarioResults", "SpecError",
           "RunError"]


MAX_RESULT_BYTES = 2_000_000_000
CHUNK_BYTES = 256_000_000  # working memory of one chunk of a large batch
# Beyond this, a step's working set leaves the CPU's caches: GIRFEC ran 19k scenarios a
# second in chunks of 8,192 and 10k in chunks of 32,768 (benchmarks/bench_million.py).
CHUNK_RUNS = 8192


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

    def __init__(self, names: tuple[str, ...], runs: tuple[RunInfo, ...], batch: BatchResults, method: A.Method = A.Method.EULER,
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

        groups: dict[tuple[str, int], list[int]] = {}
        for i, r in enumerate(self.runs):
            groups.setdefault((r.scenario, r.point), []).append(i)
        lo_q, mid_q, hi_q = percentiles
        rows = []
        for j, m in enumerate(self.batch.metrics):
            base = float(np.percentile(self.batch.metric_values[groups[(self.baseline, 0)], j], mid_q))
            for (name, _), idx in groups.items():
                v = self.batch.metric_values[idx, j]
                swept = ", ".join(f"{k}={x:g}" for k, x in self.runs[idx[0]].swept)
                mid = float(np.percentile(v, mid_q))
                rows.append({"scenario": name, "point": swept, "runs": len(idx), "metric": m.name, "units": m.units,
                             "value": mid, f"p{lo_q:g}": float(np.percentile(v, lo_q)),
                             f"p{hi_q:g}": float(np.percentile(v, hi_q)), "difference": mid - base,
                             "relative": (mid - base) / abs(base) if base else float("nan")})
        columns = ["scenario", "point", "runs", "metric", "units", "value", f"p{lo_q:g}", f"p{hi_q:g}",
                   "difference", "relative"]
        return pd.DataFrame(rows, columns=columns)  # named columns even for a model with no metrics

    def break_even(self, rate: str) -> Any:
        """When each run's cumulative `rate` (e.g. cost per year) falls below the baseline's for
        good: the first time after which it stays at or below, or NaN if it never does in the
        horizon. A stock is taken as already cumulative; anything else is integrated from the
        recorded trajectory as the run did: left-point sums after Euler (exact when every step
        is recorded), trapezoids after RK4.

        Returns one row per scenario and grid point: the median break-even time over the runs
        that break even, and the share of runs that do."""
        import pandas as pd

        try:
            series = self.batch[rate]
        except KeyError:
            raise RunError([error("E061", f"`{rate}` was not recorded in these runs", None,
                                  "give a flow or auxiliary, e.g. the cost rate")]) from None
        t = self.batch.times
        kind = next(v.kind for v in self.batch.variables if v.id == rate.lower())
        if kind == "stock":
            cumulative = series
        else:
            step = series[:, :-1] if self.method is A.Method.EULER else (series[:, 1:] + series[:, :-1]) / 2
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
            rows.append({"scenario": name, "point": ", ".join(f"{k}={x:g}" for k, x in self.runs[idx[0]].swept),
                         "runs": len(idx), "break_even": float(np.median(found)) if found.size else float("nan"),
                         "share": found.size / len(idx)})
        return pd.DataFrame(rows)

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
        from .runtime import write_table

        b = self.batch
        return write_table(self.to_frame, path, inputs, (b.values.size + b.metric_values.size, 9))


def load(path: str | Path) -> Model:
    """Read, parse and check a spec file (`.yaml` or `.sfm`), or a bundled `stockflow:NAME`."""
    src = read_source(resolve_spec_path(path))
    sources: dict[str, str] = {src.path: src.text}
    spec = load_spec(src, sources)
    return Model(compile_spec(spec), src.path, spec, tuple(sources))


def load_text(text: str, form: str = "dsl", name: str = "<spec>") -> Model:
    """Compile spec text given directly; `form` is "dsl" or "yaml"."""
    spec = parse_text(text, name, form)
    return Model(compile_spec(spec), name, spec)


def check(path: str | Path) -> list[Diagnostic]:
    """Every error and warning for a spec file, without raising."""
    return diagnose(resolve_spec_path(path))[0]


class Model:
    """A checked model. Runs compile once per (method, dt, save step); values never re-compile."""

    def __init__(self, checked: CheckedModel, path: str | None = None, spec: A.Spec | None = None,
                 inputs: tuple[str, ...] = ()):
        self.checked = checked
        self.path = path
        self.inputs = inputs  # every file read to build it (the spec and its bases): outputs never replace them
        self.spec = spec  # as merged with its bases; `spec.origins` holds each name's history
        self._sims: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}
        g = checked.graph
        self._params = {p.id: p for p in g.params}
        self._stock_ids = [s.id for s in g.stocks]
        self._user_stocks = {s.id: s for s in g.stocks if not s.hidden}

    # ---------------------------------------------------------------- facts
    @property
    def name(self) -> str:
        return self.checked.graph.info.name

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.checked.diagnostics

    @property
    def parameters(self) -> dict[str, float]:
        return {p.display: p.value for p in self.checked.graph.params}

    @property
    def stocks(self) -> list[str]:
        return [s.display for s in self._user_stocks.values()]

    def plan(self, method: str | None = None, dt: float | None = None, save_step: float | None = None) -> Plan:
        return plan(self.checked.graph.time, method, dt, save_step)

    # ---------------------------------------------------------------- inputs
    def param_vector(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        vec = np.array([p.value for p in self.checked.graph.params], dtype=np.float64)
        index = {pid: i for i, pid in enumerate(self._params)}
        for name, value in (overrides or {}).items():
            pid = self._param_id(name)
            p = self._params[pid]
            v = float(value)
            _check_bounds(p, np.array([v]))
            vec[index[pid]] = v
        return vec

    def _param_matrix(self, columns: Mapping[str, Sequence[float]], n: int) -> np.ndarray:
        """One parameter vector per row, from columns of values (vectorised: N may be large)."""
        out = np.tile(self.param_vector(), (n, 1))
        index = {pid: i for i, pid in enumerate(self._params)}
        for name, values in columns.items():
            pid = self._param_id(name)
            p = self._params[pid]
            v = np.atleast_1d(np.asarray(values, dtype=np.float64))
            _check_bounds(p, v)
            out[:, index[pid]] = v
        return out

    def _param_id(self, name: str) -> str:
        pid = name.lower()
        if pid not in self._params:
            stocks = {s.id: f"`{s.display}` is a stock: give its initial value with `--initial {s.display}=VALUE` "
                      f"(Python: `initial={{'{s.display}': VALUE}}`)" for s in self._user_stocks.values()}
            others = {v.id: f"`{v.name}` is a {v.kind}, computed by its equation: change the parameters it uses, "
                      "or its equation with `set` in a spec that extends this one"
                      for v in self.variables() if v.kind != "stock" and not v.hidden}
            raise unknown_name(name, f"a parameter of {self.name}", [p.display for p in self._params.values()],
                               "see Model.parameters", {**others, **stocks})
        return pid

    def initial_vectors(self, initial: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        n = len(self._stock_ids) + len(self.checked.graph.groups)
        override = np.zeros(n)
        mask = np.zeros(n, dtype=bool)
        index = {s: i for i, s in enumerate(self._stock_ids)}
        for name, value in (initial or {}).items():
            sid = name.lower()
            if sid not in self._user_stocks:
                params = {p.id: f"`{p.display}` is a parameter: set it with `--set {p.display}=VALUE` "
                          f"(Python: `params={{'{p.display}': VALUE}}`)" for p in self._params.values()}
                raise unknown_name(name, f"a stock of {self.name}", self.stocks, "see Model.stocks", params)
            override[index[sid]] = float(value)
            mask[index[sid]] = True
        return override, mask

    # ---------------------------------------------------------------- running
    def simulator(self, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> Any:
        """The compiled runner; one per set of flows scaled and parameters changed over time by
        scenarios (a structural choice: values never re-compile)."""
        sim = self._sims.get((scaled, timed))
        if sim is None:
            from .runtime._simulate import Simulator

            sim = self._sims[(scaled, timed)] = Simulator(self.checked, scaled, timed)
        return sim

    # ---------------------------------------------------------------- scenarios
    def stock_decl(self, name: str) -> Any:
        """The graph's stock named `name` (E061 with "did you mean" if there is none)."""
        found = self._user_stocks.get(name.lower())
        if found is None:
            others = {v.id: f"`{v.name}` is a {v.kind}, not a stock" for v in self.variables() if not v.hidden}
            raise unknown_name(name, f"a stock of {self.name}", self.stocks, None, others)
        return found

    @property
    def scenarios(self) -> list[str]:
        return [sc.display for sc in self.checked.graph.scenarios]

    def run_scenarios(self, names: Sequence[str] | None = None, method: str | None = None,
                      dt: float | None = None, save_step: float | None = None,
                      outputs: Sequence[str] | None = None, check_finite: bool = True) -> ScenarioResults:
        """Run scenarios (default: all) and the baseline together, in one vmapped call.

        The baseline is the scenario named `baseline` if the spec declares one, otherwise the
        model as written."""
        from .compiler.ir.scenarios import BASELINE, Scenario
        from .runtime._sampling import draw

        declared = {sc.id: sc for sc in self.checked.graph.scenarios}
        if isinstance(names, str):  # one scenario by name, not a sequence of letters
            names = [names]
        wanted = list(declared) if names is None else []
        for name in names or ():
            if name.lower() not in declared:
                raise unknown_name(name, f"a scenario of {self.name}", self.scenarios,
                                   None if self.scenarios else "the spec declares no scenarios")
            wanted.append(name.lower())
        base = declared.get(BASELINE) or Scenario(BASELINE, BASELINE, "the model as written", (), (), (), A.Doc())
        chosen = [base] + [declared[k] for k in wanted if k != BASELINE]
        scaled = tuple(sorted({x.flow for sc in chosen for x in sc.scales}))
        timed = tuple(sorted({x.param for sc in chosen for x in sc.timed}))
        p = self.plan(method, dt, save_step)
        never = 1e300
        params, inits, runs = [], [], []
        for sc in chosen:
            extra = {x.flow: x for x in sc.scales}
            cols = []
            for f in scaled:  # factor, start, fully ramped in, end
                x = extra.get(f)
                start = p.start - 1.0 if x is None or x.start is None else x.start
                ramped = start + (x.over or 0.0) if x is not None else start
                until = x.until if x is not None and x.until is not None else never
                cols += [x.factor if x is not None else 1.0, start, ramped, until]
            changes = {c.param: c for c in sc.timed}
            for name in timed:  # new value, start, fully ramped in, end; never, without a change
                c = changes.get(name)
                if c is None:
                    cols += [0.0, never, never, never]
                else:
                    cols += [c.value, c.start, c.start + (c.over or 0.0), c.until if c.until is not None else never]
            init = self.initial_vectors(dict(sc.initial))
            drawn = draw(sc.samples, sc.draws, sc.seed, sc.latin_hypercube)  # the same draws at every grid point
            grid = list(itertools.product(*[values for _, values in sc.sweeps]))
            for point, swept in enumerate(grid):
                for d in range(sc.draws):
                    on_grid = tuple((name, v) for (name, _), v in zip(sc.sweeps, swept, strict=True))
                    sampled = tuple((x.param, float(drawn[d, j])) for j, x in enumerate(sc.samples))
                    vec = self.param_vector({**dict(sc.params), **dict(on_grid), **dict(sampled)})
                    params.append(np.concatenate([vec, np.asarray(cols, dtype=np.float64)]))
                    inits.append(init)
                    runs.append(RunInfo(sc.display, point, d, on_grid, sampled))
        keep = self.output_ids(outputs)
        self._check_size(p, keep, len(runs))
        traj, metrics, drift = self._run_batch(self.simulator(scaled, timed), p, np.stack(params),
                                               np.stack([o for o, _ in inits]), np.stack([m for _, m in inits]), keep)
        one = self._results(p, keep, traj[0], metrics[0], drift.max(axis=0))
        if check_finite and not (np.isfinite(traj).all() and np.isfinite(metrics).all()):
            for i, r in enumerate(runs):
                try:
                    self._check_finite(one, traj[i], metrics[i], None)
                except RunError as exc:
                    d0 = exc.diagnostics[0]
                    where = f" in scenario `{r.scenario}`" + (f" (run {i}: {dict(r.values)})" if r.values else "")
                    raise RunError([error(d0.code, d0.message + where, d0.span, d0.hint)]) from None
        batch = BatchResults(one.times, one.variables, traj, one.metrics, metrics, one.conservation)
        ids = list(dict.fromkeys(m for sc in chosen for m in sc.report))
        shown = tuple(m.display for m in self.checked.graph.metrics if m.id in ids)
        return ScenarioResults(tuple(sc.display for sc in chosen), tuple(runs), batch, p.method, shown)

    def run(self, params: Mapping[str, float] | None = None, initial: Mapping[str, float] | None = None,
            method: str | None = None, dt: float | None = None, save_step: float | None = None,
            outputs: Sequence[str] | None = None, check_finite: bool = True) -> Results:
        """One run. `params` and `initial` override values by name; `outputs` picks the variables
        to record (default: every stock, flow and auxiliary the spec declares)."""
        p = self.plan(method, dt, save_step)
        vec = self.param_vector(params)
        override, mask = self.initial_vectors(initial)
        keep = self.output_ids(outputs)
        self._check_size(p, keep, 1)
        traj, metrics, drift = self.simulator().run(p, vec, override, mask, keep)
        res = replace(self._results(p, keep, traj, metrics, drift),
                      params={pid: float(v) for pid, v in zip(self._params, vec, strict=True)})
        if check_finite:
            self._check_finite(res, traj, metrics, None)
        return res

    def run_batch(self, params: Sequence[Mapping[str, float]] | Mapping[str, Sequence[float]],
                  initial: Sequence[Mapping[str, float]] | None = None, method: str | None = None,
                  dt: float | None = None, save_step: float | None = None,
                  outputs: Sequence[str] | None = None, check_finite: bool = True) -> BatchResults:
        """Many runs in one vmapped call: a list of overrides, or columns of values by name."""
        if _is_frame(params):  # a pandas DataFrame: one row per run, one column per parameter
            params = {str(c): params[c].to_numpy(dtype=np.float64) for c in params.columns}  # type: ignore[union-attr]
        if isinstance(params, Mapping):  # columns: built as arrays, as N may be in the millions
            n = _column_length(params)
            vecs = self._param_matrix(params, n)
        else:
            rows = _rows(params)
            n = len(rows)
            vecs = np.stack([self.param_vector(r) for r in rows])
        if initial is not None and len(initial) != n:
            raise RunError([error("E061", f"{len(initial)} initial-value sets for {n} parameter sets",
                                  None, "give one initial-value mapping per parameter set")])
        p = self.plan(method, dt, save_step)
        if initial is None:
            o, m = self.initial_vectors(None)
            override, mask = np.zeros((n, o.size)), np.zeros((n, m.size), dtype=bool)
        else:
            inits = [self.initial_vectors(x) for x in initial]
            override = np.stack([o for o, _ in inits])
            mask = np.stack([m for _, m in inits])
        keep = self.output_ids(outputs)
        self._check_size(p, keep, n)
        traj, metrics, drift = self._run_batch(self.simulator(), p, vecs, override, mask, keep)
        one = self._results(p, keep, traj[0], metrics[0], drift.max(axis=0))
        if check_finite:
            self._check_finite_batch(one, traj, metrics)
        return BatchResults(one.times, one.variables, traj, one.metrics, metrics, one.conservation)

    def expectations(self, res: Results, params: Mapping[str, float] | None = None) -> list[Diagnostic]:
        """The spec's reality checks against a run's results: one E062 per failure."""
        from .compiler.analysis.expect import check_expectations

        vec = self.param_vector(params)
        trajectories = {v.id: res.values[:, i] for i, v in enumerate(res.variables)}
        metrics = {m.id: float(res.metric_values[i]) for i, m in enumerate(res.metrics)}
        values = {p.id: float(v) for p, v in zip(self.checked.graph.params, vec, strict=True)}
        return check_expectations(self.checked, res.times, trajectories, metrics, values,
                                  self.checked.graph.time.unit)

    def check_expectations(self, scenarios: ScenarioResults | None = None) -> list[Diagnostic]:
        """Run the model (and the scenarios that expectations name) and test every expectation.
        Scenario results already at hand are used instead of running those scenarios again."""
        from .compiler.analysis.expect import check_expectations

        g = self.checked.graph
        out = self.expectations(self.run()) if any(x.under is None for x in g.expectations) else []
        unders = sorted({x.under for x in g.expectations if x.under is not None})
        if not unders:
            return out
        displays = {sc.id: sc.display for sc in g.scenarios}
        wanted = [u for u in unders if u != "baseline"]
        have = scenarios is not None and all(scenarios.indices(displays[u]) for u in wanted)
        res = scenarios if have else self.run_scenarios(wanted)
        assert res is not None
        base_metrics = {m.id: float(v) for m, v in zip(res.batch.metrics, res.batch.metric_values[0], strict=True)}
        displays["baseline"] = res.baseline
        for under in unders:
            for i in res.indices(displays[under]):
                run = res.run(i)
                values = {p.id: float(v) for p, v in zip(g.params, self.param_vector(dict(res.runs[i].values)),
                                                         strict=True)}
                label = f" (run {i}: {dict(res.runs[i].values)})" if res.runs[i].values else ""
                found = check_expectations(
                    self.checked, run.times, {v.id: run.values[:, k] for k, v in enumerate(run.variables)},
                    {m.id: float(run.metric_values[k]) for k, m in enumerate(run.metrics)}, values,
                    g.time.unit, under, base_metrics, label)
                out += found
                if found:
                    break  # the first failing run of a scenario is enough to show
        return out

    def _chunk(self, p: Plan, keep: tuple[str, ...]) -> int:
        """Runs per chunk of a batch: as many as fit CHUNK_BYTES of recorded rows, outputs and
        loop state. It depends on the model and the outputs only, never on how many runs there
        are. A run records the stocks asked for, or its whole state if outputs other than
        stocks must be recomputed from it."""
        from .runtime._loop import recorded_columns

        n_state = len(self._stock_ids) + len(self.checked.graph.groups)
        cols = recorded_columns({s: i for i, s in enumerate(self._stock_ids)}, keep)
        recorded = n_state if cols is None else len(cols)
        per_run = 8 * (p.n_saves * (recorded + len(keep)) + 64 * n_state + len(self._params))
        return max(1, min(CHUNK_RUNS, CHUNK_BYTES // per_run))

    def _run_batch(self, sim: Any, p: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
                   keep: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """A batch in chunks, with a progress bar on a terminal (quiet in CI or when piped)."""
        import os
        import sys

        chunk = self._chunk(p, keep)
        n = params.shape[0]
        show = n > chunk and sys.stderr.isatty() and not os.environ.get("CI")
        if not show:
            return sim.run(p, params, override, mask, keep, chunk)
        import click

        with click.progressbar(length=n, label=f"{n} runs", file=sys.stderr) as bar:
            return sim.run(p, params, override, mask, keep, chunk, bar.update)

    def _check_size(self, p: Plan, keep: tuple[str, ...], runs: int) -> None:
        """Refuse runs whose results would not fit in memory (E006); working memory is bounded
        by running large batches in chunks."""
        n_state = len(self._stock_ids) + len(self.checked.graph.groups)
        kept = (p.n_saves * len(keep) + len(self.checked.graph.metrics)) * 8 * runs
        one_run = p.n_saves * (n_state + len(keep)) * 8  # a chunk holds at least one run's states
        need = max(kept, one_run)
        if need > MAX_RESULT_BYTES:
            raise RunError([error("E006", f"this run would keep {need / 1e9:.1f} GB of results; the limit is "
                                  f"{MAX_RESULT_BYTES / 1e9:.0f} GB", self.checked.graph.time.span,
                                  "record less often (`save` in the time settings), fewer outputs "
                                  "(`outputs=`), or fewer runs per batch")])

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
        for name in outputs:
            if name.lower() not in known:
                raise unknown_name(name, f"a stock, flow or auxiliary of {self.name}",
                                   [v.name for v in self.variables() if not v.hidden], None, {**params, **metrics})
            ids.append(name.lower())
        return tuple(ids)

    # ---------------------------------------------------------------- results
    def variables(self) -> tuple[VarInfo, ...]:
        """Every stock, flow and aux with its display name, kind and units."""
        return self._variables

    @cached_property
    def _variables(self) -> tuple[VarInfo, ...]:
        g = self.checked.graph
        kinds = {s.id: "stock" for s in g.stocks} | {f.id: "flow" for f in g.flows} | {a.id: "aux" for a in g.auxes}
        hidden = {s.id for s in g.stocks if s.hidden} | {a.id for a in g.auxes if a.hidden}
        declared: list[G.Stock | G.Flow | G.Aux] = [*g.stocks, *g.flows, *g.auxes]
        decls = {v.id: v for v in declared}
        lay_outputs = tuple(s.id for s in g.stocks) + tuple(g.order)
        return tuple(VarInfo(n, decls[n].display, kinds[n], self.unit_text(n, decls[n].units), n in hidden)
                     for n in lay_outputs)

    def metric_infos(self) -> tuple[VarInfo, ...]:
        return self._metric_infos

    @cached_property
    def _metric_infos(self) -> tuple[VarInfo, ...]:
        return tuple(VarInfo(m.id, m.display, "metric", self.unit_text(m.id, m.units), False)
                     for m in self.checked.graph.metrics)

    def unit_text(self, vid: str, declared: Any) -> str:
        """Units as the spec wrote them, else as inferred; empty when unknown."""
        if declared is not None:
            return unit_text(declared)
        u = self.checked.units.get(vid)
        return self.checked.unitsys.show(u) if u is not None else ""

    def _results(self, p: Plan, keep: tuple[str, ...], traj: np.ndarray, metrics: np.ndarray,
                 drift_values: np.ndarray) -> Results:
        by_id = {v.id: v for v in self.variables()}
        variables = tuple(by_id[k] for k in keep)
        times = np.asarray(p.save_times())
        drift = {g.display: float(d) for g, d in zip(self.checked.graph.groups, drift_values, strict=True)}
        warns = tuple(
            warning("W104", f"the total of group `{name}` drifted by {d:.2e} (relative) from its stocks' "
                    "initial total plus net boundary flow", None,
                    "this points to a compiler bug or to non-finite values; please report it")
            for name, d in drift.items() if d > 1e-9)
        return Results(times, variables, traj, self.metric_infos(), metrics, drift, warns)

    def _check_finite_batch(self, one: Results, traj: np.ndarray, metrics: np.ndarray) -> None:
        """E060 for the first run of a batch with a NaN or infinity (one pass when all are finite)."""
        if np.isfinite(traj).all() and np.isfinite(metrics).all():
            return
        bad = ~(np.isfinite(traj).all(axis=tuple(range(1, traj.ndim))) & np.isfinite(metrics).all(axis=1))
        i = int(np.argmax(bad))
        self._check_finite(one, traj[i], metrics[i], i)

    def _check_finite(self, res: Results, traj: np.ndarray, metrics: np.ndarray, scenario: int | None) -> None:
        """E060 with the first variable (in evaluation order) and time at which NaN/inf appeared."""
        which = "" if scenario is None else f" in scenario {scenario}"
        hint = ("look for division by zero, overflow, or ln/sqrt of a negative value in this "
                "variable's equation; a smaller dt can help")
        bad = ~np.isfinite(traj)
        if bad.any():
            row = int(np.argmax(bad.any(axis=1)))
            col = int(np.argmax(bad[row]))
            v = res.variables[col]
            raise RunError([error("E060", f"`{v.name}` became {traj[row, col]} at time {res.times[row]:g}{which}",
                                  self._span(v.id), hint)])
        badm = ~np.isfinite(metrics)
        if badm.any():
            m = res.metrics[int(np.argmax(badm))]
            raise RunError([error("E060", f"metric `{m.name}` is {metrics[int(np.argmax(badm))]}{which}",
                                  self._span(m.id), hint)])

    def _span(self, vid: str) -> Any:
        g = self.checked.graph
        spanned: list[G.Stock | G.Flow | G.Aux | G.Metric] = [*g.stocks, *g.flows, *g.auxes, *g.metrics]
        for v in spanned:
            if v.id == vid:
                return v.span
        return None


def _is_frame(x: Any) -> bool:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def _column_length(params: Mapping[str, Sequence[float]]) -> int:
    sizes = {len(np.atleast_1d(np.asarray(v, dtype=np.float64))) for v in params.values()}
    if len(sizes) > 1:
        raise RunError([error("E061", f"parameter columns have different lengths: {sorted(sizes)}", None,
                              "give every parameter the same number of values")])
    return sizes.pop() if sizes else 1


def _check_bounds(p: Any, values: np.ndarray) -> None:
    """E051 for the first value outside the parameter's bounds (NaN is outside)."""
    if p.bounds is None:
        return
    out = ~((values >= p.bounds[0]) & (values <= p.bounds[1]))
    if out.any():
        raise RunError([error("E051", f"{p.display} = {float(values[out][0]):g} is outside its bounds "
                              f"[{p.bounds[0]:g}, {p.bounds[1]:g}]", p.span,
                              "choose a value within the bounds, or widen them in the spec")])


def _rows(params: Sequence[Mapping[str, float]]) -> list[Mapping[str, float]]:
    rows = list(params)
    if not rows:
        raise RunError([error("E061", "no parameter sets to run", None, "give at least one (it may be {})")])
    return rows
