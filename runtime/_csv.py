"""Results as CSV. One run's tidy rows go row by row through the csv module: the same bytes as
pandas' `to_csv(index=False, float_format="%.17g")` of `Results.to_frame()`, without importing
pandas (about a quarter of a second of a fresh `stockflow run -o results.csv`). Larger tables
(batches, scenarios: millions of rows) go through pyarrow's CSV writer, about eight times
quicker than pandas' %.17g; its numbers are the shortest text that reads back as the same
float64, so both forms hold every value exactly."""

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


def write_csv(path: Path, header: list[str], lines: Iterable[str], inputs: tuple[str, ...] = ()) -> Path:
    """`header` and `lines` (each a CSV row with its newline) to `path`, atomically; never over
    a file named in `inputs`."""

    def dump(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        text.write(row_text([safe_cell(h) for h in header]) + "\n")
        text.writelines(lines)
        text.flush()
        text.detach()  # the file stays open for write_atomic to sync

    return write_atomic(path, dump, inputs)


def row_text(cells: list[Any]) -> str:
    """One row as the csv module writes it (quotes only where a cell needs them), no newline."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([cell(c) for c in cells])
    return buf.getvalue()


def tidy_lines(times: np.ndarray, names: list[str], at: dict[str, list[str | None]], kinds: list[str],
               units: list[str], values: np.ndarray, metrics: list[tuple[str, str, float]]) -> Iterator[str]:
    """The rows of `Results.to_frame()`: each save time's variables, then the metrics at the
    final time. A variable's name, elements, kind and units are the same text at every time, so
    each is made once; a row is then its time, that text and its value."""
    columns = list(at.values())
    fixed = [row_text([names[j], *(c[j] for c in columns), kinds[j], units[j]]) for j in range(len(names))]
    for r, t in enumerate(times.tolist()):
        when = cell(t)
        for head, v in zip(fixed, values[r].tolist(), strict=True):
            yield f"{when},{head},{'' if v != v else format(v, '.17g')}\n"
    t_end = float(times[-1]) if len(times) else float("nan")
    for name, unit, value in metrics:
        yield row_text([t_end, name, *(None for _ in columns), "metric", unit, value]) + "\n"


def write_frame_csv(frame: Any, fh: BinaryIO) -> None:
    """A DataFrame (already made formula-safe) as CSV by pyarrow, streamed: categories as their
    text, NaN as an empty cell as pandas writes it, and quotes only if some cell needs them
    (arrow's "needed" quotes every text cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    columns, quote = [], any(_needs_quotes(str(c)) for c in frame.columns)
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            quote = quote or any(_needs_quotes(str(c)) for c in col.combine_chunks().dictionary.to_pylist())
            col = col.cast(pa.string())
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            quote = quote or pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py() is True
        elif pa.types.is_floating(col.type):
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, col.type), col)
        columns.append(col)
    names = [str(c) for c in frame.columns]
    head = io.StringIO()  # arrow quotes every column name; pandas and the csv module only where needed
    csv.writer(head, lineterminator="\n").writerow(names)
    fh.write(head.getvalue().encode("utf-8"))
    options = pcsv.WriteOptions(include_header=False, batch_size=65_536, quoting_style="needed" if quote else "none")
    pcsv.write_csv(pa.table(columns, names=names), pa.PythonFile(fh, mode="w"), options)


def _needs_quotes(text: str) -> bool:
    return any(ch in text for ch in ',"\r\n')
