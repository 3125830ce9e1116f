"""Shared helpers: small specs written in a line or two."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Compiled runs go to a cache of the test session's own, not the user's.
os.environ.setdefault("STOCKFLOW_CACHE_DIR", tempfile.mkdtemp(prefix="stockflow-xla-"))

import stockflow

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PEER = SHARED / "peer-models"


def model(body: str, *, start: float = 0, stop: float = 10, dt: float = 0.25, units: str = "year",
          method: str = "euler") -> stockflow.Model:
    """Compile a DSL body with a time block added in front."""
    head = f"time {{ start {start}  stop {stop}  dt {dt}  units {units}  method {method} }}\n"
    return stockflow.load_text(head + body, "dsl", "test.sfm")


def needs_peer_models() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not PEER.is_dir(),
                              reason=f"reference models not found at {PEER} (clone without ../shared)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """`hostile inputs: N/N hold`: how many of tests/test_hostile.py's cases passed."""
    stats = terminalreporter.stats
    hostile = [r for key in ("passed", "failed", "error") for r in stats.get(key, [])
               if getattr(r, "nodeid", "").startswith("tests/test_hostile.py") and r.when == "call"]
    if hostile:
        held = sum(r.passed for r in hostile)
        terminalreporter.write_line(f"hostile inputs: {held}/{len(hostile)} hold")
