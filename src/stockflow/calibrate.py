"""Calibration: fit a model's parameters to data, say how well each is determined, and what
the data cannot tell apart (`stockflow calibrate CAL.yaml`, `stockflow.calibrate(path)`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._solve import Estimate
from .compiler.base.diagnostics import Diagnostic, SpecError, error
from .compiler.base.hints import did_you_mean
from .compiler.base.names import canonical
from .compiler.ir.ast import Method
from .compiler.read.calibration import Calibration, read_calibration

NOMINAL_CV = 0.05  # the precision assumed for a series that is not observed yet


@dataclass(frozen=True)
class Fit:
    calibration: Calibration
    model: Any  # stockflow.Model
    estimates: tuple[Estimate, ...]
    correlation: Any  # pandas DataFrame, labelled by estimate; NaN where an estimate is not determined
    loss: float
    converged: bool
    message: str
    iterations: int
    evaluations: int
    grad_norm: float
    start_losses: tuple[float, ...]
    identifiability: Any  # runtime._ident.Identifiability
    series: tuple[Any, ...]  # runtime._data.Series
    predictions: tuple[np.ndarray, ...]
    notes: tuple[Diagnostic, ...]
    seconds: float
    problem: Any = None  # runtime._fit.Problem, for profiles
    z: Any = None  # the optimum in the optimiser's space
    decrement: float = 0.0  # how much further the loss could fall from the best point (Newton decrement)
    plan: Any = None  # the run plan the fit used

    def profile(self, name: str, points: int = 11, client: Any = None) -> list[tuple[float, float]]:
        """Profile likelihood: (value, loss - best loss) with `name` fixed at each value across
        twice its 95% interval (the estimate in the middle) and every other estimate re-fitted,
        each re-fit starting from its neighbour's, so the curve follows a ridge smoothly."""
        return self.profiles([name], points, client)[0]

    def profiles(self, names: list[str], points: int = 11, client: Any = None) -> list[list[tuple[float, float]]]:
        """The profile of each name, as `profile` gives it; with a Dask `client` each one is a
        task on its workers (the same curve, computed there)."""
        from .runtime._jax import x64
        from .runtime._profile import Profiler

        grids = [self._profile_grid(name, points) for name in names]
        if client is not None and self.problem.recipe is not None:
            from .runtime._distributed_fit import curves

            rises = curves(client, self.problem, self.z, self.loss, [(i, z) for i, _, z in grids])
        else:
            with x64():
                rises = [Profiler(self.problem, self.z, self.loss).curve(i, z) for i, _, z in grids]
        return [[(float(v), r) for v, r in zip(grid, rise, strict=True)]
                for (_, grid, _), rise in zip(grids, rises, strict=True)]

    def _profile_grid(self, name: str, points: int) -> tuple[int, np.ndarray, np.ndarray]:
        """The estimate's index, and the values (and their z) a profile of it visits."""
        i = next((k for k, e in enumerate(self.estimates) if canonical(e.name) == canonical(name)), None)
        if i is None:
            raise SpecError([error("E084", f"`{name}` was not estimated", None,
                                   did_you_mean(name, [e.name for e in self.estimates]) or "")])
        e, par = self.estimates[i], self.problem.params[i]
        if math.isfinite(e.low) and math.isfinite(e.high) and e.high > e.low:
            lo, hi = e.value - 2 * (e.value - e.low), e.value + 2 * (e.high - e.value)
        else:  # not determined: look a factor of 10 either way (or +-(|value| + 1))
            lo, hi = (e.value / 10, e.value * 10) if e.value > 0 else (e.value - abs(e.value) - 1,
                                                                          e.value + abs(e.value) + 1)
        lo = max(lo, par.lo + 1e-12 * abs(par.lo or 1)) if par.lo is not None else lo
        hi = min(hi, par.hi - 1e-12 * abs(par.hi or 1)) if par.hi is not None else hi
        half = max(points // 2, 1)  # the estimate itself is always one of the points
        grid = np.concatenate([np.linspace(lo, e.value, half + 1), np.linspace(e.value, hi, half + 1)[1:]])
        return i, grid, np.array([par.to_z(float(v)) for v in grid])

    def with_data(self, values: Any, starts: int | None = None, seed: int | None = None, client: Any = None) -> Fit:
        """The same calibration fitted to other observed values (one array per series, in the
        order of `series`): for simulation studies and bootstraps, without compiling again."""
        import time
        from dataclasses import replace

        from .runtime._jax import x64

        arrays = [np.asarray(v, dtype=np.float64).reshape(np.shape(s.values)) for v, s in zip(values, self.series,
                                                                                           strict=True)]
        series = tuple(replace(s, values=a) for s, a in zip(self.series, arrays, strict=True))
        prob = self.problem.with_values(np.concatenate(arrays), series)
        sd_start = _sd_starts(series)
        prob.params = tuple(replace(p, start=sd_start.get(p.name, p.start)) for p in prob.params)
        with x64():
            return _solve_fit(self.calibration, self.model, series, self.notes, prob, starts, seed, self.plan,
                              time.perf_counter(), client)

    def inputs(self) -> tuple[str, ...]:
        """Every file this fit read: the calibration, the model and its bases, the data."""
        return (self.calibration.file, *self.model.inputs, *(d.file for d in self.calibration.data))

    def params(self) -> dict[str, float]:
        return {e.name: e.value for e in self.estimates if not e.is_noise}

    def residuals(self) -> Any:
        import pandas as pd

        rows = []
        for s, mu in zip(self.series, self.predictions, strict=True):
            for t0, t1, y, m, where in zip(s.starts, s.ends, s.values, mu, s.rows, strict=True):
                rows.append({"series": s.obs.series, "variable": s.obs.target, "from": t0, "to": t1,
                             "observed": y, "fitted": float(m), "residual": y - float(m), "row": where})
        return pd.DataFrame(rows)

    def report(self) -> str:
        from .report_calibration import text_report

        return text_report(self)

    def posterior(self, draws: int = 1000, chains: int = 4, warmup: int | None = None, seed: int = 0) -> Any:
        """Posterior draws by NUTS on the same log-density (likelihood and the spec's priors), in
        `chains` chains started about the optimum; `.mixed` says whether R-hat and the effective
        sample sizes allow reading them (runtime._posterior.Posterior)."""
        try:
            from .runtime._posterior import sample
        except ImportError as exc:  # numpyro and arviz are an extra
            raise SpecError([error("E085", f"posterior sampling needs numpyro and arviz ({exc.name} is missing)",
                                   None, "pip install 'stockflow[bayes]'")]) from None
        jac = self.problem.dtheta_dz(self.z)
        sd = np.array([(e.high - e.low) / 4 / max(abs(j), 1e-12) if math.isfinite(e.high - e.low) else 1.0
                       for e, j in zip(self.estimates, jac, strict=True)])
        return sample(self.problem, np.asarray(self.z), np.minimum(sd, 1.0), draws,
                      draws if warmup is None else warmup, chains, seed)

    def laplace_draws(self, n: int = 1000, seed: int = 0) -> Any:
        """Draws of the model parameters from the Laplace approximation (a normal in the
        optimiser's space, so every draw respects its bounds), as a frame with columns chain,
        draw and one per parameter; None where Laplace is not to be trusted (an interval is a
        profile one, or a parameter is not determined): then use `posterior()`. Each
        parameter's spread is widened as its reported interval is (small samples with an
        estimated sd), so the draws' middle 95% is that interval."""
        import pandas as pd

        from .runtime._jax import x64
        from .runtime._laplace import covariance, judging_scale

        if any(e.interval != "Laplace" or not e.bounded for e in self.estimates if not e.is_noise):
            return None
        with x64():
            prob = self.problem
            theta, jac = prob.theta(self.z), prob.dtheta_dz(self.z)
            T = judging_scale(prob.params, theta, jac)
            cov_u, _ = covariance(np.asarray(prob.hessian(self.z), dtype=np.float64) * np.outer(T, T))
            cov_z = cov_u * np.outer(T, T)
            wide = np.ones(len(T))
            for i, (p, e) in enumerate(zip(prob.params, self.estimates, strict=True)):
                sd = math.sqrt(max(cov_z[i, i], 0.0))
                if sd > 0 and math.isfinite(e.low) and math.isfinite(e.high):
                    wide[i] = max((p.to_z(e.high) - p.to_z(e.low)) / (2 * 1.96 * sd), 1.0)
            zs = np.random.default_rng(seed).multivariate_normal(np.asarray(self.z), cov_z * np.outer(wide, wide), n)
            cols = {p.name: np.array([p.value(x) for x in zs[:, i]], dtype=np.float64)
                    for i, p in enumerate(prob.params) if p.index is not None}
        return pd.DataFrame({"chain": 0, "draw": np.arange(n), **cols})

    def overlay(self, path: str | Path) -> str:
        """A spec that extends the model and sets the estimates: `stockflow run` it, or extend it."""
        from .report_calibration import overlay_text

        return overlay_text(self, Path(path))


def calibrate(path: str | Path, starts: int | None = None, seed: int | None = None, client: Any = None) -> Fit:
    """Fit the calibration at `path` (a YAML file, or a spec with a calibrate block). With a
    Dask `client` (`stockflow.connect`), each start and each profile interval is a task on its
    workers; the fit is the one this process would find."""
    from .runtime._jax import x64

    with x64():
        return _calibrate(path, starts, seed, client)


def _calibrate(path: str | Path, starts: int | None, seed: int | None, client: Any = None) -> Fit:
    import time

    from . import api
    from .runtime._data import load_data
    from .runtime._fit import Problem

    t_begin = time.perf_counter()
    cal = _read(path)
    model = api.load(cal.model)
    g = model.checked.graph
    cal = by_element(cal, model)
    _check_names(cal, model)
    loaded = load_data(cal, g)
    params = _params(cal, model, loaded.series)
    p = model.plan(save_step=None)
    p = model.plan(save_step=p.dt)
    keep = tuple(dict.fromkeys(canonical(s.obs.target) for s in loaded.series))
    factors = {f.id: float(model.checked.flow_factors.get((f.id, f.source or f.target or ""), 1)) for f in g.flows}
    noise_of = _noise_slots(cal, params)
    prob = Problem.of_model(model.checked, p, model.param_vector(), model.initial_vectors(None), keep, loaded.series,
                            params, noise_of, p.start, p.dt, factors, p.method is Method.RK4)
    return _solve_fit(cal, model, loaded.series, loaded.notes, prob, starts, seed, p, t_begin, client)


def _solve_fit(cal: Calibration, model: Any, series: tuple[Any, ...], notes: tuple[Diagnostic, ...], prob: Any,
               starts: int | None, seed: int | None, p: Any, t_begin: float, client: Any = None) -> Fit:
    import time

    import pandas as pd

    from ._solve import convergence, solve
    from .runtime._fit import minimise
    from .runtime._ident import Identifiability
    from .runtime._laplace import start_points

    params = prob.params
    points = start_points(params, starts or cal.starts, cal.seed if seed is None else seed)
    found = None
    if client is not None and prob.recipe is not None:  # each start a task on the cluster
        from .runtime._distributed_fit import from_starts
        from .runtime._fit import MAX_ITER

        found = from_starts(client, prob, points, MAX_ITER)
    opt = minimise(prob, points, found=found)
    got = solve(prob, opt, client)
    suggestions = _suggest(model, p, series, params, got.model_i, got.theta, got.fisher,
                           tuple(dict.fromkeys(canonical(s.obs.target) for s in series))) if got.weak else ()
    ident = Identifiability(got.names, got.spreads, got.relative, got.weak, suggestions)
    preds = tuple(np.asarray(x) for x in prob.predictions(opt.z))
    converged, message = convergence(opt, got.decrement, got.estimates)
    names_all = [e.name for e in got.estimates]
    corr_frame = pd.DataFrame(got.correlation, index=names_all, columns=names_all)
    return Fit(cal, model, got.estimates, corr_frame, opt.loss, converged, message, opt.iterations, opt.evaluations,
               opt.grad_norm, opt.losses, ident, series, preds, notes, time.perf_counter() - t_begin,
               prob, opt.z, got.decrement, p)


def check_calibration(path: str | Path) -> list[Diagnostic]:
    """Every fault `calibrate` would find before it fits: the model, the names observed and
    estimated, the data files and their values; else the data's notes (rows left out)."""
    from . import api
    from .runtime._data import load_data

    try:
        cal = _read(path)
        model = api.load(cal.model)
        cal = by_element(cal, model)
        _check_names(cal, model)
        loaded = load_data(cal, model.checked.graph)
        _params(cal, model, loaded.series)
    except SpecError as exc:
        return list(exc.diagnostics)
    return list(loaded.notes)


def _read(path: str | Path) -> Calibration:
    from .compiler.pipeline import DSL_SUFFIXES, YAML_SUFFIXES, read_source
    from .compiler.read.dsl import parse_dsl

    p = Path(path)
    if p.suffix.lower() not in YAML_SUFFIXES + DSL_SUFFIXES:
        raise SpecError([error("E005", f"a calibration is a YAML file or a spec with a calibrate block, not "
                               f"`{p.name}`", None, "see docs/calibration.md")])
    src = read_source(p)  # size, existence and UTF-8 checked as for any spec
    if p.suffix.lower() in DSL_SUFFIXES:
        block = parse_dsl(src.text, src.path).calibrate
        if block is None:
            raise SpecError([error("E080", f"{p.name} has no `calibrate {{ ... }}` block", None,
                                   "add one, or give a calibration file (see docs/calibration.md)")])
        return read_calibration(block, src.path, model=src.path)
    return read_calibration(src.text, src.path)


def by_element(cal: Calibration, model: Any) -> Calibration:
    """An observation of a whole array (`stock: children`) or of a slice of one
    (`stock: "looked_after[dundee]"`) is one observation an element, `children[universal]`,
    each with the noise model written and reading the series of its own name: a column
    headed as `run -o --wide` heads it, or a tidy file's series cell (`series: Children`
    reads `Children[universal]`; `series: "looked_after_{placement}"`, with a dimension's
    name in braces, reads `looked_after_kinship` as the published tables name it). With
    `by: {authority: area}` each element reads the rows whose `area` cell names it."""
    from dataclasses import replace

    from .compiler.base.elements import slice_picks

    arrays = {a.name: a for a in model.checked.graph.arrays}
    kinds = _kinds(model.checked.graph)
    out: list[Any] = []
    errors: list[Diagnostic] = []
    for o in map(_shared_noise, cal.observe):
        head = canonical(o.target).split("[", 1)[0]
        a = arrays.get(head) if head in arrays and arrays[head].elements[0][0] in kinds[o.kind] else None
        if a is None:
            if o.by and canonical(o.target) in kinds[o.kind]:  # a name that is no variable: _check_names says
                errors.append(error("E080", f"`by` reads an array's elements from columns, and `{o.target}` is not "
                                    "an array", o.span, "drop `by`; to keep the rows of one area, give the data "
                                    "source `where: {COLUMN: VALUE}`"))
            out.append(o)
            continue
        whole = canonical(o.target) == head
        picks = list(range(len(a.elements))) if whole else slice_picks(o.target, [k for _, k in a.elements])
        one = not picks and o.by
        if one:  # one element, its cells read from columns
            picks = [i for i, (vid, _) in enumerate(a.elements) if vid == canonical(o.target)]
        if not picks:  # one element, or not an element at all: as written
            out.append(o)
            continue
        columns = _by_dims(o, a, errors)
        for vid, key in (a.elements[i] for i in picks):
            at = f"[{','.join(key)}]"
            rest = [e for j, e in enumerate(key) if j not in columns]
            if o.named and "{" in o.named:
                named: str | None = _series_of(o, a, key, errors)
            elif columns:
                named = (o.named or o.series) + (f"[{','.join(rest)}]" if rest and not one else "")
            else:
                named = o.named + at if o.named else None
            cells = tuple((col, key[j]) for j, col in columns.items())
            out.append(replace(o, series=o.series if one else o.series + at, target=vid, named=named, cells=cells))
    if errors:
        raise SpecError(list({d.message: d for d in errors}.values()))
    return replace(cal, observe=tuple(out))


def _shared_noise(o: Any) -> Any:
    """`sd: shared` (`dispersion: shared`): estimated, one value that every element of an
    array observation shares, named after the observation (`sd of children`)."""
    from dataclasses import replace

    if "shared" not in (o.sd, o.dispersion):
        return o
    return replace(o, sd="estimate" if o.sd == "shared" else o.sd, noise_of=o.series,
                   dispersion="estimate" if o.dispersion == "shared" else o.dispersion)


def _by_dims(o: Any, a: Any, errors: list[Diagnostic]) -> dict[int, str]:
    """`by: {authority: area}` as {the dimension's place in the array's key: the column}."""
    places = {canonical(n): j for names in (a.dims, a.indices) for j, n in enumerate(names)}
    out: dict[int, str] = {}
    for dim, column in o.by:
        if not dim and len(a.dims) == 1:
            out[0] = column
        elif not dim:
            errors.append(error("E080", f"`by: {column}` names one column, and `{a.name}` has {len(a.dims)} "
                                "dimensions", o.span, f"say which dimension it holds: `by: {{{a.dims[0]}: {column}}}`"))
        elif canonical(dim) in places:
            out[places[canonical(dim)]] = column
        else:
            errors.append(error("E080", f"`by` names `{dim}`, which is not a dimension of `{a.name}`", o.span,
                                did_you_mean(dim, list(a.dims)) or "its dimensions: " + ", ".join(a.dims)))
    return out


def _series_of(o: Any, a: Any, key: tuple[str, ...], errors: list[Diagnostic]) -> str:
    """`looked_after_{placement}` for the element `kinship`: each `{dimension}` (or its alias,
    or `{}` for an array of one dimension) replaced by the element's name there."""
    at = {canonical(n): e for names in (a.dims, a.indices) for n, e in zip(names, key, strict=True)}

    def element(m: re.Match[str]) -> str:
        word = canonical(m.group(1))
        if not word and len(key) == 1:
            return key[0]
        if word in at:
            return at[word]
        errors.append(error("E080", f"`series: {o.named}` names `{{{m.group(1)}}}`, which is not a dimension of "
                            f"`{a.name}`", o.span, "its dimensions: " + ", ".join(f"`{{{d}}}`" for d in a.dims)))
        return m.group(0)

    return re.sub(r"\{(\w*)\}", element, o.named)


def _kinds(g: Any) -> dict[str, set[str]]:
    """What each kind of observation may name."""
    kinds = {"stock": {s.id for s in g.stocks if not s.hidden}, "flow": {f.id for f in g.flows},
             "aux": {a.id for a in g.auxes if not a.hidden}}
    kinds["rate"] = kinds["flow"]
    return kinds


def _check_names(cal: Calibration, model: Any) -> None:
    g = model.checked.graph
    kinds = _kinds(g)
    params = {p.id for p in g.params} | _shared(g).keys()
    errors = []
    arrays = {a.name: a.elements[0][0] for a in g.arrays}
    for o in cal.observe:
        if canonical(o.target) not in kinds[o.kind]:
            pool = sorted(kinds[o.kind])
            what = "flow" if o.kind == "rate" else o.kind
            first = arrays.get(canonical(o.target))
            hint = (f"`{o.target}` is an array: observe one element, e.g. `{first}`, or an aux that sums them"
                    if first in kinds[o.kind] else
                    did_you_mean(o.target, pool) or f"its {what}s: " + ", ".join(pool))
            errors.append(error("E084", f"`{o.target}` is not a {what} of {model.name}", o.span, hint))
    for e in cal.estimate:
        if canonical(e.name) not in params:
            errors.append(error("E084", f"`{e.name}` is not a parameter of {model.name}", e.span,
                                did_you_mean(e.name, sorted(params)) or "only parameters can be estimated"))
    if not cal.estimate:
        errors.append(error("E080", "nothing to estimate", None, "list parameters under `estimate:`"))
    if errors:
        raise SpecError(errors)


def _params(cal: Calibration, model: Any, series: tuple[Any, ...]) -> tuple[Any, ...]:
    from .runtime._fit import Param

    g = model.checked.graph
    by_id = {p.id: (i, p) for i, p in enumerate(g.params)}
    shared = _shared(g)
    out = []
    errors = []
    for e in cal.estimate:
        ids = shared.get(canonical(e.name), (canonical(e.name),))
        i, p = by_id[ids[0]]
        also = tuple(by_id[x][0] for x in ids[1:])
        bounds = e.bounds or p.bounds
        lo, hi = (bounds if bounds is not None else ((0.0, None) if p.value > 0 else (None, None)))
        start = e.start if e.start is not None else p.value
        if lo is not None and hi is not None and not lo <= start <= hi:
            errors.append(error("E080", f"the start value {start:g} of `{p.display}` is outside its bounds "
                                f"[{lo:g}, {hi:g}]", e.span, "give a `start:` inside the bounds"))
        name = e.name if also else p.display
        out.append(Param(name, i, lo, hi, start, e.prior, also, tuple(by_id[x][1].display for x in ids[1:])))
    if errors:
        raise SpecError(errors)
    sd_start = _sd_starts(series)
    named: set[str] = set()  # an estimated noise level shared by an array's elements: one parameter
    for s in series:
        o = s.obs
        for name in (f"sd of {o.noise_name}" if o.sd == "estimate" else None,
                     f"dispersion of {o.noise_name}" if o.noise == "negative_binomial" and o.dispersion == "estimate"
                     else None):
            if name is not None and name not in named:
                named.add(name)
                out.append(Param(name, None, 0.0, None, sd_start.get(name, 10.0)))
    return tuple(out)


def _sd_starts(series: tuple[Any, ...]) -> dict[str, float]:
    """Each estimated sd's start, from the values of every series that shares it."""
    pooled: dict[str, list[np.ndarray]] = {}
    for s in series:
        pooled.setdefault(f"sd of {s.obs.noise_name}", []).append(np.asarray(s.values, dtype=np.float64))
    return {name: _sd_start(np.concatenate(v)) for name, v in pooled.items()}


def _shared(g: Any) -> dict[str, tuple[str, ...]]:
    """Arrayed parameters by name: `estimate: rate` fits one value that all its elements share."""
    params = {p.id for p in g.params}
    return {a.name: tuple(vid for vid, _ in a.elements) for a in g.arrays
            if a.elements and a.elements[0][0] in params}


def _sd_start(values: np.ndarray) -> float:
    """A tenth of the series' spread (or size): a start the optimiser can reach the sd from."""
    return 0.1 * (float(np.std(values)) or float(np.mean(np.abs(values))) or 1.0)


def _noise_slots(cal: Calibration, params: tuple[Any, ...]) -> dict[str, tuple[int | None, float | None]]:
    names = {p.name: i for i, p in enumerate(params)}
    out: dict[str, tuple[int | None, float | None]] = {}
    for o in cal.observe:
        if o.noise == "normal":
            key = f"sd of {o.noise_name}"
            out[o.series] = (names[key], None) if key in names else (None, o.sd if isinstance(o.sd, float) else None)
        elif o.noise == "negative_binomial":
            key = f"dispersion of {o.noise_name}"
            out[o.series] = (names[key], None) if key in names else (None, float(o.dispersion))  # type: ignore[arg-type]
        else:
            out[o.series] = (None, None)
    return out


def _suggest(model: Any, p: Any, series: tuple[Any, ...], params: tuple[Any, ...], model_i: list[int],
             theta: np.ndarray, F: np.ndarray, observed: tuple[str, ...]) -> tuple[tuple[str, int, float], ...]:
    """Which series, if observed (at the same dates, 5% precision), would pin the parameters down best."""
    from .runtime._ident import after_adding
    from .runtime._jax import jax, jnp
    from .runtime._laplace import size

    g = model.checked.graph
    candidates = tuple(x for x in [s.id for s in g.stocks if not s.hidden] + [f.id for f in g.flows]
                       if x not in observed)
    if not candidates:
        return ()
    times = np.unique(np.concatenate([s.ends for s in series]))
    rows = np.clip(np.round((times - p.start) / p.dt).astype(int), 0, p.n_steps)
    run = model.simulator().pure(p, candidates)
    base = jnp.asarray(model.param_vector())
    inits = tuple(jnp.asarray(a) for a in model.initial_vectors(None))
    idx = [params[i].index for i in model_i]
    th = np.array([theta[i] for i in model_i])
    signs = np.array([size(params[i], float(theta[i])) for i in model_i])  # the scale analyse() works on

    def values(t: Any) -> Any:
        vec = base
        for k, pi in enumerate(idx):
            vec = vec.at[pi].set(t[k])
        return run(vec, *inits)[0][rows]

    # One compiled program for both: run eagerly, each of the loop's primitives was compiled on
    # its own (about a hundred XLA compiles, 4 s of a one-stock fit).
    both = jax.jit(lambda t: (values(t), jax.jacfwd(values)(t)))
    v0, J = (np.asarray(a) for a in both(jnp.asarray(th)))  # under calibrate()'s float64
    J = J * signs  # (times, candidates, params)
    out = []
    for c, name in enumerate(candidates):
        sd = NOMINAL_CV * np.maximum(np.abs(v0[:, c]), 1e-9)
        Jc = J[:, c, :] / sd[:, None]
        left, worst = after_adding(F + Jc.T @ Jc)
        out.append((name, left, worst))
    out.sort(key=lambda x: (x[1], x[2]))
    return tuple(out[:3])


__all__ = ["Fit", "Estimate", "calibrate"]
