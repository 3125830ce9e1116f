"""How a calibration is reported: a text summary, an overlay spec, and fitted-vs-observed plots."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .compiler.base.figures import significant
from .numbers import value_text


def _interval(e: Any) -> str:
    """`[lo, hi]`, with the digits it takes to tell the ends apart: a tight interval read
    `[300, 300]`, as if it had no width."""
    lo, hi = value_text(e.low), value_text(e.high)
    size = max(abs(e.low), abs(e.high)) if math.isfinite(e.low) and math.isfinite(e.high) else 0.0
    if lo == hi and e.low != e.high and 1e-6 <= size < 1e15:
        for digits in range(5, 16):  # one number of places for both ends, the larger's
            places = len(significant(size, digits).partition(".")[2])
            lo, hi = f"{e.low:,.{places}f}", f"{e.high:,.{places}f}"
            if lo != hi:
                break
    return "[" + lo + ", " + hi + "]"


def _kind(e: Any) -> str:
    if e.limit in ("lower bound", "upper bound"):
        return f"at its {e.limit}"
    if e.limit:
        return "running off to infinity"
    return e.interval if e.interval != "Laplace" else ""


def text_report(fit: Any) -> str:
    lines = [f"Calibration of {fit.model.name} ({Path(fit.calibration.file).name}): "
             f"{sum(len(s.values) for s in fit.series)} observations in {len(fit.series)} series",
             ""]
    w = max([30] + [len(e.name) for e in fit.estimates])  # an element's sd, `sd of children[dundee,universal]`
    lines.append(f"{'parameter':{w}} {'estimate':>11} {'std err':>11} {'95% interval':>25}")
    for e in fit.estimates:
        se = value_text(e.se) if e.interval == "Laplace" and not e.limit else "-"
        lines.append(f"{e.name:{w}} {value_text(e.value):>11} {se:>11} {_interval(e):>25}  {_kind(e)}".rstrip())
    if any(e.interval == "profile" for e in fit.estimates):
        lines.append("(profile: a profile-likelihood interval, the values the data do not reject with every other "
                     "estimate re-fitted; used where the Laplace one cannot be trusted: at a bound, along a flat "
                     "direction or where the loss is skewed. Its std err is not shown: it would be Laplace's.)")
    lines += ["", f"negative log-likelihood {fit.loss:.6g}; "
              f"{'converged' if fit.converged else 'NOT converged'} ({fit.message}); "
              f"{fit.iterations} iterations, {fit.evaluations} loss+gradient evaluations over "
              f"{len(fit.start_losses)} starts; {fit.seconds:.1f} s"]
    # no gradient norm here: along a stiff direction it stays large at an optimum (0.56 for
    # GIRFEC, whose Newton decrement is 3e-11), and the decrement above is what judges it
    if len(fit.start_losses) > 1:
        from ._solve import agreeing

        spread = max(fit.start_losses) - min(fit.start_losses)
        lines.append(f"{agreeing(fit.start_losses)} of {len(fit.start_losses)} starts reached the best fit "
                     f"(spread of final losses {spread:.3g})")
    lines += determination(fit)
    c = np.asarray(fit.correlation, dtype=np.float64)
    big = [(fit.estimates[i].name, fit.estimates[j].name, c[i, j])
           for i in range(len(fit.estimates)) for j in range(i)
           if np.isfinite(c[i, j]) and abs(c[i, j]) > 0.9]
    if big:
        lines += ["", "Strongly correlated estimates: " + "; ".join(f"{a} ~ {b} ({r:+.2f})" for a, b, r in big)]
    lines += goodness_of_fit(fit)
    for n in fit.notes:
        lines.append(f"note: {n.message}")
    return "\n".join(lines) + "\n"


def determination(fit: Any) -> list[str]:
    """Each model parameter's verdict on its own scale, the combinations the data cannot tell
    apart, and which data would help."""
    from .runtime._ident import factor_text, verdict

    ident = fit.identifiability
    lines = ["", "What the data determine (95% interval on each parameter's own scale: a factor either way "
             "for one that must be positive; for one that may be zero or negative, in its own units, judged "
             "against a quarter of its range, or its size if it has no bounds):"]
    by_name = {e.name: e for e in fit.estimates}
    for name, s, rel in zip(ident.names, ident.spreads, ident.relative, strict=True):
        e = by_name[name]
        half = max(e.value - e.low, e.high - e.value)
        width = (f"x/÷ {factor_text(min(math.exp(min(s, 700)), 1e300))}" if rel else f"± {value_text(half)}") \
            if math.isfinite(s) else "unbounded"
        if e.limit == "infinity":
            words = "NOT determined: the fit runs off to infinity"
        elif e.limit:
            other = e.high if e.limit == "lower bound" else e.low
            words = (f"at its {e.limit}; the data allow it up to {value_text(other)}" if e.limit == "lower bound"
                     else f"at its {e.limit}; the data allow it down to {value_text(other)}") + \
                (" (95%, profile)" if math.isfinite(other) else "")
        else:
            words = verdict(s)
            if not rel and e.low < 0 < e.high:
                words = ("narrowed within its range, " if words != verdict(math.inf) else words + "; ") + \
                    "but the data do not fix its sign"
        lines.append(f"  {name:30} {width:>14}  {words}")
    if ident.weak:
        lines += ["", "The data cannot tell these apart:"]
        for d in ident.weak:
            lines.append(f"  - {d.words()} (95% interval {d.size_words()})")
        if ident.suggestions:
            lines += ["", "Data that would help most (each observed at the same dates with 5% precision):"]
            for name, left, f in ident.suggestions:
                lines.append(f"  - `{name}`: {len(ident.weak) - left} of the {len(ident.weak)} would be pinned down"
                             f" (the least determined left: x/÷ {factor_text(f)})")
        loose = sorted({n for d in ident.weak for n, w in d.loadings if abs(w) >= 0.25})
        lines.append("Along those combinations, the estimates of " + ", ".join(f"`{n}`" for n in loose)
                     + " are one of many fits that match these data almost as well; do not read them as measured.")
    elif (fit.converged and all(e.determined for e in fit.estimates if not e.is_noise)
          and all(math.isfinite(s) and s < math.log(2) for s in ident.spreads)):
        unsigned = [n for n, rel in zip(ident.names, ident.relative, strict=True)
                    if not rel and by_name[n].low < 0 < by_name[n].high]
        lines += ["", "Every parameter, and every combination of them, is determined to within a factor of 2 "
                  "(or 69% of its size)" + (", though the data do not fix the sign of "
                                            + ", ".join(f"`{n}`" for n in unsigned) if unsigned else "") + "."]
    bound = [e.name for e in fit.estimates if e.limit in ("lower bound", "upper bound")]
    if bound:
        lines += ["", ", ".join(f"`{n}`" for n in bound) + (" is" if len(bound) == 1 else " are")
                  + " at a bound, so every model parameter's interval above is a profile one, with the bound "
                  "parameters free to move, not held as known."]
    off = [e.name for e in fit.estimates if not e.bounded and not e.limit]
    if off:
        lines += ["", "Not determined (an interval to the end of its range or for ever): "
                  + ", ".join(f"`{n}`" for n in off) + ". `--profile NAME` shows how the fit changes along each."]
    return lines


OUTLIER_Z = 4.0  # a standardised residual this large is about one in 16,000 under the noise model
OVERDISPERSED = 2.0  # Pearson's statistic over its degrees of freedom; about 1 when the model fits


def standardised(fit: Any, s: Any, mu: np.ndarray) -> np.ndarray | None:
    """(observed - fitted) / the noise model's sd at each observation; None if not known."""
    est = {e.name: e.value for e in fit.estimates}
    o = s.obs
    mu = np.asarray(mu, dtype=np.float64)
    if o.noise == "poisson":
        sd = np.sqrt(np.maximum(mu, 1e-12))
    elif o.noise == "negative_binomial":
        r = est.get(f"dispersion of {o.noise_name}", o.dispersion if isinstance(o.dispersion, float) else None)
        if r is None:
            return None
        sd = np.sqrt(np.maximum(mu + mu**2 / r, 1e-12))
    elif o.cv is not None:
        from .runtime._fit import cv_sd

        sd = cv_sd(o.cv, mu, np.asarray(s.values, dtype=np.float64), np)
    else:
        value = est.get(f"sd of {o.noise_name}", o.sd if isinstance(o.sd, float) else None)
        if value is None:
            return None
        sd = np.full_like(mu, float(value))
    return (np.asarray(s.values, dtype=np.float64) - mu) / sd


