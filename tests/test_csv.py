"""One run's CSV is written without pandas, and holds the bytes pandas would write; larger
tables go through pyarrow and hold the same values exactly."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

import stockflow
from stockflow.compiler.base.files import safe_csv_frame
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
        safe = safe_csv_frame(r.to_frame())
        assert ours.read_bytes() == safe.to_csv(index=False, float_format="%.17g").encode("utf-8")
        write_table(r.to_frame(), theirs)  # the writer of batches and scenarios: the same table
        assert_same_table(ours, theirs)
        assert r.tidy_length() == len(r.to_frame()) == len(ours.read_bytes().splitlines()) - 1
    lines = ours.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "time,variable,level,from,to,kind,units,value"  # one column per index
    assert lines[1] == "0,children,universal,,,stock,'=HYPERLINK(1),7480"  # made inert
    assert lines[1 + 3 * len(odd.variables)].split(",")[-1] == ""  # NaN is an empty cell
    assert lines[-1].startswith(f"{odd.times[-1]:.17g},") and ",,metric," in lines[-1]


def assert_same_table(a: Path, b: Path) -> None:
    """The same cells: text for text, and numbers bit for bit (NaN, -0 and infinities too)."""
    import csv

    rows = [list(csv.reader(p.read_text(encoding="utf-8").splitlines())) for p in (a, b)]
    assert len(rows[0]) == len(rows[1]) and rows[0][0] == rows[1][0]
    for x, y in zip(*rows, strict=True):
        for u, v in zip(x, y, strict=True):
            if u != v:
                bits = [np.float64(float(c)).view(np.int64) for c in (u, v)]
                assert bits[0] == bits[1], (u, v)


def test_a_large_tables_csv_holds_every_value_exactly(tmp_path: Path) -> None:
    """pyarrow writes the numbers: each reads back as the same float64, over the whole range."""
    import pandas as pd

    rng = np.random.default_rng(4)
    values = rng.normal(0, 1, 3000) * 10.0 ** rng.integers(-300, 300, 3000)
    values[:6] = [np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308]
    frame = pd.DataFrame({"run": np.arange(3000), "kind": pd.Categorical(["stock", "flow"] * 1500),
                          "units": ["child"] * 2999 + ["=cmd()"], "value": values})
    write_table(frame, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert text[:2] == ["run,kind,units,value", "0,stock,child,"]  # no quotes where none are needed
    assert text[-1].startswith("2999,flow,'=cmd(),")  # a formula made inert
    back = pd.read_csv(tmp_path / "t.csv")["value"].to_numpy()
    finite = np.isfinite(values)
    assert np.array_equal(back[finite].view(np.int64), values[finite].view(np.int64))
    assert np.isnan(back[0]) and back[1] == np.inf and back[2] == -np.inf and np.signbit(back[3])
    frame["units"] = 'a,"b"'  # a cell that needs quotes: quoted, as the csv module reads it
    write_table(frame, tmp_path / "q.csv")
    assert (tmp_path / "q.csv").read_text(encoding="utf-8").splitlines()[1] == '0,"stock","a,""b""",'


def test_run_with_an_output_file_imports_no_pandas(tmp_path: Path) -> None:
    """The README's first command: pandas' import was about a fifth of it."""
    out = tmp_path / "g.csv"
    code = ("import sys\nfrom stockflow.cli import main\n"
            f"main(['run', {GIRFEC!r}, '-o', {str(out)!r}], standalone_mode=False)\n"
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "False"
    assert out.read_text(encoding="utf-8").startswith("time,variable,kind,units,value\n0,universal,stock,child,")
