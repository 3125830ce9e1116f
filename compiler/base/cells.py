"""Numbers in the cells of CSV files people save from spreadsheets: thousands may be grouped
with commas (`12,345`), but a comma that does not group digits in threes is a decimal comma
(`150,2`), which read as a separator would be 1502: it is refused, never guessed."""

from __future__ import annotations

import math
import re

THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
SEPARATORS = (";", "\t", "|")


def cell_number(text: str) -> tuple[float | None, str | None]:
    """The cell's number, or None and why not: "decimal comma", "not a number", "not finite"."""
    text = text.strip()
    if "," in text and not THOUSANDS.fullmatch(text):
        return None, "decimal comma"
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return None, "not a number"
    return (v, None) if math.isfinite(v) else (None, "not finite")


def other_separator(header: list[str]) -> str | None:
    """The separator of a file read as one column because it is not comma-separated: `a tab`
    or `` `;` ``; None if the header does not look so."""
    sep = next((s for s in SEPARATORS if len(header) == 1 and s in header[0]), None)
    return None if sep is None else "a tab" if sep == "\t" else f"`{sep}`"


# A row with more filled cells than its header: an unquoted thousands comma
OVERFULL_HINT = 'a value holding a comma needs quotes ("9,100"); otherwise remove the extra comma'


def overfull(row: list[str], width: int) -> bool:
    """Whether `row` has a filled cell past the header's `width` (`universal,9,100` under
    `level,value`); empty ones there are a spreadsheet's trailing commas."""
    return any(c.strip() for c in row[width:])
