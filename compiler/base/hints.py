"""Hints for names the user got slightly wrong."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate `name` is most likely a slip for, if any is close (case aside)."""
    pool = list(candidates)
    found = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in pool}
        found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        found = [lowered[f] for f in found]
    return found[0] if found else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    found = closest(name, candidates)
    return f"did you mean `{found}`?" if found else None


# functions and names of other tools (Vensim, Stella, Excel, Python), by their lower-case
# name with `_` for spaces, and what to write instead; "did you mean" would point INTEG to
# `integral`, which is something else
FOREIGN = {
    "integ": "Vensim's INTEG is a stock: `stock NAME = INITIAL`, with flows in and out",
    "if_then_else": "write `if c then a else b`",
    "xidz": "write `if b == 0 then x else a / b`",
    "zidz": "write `if b == 0 then 0 else a / b`",
    "safediv": "write `if b == 0 then 0 else a / b`",
    "power": "a power is written `^`: `a ^ b`",
    "pow": "a power is written `^`: `a ^ b`",
    "log10": "`log(x)` is the logarithm to base 10 (`ln(x)` the natural one)",
    "int": "`floor(x)` rounds down, `trunc(x)` towards zero",
    "integer": "`floor(x)` rounds down, `trunc(x)` towards zero",
    "modulo": "`mod(a, b)`",
    "smth1": "`smooth(x, T)`",
    "smth3": "`smooth3(x, T)`",
    "delay": "`delay_fixed(x, T)` for x exactly T earlier; `delay1`/`delay3` for a material delay",
    "with_lookup": "declare a `lookup NAME = [(x, y), ...]` and call it: `NAME(x)`",
    "lookup": "call a lookup by its name: `effect(x)`",
    "graph": "call a lookup by its name: `effect(x)`",
    "random_uniform": "a run has no randomness: draw a parameter in a scenario, `sample p ~ uniform(a, b)`",
    "random_normal": "a run has no randomness: draw a parameter in a scenario, `sample p ~ normal(m, s)`",
    "rand": "a run has no randomness: draw a parameter in a scenario, `sample p ~ uniform(a, b)`",
    "normal": "a run has no randomness: draw a parameter in a scenario, `sample p ~ normal(m, s)`",
    "uniform": "a run has no randomness: draw a parameter in a scenario, `sample p ~ uniform(a, b)`",
    "sum_product": "`sum(a[d] * b[d])`",
    "sumproduct": "`sum(a[d] * b[d])`",
    "average": "`mean(x[d])` over an array; in a metric, `mean(x)` over the run",
    "e": "e is `exp(1)`; e^x is `exp(x)`",
    "time_step": "the time step is `dt`",
    "timestep": "the time step is `dt`",
    "true": "conditions are comparisons (`x > 0`); a number standing for true is `1`",
    "false": "conditions are comparisons (`x > 0`); a number standing for false is `0`",
}


def foreign(name: str) -> str | None:
    """What to write for another tool's function or name, if `name` is one."""
    return FOREIGN.get(name.strip().lower().replace(" ", "_"))


FOREIGN_NAMES = {"e", "time_step", "timestep", "true", "false"}  # of FOREIGN, those written as names
