"""stockflow runtime: fixed-step integration of checked models on JAX, and results."""

from ._plan import Plan, plan
from ._results import BatchResults, Results, VarInfo, write_table
from ._scenario_results import RunInfo, ScenarioResults
from ._solvers import RK4, SOLVERS, Euler

__all__ = ["Plan", "plan", "Results", "BatchResults", "ScenarioResults", "RunInfo", "VarInfo", "write_table", "Euler", "RK4", "SOLVERS"]
