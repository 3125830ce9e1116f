"""One run's CSV is written without pandas, and holds the bytes pandas would write."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

import stockflow
from stockflow.runtime._results import write_table

ROOT = Path(__file__).resolve().parents[1]
ARRAYED = str(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
GIRFEC = str(ROOT / "specs" / "girfec" / "girfec.sfm")


def test_a_runs_csv_is_the_csv_pandas_writes(tmp_path: Path) -> None:
    """Element columns, metrics with empty element cells, NaN and infinities, -0, quotes and
    commas in a name, and a unit a spreadsheet would run as a formula."""
    res = stockflow.load(ARRAYED).run(method="euler")
    values = res.values.copy()
    values[3, 0], values[4, 0], values[5, 0], values[6, 0] = np.nan, np.inf, -0.0, 1e-300
    first = replace(res.variables[0], units="=HYPERLINK(1)", name='a,"b"')
    odd = replace(res, values=values, variables=(first, *res.variables[1:]))
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    for r in (res, odd):
        r.write(ours)
        write_table(r.to_frame(), theirs)
        assert ours.read_bytes() == theirs.read_bytes()
        assert r.tidy_length() == len(r.to_frame()) == len(ours.read_bytes().splitlines()) - 1
    lines = ours.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "time,variable,level,from,to,kind,units,value"  # one column per index
    assert lines[1] == "0,children,universal,,,stock,'=HYPERLINK(1),7480"  # made inert
    assert lines[1 + 3 * len(odd.variables)].split(",")[-1] == ""  # NaN is an empty cell
    assert lines[-1].startswith(f"{odd.times[-1]:.17g},") and ",,metric," in lines[-1]


def test_run_with_an_output_file_imports_no_pandas(tmp_path: Path) -> None:
    """The README's first command: pandas' import was about a fifth of it."""
    out = tmp_path / "g.csv"
    code = ("import sys\nfrom stockflow.cli import main\n"
            f"main(['run', {GIRFEC!r}, '-o', {str(out)!r}], standalone_mode=False)\n"
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "False"
    assert out.read_text(encoding="utf-8").startswith("time,variable,kind,units,value\n0,universal,stock,child,")
