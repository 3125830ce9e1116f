"""Figures people look at: trajectories by scenario (fan charts for draws), a stock with the
flows that moved it, and cost against quality of life. matplotlib, loaded when first used."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .numbers import units_shown
from .stock_flows import into_stock

MAX_PANELS = 24  # trajectory panels drawn when none are named: a figure of hundreds is read by nobody
COLOURS = ["#2c3e50", "#c0392b", "#1e8449", "#d68910", "#7d3c98", "#2e86c1", "#a04000", "#566573"]
# The baseline solid, each scenario dashed its own way: a scenario that leaves a stock where
# the baseline has it would otherwise hide the baseline's line, and a reader would miss it.
DASHES = ["-", (0, (7, 3)), (0, (2, 2)), (0, (7, 2, 2, 2)), (0, (4, 4)), (0, (1, 3)), (0, (10, 3, 2, 3)), (0, (3, 1))]

LABEL_SPACING = 1.5  # a label's units line clears an underscore in the name above it


def figure(**kwargs: Any) -> Any:
    """A Figure of its own, outside pyplot: drawing never changes the caller's backend or
    pyplot state (a notebook keeps its own), and nothing needs closing afterwards."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _band(ax: Any, t: np.ndarray, series: np.ndarray, colour: str, label: str, **line: Any) -> None:
    """One run as a line; several as their median with a 5-95% band."""
    if series.shape[0] > 1:
        lo, mid, hi = np.percentile(series, [5, 50, 95], axis=0)
        ax.fill_between(t, lo, hi, color=colour, alpha=0.2, linewidth=0)
        ax.plot(t, mid, color=colour, label=f"{label}: median, 5-95%", **line)
    else:
        ax.plot(t, series[0], color=colour, label=label, **line)


def _plain_numbers(ax: Any, unit: str | None = None, axis: Any = None) -> None:
    """No offset or scientific notation on an axis (the y axis unless given): people read the
    numbers as printed."""
    from matplotlib.ticker import FuncFormatter

    from .numbers import tick_text

    (axis or ax.yaxis).set_major_formatter(FuncFormatter(lambda v, _: tick_text(v, unit)))


def _groups(res: Any) -> list[tuple[str, list[int]]]:
    """(label, run indices) per scenario and grid point, in order."""
    out: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(res.runs):
        out.setdefault((r.scenario, r.point), []).append(i)
    labels = []
    for (name, _), idx in out.items():
        swept = ", ".join(f"{k}={v:g}" for k, v in res.runs[idx[0]].swept)
        labels.append((f"{name} ({swept})" if swept else name, idx))
    return labels


def trajectories(res: Any, variables: list[str], unit: str) -> Any:
    """One panel per variable, one line per scenario; runs with draws as a 5-95% band. More
    than six panels go in a grid (see _grid)."""
    variables = trajectory_names(res, variables)
    data = [res.batch[name] for name in variables]
    info = {v.id: v for v in res.batch.variables}
    cols, places = _grid([info[name.lower()] for name in variables])
    rows = max(r for r, _ in places) + 1
    groups = _groups(res)
    width = 8 if cols == 1 else 4.8 * cols
    longest = max((len(label) for label, _ in groups), default=1)
    ncol = max(1, min(len(groups), int(width / (0.065 * longest + 0.7))))  # as many as fit across, at 8 pt
    key_height = 0.22 * math.ceil(len(groups) / ncol) + 0.15  # inches: the key stands above every panel
    height = 2.6 * rows + key_height
    fig = figure(figsize=(width, height))
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False)
    t = res.batch.times
    for (r, c), name, series in zip(places, variables, data, strict=True):
        ax, v = axes[r, c], info[name.lower()]
        for k, (label, idx) in enumerate(groups):
            _band(ax, t, series[idx], COLOURS[k % len(COLOURS)], label, linestyle=DASHES[k % len(DASHES)])
        _plain_numbers(ax, v.units)
        _honest_scale(ax, series)
        if cols > 1 and v.array:  # an element's name above its panel: beside it, a long one ran into the next row
            ax.set_title(v.name, fontsize=10)
            ax.set_ylabel(_label(v.array, v.units), linespacing=LABEL_SPACING)
        else:
            ax.set_ylabel(_label(v.name, v.units), linespacing=LABEL_SPACING)
        ax.grid(alpha=0.3)
    for r in range(rows):
        for c in range(cols):
            axes[r, c].set_visible((r, c) in places)
    for c in range(cols):  # each column's lowest panel carries the time axis
        last = axes[max(r for r, c2 in places if c2 == c), c]
        last.xaxis.set_tick_params(labelbottom=True)
        last.set_xlabel(f"time [{unit}]")
    # the figure's key, not the first panel's: a wide key on one panel squeezed every column
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=8, loc="upper left", bbox_to_anchor=(0.01, 1.0),
               ncol=ncol, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - key_height / height))
    return fig