def goodness_of_fit(fit: Any) -> list[str]:
    """What the residuals say about the noise model: counts that vary more than Poisson noise
    allows (the intervals are then too narrow), and single observations far from the fit."""
    out: list[str] = []
    for s, mu in zip(fit.series, fit.predictions, strict=True):
        z = standardised(fit, s, mu)
        if z is None or not len(z):
            continue
        if s.obs.noise == "poisson" and len(z) >= 5:
            ratio = float(np.sum(z**2) / max(len(z) - 1, 1))
            if ratio > OVERDISPERSED:
                out.append(f"`{s.obs.series}` varies about {ratio:.3g} times as much as Poisson noise allows: the "
                           "intervals above are too narrow; try `noise: negative_binomial` for it")
        # Far by the noise model, or far from the other residuals (robustly: an estimated sd is
        # itself inflated by an outlier, which would hide it)
        mad = 1.4826 * float(np.median(np.abs(z - np.median(z))))
        robust = (z - np.median(z)) / mad if mad > 0 and len(z) >= 5 else np.zeros_like(z)
        far = [(where, float(v)) for where, v, rz in zip(s.rows, z, robust, strict=True)
               if abs(v) > OUTLIER_Z or (abs(rz) > 2 * OUTLIER_Z and abs(v) > 2.5)]
        if far:
            shown = ", ".join(f"{where} ({v:+.1f} sd)" for where, v in far[:5]) + (" and more" if len(far) > 5 else "")
            out.append(f"`{s.obs.series}` has observations far from the fit: {shown}; an outlier or a data "
                       "error moves every estimate, so check those rows")
    return ["", "Goodness of fit:"] + [f"  - {line}" for line in out] if out else []


