"""W110: a step, ramp or pulse whose time lies outside the run, so it never happens.

Times count in the model's time unit: a spec moved from months to quarters keeps
`step(1, 48)` at quarter 48, past a 40-quarter run, and the programme it starts never
starts. The times checked are numbers written in the spec (with or without units)."""

from __future__ import annotations

from ..base.diagnostics import Diagnostic, Span, warning
from ..ir import ast as A
from ..ir.model import CheckedModel
from ..ir.units import TIME
from ..ir.walk import children

EVENTS = {"step": "starts", "ramp": "starts", "pulse": "happens"}


def events_outside_run(model: CheckedModel, _fns: object) -> list[Diagnostic]:
    g = model.graph
    t = g.time
    seen: set[Span | None] = set()  # an arrayed equation's call, once
    out: list[Diagnostic] = []
    named = [(a.display, a.equation) for a in g.auxes if not a.hidden] + [(f.display, f.rate) for f in g.flows]
    for owner, expr in named:
        for call in _calls(expr):
            when = _time(model, call.args[1]) if call.func.lower() in EVENTS and len(call.args) >= 2 else None
            if when is None or call.span in seen or t.start <= when <= t.stop:
                continue
            seen.add(call.span)
            out.append(warning("W110", f"`{call.func}(..., {when:g})` in `{owner.split('[')[0]}` {EVENTS[call.func.lower()]} "
                               f"at {when:g}, outside the run ({t.start:g} to {t.stop:g}, in {t.unit}s): it never "
                               "happens", call.span,
                               f"times count in {t.unit}s, the model's time unit; give its time with units "
                               "(`48 month`), or within the run"))
    return out


def _calls(e: A.Expr) -> list[A.Call]:
    stack, out = [e], []
    while stack:
        x = stack.pop()
        if isinstance(x, A.Call):
            out.append(x)
        stack.extend(children(x))
    return out


def _time(model: CheckedModel, e: A.Expr) -> float | None:
    """A number written as a time, in the model's time unit; None for anything else."""
    if not isinstance(e, A.Num):
        return None
    if e.unit is None:
        return float(e.value)
    u = model.unitsys.lower(e.unit, [])
    return float(e.value * u.scale) if u is not None and u.dim == TIME else None
