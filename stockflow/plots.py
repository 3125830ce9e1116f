"""Figures people look at: trajectories by scenario (fan charts for draws), a stock with the
flows that moved it, and cost against quality of life. matplotlib, loaded when first used."""

from __future__ import annotations

from typing import Any

import numpy as np

COLOURS = ["#2c3e50", "#c0392b", "#1e8449", "#d68910", "#7d3c98", "#2e86c1", "#a04000", "#566573"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
    """One panel per variable, one line per scenario; runs with draws as a 5-95% band."""
    plt = _plt()
    fig, axes = plt.subplots(len(variables), 1, figsize=(8, 2.6 * len(variables)), sharex=True, squeeze=False)
    t = res.batch.times
    for ax, name in zip(axes[:, 0], variables, strict=True):
        series = res.batch[name]
        info = next(v for v in res.batch.variables if v.id == name.lower())
        for k, (label, idx) in enumerate(_groups(res)):
            colour = COLOURS[k % len(COLOURS)]
            if len(idx) > 1:
                lo, mid, hi = np.percentile(series[idx], [5, 50, 95], axis=0)
                ax.fill_between(t, lo, hi, color=colour, alpha=0.2, linewidth=0)
                ax.plot(t, mid, color=colour, label=f"{label}: median, 5-95%")
            else:
                ax.plot(t, series[idx[0]], color=colour, label=label)
        ax.set_ylabel(f"{info.name}" + (f"\n[{info.units}]" if info.units else ""))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="best")
    axes[-1, 0].set_xlabel(f"time [{unit}]")
    fig.tight_layout()
    return fig


def stock_and_flows(model: Any, result: Any, stock: str, unit: str) -> Any:
    """A stock above, its inflows (positive) and outflows (negative) below: why it moved."""
    plt = _plt()
    g = model.checked.graph
    s = next(x for x in g.stocks if x.id == stock.lower())
    names = {f.id: f.display for f in g.flows}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
    t = result.times
    top.plot(t, result[s.id], color=COLOURS[0], linewidth=2)
    top.set_ylabel(s.display)
    top.set_title(f"{s.display}: the stock, and the flows that change it")
    total_in = np.zeros_like(t)
    total_out = np.zeros_like(t)
    for k, f in enumerate(s.inflows):
        bottom.plot(t, result[f], color=COLOURS[(k + 2) % len(COLOURS)], label=f"in: {names[f]}")
        total_in += result[f]
    for k, f in enumerate(s.outflows):
        bottom.plot(t, -result[f], linestyle="--", color=COLOURS[(k + 1) % len(COLOURS)], label=f"out: {names[f]}")
        total_out += result[f]
    bottom.plot(t, total_in - total_out, color="black", linewidth=2, label="net")
    bottom.axhline(0, color="grey", linewidth=0.8)
    bottom.set_ylabel("flow (outflows below zero)")
    bottom.set_xlabel(f"time [{unit}]")
    bottom.legend(fontsize=7, ncol=2)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def flows_by_scenario(model: Any, res: Any, stock: str, unit: str) -> Any:
    """One panel per scenario: a stock's total inflow and outflow, with the stock itself behind
    them, so that the same stock reached by different flows can be told apart."""
    plt = _plt()
    g = model.checked.graph
    s = next(x for x in g.stocks if x.id == stock.lower())
    names = [n for n in res.names if n != res.baseline] or list(res.names)
    cols = 2 if len(names) > 1 else 1
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), sharex=True, sharey=True, squeeze=False)
    titles = {sc.display: sc.title or sc.display for sc in g.scenarios}
    t = res.batch.times
    for ax, name in zip(axes.flat, names, strict=False):
        r = res[name]
        inflow = sum((r[f] for f in s.inflows), np.zeros_like(t))
        outflow = sum((r[f] for f in s.outflows), np.zeros_like(t))
        ax.plot(t, inflow, color=COLOURS[2], linewidth=2, label="inflow")
        ax.plot(t, outflow, color=COLOURS[1], linewidth=2, linestyle="--", label="outflow")
        ax.set_title(titles.get(name, name), fontsize=10)
        ax.grid(alpha=0.3)
        twin = ax.twinx()
        twin.plot(t, r[s.id], color="grey", linewidth=1, alpha=0.7, label=s.display)
        twin.set_ylabel(s.display, color="grey", fontsize=8)
        twin.tick_params(labelsize=7, colors="grey")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=8, loc="upper left")
    for ax in axes[-1]:
        ax.set_xlabel(f"time [{unit}]")
    fig.suptitle(f"{s.display}: the same stock, different flows", fontsize=11)
    fig.tight_layout()
    return fig


def cost_and_quality(res: Any, cost: str, quality: str) -> Any:
    """Each scenario's cost against its quality of life; draws as a cloud."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    c, q = res.batch[cost], res.batch[quality]
    info = {m.id: m for m in res.batch.metrics}
    for k, (label, idx) in enumerate(_groups(res)):
        colour = COLOURS[k % len(COLOURS)]
        if len(idx) > 1:
            ax.scatter(q[idx], c[idx], s=8, alpha=0.35, color=colour)
            ax.scatter(np.median(q[idx]), np.median(c[idx]), s=60, color=colour, edgecolor="black", label=label)
        else:
            ax.scatter(q[idx], c[idx], s=60, color=colour, edgecolor="black", label=label)
    ax.set_xlabel(f"{info[quality.lower()].name} [{info[quality.lower()].units}]")
    ax.set_ylabel(f"{info[cost.lower()].name} [{info[cost.lower()].units}]")
    ax.set_title("Cost against quality of life (better: right and lower)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def save(fig: Any, path: str) -> None:
    """PNG or SVG by extension, written atomically."""
    import io
    from pathlib import Path

    from .runtime._results import replace_atomically

    fmt = Path(path).suffix.lower().lstrip(".")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120)
    _plt().close(fig)
    import tempfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with open(fd, "wb") as fh:
        fh.write(buf.getvalue())
    replace_atomically(tmp, target)


def to_data_uri(fig: Any) -> str:
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