def overlay_text(fit: Any, path: Path) -> str:
    """A DSL spec extending the model with the estimates, each with its interval as its source."""
    base = os.path.relpath(Path(fit.model.path).resolve(), path.resolve().parent)
    today = dt.date.today().isoformat()
    src = Path(fit.calibration.file).name
    lines = [f"# Calibrated by `stockflow calibrate {src}` on {today}.",
             "# Run it like the model: stockflow run " + path.name,
             f"extends {json.dumps(base)}", ""]
    for e in fit.estimates:
        if e.is_noise:
            continue
        note = f"stockflow calibrate {src}, {today}: 95% interval {_interval(e)}"  # its ends told apart
        lines.append(f"set {e.name} = {e.value!r} {{ source {json.dumps(note)} }}")
    from .compiler.read.dsl import parse_dsl
    from .compiler.write.format import format_dsl

    # in canonical form, as `stockflow format --check` wants every spec in a folder
    return format_dsl(parse_dsl("\n".join(lines) + "\n", str(path)))


PANELS_A_ROW = 4
TITLE_CHARS = 48  # a panel's title line at 9 points in 4.4 inches


def plot(fit: Any, path: Path, inputs: tuple[str, ...] = ()) -> None:
    """One panel per series: observations and the fit above, residuals below. A stock or
    auxiliary's fitted line runs over the whole run; on calendar dates when the calibration
    has a `time_origin`."""
    from .plots import MAX_PANELS, _plain_numbers, as_written, figure

    n = min(len(fit.series), MAX_PANELS)  # 32 authorities at four levels: 128 panels in a row were 67,000 px wide
    cols = min(n, PANELS_A_ROW)
    rows = -(-n // cols)
    fig = figure(figsize=(4.4 * cols, 5.8 * rows), layout="constrained")
    # a row of panels to a subfigure: the titles and legends above each row take room there,
    # not between every panel and its residuals
    pairs = [sub.subplots(2, cols, squeeze=False, height_ratios=[3, 1.3], sharex="col")
             for sub in np.atleast_1d(fig.subfigures(rows, 1))]
    for k in range(n, rows * cols):  # the last row's empty places
        pairs[-1][0][k % cols].set_visible(False)
        pairs[-1][1][k % cols].set_visible(False)
    unit = fit.model.checked.graph.time.unit
    when = _calendar(fit)
    run = fit.model.run(params=fit.params())
    for k, (s, mu) in enumerate(zip(fit.series[:n], fit.predictions[:n], strict=True)):
        ax, rax = pairs[k // cols][0][k % cols], pairs[k // cols][1][k % cols]
        order = s.ends.argsort()
        if s.obs.kind == "flow":
            ax.plot(when(s.ends[order]), mu[order], "-", color="#1f77b4", label="fitted")
        else:
            ax.plot(when(run.times), run[s.obs.target], "-", color="#1f77b4", label="fitted, over the run")
        ax.plot(when(s.ends), s.values, "o", color="#d62728", label="observed")
        units = next((v.units for v in fit.model.variables() if v.id == s.obs.target.lower()), "")
        what = {"flow": "its total over each period", "rate": "its rate at each date"}.get(s.obs.kind, "at each date")
        named = "" if s.obs.named is None else f" (“{s.obs.named}” in the data)"
        target = f"{s.obs.target}, {what}" if s.obs.target.lower() != s.obs.series.lower() else what  # said once
        head = f"{s.obs.series}{named}"
        if len(head) > TITLE_CHARS and named:  # an element's name and its series' past a panel's width
            head = f"{s.obs.series}\n{named.strip()}"
        ax.set_title(as_written(head) + f"\n{target}", fontsize=9)
        shown = f" [{s.obs.unit or units}]" if (s.obs.unit or units) else ""
        ax.set_ylabel(shown.strip(), fontsize=8)
        lines = head.count("\n") + 2
        ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.02 + 0.05 * lines), frameon=False, ncol=2)
        _plain_numbers(ax)
        rax.axhline(0, color="grey", lw=0.8)
        rax.plot(when(s.ends), s.values - mu, "o", color="#d62728")
        _zero_residuals(rax, s.values, mu)
        rax.set_xlabel("date" if fit.calibration.time_origin is not None else f"time [{unit}]")
        if fit.calibration.time_origin is not None:  # `2020` under each year, not `2019-07` run together
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

            locator = AutoDateLocator()
            rax.xaxis.set_major_locator(locator)
            rax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        rax.set_ylabel(f"observed - fitted\n{shown.strip()}".strip(), fontsize=8)  # on one line it ran past its panel
        _plain_numbers(rax)
    from .plots import save

    save(fig, str(path), inputs)


