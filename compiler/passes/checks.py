"""Warnings on a checked model: outflows that can empty a stock, unused definitions, large dt."""

from __future__ import annotations

import numpy as np
import sympy

from ..base.diagnostics import Diagnostic, Span, warning
from ..codegen.build import ModelFunctions, build
from ..codegen.vector import form
from ..ir import ast as A
from ..ir.model import CheckedModel, sym
from ..ir.walk import names_in
from .check_events import events_outside_run

_MAX_OPS = 400  # larger inlined rates are not analysed symbolically
_MAX_EXPR_DEPTH = 100  # the parser's bound on one equation's nesting
_MAX_INLINED_DEPTH = 400  # well inside Python's recursion limit for sympy's tree walks


class Functions:
    """The model's NumPy functions, built when an analysis first needs them: most models'
    analyses never do, and at thousands of elements the build is most of the pass."""

    def __init__(self, model: CheckedModel):
        self.model = model
        self._fns: ModelFunctions | None = None

    def get(self) -> ModelFunctions:
        if self._fns is None:
            self._fns = build(self.model, np)
        return self._fns


def check(model: CheckedModel) -> list[Diagnostic]:
    """Advisory analyses: one that cannot finish on a model is skipped, never fatal."""
    fns = Functions(model)
    out: list[Diagnostic] = []
    for analysis in (outflows_at_zero, unused, time_constant, rates_without_units, fit_draws_present,
                     events_outside_run):
        try:
            out += analysis(model, fns)
        except RecursionError:
            continue
    return out


def rates_without_units(model: CheckedModel, fns: Functions) -> list[Diagnostic]:
    """W108: a parameter or auxiliary without units that supplies a flow's "per time" in a model
    that declares units elsewhere. It is then read per model time unit, silently: `r = 0.3` in
    `stock * r` of a month model is 30% a month, whatever the modeller meant."""
    from ..ir.units import TIME

    g = model.graph
    if not any(u is not None for u in model.units.values()):
        return []  # a model without units: every number is in model time, by design
    kinds = {p.id: ("param", p) for p in g.params} | {a.id: ("aux", a) for a in g.auxes if not a.hidden}
    heads = _array_heads(model)
    out: list[Diagnostic] = []
    warned: set[str] = set()
    for f in g.flows:
        names = {str(x) for x in model.equations[f.id].free_symbols}
        bare = sorted(n for n in names if n in kinds and model.units.get(n) is None and n not in warned)
        timed = any(u is not None and TIME in u.dim.free_symbols for n in names if (u := model.units.get(n)))
        if not bare or timed:
            continue
        for n in bare[:1]:  # one name per flow: the first that can carry its "per time"
            kind, decl = kinds[n]
            warned.add(n)
            out.append(warning("W108", f"`{decl.display}` has no units, so flow `{f.display}` reads it per "
                               f"{g.time.unit} (the model's time unit)", decl.span,
                               f"give it units, e.g. `{kind} {heads.get(n, decl.display)} [1/year] = ...` for a yearly rate; "
                               "stockflow converts between time units"))
    return out


def _array_heads(model: CheckedModel) -> dict[str, str]:
    """Each element's declaration as written, `rate[from: level, to: level]`, for hints: an
    element's own name in a declaration (`param rate[universal] [1/year]`) would not parse."""
    heads: dict[str, str] = {}
    for a in model.graph.arrays:
        dims = ", ".join(d if i == d else f"{i}: {d}" for i, d in zip(a.indices, a.dims, strict=True))
        heads |= {vid: f"{a.name}[{dims}]" for vid, _ in a.elements}
    return heads


def outflows_at_zero(model: CheckedModel, fns: Functions) -> list[Diagnostic]:
    """W101: an outflow still positive when its stock is empty would drive the stock negative.

    sympy decides whether the rate vanishes identically at zero; where it does not, the rate is
    evaluated at the start of the run with that stock emptied, and a positive value is reported.
    """
    g = model.graph
    todo = [s for s in g.stocks if not s.hidden and not s.non_negative and s.outflows]
    if not todo:
        return []
    # Inline auxiliaries into flows, but only to a bounded depth: sympy recurses over trees.
    inlined: dict[sympy.Symbol, sympy.Expr] = {}
    depth: dict[sympy.Symbol, int] = {}
    for n in g.order:
        e = model.equations[n]
        if _too_big(e):
            continue
        used = [x for x in e.free_symbols if x in inlined]
        d = _MAX_EXPR_DEPTH + max((depth[x] for x in used), default=0)
        if d > _MAX_INLINED_DEPTH:
            continue
        inlined[sym(n)] = e.xreplace({x: inlined[x] for x in used})
        depth[sym(n)] = d
    flows = {f.id: f for f in g.flows}
    start: list[tuple[ModelFunctions, np.ndarray, np.ndarray] | None] = []  # made at the first rate to evaluate
    seen: dict[tuple[object, ...], sympy.Expr | None] = {}
    out = []
    for s in todo:
        for fid in s.outflows:
            e = inlined.get(sym(fid))
            if e is None or _too_big(e):
                continue
            at_zero = _at_zero(e, sym(s.id), seen)
            if at_zero is None or at_zero == 0:
                continue
            if not start:
                start.append(_start_values(model, fns.get()))
            value = _value_at_zero(model, fid, s.id, start[0])
            if value is not None and value <= 0:
                continue
            f = flows[fid]
            out.append(warning(
                "W101", f"outflow `{f.display}` does not vanish when `{s.display}` is empty "
                f"(at zero it is {_shown_at_zero(model, at_zero)})", f.span,
                f"make the rate proportional to `{s.display}`, or mark the stock `non_negative` "
                "so the run caps the outflow"))
    return out


