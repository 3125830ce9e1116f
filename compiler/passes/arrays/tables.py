"""An arrayed parameter's values read from a CSV file the spec names: one column per
dimension (named by the dimension or its alias) and a `value` column."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ...base.cells import OVERFULL_HINT, cell_number, other_separator, overfull
from ...base.diagnostics import Diagnostic, Span, SpecError, error, printable
from ...base.files import allowed_roots, check_named, read_bytes
from ...base.hints import did_you_mean
from ...base.names import canonical
from .dims import Dim
from .exprs import Arrayed, element_name

MAX_TABLE_BYTES = 50_000_000


def read_table(name: str | None, span: Span | None, arr: Arrayed, spec_file: str,
               errors: list[Diagnostic]) -> dict[tuple[str, ...], float]:
    if name is None:
        return {}
    owner = span.file if span is not None and span.file else spec_file
    base = Path(owner).parent if not owner.startswith("<") else Path.cwd()
    try:
        path = check_named(str(base / name) if "://" not in name else name, allowed_roots(owner), span, "table")
        text = read_bytes(path, MAX_TABLE_BYTES, span, "table").decode("utf-8-sig")
    except SpecError as exc:
        errors.extend(exc.diagnostics)
        return {}
    except UnicodeDecodeError:
        errors.append(error("E094", f"{printable(name)} is not UTF-8 text", span, "save it as UTF-8 CSV"))
        return {}
    return _rows(text, name, span, arr, errors)


def _rows(text: str, name: str, span: Span | None, arr: Arrayed, errors: list[Diagnostic]
          ) -> dict[tuple[str, ...], float]:
    reader = csv.reader(io.StringIO(text))
    header = [canonical(h.strip()) for h in next(reader, [])]
    dims = [canonical(d.name) for d in arr.dims]
    wanted = [*dims, "value"]
    if len(set(dims)) < len(dims):  # one dimension twice: columns go by position
        wanted = header if len(header) == len(dims) + 1 and header[-1] == "value" else wanted
    missing = [w for w in wanted if w not in header]
    sep = other_separator(header)
    if missing and sep is not None:
        errors.append(error("E094", f"table {printable(name)} has its columns separated by {sep}, not by commas",
                            span, "save it as CSV with commas between columns (and full stops in decimals)"))
        return {}
    if missing and not (len(header) == len(dims) + 1 and header[-1] == "value"):
        errors.append(error("E094", f"table {printable(name)} for `{arr.name}` has no column `{missing[0]}`", span,
                            f"its columns: {', '.join(header) or 'none'}; it needs {', '.join(wanted)}"))
        return {}
    cols = [header.index(w) for w in wanted] if not missing else list(range(len(dims) + 1))
    out: dict[tuple[str, ...], float] = {}
    for row_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(cols):
            errors.append(error("E094", f"{printable(name)} row {row_no} has {len(row)} cells", span,
                                f"each row gives {', '.join(wanted)}"))
            return {}
        if overfull(row, len(header)):  # `universal,9,100` was 9 children, not 9,100
            errors.append(error("E094", f"{printable(name)} row {row_no} has {len(row)} cells, its header "
                                f"{len(header)}", span, OVERFULL_HINT))
            return {}
        key = tuple(_element(row[c], dim) for c, dim in zip(cols[:-1], arr.dims, strict=True))
        for el, dim in zip(key, arr.dims, strict=True):
            if dim.position(el) is None:
                errors.append(error("E094", f"{printable(name)} row {row_no}: `{printable(el)}` is not an element of "
                                    f"`{dim.name}`", span, did_you_mean(el, dim.elements)
                                    or "its elements: " + ", ".join(dim.elements[:12])))
                return {}
        value, problem = cell_number(row[cols[-1]])
        if value is None:
            why = ("not a number: its comma does not separate thousands" if problem == "decimal comma"
                   else "not a finite number")
            errors.append(error("E094", f"{printable(name)} row {row_no}: the value `{printable(row[cols[-1]])}` is "
                                f"{why}", span, "write a number: decimals with a full stop (150.2), thousands as "
                                "12,345 or 12345"))
            return {}
        if key in out:
            errors.append(error("E094", f"{printable(name)} gives `{element_name(arr.name, key)}` twice "
                                f"(row {row_no})", span, "keep one row per element"))
            return {}
        out[key] = value
    return out


def _element(cell: str, dim: Dim) -> str:
    """A cell's element: its name as written, or, as spreadsheets write names, with spaces
    and hyphens for underscores (`East Ayrshire` is `east_ayrshire`, `Perth-and-Kinross`
    `perth_and_kinross`) when that is an element and the name as written is not."""
    name = canonical(cell.strip())
    joined = re.sub(r"[\s-]+", "_", name)
    return joined if dim.position(name) is None and dim.position(joined) is not None else name
