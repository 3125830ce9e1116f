"""mypy passes over the package as it installs (see .ci/typecheck): the IR's types are
checked, not just written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors() -> None:
    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "typecheck")], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Success: no issues found" in out.stdout