def _too_big(e: sympy.Basic) -> bool:
    """Whether `e` has more than _MAX_OPS nodes: a guard, counted without sympy's count_ops,
    which costs milliseconds an equation."""
    stack, count = [e], 0
    while stack:
        count += 1
        if count > _MAX_OPS:
            return True
        stack.extend(stack.pop().args)
    return False


def _at_zero(e: sympy.Expr, stock: sympy.Symbol, seen: dict[tuple[object, ...], sympy.Expr | None]
             ) -> sympy.Expr | None:
    """`e` simplified with the stock at zero. The elements of an arrayed flow share one form
    (the same tree over other symbols), so sympy simplifies each form once."""
    symbols: dict[str, int] = {stock.name: 0}
    key = form(e, symbols)
    names = sorted(symbols, key=symbols.__getitem__)
    slots = [sympy.Symbol(f"_slot{i}") for i in range(len(names))]
    if key not in seen:
        generic = e.xreplace({sym(n): x for n, x in zip(names, slots, strict=True)})
        try:
            at_zero = generic.xreplace({slots[0]: sympy.Integer(0)})
            # most outflows are a product with the stock, which sympy zeroes as it substitutes
            seen[key] = at_zero if at_zero == 0 else sympy.simplify(at_zero)
        except (TypeError, ValueError, RecursionError):
            seen[key] = None
    found = seen[key]
    if found is None or found == 0:
        return found
    return found.xreplace({x: sym(n) for n, x in zip(names, slots, strict=True)})


def _show(e: sympy.Expr) -> str:
    return f"{float(e):g}" if e.is_number else str(e.evalf(6))


def _shown_at_zero(model: CheckedModel, e: sympy.Expr) -> str:
    """A rate at zero in the user's words: a hidden stage (`approvals$delay31.3`) is named by
    the call that made it, which is what the user wrote."""
    hidden = {s.id: s.origin for s in model.graph.stocks if s.hidden and s.origin is not None}
    calls = sorted({f"{o.function}(...)" for x in e.free_symbols if (o := hidden.get(x.name)) is not None})
    if not calls:
        return _show(e)
    return f"set by the {' and '.join(calls)} in its equation, not by the stock"


def _start_values(model: CheckedModel, fns: ModelFunctions) -> tuple[ModelFunctions, np.ndarray, np.ndarray] | None:
    g = model.graph
    params = np.array([p.value for p in g.params], dtype=np.float64)
    zeros = np.zeros(fns.layout.n_state)
    with np.errstate(all="ignore"):
        try:
            y0 = np.asarray(fns.init(params, g.time.start, g.time.dt, zeros, zeros.astype(bool)), dtype=float)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return None
    return fns, params, y0


def _value_at_zero(model: CheckedModel, flow: str, stock: str,
                   start: tuple[ModelFunctions, np.ndarray, np.ndarray] | None) -> float | None:
    """The flow's rate at the start of the run with `stock` emptied, before any capping."""
    if start is None:
        return None
    fns, params, y0 = start
    lay = fns.layout
    y = y0.copy()
    y[lay.stocks.index(stock)] = 0.0
    with np.errstate(all="ignore"):
        try:
            prep = fns.prepare(params, model.graph.time.dt)
            _, outs = fns.rhs(y, model.graph.time.start, prep)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return None
    v = float(outs[lay.outputs.index(flow)])
    return v if np.isfinite(v) else None


