"""`sample from fit "FOLDER"`: a scenario's parameters drawn jointly from a calibration's draws
(`FOLDER/draws.csv`, written by `stockflow calibrate -o FOLDER`: posterior draws when the
posterior mixed, else draws from the Laplace approximation), so what-ifs carry the data's
uncertainty and the correlations between estimates."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ..compiler.base.diagnostics import SpecError, error, printable
from ..compiler.base.files import allowed_roots, check_named, read_bytes
from ..compiler.base.names import canonical
from ..compiler.ir.scenarios import draws_path

MAX_DRAWS_BYTES = 20_000_000


def fit_draws(from_fit: tuple[str, str], params: set[str], n: int, seed: int) -> list[tuple[tuple[str, float], ...]]:
    """n rows of (parameter id, value), chosen from the file's rows with a seeded shuffle
    (without replacement while there are rows enough)."""
    folder, spec = from_fit
    path = draws_path(from_fit)
    where = f"the draws of `sample from fit {folder!r}`"
    check_named(path, allowed_roots(spec or "<text>"), None, where)
    try:
        text = read_bytes(path, MAX_DRAWS_BYTES, None, "draws file").decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError([error("E086", f"{printable(str(path))} is not UTF-8 text", None,
                               "give the folder `stockflow calibrate -o` wrote")]) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise SpecError([error("E086", f"{printable(str(path))} is empty", None, "run `stockflow calibrate -o` again")])
    head = [canonical(h) for h in rows[0]]
    cols = [(j, h) for j, h in enumerate(head) if h in params]
    if not cols:
        raise SpecError([error("E086", f"{printable(str(path))} holds no parameter of this model", None,
                               "columns: " + ", ".join(printable(h) for h in rows[0][:8]))])
    values = np.empty((len(rows) - 1, len(cols)))
    for i, row in enumerate(rows[1:]):
        for k, (j, _) in enumerate(cols):
            try:
                values[i, k] = float(row[j])
            except (ValueError, IndexError):
                values[i, k] = math.nan
            if not math.isfinite(values[i, k]):
                raise SpecError([error("E086", f"{printable(str(path))}:{i + 2}: `{printable(rows[0][j])}` is not a "
                                       "finite number", None, "run `stockflow calibrate -o` again")])
    if not len(values):
        raise SpecError([error("E086", f"{printable(str(path))} has no draws", None, "run `stockflow calibrate -o`")])
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(values)) for _ in range(-(-n // len(values)))])[:n]
    return [tuple((h, float(values[r, k])) for k, (_, h) in enumerate(cols)) for r in order]
