"""Running an SDXorg reference model and comparing it with its canonical output."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import stockflow
from stockflow.compiler.read.xmile.names import key, original_name

# Vensim's control variables: canonical outputs list them even where the XMILE file has no
# such variable; they are the run's time settings.
CONTROL = {"initial_time": "start", "final_time": "stop", "time_step": "dt", "saveper": "dt"}
# Canonical columns that name no variable of the XMILE file, so no tool can compute them.
ABSENT = {"tests/smooth_and_stock/test_smooth_and_stock.xmile": {"input", "smoothed_input", "smoothing_time"}}
# The file says RK4, but its canonical output was made with Euler (Vensim's default; PySD
# ignores the method). It runs with Euler here; tests check RK4 separately.
EULER_CANONICAL = {"tests/zeroled_decimals/test_zeroled_decimals.xmile"}


def canonical(model: Path) -> pd.DataFrame:
    for name, sep in (("output.csv", ","), ("output.tab", "\t")):
        path = model.parent / name
        if path.exists():
            raw = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
            return pd.read_csv(io.StringIO(raw), sep=sep)
    raise FileNotFoundError(f"no canonical output next to {model}")


@dataclass
class Outcome:
    compared: int = 0  # values compared
    columns: list[str] = field(default_factory=list)
    absent: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


def compare(model_path: Path, rel: str) -> Outcome:
    m = stockflow.load(model_path)
    r = m.run(method="euler" if rel in EULER_CANONICAL else None)
    ref = canonical(model_path)
    names = {}
    for d in m.spec.decls:
        doc = getattr(d, "doc", None)
        names[key(original_name(doc.description if doc else None) or d.name)] = d.name
    settings = {"start": m.spec.time.start, "stop": m.spec.time.stop, "dt": m.spec.time.dt}
    times = np.asarray(r.times)
    out = Outcome()
    tcol = ref.columns[0]
    for col in ref.columns[1:]:
        k = key(col)
        if k in names:
            series = r[names[k]]
        elif k in CONTROL:
            series = np.full(len(times), settings[CONTROL[k]])
        else:
            out.absent.add(k)
            continue
        out.columns.append(col)
        for t, want in zip(ref[tcol], ref[col], strict=True):
            if isinstance(want, str) and not want.strip() or pd.isna(want):
                continue  # Vensim writes constants at the first time only
            i = int(np.argmin(np.abs(times - float(t))))
            if abs(times[i] - float(t)) > 1e-5 * max(1.0, abs(float(t))):  # printed to 6 digits
                out.failures.append(f"time {t} is not a time of the run")
                break
            got, want = float(series[i]), float(want)
            out.compared += 1
            # The SDXorg rule: relative 1e-3 with an absolute floor of 1e-5
            if not abs(got - want) <= max(1e-3 * abs(want), 1e-5):
                out.failures.append(f"{col} at {t}: {got!r}, canonical {want!r}")
                break
    return out


def table(peer: Path) -> str:
    """The pass table for docs/xmile.md: `python tests/xmile_conformance.py ../shared/peer-models`."""
    rows = ["| model | columns | values compared | result |", "|---|---:|---:|---|"]
    for path in sorted(peer.rglob("*.xmile")):
        rel = path.relative_to(peer).as_posix()
        out = compare(path, rel)
        note = "pass" if not out.failures else "FAIL: " + out.failures[0]
        if out.absent:
            note += f" ({len(out.absent)} canonical columns name no variable of the file)"
        if rel in EULER_CANONICAL:
            note += " (run with Euler, as its canonical output was made)"
        rows.append(f"| `{rel}` | {len(out.columns)} | {out.compared} | {note} |")
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    print(table(Path(sys.argv[1])))