def unused(model: CheckedModel, fns: Functions) -> list[Diagnostic]:
    """W102: parameters and lookups that no equation, initial value or metric uses."""
    g = model.graph
    used: set[str] = set()
    for s in g.stocks:
        used |= names_in(s.initial)
        if s.rate is not None:
            used |= names_in(s.rate)
    for f in g.flows:
        used |= names_in(f.rate)
    for a in g.auxes:
        used |= names_in(a.equation)
    for m in g.metrics:
        used |= names_in(m.expr)
    for ex in g.expectations:
        used |= names_in(ex.condition)
    found: dict[tuple[str, Span | None], list[tuple[str, str]]] = {}  # the elements of one array share a place
    for kind, items in (("parameter", g.params), ("lookup", g.lookups)):
        for x in items:
            if x.id not in used:
                found.setdefault((kind, x.span), []).append((x.display, x.id))
    out = []
    for (kind, span), unused_ones in found.items():
        names = [display for display, _ in unused_ones]
        hint = "remove it, or use it in an equation" if kind == "parameter" else "remove it, or call it in an equation"
        if len(names) == 1:
            hint = _leave_out(model, unused_ones[0][1]) or hint
            out.append(warning("W102", f"{kind} `{names[0]}` is never used", span, hint))
            continue
        shown = ", ".join(f"`{n}`" for n in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        out.append(warning("W102", f"{len(names)} elements of {kind} `{names[0].split('[')[0]}` are never used: {shown}",
                           span, "leave them out with `where`, or use them in an equation"))
    return out


def _leave_out(model: CheckedModel, vid: str) -> str | None:
    """For one unused element of a one-dimensional array: the `where` that leaves it out."""
    for a in model.graph.arrays:
        key = dict(a.elements).get(vid)
        if key is not None and len(a.dims) == 1:
            return f"leave it out with `where {a.indices[0]} != {key[0]}`, or use it in an equation"
    return None


def fit_draws_present(model: CheckedModel, fns: Functions) -> list[Diagnostic]:
    """W109: a scenario that samples from a fit whose draws are not there (yet). Not an error:
    the spec is also what `stockflow calibrate` loads to make them."""
    import csv
    import io

    from ..base.diagnostics import SpecError
    from ..base.files import allowed_roots, check_named
    from ..base.names import canonical
    from ..ir.scenarios import draws_path

    g = model.graph
    params = {p.id for p in g.params}
    out = []
    for sc in g.scenarios:
        if sc.from_fit is None:
            continue
        folder, spec = sc.from_fit
        path = draws_path(sc.from_fit)
        hint = f"run `stockflow calibrate CAL -o {folder}` to write it"
        try:
            check_named(path, allowed_roots(spec or "<text>"), sc.span, "draws")
        except SpecError:
            continue  # a folder this spec may not read: its runs say so (E005)
        if not path.is_file():
            out.append(warning("W109", f"scenario `{sc.display}` samples from fit {folder!r}, which has no draws.csv "
                               "yet", sc.span, hint))
            continue
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = next(csv.reader(io.StringIO(fh.readline(65536))), [])
        if not {canonical(h) for h in head} & params:
            out.append(warning("W109", f"scenario `{sc.display}`: {folder}/draws.csv holds no parameter of this model",
                               sc.span, hint))
    return out


def _jacobian(fns: ModelFunctions, y0: np.ndarray, n: int, t0: float, prep: object) -> np.ndarray:
    """Central differences of the derivatives in the n user stocks. The NumPy functions take a
    state whose entries are vectors, so all 2n perturbed states are one call, not 2n."""
    h = 1e-6 * np.maximum(1.0, np.abs(y0[:n]))
    states = np.repeat(y0[:, None], 2 * n, axis=1)
    states[np.arange(n), np.arange(n)] += h
    states[np.arange(n), n + np.arange(n)] -= h
    d = np.asarray(fns.deriv(states, t0, prep)).reshape(len(y0), -1)
    d = np.broadcast_to(d, (len(y0), 2 * n))  # derivatives that are all constants come back as one column
    return (d[:n, :n] - d[:n, n:]) / (2 * h)


def time_constant(model: CheckedModel, functions: Functions) -> list[Diagnostic]:
    """W103: dt against the fastest time constant of the linearised model at the start."""
    g = model.graph
    n = len(g.stocks)
    if n == 0 or n > 400:
        return []
    params = np.array([p.value for p in g.params], dtype=np.float64)
    t0, dt = g.time.start, g.time.dt
    fns = functions.get()
    zeros = np.zeros(fns.layout.n_state)
    mask = np.zeros(fns.layout.n_state, dtype=bool)
    with np.errstate(all="ignore"):
        try:
            y0 = fns.init(params, t0, dt, zeros, mask)
            prep = fns.prepare(params, dt)
            jac = _jacobian(fns, np.asarray(y0, dtype=np.float64), n, t0, prep)
            if not np.all(np.isfinite(jac)):
                return []
            # delay_fixed's stages have time constant dt by design: exact under Euler, not too fast
            keep = [i for i, s in enumerate(g.stocks) if not (s.origin and s.origin.function == "delay_fixed")]
            jac = jac[np.ix_(keep, keep)]
            if not keep:
                return []
            rate = float(np.max(np.abs(np.linalg.eigvals(jac))))
        except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError):
            return []
    if rate <= 0:
        return []
    tau = 1.0 / rate
    limit = 0.5 if g.time.method is A.Method.EULER else 1.0
    if dt <= limit * tau:
        return []
    unit = g.time.unit
    return [warning("W103", f"dt = {dt:g} {unit} is large against the fastest time constant, "
                    f"{tau:.3g} {unit} (at the start of the run)", g.time.span,
                    f"use dt <= {tau * limit / 2:.3g} {unit}, or rk4")]