def trajectory_names(res: Any, names: list[str]) -> list[str]:
    """Each name as recorded variables: itself, or an array's elements. A metric has no
    trajectory, and anything else is not recorded: each a clean E061."""
    from .compiler.base.diagnostics import RunError, error, unknown_name
    from .compiler.base.names import canonical
    from .runtime._results import array_elements

    out: list[str] = []
    variables = res.batch.variables
    recorded = {v.id: v for v in variables}
    for name in names:
        key = canonical(name)
        elements = [variables[i].id for i in array_elements(variables, key) if not variables[i].hidden]
        if key in recorded:
            out.append(key)
        elif elements:
            out += elements
        elif any(m.id == key for m in res.batch.metrics):
            raise RunError([error("E061", f"`{name}` is not a trajectory: it is a metric, one number a run", None,
                                  "its values by scenario are in `stockflow run SPEC --scenarios all`")])
        else:
            shown = [v for v in res.batch.variables if not v.hidden]
            raise unknown_name(name, "a recorded variable of these runs",
                               list(dict.fromkeys([v.array for v in shown if v.array] + [v.name for v in shown])))
    return out


def _grid(variables: list[Any]) -> tuple[int, list[tuple[int, int]]]:
    """Columns, and each panel's (row, column). Six panels or fewer are one column. More go
    in a grid whose rows, for an array over two dimensions or more, are its last dimension's
    elements (an array over [level, band] reads as levels by bands), each such array on rows
    of its own; else three a row, or two where three would leave a gap."""
    n = len(variables)
    if n <= 6:
        return 1, [(i, 0) for i in range(n)]
    arrays = dict.fromkeys(v.array for v in variables if len(v.at) >= 2)
    widths = [len({v.at[-1][1] for v in variables if v.array == a}) for a in arrays]
    cols = next((w for w in widths if 2 <= w <= 4), 3 if n % 3 == 0 else 2)
    places: list[tuple[int, int]] = []
    r = c = 0
    group: str | None = None
    for v in variables:
        mine = v.array if len(v.at) >= 2 else None
        if c and mine != group:
            r, c = r + 1, 0
        places.append((r, c))
        group, c = mine, c + 1
        if c == cols:
            r, c = r + 1, 0
    return cols, places


def _honest_scale(ax: Any, series: np.ndarray) -> None:
    """A quantity that is never negative is drawn from zero, so a small change looks small;
    where the lines cannot be told apart, the panel says so."""
    lo, hi = float(np.nanmin(series)), float(np.nanmax(series))
    if lo >= 0 and hi > 0:
        ax.set_ylim(0, hi * 1.08)
    if hi - lo <= 1e-3 * max(abs(hi), abs(lo), 1e-300):
        ax.text(0.5, 0.5, "no visible change", transform=ax.transAxes, ha="center", va="center",
                fontsize=9, color="#566573")


