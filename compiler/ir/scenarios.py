"""Resolved scenarios: input values, parameters and initial values set, and per-flow scaling
factors with the time they start and how long they take to ramp in. A scenario never
changes the model's structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..base.diagnostics import Span
from . import ast as A

BASELINE = "baseline"



@dataclass(frozen=True, slots=True)
class FlowScale:
    flow: str
    factor: float
    start: float | None  # None: from the start of the run
    over: float | None  # None: at once
    until: float | None = None  # None: to the end of the run


@dataclass(frozen=True, slots=True)
class TimedSet:
    """A parameter that takes a scenario's value only from `start` (ramping `over`) until `until`."""

    param: str
    value: float
    start: float
    over: float | None
    until: float | None


# distribution -> number of arguments; normal and lognormal are truncated to the bounds
DISTRIBUTIONS = {"uniform": 2, "normal": 2, "lognormal": 2, "triangular": 3, "beta": 2}
DEFAULT_DRAWS = 100


@dataclass(frozen=True, slots=True)
class Draw:
    param: str
    dist: str
    args: tuple[float, ...]
    bounds: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    display: str
    title: str | None
    params: tuple[tuple[str, float], ...]
    initial: tuple[tuple[str, float], ...]
    scales: tuple[FlowScale, ...]
    doc: A.Doc
    sweeps: tuple[tuple[str, tuple[float, ...]], ...] = ()
    samples: tuple[Draw, ...] = ()
    draws: int = 1
    seed: int = 0
    latin_hypercube: bool = False
    timed: tuple[TimedSet, ...] = ()
    report: tuple[str, ...] = ()  # metric ids to show; () for all
    from_fit: tuple[str, str] | None = None  # `sample from fit`: (folder as written, the spec file it is in)
    span: Span | None = field(default=None, compare=False, repr=False)


DRAWS_FILE = "draws.csv"  # what `stockflow calibrate -o FOLDER` writes and `sample from fit` reads


def draws_path(from_fit: tuple[str, str]) -> Path:
    """`sample from fit "FOLDER"`: FOLDER/draws.csv, beside the spec that names it."""
    folder, spec = from_fit
    return (Path(spec).parent if spec and not spec.startswith("<") else Path.cwd()) / folder / DRAWS_FILE


def as_written() -> Scenario:
    """The baseline when a spec declares none: the model as written."""
    return Scenario(BASELINE, BASELINE, "the model as written", (), (), (), A.Doc())
