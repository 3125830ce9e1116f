"""A spec's time settings, read the same way from the DSL and from YAML."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from lark import Tree

from ..base.diagnostics import Diagnostic, Span, error
from ..base.limits import MAX_STEPS
from ..ir import ast as A


def time_spec(values: Mapping[str, tuple[Any, Any]], span: Span | None, reader: Any, sep: str = " ") -> A.TimeSpec:
    """Build and validate the time settings; shared by both front-ends.

    `values` maps a key to (raw value, node for the error span). The reader supplies
    `err(code, msg, node, hint)` and `time_value(raw, kind)`. Hints write a setting as its
    form does: `dt 0.25` in the DSL, `dt: 0.25` in YAML (`sep`).
    """
    r = reader

    def eg(key: str, value: object) -> str:
        return f"`{key}{sep}{value}`"

    out: dict[str, float] = {}
    for key in ("start", "stop", "dt", "save"):
        if key in values:
            raw, node = values[key]
            out[key] = _time_number(r, raw, node, key, eg)
    for key in ("start", "stop", "dt", "units"):
        if key not in values:
            example = {"start": 0, "stop": 10, "dt": 0.25, "units": "year"}[key]
            r.err("E050", f"the time settings lack `{key}`", span, f"add {eg(key, example)}")
    unit = "year"
    if "units" in values:
        raw, node = values["units"]
        unit = _time_word(r, raw, node, "units", eg)
    method = A.Method.EULER
    if "method" in values:
        raw, node = values["method"]
        word = _time_word(r, raw, node, "method", eg)
        try:
            method = A.Method(word.lower())
        except ValueError:
            r.err("E050", f"unknown integration method `{word}`", node, "use `euler` or `rk4`")
    for key, value in list(out.items()):
        if not math.isfinite(value):
            r.err("E050", f"time setting `{key}` must be a finite number, not {value}", values[key][1],
                  f"e.g. {eg(key, 1)}")
            out[key] = 1.0 if key in ("dt", "save") else (0.0 if key == "start" else 1.0)
    start = float(out.get("start", 0.0))
    stop = float(out.get("stop", 1.0))
    dt = float(out.get("dt", 1.0))
    save = out.get("save")
    if dt > 0 and stop > start and (fault := step_limit(stop - start, dt, span)) is not None:
        r.err(fault.code, fault.message, span, fault.hint)
    if "dt" in out and dt <= 0:
        r.err("E050", f"dt must be positive, not {dt:g}", values["dt"][1], f"e.g. {eg('dt', 0.25)}")
    if "stop" in out and "start" in out and stop <= start:
        r.err("E050", f"stop ({stop:g}) must be after start ({start:g})", values["stop"][1],
              "make stop larger than start")
    if save is not None and (float(save) <= 0):
        r.err("E050", "save must be positive", values["save"][1], f"e.g. {eg('save', 1)}")
    return A.TimeSpec(start, stop, dt, unit, method, float(save) if save is not None else None, span)


def _time_number(r: Any, raw: object, node: object, key: str, eg: Callable[[str, object], str]) -> float:
    if isinstance(raw, Tree):
        return r.b.signed_number(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        r.err("E050", f"time setting `{key}` must be a number, not `{raw}`", node, f"e.g. {eg(key, 1)}")
        return 1.0
    return float(raw)


def _time_word(r: Any, raw: object, node: object, key: str, eg: Callable[[str, object], str]) -> str:
    if isinstance(raw, Tree | int | float) or isinstance(raw, bool):
        r.err("E050", f"time setting `{key}` must be a word", node,
              "e.g. " + (eg("units", "year") if key == "units" else eg("method", "rk4")))
        return "year" if key == "units" else "euler"
    return str(raw)


def step_limit(length: float, dt: float, span: Span | None) -> Diagnostic | None:
    """E006 where a run of `length` in steps of `dt` would take more than MAX_STEPS steps,
    with the smallest round dt that fits."""
    ratio = length / dt
    if math.isfinite(ratio) and ratio <= MAX_STEPS + 0.5:
        return None
    said = (f"{ratio:,.0f} steps is more than" if math.isfinite(ratio) else "the run takes more steps than")
    power = math.ceil(math.log10(length / MAX_STEPS)) if math.isfinite(length) and length > 0 else None
    least = None if power is None else f"{10.0 ** power:.{-power}f}" if -12 <= power < 0 else f"{10.0 ** power:g}"
    return error("E006", f"{said} the limit of {MAX_STEPS:,}", span,
                 f"use dt {least} or larger, or a shorter run" if least else "use a larger dt or a shorter run")


def grid_faults(time: A.TimeSpec, dt: float | None = None, save: float | None = None) -> list[Diagnostic]:
    """A step grid that cannot be run: the run's length not a whole number of `dt`, or a save
    step that is not a whole number of steps dividing it. Checked when a spec compiles, so
    that `check` fails where `run` would, and again for a run's own --dt or --save."""
    dt = time.dt if dt is None else dt
    save = time.save_step if save is None else save
    length = time.stop - time.start
    if not (dt > 0 and length > 0 and math.isfinite(length / dt)) or length / dt > MAX_STEPS + 0.5:
        return []  # reported where the settings are read
    n = round(length / dt)
    if n < 1 or abs(n * dt - length) > 1e-9 * max(1.0, abs(length)):
        stop = time.start + max(1, round(length / dt)) * dt
        return [error("E050", f"stop - start ({length:g}) is not a whole number of dt ({dt:g}) steps", time.span,
                      f"e.g. dt {_dividing(length, dt):g}, which divides {length:g}; or stop {stop:g}")]
    if save is None:
        return []
    if not (save > 0 and math.isfinite(save)):
        return [error("E050", f"save step {save:g} must be a positive number", time.span, f"e.g. save {dt:g}")]
    every = round(save / dt)
    if every < 1 or abs(every * dt - save) > 1e-9 * max(1.0, save) or n % every:
        near = min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: (abs(d * dt - save), -d))
        return [error("E050", f"save step {save:g} is not a whole number of dt ({dt:g}) steps that divides the "
                      f"run ({length:g})", time.span, f"e.g. save {near * dt:g}, the nearest that does")]
    return []