def stock_and_flows(model: Any, result: Any, stock: str, unit: str) -> Any:
    """A stock above, its inflows (positive) and outflows (negative) below: why it moved."""
    s = model.stock_decl(stock)
    names = {f.id: f.display for f in model.checked.graph.flows}
    units = {v.id: v.units for v in model.variables()}
    flows = into_stock(model, s)
    factor, flow_units = flows.factors, flows.text
    fig = figure(figsize=(8, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
    t = result.times
    top.plot(t, result[s.id], color=COLOURS[0], linewidth=2)
    top.set_ylabel(_stock_label(s.display, units[s.id]), linespacing=LABEL_SPACING)
    top.set_title(f"{s.display}: the stock, and the flows that change it")
    total_in = np.zeros_like(t)
    total_out = np.zeros_like(t)
    for k, f in enumerate(s.inflows):
        bottom.plot(t, result[f] * factor[f], color=COLOURS[(k + 2) % len(COLOURS)], label=f"in: {names[f]}")
        total_in += result[f] * factor[f]
    for k, f in enumerate(s.outflows):
        bottom.plot(t, -result[f] * factor[f], linestyle="--", color=COLOURS[(k + 1) % len(COLOURS)],
                    label=f"out: {names[f]}")
        total_out += result[f] * factor[f]
    bottom.plot(t, total_in - total_out, color="black", linewidth=2, label="net")
    bottom.axhline(0, color="grey", linewidth=0.8)
    bottom.set_ylabel(_label("flow (outflows below zero)", flow_units), linespacing=LABEL_SPACING)
    bottom.set_xlabel(f"time [{unit}]")
    longest = max((len(x) for x in bottom.get_legend_handles_labels()[1]), default=0)
    # as many columns as fit the figure's width: an array element's flow names are long
    ncol = 3 if longest <= 30 else 2 if longest <= 48 else 1
    bottom.legend(fontsize=7, ncol=ncol, loc="upper left", bbox_to_anchor=(0, -0.22), frameon=False)
    _honest_scale(top, result[s.id][None, :])
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        _plain_numbers(ax)
    fig.tight_layout()
    return fig


def _label(name: str, units: str | None) -> str:
    shown = units_shown(units)  # money in £, as the ticks
    return f"{name}\n[{shown}]" if shown else name


def _stock_label(name: str, units: str | None) -> str:
    """A stock's axis label beside a title that names it: an element's long name
    (`children[intensive,age_12_17]`) ran past the figure's top and over the panel below, so
    past 20 characters the array's name stands for it."""
    return _label(name if len(name) <= 20 or "[" not in name else name.split("[", 1)[0], units)


def flows_by_scenario(model: Any, res: Any, stock: str, unit: str) -> Any:
    """One panel per scenario (and grid point): a stock's total inflow and outflow, with the
    stock itself behind them, so that the same stock reached by different flows can be told
    apart. A scenario with draws shows medians with 5-95% bands."""
    s = model.stock_decl(stock)
    units = {v.id: v.units for v in model.variables()}
    groups = [(label, idx) for label, idx in _groups(res) if res.runs[idx[0]].scenario != res.baseline]
    groups = groups or _groups(res)
    cols = 2 if len(groups) > 1 else 1
    rows = (len(groups) + cols - 1) // cols
    fig = figure(figsize=(5.2 * cols, 3.4 * rows))
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    titles = {sc.display: as_written(sc.title or sc.display) for sc in model.checked.graph.scenarios}
    t = res.batch.times
    b = res.batch
    flows = into_stock(model, s)
    factor, flow_units = flows.factors, flows.text
    twins: list[Any] = []
    for ax, (label, idx) in zip(axes.flat, groups, strict=False):
        zero = np.zeros((len(idx), t.size))
        inflow = sum((b[f][idx] * factor[f] for f in s.inflows), zero)
        outflow = sum((b[f][idx] * factor[f] for f in s.outflows), zero)
        _band(ax, t, inflow, COLOURS[2], "inflow", linewidth=2)
        _band(ax, t, outflow, COLOURS[1], "outflow", linewidth=2, linestyle="--")
        name = res.runs[idx[0]].scenario
        ax.set_title(label.replace(name, titles.get(name, name), 1), fontsize=10)
        ax.grid(alpha=0.3)
        _plain_numbers(ax)
        twin = ax.twinx()
        if twins:  # one scale for the stock in every panel, as for the flows
            twin.sharey(twins[0])
        twins.append(twin)
        _band(twin, t, b[s.id][idx], "grey", s.display, linewidth=1, alpha=0.7)
        twin.set_ylabel(_stock_label(s.display, units[s.id]), color="grey", fontsize=8, linespacing=LABEL_SPACING)
        twin.tick_params(labelsize=7, colors="grey")
    for k in range(len(groups), rows * cols):  # an empty last panel: the one above shows the time axis
        axes.flat[k].set_visible(False)
        axes.flat[k - cols].xaxis.set_tick_params(labelbottom=True)
        axes.flat[k - cols].set_xlabel(f"time [{unit}]")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    for ax in axes[:, 0]:
        ax.set_ylabel(_label("flow", flow_units), fontsize=8, linespacing=LABEL_SPACING)
    for ax in axes[-1]:
        ax.set_xlabel(f"time [{unit}]")
    fig.suptitle(f"{s.display}: the same stock, different flows", fontsize=11)
    fig.tight_layout()
    return fig


def cost_and_quality(res: Any, cost: str, quality: str) -> Any:
    """Each scenario's cost against its quality of life; draws as a cloud."""
    fig = figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    c, q = res.batch[cost], res.batch[quality]
    info = {m.id: m for m in res.batch.metrics}
    for k, (label, idx) in enumerate(_groups(res)):
        colour = COLOURS[k % len(COLOURS)]
        if len(idx) > 1:
            ax.scatter(q[idx], c[idx], s=8, alpha=0.35, color=colour)
            ax.scatter(np.median(q[idx]), np.median(c[idx]), s=60, color=colour, edgecolor="black", label=label)
        else:
            ax.scatter(q[idx], c[idx], s=60, color=colour, edgecolor="black", label=label)
    ax.set_xlabel(_label(info[quality.lower()].name, info[quality.lower()].units).replace("\n", " "))
    ax.set_ylabel(_label(info[cost.lower()].name, info[cost.lower()].units).replace("\n", " "))
    _plain_numbers(ax, info[cost.lower()].units)  # £150,000,000, not 1.5 with 1e8 above the axis
    _plain_numbers(ax, info[quality.lower()].units, ax.xaxis)
    ax.set_title("Cost against quality of life (better: right and lower)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def as_written(text: str) -> str:
    """Free text from a spec or a data file (a scenario's title, a series' name) for a chart:
    matplotlib reads a pair of `$` as TeX, drawn as a formula or raising on bad TeX, and a
    control character (YAML's `"\\f"`) is shown escaped, as in messages."""
    from .compiler.base.diagnostics import printable

    return printable(text).replace("$", r"\$")


def save(fig: Any, path: str | Path, inputs: tuple[str, ...] = ()) -> None:
    """PNG or SVG by extension, written atomically."""
    from .compiler.base.files import write_atomic

    write_atomic(path, writer(fig, path), inputs)


def writer(fig: Any, path: str | Path) -> Any:
    """A function that writes the figure to an open binary file, in the format `path` names."""
    fmt = Path(path).suffix.lower().lstrip(".")
    return lambda fh: fig.savefig(fh, format=fmt, dpi=120)


def to_data_uri(fig: Any) -> str:
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
