"""How a posterior is reported: a text section (or the refusal to give one), and a figure of
marginal densities and of the pairs the data cannot separate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .numbers import value_text

PAIRED = 0.7  # a posterior correlation past this marks a pair the data cannot separate


def posterior_text(fit: Any, post: Any) -> str:
    chains, draws, _ = post.draws.shape
    head = (f"\nPosterior (NUTS, {chains} chains of {draws} draws after warm-up; {post.seconds:.0f} s; "
            f"{post.divergences} divergent transitions):\n")
    if not post.mixed:
        return head + "".join(f"  - {p}\n" for p in post.problems()) + (
            "NOT mixed: no posterior is reported. Try more draws (`--draws 4000`) or warm-up (`--warmup`), "
            "priors on the parameters the data do not determine, or bounds.\n")
    lines = [f"  {'parameter':30} {'median':>11} {'95% credible interval':>27} {'R-hat':>6} {'ESS':>6}"]
    summary = post.summary()
    for row in summary.itertuples():
        lines.append(f"  {row.parameter:30} {value_text(row.median):>11} "
                     f"{'[' + value_text(row.low) + ', ' + value_text(row.high) + ']':>27} {row.rhat:6.3f} "
                     f"{min(row.ess_bulk, row.ess_tail):6.0f}")
    flat = [e.name for e, p in zip(fit.estimates, fit.problem.params, strict=True)
            if p.index is not None and p.prior is None]
    if flat:
        lines.append("  No prior given for " + ", ".join(f"`{n}`" for n in flat)
                     + ": flat on its own scale within its bounds.")
    if post.divergences:
        lines.append(f"  {post.divergences} divergent transitions: parts of the posterior may be missed; "
                     "try priors, or a larger `--warmup`.")
    pairs = paired(fit, post)
    if pairs:
        lines.append("  Pairs the data cannot separate (posterior correlation): "
                     + "; ".join(f"`{a}` ~ `{b}` ({r:+.2f})" for a, b, r in pairs))
    return head + "\n".join(lines) + "\n"


def paired(fit: Any, post: Any) -> list[tuple[str, str, float]]:
    model = [i for i, p in enumerate(fit.problem.params) if p.index is not None]
    flat = post.draws.reshape(-1, post.draws.shape[-1])[:, model]
    if flat.shape[1] < 2:
        return []
    c = np.corrcoef(flat, rowvar=False)
    names = [post.names[i] for i in model]
    out = [(names[i], names[j], float(c[i, j])) for i in range(len(names)) for j in range(i)
           if np.isfinite(c[i, j]) and abs(c[i, j]) > PAIRED]
    return sorted(out, key=lambda x: -abs(x[2]))[:4]


def posterior_plot(fit: Any, post: Any, path: Path, inputs: tuple[str, ...] = ()) -> None:
    """Each model parameter's marginal density with its 95% credible interval, then a scatter
    of each pair the data cannot separate."""
    from .plots import _plain_numbers, figure, save

    model = [i for i, p in enumerate(fit.problem.params) if p.index is not None]
    pairs = paired(fit, post)
    n = len(model) + len(pairs)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = figure(figsize=(3.6 * cols, 3.0 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    flat = post.draws.reshape(-1, post.draws.shape[-1])
    units = param_units(fit)
    for ax, i in zip(axes, model, strict=False):
        name = post.names[i]
        x = flat[:, i]
        ax.hist(x, bins=40, density=True, color="#9ecae1", edgecolor="none")
        lo, hi = np.quantile(x, [0.025, 0.975])
        ax.axvspan(lo, hi, color="#3182bd", alpha=0.15, label="95% credible")
        ax.axvline(np.median(x), color="#08519c", lw=1.2, label="median")
        ax.set_xlabel(_label(name, units), fontsize=8)
        ax.set_yticks([])
        ax.set_title(f"{value_text(float(np.median(x)))}  [{value_text(float(lo))}, {value_text(float(hi))}]",
                     fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    if model:
        axes[0].legend(fontsize=7, frameon=False, loc="upper right")
    index = {post.names[i]: i for i in model}
    for ax, (a, b, r) in zip(axes[len(model):], pairs, strict=False):
        ax.plot(flat[:, index[b]], flat[:, index[a]], ".", ms=1.5, alpha=0.3, color="#3182bd")
        ax.set_xlabel(_label(b, units), fontsize=8)
        ax.set_ylabel(_label(a, units), fontsize=8)
        ax.set_title(f"cannot be separated (r = {r:+.2f})", fontsize=8)
        _plain_numbers(ax)
        ax.tick_params(labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    save(fig, str(path), inputs)


def param_units(fit: Any) -> dict[str, str]:
    from .compiler.ir.text import unit_text

    return {p.display.lower(): unit_text(p.units) for p in fit.model.checked.graph.params if p.units is not None}


def _label(name: str, units: dict[str, str]) -> str:
    unit = units.get(name.lower(), "")
    return f"{name} [{unit}]" if unit and unit != "1" else name
