"""Reality checks: evaluate a model's expectations against a run's results."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..base.diagnostics import Diagnostic, error
from ..base.figures import significant
from ..base.names import time_words
from ..codegen.emit import Emitter
from ..ir import graph as G
from ..ir.model import CheckedModel

TOLERANCE = 1e-9  # relative: how far past a bound `<=`, `>=` and `==` still hold


def check_expectations(model: CheckedModel, times: np.ndarray, trajectories: dict[str, np.ndarray],
                       metrics: dict[str, float], params: dict[str, float], unit: str,
                       under: str | None = None, baseline: dict[str, float] | None = None,
                       label: str = "") -> list[Diagnostic]:
    """One E062 per failed expectation checked `under` this scenario (None: the model as
    written), with the first failing time and the values involved."""
    g = model.graph
    emit = Emitter(np, {lk.id: lk for lk in g.lookups})
    named: list[G.Stock | G.Flow | G.Aux | G.Param | G.Metric] = [*g.stocks, *g.flows, *g.auxes, *g.params, *g.metrics]
    names = {v.id: v.display for v in named}
    names.update({f"{m.id}$baseline": f"baseline({m.display})" for m in g.metrics})
    out = []
    for ex in [x for x in g.expectations if x.under == under]:
        expr = _tolerant(model.expectations[ex.id])
        env: dict[str, Any] = dict(params)
        env["dt"] = g.time.dt
        used = sorted(s.name for s in expr.free_symbols)
        if ex.on_metrics:
            env.update(metrics)
            env.update({f"{k}$baseline": v for k, v in (baseline or {}).items()})
            with np.errstate(all="ignore"):
                holds = bool(emit(expr)(env))
            if not holds:
                shown = [n for n in used if n in env and n != "dt"]
                digits = _digits(emit, expr, env, None, (), shown)
                values = ", ".join(f"{names.get(n, n)} = {_value(float(env[n]), digits, _units(model, n))}"
                                   for n in shown)
                where = f"under scenario `{under}`{label}" if under else "for this run"
                out.append(_failure(ex, f"expectation `{ex.display}` fails {where}: {values}"))
            continue
        env["time"] = times
        missing = [n for n in used if n not in env and n not in trajectories]
        if missing:
            out.append(error("E062", f"expectation `{ex.display}` needs `{missing[0]}`, which this run did not record",
                             ex.span, "run with that variable among the outputs"))
            continue
        env.update(trajectories)
        with np.errstate(all="ignore"):
            ok = np.broadcast_to(np.asarray(emit(expr)(env), dtype=bool), times.shape)
        window: np.ndarray = np.ones_like(ok)
        if ex.during is not None:
            window = (times >= ex.during[0] - 1e-9) & (times <= ex.during[1] + 1e-9)
        bad = np.flatnonzero(window & ~ok)
        if bad.size:
            k = int(bad[0])
            shown = [n for n in _failing_names(emit, expr, env, k, times.shape) or used if n in trajectories]
            digits = _digits(emit, expr, env, k, times.shape, shown)
            values = ", ".join(f"{names.get(n, n)} = "
                               f"{_value(float(np.broadcast_to(env[n], times.shape)[k]), digits, _units(model, n))}"
                               for n in shown)
            out.append(_failure(ex, f"expectation `{ex.display}` fails at {time_words(unit)[0]} {times[k]:g}"
                                    f"{': ' + values if values else ''} ({bad.size} of {int(window.sum())} times)"))
    return out


def _tolerant(expr: Any) -> Any:
    """The check's own `a <= b`, `a >= b` and `a == b` (joined by and, or, not) within a
    relative 1e-9: a wait that reaches its bound of 30 weeks exactly computes as
    30.0000000000014 and must not fail `<= 30 week` on rounding. A comparison inside an
    `if` of its terms is the model's and stays exact."""
    import sympy

    if isinstance(expr, sympy.And | sympy.Or | sympy.Not):
        return expr.func(*(_tolerant(a) for a in expr.args))
    if not isinstance(expr, sympy.Le | sympy.Ge | sympy.Eq):
        return expr
    slack = TOLERANCE * (sympy.Abs(expr.lhs) + sympy.Abs(expr.rhs))
    if isinstance(expr, sympy.Eq):
        return sympy.Le(sympy.Abs(expr.lhs - expr.rhs), slack)
    return expr.func(expr.lhs + (slack if isinstance(expr, sympy.Ge) else -slack), expr.rhs)


def _failing_names(emit: Emitter, expr: Any, env: dict[str, Any], k: int, shape: tuple[int, ...]) -> list[str]:
    """For a check that is an `and` of parts (as one over a dimension is, element by element),
    the variables of the parts that fail at step k: `infected[adult] = 101`, not every element."""
    import sympy

    if not isinstance(expr, sympy.And):
        return []
    names: list[str] = []
    with np.errstate(all="ignore"):
        for part in expr.args:
            if not np.broadcast_to(np.asarray(emit(part)(env), dtype=bool), shape)[k]:
                names += sorted(s.name for s in part.free_symbols if s.name not in names)
    return names


def _digits(emit: Emitter, expr: Any, env: dict[str, Any], k: int | None, shape: tuple[int, ...],
            shown: list[str]) -> int:
    """Enough significant digits that the values shown (at step k of trajectories; None: of
    metrics) still fail the check: 30.00004 against `<= 30.00001` read `= 30`, as if it held."""
    at_k = {n: np.broadcast_to(v, shape)[k] if k is not None and isinstance(v, np.ndarray) else v
            for n, v in env.items()}
    for digits in (6, 10):
        rounded = {**at_k, **{n: float(f"{float(at_k[n]):.{digits}g}") for n in shown}}
        with np.errstate(all="ignore"):
            if not bool(np.asarray(emit(expr)(rounded))):
                return digits
    return 17


def _units(model: CheckedModel, name: str) -> str:
    u = model.units.get(name.removesuffix("$baseline"))
    shown = model.unitsys.show(u) if u is not None else ""
    return "" if shown in ("1", "") else shown


def _value(v: float, digits: int, units: str) -> str:
    """A failing value as a reader checks it: `cost_rate = £100,183,466/year`, `kids = 250
    child`, with the digits that still fail the check, and never `1.00183e+08`."""
    text = significant(v, digits)
    text = text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    money = re.match(r"(?i)GBP(?=/|$)", units)
    if money:
        return ("-" if text.startswith("-") else "") + "£" + text.lstrip("-") + units[money.end():]
    return f"{text} {units}" if units else text


def _failure(ex: Any, message: str) -> Diagnostic:
    notes = (ex.doc.description,) if ex.doc.description else ()
    return error("E062", message, ex.span, "the model, its data or the check itself is wrong; see the "
                 "expectation's description", notes)
