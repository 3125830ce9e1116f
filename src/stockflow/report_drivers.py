"""The report's "which assumptions matter" section: for each sampled scenario, its sampled
assumptions ranked by how strongly each moves the metrics over the draws."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from .runtime._drivers import rho_text


def drivers_section(results: Any, table: Callable[..., str]) -> list[str]:
    """A table per sampled scenario (and grid point): a row per sampled assumption, a column
    per metric shown, each cell the rank correlation; then the strongest in words."""
    rows = results.driver_rows()
    if not rows:
        return []
    parts = ["<h3>Which assumptions matter</h3>",
             "<p class='note'>For each scenario that samples its assumptions: how strongly each one moves each "
             "result over the draws (Spearman's rank correlation, from -1 to +1). Near +1 or -1, that assumption "
             "alone largely decides where the result falls in its range; near 0, it hardly matters. Better "
             "evidence on the assumptions at the top narrows the range most.</p>"]
    blocks: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        blocks.setdefault((r.scenario, r.point), []).append(r)
    for (scenario, point), block in blocks.items():
        metrics = list(dict.fromkeys(r.metric for r in block))
        cell = {(r.parameter, r.metric): r.correlation for r in block}
        first = [r for r in block if r.metric == metrics[0]]  # already strongest first
        order = [r.parameter for r in first]
        name = html.escape(scenario + (f" ({point})" if point else ""))
        parts.append(f"<p><b>{name}</b>, {block[0].draws} draws:</p>")
        if len(metrics) > len(order):  # the longer list down the page, so that the table fits across
            parts.append(table(["result"] + [html.escape(p) for p in order],
                               [[html.escape(m)] + [rho_text(cell.get((p, m), float("nan"))) for p in order] for m in metrics],
                               set(range(1, len(order) + 1))))
        else:
            parts.append(table(["assumption"] + [html.escape(m) for m in metrics],
                               [[html.escape(p)] + [rho_text(cell.get((p, m), float("nan"))) for m in metrics] for p in order],
                               set(range(1, len(metrics) + 1))))
        parts.append(f"<p class='note'>{_words(first)}" + (
            " These assumptions were drawn together (from a calibration) and move together, so a strong "
            "correlation may carry another's effect; the calibration's own report says which it could tell apart."
            if block[0].entangled else "") + "</p>")
    return parts




def _words(first: list[Any]) -> str:
    """The strongest driver of the first metric, in a sentence."""
    top = first[0]
    if top.correlation != top.correlation or abs(top.correlation) < 0.3:
        return html.escape(f"No one sampled assumption moves {top.metric} much on its own.")
    way = "the higher it is, the higher" if top.correlation > 0 else "the higher it is, the lower"
    return html.escape(f"{top.metric} depends most on {top.parameter} ({way} {top.metric}).")