def _dividing(length: float, near: float) -> float:
    """A step that divides `length`, no larger than `near` and not much smaller: the largest
    written in two decimals or fewer, if one is (0.1 rather than 0.202 for a run of 10.1 at
    about 0.25; 2.5 for a run of 10 at about 3)."""
    first = max(1, math.ceil(length / near - 1e-9))
    candidates = [length / k for k in range(first, max(first, math.ceil(2.5 * length / near)) + 1)]

    def digits(c: float) -> int:
        return next((d for d in range(7) if abs(round(c, d) - c) <= 1e-9 * max(1.0, c)), 7)

    return min(candidates, key=lambda c: (digits(c) > 2, -c))  # the closest of the short ones


def recorded_row(when: float, start: float, every: float, stop: float, span: Span | None,
                 saved: bool = False) -> int | Diagnostic:
    """The save point `at(x, when)` reads in a run from `start` to `stop` that records every
    `every`, or E050 naming the recorded times either side (`saved`: the spec sets `save`, so
    recording more often is a fix too). Checked at compile for the spec's own settings and
    again at run for a run's own --dt or --save."""
    k = (when - start) / every
    n = round((stop - start) / every)
    if abs(k - round(k)) <= 1e-6 and 0 <= round(k) <= n:
        return round(k)
    below, above = start + math.floor(k) * every, start + math.ceil(k) * every
    return error("E050", f"at(..., {when:g}): {when:g} is not a recorded time of this run", span,
                       f"the run records every {every:g} from {start:g} to {stop:g}: at {below:g} or {above:g}"
                       + (", or record more often with `save`" if saved else ""))
