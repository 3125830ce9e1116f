"""One run's tidy results as CSV, row by row with the csv module: the same bytes as pandas'
`to_csv(index=False, float_format="%.17g")` of `Results.to_frame()`, without importing pandas
(about a quarter of a second of a fresh `stockflow run -o results.csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..compiler.base.diagnostics import SpecError, error
from ..compiler.base.files import safe_cell, write_atomic
from ..compiler.base.limits import MAX_CSV_BYTES


def check_csv_size(path: Path, rows: int, cols: int) -> None:
    """E006 before a CSV too large to write is built, not after the disk fills."""
    rough = rows * (cols * 12 + 8)  # bytes, at about 12 characters a cell
    if rough > MAX_CSV_BYTES:
        raise SpecError([error("E006", f"{path.name} would be about {rough / 1e9:.1f} GB of CSV; the limit is "
                               f"{MAX_CSV_BYTES / 1e9:g} GB", None,
                               "write .parquet instead, or record less often (`save` in the time settings)")])


def cell(v: Any) -> str:
    """A cell as pandas writes it here: numbers as %.17g, NaN and None empty, text that a
    spreadsheet would run as a formula made inert."""
    if v is None:
        return ""
    if isinstance(v, str):
        return safe_cell(v)
    if isinstance(v, (float, np.floating)):
        return "" if v != v else format(v, ".17g")
    return str(v)


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]], inputs: tuple[str, ...] = ()) -> Path:
    """`header` and `rows` to `path` as CSV, atomically; never over a file named in `inputs`."""

    def dump(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        out = csv.writer(text, lineterminator="\n")
        out.writerow([safe_cell(h) for h in header])
        out.writerows([cell(v) for v in row] for row in rows)
        text.flush()
        text.detach()  # the file stays open for write_atomic to sync

    return write_atomic(path, dump, inputs)


def tidy_rows(times: np.ndarray, names: list[str], at: dict[str, list[str | None]], kinds: list[str],
              units: list[str], values: np.ndarray, metrics: list[tuple[str, str, float]]) -> Iterator[list[Any]]:
    """The rows of `Results.to_frame()`: each save time's variables, then the metrics at the
    final time."""
    columns = list(at.values())
    fixed = [[names[j], *(c[j] for c in columns), kinds[j], units[j]] for j in range(len(names))]
    for r, t in enumerate(times.tolist()):
        vals = values[r].tolist()
        for j, head in enumerate(fixed):
            yield [t, *head, vals[j]]
    t_end = float(times[-1]) if len(times) else float("nan")
    for name, unit, value in metrics:
        yield [t_end, name, *(None for _ in columns), "metric", unit, value]
