"""The Python API: load a spec, check it, run it once or as a batch.

    >>> import stockflow
    >>> m = stockflow.load("specs/girfec/girfec.sfm")
    >>> r = m.run(params={"intervention_scale": 0})
    >>> r.metric("total_cost")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ._inputs import ModelInputs, _column_length, _is_frame, _rows
from ._outputs import ModelOutputs
from .compiler.base.diagnostics import Diagnostic, RunError, SpecError, error, unknown_name
from .compiler.base.names import a_noun, canonical
from .compiler.base.registry import resolve_spec_path
from .compiler.ir import ast as A
from .compiler.ir.model import CheckedModel
from .compiler.pipeline import compile_spec, diagnose, load_spec, parse_text, read_source
from .numbers import time_words
from .runtime import BatchResults, Plan, Results, ScenarioResults, plan
from .runtime._batch import check_size, chunk_runs, run_chunked, with_progress
from .runtime._scenario_inputs import encode, structure

__all__ = ["load", "load_text", "check", "connect", "Model", "Results", "BatchResults", "ScenarioResults",
           "SpecError", "RunError"]



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
    """Every error and warning for a spec file, without raising (a calibration file:
    `stockflow.calibrate.check_calibration`)."""
    return diagnose(resolve_spec_path(path))[0]


def connect(address: str = "local") -> Any:
    """A Dask client for `client=` (run_batch, run_scenarios, calibrate): "local" starts
    worker processes here (one per core; "local:N" for N), anything else is the address of a
    running scheduler (tcp://HOST:8786). Close it when done, or use it in a `with` block."""
    from .runtime._distributed import connect as _connect

    return _connect(address)


def _check_backend(backend: str) -> None:
    if backend not in ("auto", "jax", "numpy"):
        raise RunError([error("E053", f"backend {backend!r} is not one of auto, jax, numpy", None,
                              "leave it at auto unless measuring one path")])


class Model(ModelInputs, ModelOutputs):
    def __init__(self, checked: CheckedModel, path: str | None = None, spec: A.Spec | None = None,
                 inputs: tuple[str, ...] = ()):
        self.checked = checked
        self.path = path
        self.inputs = inputs  # every file read to build it (the spec and its bases): outputs never replace them
        self.spec = spec  # as merged with its bases; `spec.origins` holds each name's history
        self._sims: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}
        self._numpy: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}  # small runs and batches
        self._numpy_runs = 0
        self.last_backend = ""  # which path the latest `run` took: "numpy" or "jax"
        self.last_devices: tuple[str, ...] = ()  # the devices a batch on a cluster ran on
        g = checked.graph
        self._params = {p.id: p for p in g.params}
        self._stock_ids = [s.id for s in g.stocks]
        self._user_stocks = {s.id: s for s in g.stocks if not s.hidden}

    @property
    def name(self) -> str:
        return self.checked.graph.info.name

    def __repr__(self) -> str:
        g = self.checked.graph
        t = g.time

        def count(n: int, noun: str) -> str:
            return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

        parts = [count(len(self._user_stocks), "stock"), count(len(g.flows), "flow"),
                 count(len(g.params), "parameter"), count(len(g.metrics), "metric"),
                 count(len(self.scenarios), "scenario")]
        return (f"<Model {self.name}: {', '.join(parts)}; {t.start:g} to {t.stop:g} {time_words(t.unit)[1]}, "
                f"{t.method.value} dt {t.dt:g}>")

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
        g = self.checked.graph
        fixed = any(s.origin is not None and s.origin.function == "delay_fixed" for s in g.stocks)
        if fixed and ((method is not None and method != "euler") or (dt is not None and dt != g.time.dt)):
            raise RunError([error("E050", "this model's delay_fixed (XMILE DELAY) is exact only with Euler at the "
                                  f"spec's dt ({g.time.dt:g}), for which its stages were built", None,
                                  "run without --method/--dt, or change the spec's time settings")])
        return plan(g.time, method, dt, save_step)

    def simulator(self, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> Any:
        """The compiled runner; one per set of flows scaled and parameters changed over time by
        scenarios (a structural choice: values never re-compile)."""
        sim = self._sims.get((scaled, timed))
        if sim is None:
            from .runtime._simulate import Simulator

            sim = self._sims[(scaled, timed)] = Simulator(self.checked, scaled, timed)
        return sim

    def _batch_runner(self, scaled: tuple[str, ...], timed: tuple[str, ...], p: Plan, runs: int,
                      backend: str = "auto") -> Any:
        """JAX's compiled runner, or NumPy's (`_batch_backend`)."""
        backend = self._batch_backend((scaled, timed), p, runs, backend)
        return self.simulator(scaled, timed) if backend == "jax" else self._numpy_simulator(scaled, timed)

    def _batch_backend(self, structure: tuple[tuple[str, ...], tuple[str, ...]], p: Plan, runs: int,
                       backend: str) -> str:
        """"jax", or "numpy" for a batch small enough that computing it on NumPy takes less than
        JAX's import, trace and compile would (runtime._numpy_run.choose_batch)."""
        from .runtime._numpy_run import choose_batch

        _check_backend(backend)
        if backend == "auto":
            backend = choose_batch(self.checked, p, runs, structure in self._sims)
        self.last_backend = backend
        return backend

    def _numpy_simulator(self, scaled: tuple[str, ...] = (), timed: tuple[str, ...] = ()) -> Any:
        """The NumPy runner for one structure, as `simulator` is JAX's (runtime._numpy_run)."""
        sim = self._numpy.get((scaled, timed))
        if sim is None:
            from .runtime._numpy_run import NumpySimulator

            sim = self._numpy[(scaled, timed)] = NumpySimulator(self.checked, scaled, timed)
        return sim

    def stock_decl(self, name: str) -> Any:
        """The graph's stock named `name` (E061 with "did you mean" if there is none)."""
        found = self._user_stocks.get(canonical(name))
        if found is None:
            shown = [v for v in self.variables() if not v.hidden]
            others = {v.id: f"`{v.name}` is {a_noun(v.kind)}, not a stock" for v in shown}
            for v in reversed([v for v in shown if v.array and v.kind == "stock"]):  # the first element named
                others[v.array.lower()] = f"`{v.array}` is an array: name one element, e.g. `{v.name}`"
            raise unknown_name(name, f"a stock of {self.name}", self.stocks, None, others, self.checked.graph.arrays)
        return found

    @property
    def scenarios(self) -> list[str]:
        return [sc.display for sc in self.checked.graph.scenarios]

    def run_scenarios(self, names: Sequence[str] | None = None, method: str | None = None,
                      dt: float | None = None, save_step: float | None = None,
                      outputs: Sequence[str] | None = None, check_finite: bool = True,
                      backend: str = "auto", client: Any = None) -> ScenarioResults:
        """Run scenarios (default: all) and the baseline together, in one vmapped call (or, for
        a small batch, one call on NumPy: `backend` as in `run`). With a Dask `client`
        (`stockflow.connect`), the runs go to its workers in chunks, as in `run_batch`.

        The baseline is the scenario named `baseline` if the spec declares one, otherwise the
        model as written."""
        from .compiler.ir.scenarios import BASELINE, as_written

        declared = {sc.id: sc for sc in self.checked.graph.scenarios}
        if isinstance(names, str):  # one scenario by name, not a sequence of letters
            names = [names]
        wanted = list(declared) if names is None else []
        for name in names or ():
            if canonical(name) == BASELINE:  # always run; naming it, as the tables do, is no error
                continue
            if canonical(name) not in declared:
                raise unknown_name(name, f"a scenario of {self.name}", self.scenarios,
                                   None if self.scenarios else "the spec declares no scenarios")
            wanted.append(canonical(name))
        base = declared.get(BASELINE) or as_written()
        chosen = [base] + [declared[k] for k in wanted if k != BASELINE]
        scaled, timed = structure(chosen)
        p = self.plan(method, dt, save_step)
        params, override, mask, runs = encode(chosen, p, self.param_vector, self.initial_vectors,
                                              param_ids=frozenset(x.id for x in self.checked.graph.params))
        keep = self.output_ids(outputs)
        self._check_size(p, keep, len(runs))
        traj, metrics, drift = self._run_many((scaled, timed), p, backend, (params, override, mask), keep, client)
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
            outputs: Sequence[str] | None = None, check_finite: bool = True, backend: str = "auto") -> Results:
        """One run. `params` and `initial` override values by name; `outputs` picks the variables
        to record (default: every stock, flow and auxiliary the spec declares). `backend` is
        "jax", "numpy", or "auto": NumPy for the first few small runs of a model in a process
        (no JAX import, no trace), JAX once it is compiled or the run is large. Both give the
        same numbers; `last_backend` says which ran."""
        _check_backend(backend)
        p = self.plan(method, dt, save_step)
        vec = self.param_vector(params)
        override, mask = self.initial_vectors(initial)
        keep = self.output_ids(outputs)
        self._check_size(p, keep, 1)
        if backend == "auto":
            from .runtime._numpy_run import choose

            backend = choose(self.checked, p, self._numpy_runs, ((), ()) in self._sims)
        if backend == "numpy":
            self._numpy_runs += 1
        sim = self._numpy_simulator() if backend == "numpy" else self.simulator()
        traj, metrics, drift = sim.run(p, vec, override, mask, keep)
        self.last_backend = backend
        res = replace(self._results(p, keep, traj, metrics, drift),
                      params={pid: float(v) for pid, v in zip(self._params, vec, strict=True)})
        if check_finite:
            self._check_finite(res, traj, metrics, None)
        return res

    def run_batch(self, params: Sequence[Mapping[str, float]] | Mapping[str, Sequence[float]],
                  initial: Sequence[Mapping[str, float]] | None = None, method: str | None = None,
                  dt: float | None = None, save_step: float | None = None,
                  outputs: Sequence[str] | None = None, check_finite: bool = True,
                  backend: str = "auto", client: Any = None) -> BatchResults:
        """Many runs in one vmapped call: a list of overrides, or columns of values by name
        (`backend` as in `run`).

        With a Dask `client` (`stockflow.connect("local")`, or a `distributed.Client` of any
        cluster), the runs go to its workers in chunks, each run there as it would run here:
        the results are bit-identical, in the same order, and a chunk whose worker dies is run
        again elsewhere. `last_devices` says what ran them."""
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
        traj, metrics, drift = self._run_many(((), ()), p, backend, (vecs, override, mask), keep, client)
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
        out = []
        if any(x.under is None for x in g.expectations):
            same = self._as_written_in(scenarios)
            out = self.expectations(self.run() if same is None else same)
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

    def _as_written_in(self, scenarios: ScenarioResults | None) -> Results | None:
        """A run among `scenarios` that is the model as written (the baseline when the spec
        declares none, or a scenario that changes nothing: it sets parameters to the values
        they have), run over the default plan with every output; else None. Its numbers are
        those of `run()` to rounding: a batch that also scales flows multiplies them by 1."""
        from .compiler.ir.scenarios import BASELINE

        if scenarios is None:
            return None
        g = self.checked.graph
        values = {x.id: x.value for x in g.params}
        same = [sc.display for sc in g.scenarios if not (sc.initial or sc.scales or sc.sweeps or sc.samples
                                                         or sc.timed or sc.from_fit)
                and all(values.get(k) == v for k, v in sc.params)]
        if not any(sc.id == BASELINE for sc in g.scenarios):
            same.insert(0, scenarios.baseline)
        p = self.plan()
        for name in same:
            for i in scenarios.indices(name) if name in scenarios.names else ():
                run = scenarios.run(i)
                if scenarios.method is p.method and np.array_equal(run.times, p.save_times()) and \
                        [v.id for v in run.variables] == list(self.output_ids(None)):
                    return run
        return None

    def _run_many(self, structure: tuple[tuple[str, ...], tuple[str, ...]], p: Plan, backend: str,
                  inputs: tuple[np.ndarray, np.ndarray, np.ndarray], keep: tuple[str, ...],
                  client: Any) -> tuple[np.ndarray, ...]:
        """A batch here, or on a Dask cluster: there each worker runs a chunk on the backend this
        process would have chosen for the whole batch, so the numbers are the same."""
        runs = inputs[0].shape[0]
        self.last_devices = ()
        if client is None:
            return self._run_batch(self._batch_runner(*structure, p, runs, backend), p, *inputs, keep)
        from .runtime._distributed import chunk_size, run_on, workers

        backend = self._batch_backend(structure, p, runs, backend)
        chunk = chunk_size(runs, self._chunk(p, keep), workers(client))
        out, self.last_devices = with_progress(runs, chunk, lambda bar: run_on(
            client, self.checked, structure, backend, p, inputs, keep, chunk, bar))
        return out

    def _run_batch(self, sim: Any, p: Plan, params: np.ndarray, override: np.ndarray, mask: np.ndarray,
                   keep: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        return run_chunked(sim, p, params, override, mask, keep, self._chunk(p, keep))

    def _chunk(self, p: Plan, keep: tuple[str, ...]) -> int:
        """Runs in one chunk of a batch, within its bound on working memory."""
        return chunk_runs(p, self._stock_ids, len(self.checked.graph.groups), len(self._params), keep)

    def _check_size(self, p: Plan, keep: tuple[str, ...], runs: int) -> None:
        g = self.checked.graph
        check_size(p, len(self._stock_ids) + len(g.groups), len(keep), len(g.metrics), runs, g.time.span)