def _zero_residuals(rax: Any, values: np.ndarray, mu: np.ndarray) -> None:
    """Residuals of data the model fits exactly are rounding, 1e-14: the axis spread over them
    showed `0` at every tick. They are shown at the data's scale, on a line at zero."""
    resid = np.abs(np.asarray(values, dtype=float) - np.asarray(mu, dtype=float))
    scale = max(float(np.max(np.abs(values), initial=0.0)), float(np.max(np.abs(mu), initial=0.0)), 1.0)
    if resid.size and np.all(np.isfinite(resid)) and float(resid.max()) <= 1e-9 * scale:
        rax.set_ylim(-0.01 * scale, 0.01 * scale)


def _calendar(fit: Any) -> Any:
    """Model times as calendar dates from the calibration's `time_origin` (the date at the
    run's start), as the data's dates were placed; else as they are."""
    from .runtime._calendar import time_date
    from .runtime._data import seconds_per

    origin = fit.calibration.time_origin
    time = fit.model.checked.graph.time
    secs = seconds_per(time.unit)
    if origin is None or secs is None:
        return lambda t: np.asarray(t)
    return lambda t: np.array([np.datetime64(time_date(float(x) - time.start, origin, time.unit, secs), "s")
                               for x in np.asarray(t, dtype=np.float64)])
