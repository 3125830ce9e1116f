"""Calibration data: read, filter, check and place on the model's time axis.

Every problem names the file and row (the row as a spreadsheet shows it: the header is 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..compiler.base.cells import OVERFULL_HINT, cell_number, other_separator, overfull
from ..compiler.base.diagnostics import Diagnostic, Span, SpecError, error, printable, warning
from ..compiler.base.hints import closest, did_you_mean
from ..compiler.base.names import TIME_ALIASES, TIME_SECONDS
from ..compiler.ir.graph import Graph
from ..compiler.read.calibration import Calibration, DataSource, Observation
from ._calendar import add_months, date_time, months_per
from ._data_rows import Key, Picker, cells_text, differ_hint, kept, listed, norm

MAX_DATA_BYTES = 20_000_000  # a local authority's series are kilobytes; pandas needs ~10x the file in memory


@dataclass(frozen=True)
class Series:
    """One observed series, on the model's time axis."""

    obs: Observation
    ends: np.ndarray  # stock/aux: the time of each value; flow: the end of each period
    starts: np.ndarray  # flow: the start of each period (equal to `ends` otherwise)
    values: np.ndarray
    rows: tuple[str, ...]  # `file:row` of each value, for messages and residual tables


@dataclass(frozen=True)
class Loaded:
    series: tuple[Series, ...]
    notes: tuple[Diagnostic, ...]  # what was left out, and why


def seconds_per(unit: str) -> Fraction | None:
    u = TIME_ALIASES.get(unit.lower(), unit.lower())
    return TIME_SECONDS.get(u)


def load_data(cal: Calibration, graph: Graph) -> Loaded:
    notes: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    raw: dict[Key, list[tuple[str, str, str | None, str]]] = {o.key: [] for o in cal.observe}
    seen: set[str] = set()  # every series the files hold, for a did-you-mean
    cells: dict[str, dict[str, str]] = {}  # each column `by` reads: the cells met, by their words
    for src in cal.data:
        _read_source(src, cal, raw, errors, seen, cells)
    if errors:
        raise SpecError(errors)
    out = []
    missing: dict[tuple[Span, str, str], list[Observation]] = {}  # (observation, column, element): its series
    for o in cal.observe:
        if not raw[o.key] and o.cells and o.source in seen:
            column, element = next(((c, e) for c, e in o.cells if norm(e) not in cells.get(c, {})), o.cells[0])
            missing.setdefault((o.span, column, element), []).append(o)
            continue
        if not raw[o.key]:
            errors.append(_no_data(o, seen))
            continue
        series = _series(o, raw[o.key], cal, graph, notes, errors)
        if series is not None:
            out.append(series)
    errors += [_no_cells(column, element, obs, cells) for (_, column, element), obs in missing.items()]
    if errors:
        raise SpecError(errors)
    return Loaded(tuple(out), tuple(notes))


def _no_data(o: Observation, seen: set[str]) -> Diagnostic:
    called = "" if o.named is None else f" (series `{printable(o.source)}`)"
    return error("E081", f"no data for `{o.series}`{called} in any data file", o.span,
                 _series_hint(o.source, seen, o.named is None))


def _no_cells(column: str, element: str, obs: list[Observation], cells: dict[str, dict[str, str]]) -> Diagnostic:
    """An element `by` reads from a column that holds no cell naming it: one error for every
    series of that element."""
    met = cells.get(column, {})
    near = closest(element, met)
    shown = listed(sorted(met.values()))
    hint = (f"rows of other series have `{printable(column)}` `{printable(met[norm(element)])}`: check that the "
            "data hold these series for it" if norm(element) in met else
            f"`{printable(column)}` holds `{printable(met[near])}`: if that is `{element}`, name the element "
            f"`{near}`, as a cell is matched by its words (`Dundee City` is `dundee_city`)" if near else
            f"`{printable(column)}` holds {shown}" if met else
            f"no data file with `{printable(obs[0].source)}` has a column `{printable(column)}`")
    series = ", ".join(f"`{printable(o.source)}`" for o in obs[:4]) + (" ..." if len(obs) > 4 else "")
    return error("E081", f"no row of {series} has `{printable(column)}` `{element}`", obs[0].span, hint)


def _series(o: Observation, rows: list[tuple[str, str, str | None, str]], cal: Calibration, graph: Graph,
            notes: list[Diagnostic], errors: list[Diagnostic]) -> Series | None:
    """One observed series on the model's time axis: each usable row's period and value."""
    t = graph.time
    unit_s = seconds_per(t.unit)
    over = _over(o, t.unit, unit_s, errors)
    ends, starts, values, where = [], [], [], []
    skipped_missing = 0
    marks: list[str] = []  # the marks for a missing value met, to name them
    wrong_unit: dict[str, list[str]] = {}
    undated: list[tuple[str, str]] = []  # (the cell, its place): neither a number nor a date
    for when, value, unit, place in rows:
        if _missing(value):
            skipped_missing += 1
            if value.strip() and value.strip() not in marks:
                marks.append(value.strip())
            continue
        v = _value(o, value, place, errors)
        if v is None:
            continue
        if o.unit is not None and unit is not None and unit.strip() != o.unit:
            wrong_unit.setdefault(unit.strip(), []).append(place)
            continue
        time = _time(when, cal, t.start, t.unit, unit_s, place, o, errors, undated)
        if time is None:
            continue
        start = time - over if over is not None else time
        calendar = _calendar_start(when, o, cal, t.start, t.unit, unit_s)
        if calendar is not None:  # "the year ending 31 July": back to 31 July a year before
            start = calendar
        if start < t.start - 1e-9 or time > t.stop + 1e-9:
            notes.append(warning("W107", f"{place}: `{o.series}` at {when} is outside the run "
                                 f"({t.start:g} to {t.stop:g} {t.unit}) and is left out", o.span,
                                 "extend the run's time settings to use it"))
            continue
        ends.append(time)
        starts.append(start)
        values.append(v)
        where.append(place)
    if undated:  # one diagnostic for them all: a file's dates are usually all in one format
        errors.append(_undated(o, undated))
    for unit, places in wrong_unit.items():  # one diagnostic per unit found, naming its rows
        errors.append(error("E082", f"`{o.series}` is in `{unit}` in {_rows_text(places)}, but the observation "
                            f"expects `{o.unit}`", o.span, "convert the data, or observe the right series"))
    if skipped_missing:
        named = f" (marked {', '.join(f'`{printable(m)}`' for m in marks)})" if marks else ""
        notes.append(warning("W107", f"{skipped_missing} missing value(s) of `{o.series}` left out{named}", o.span))
    if not values:
        if not errors:
            errors.append(error("E081", f"none of the {len(rows)} value(s) of `{o.series}` can be used: they are "
                                "missing or outside the run", o.span,
                                "check the dates against the run's time settings and `time_origin`"))
        return None
    return Series(o, np.asarray(ends), np.asarray(starts), np.asarray(values), tuple(where))


def _value(o: Observation, value: str, place: str, errors: list[Diagnostic]) -> float | None:
    """A cell's number, or None with an E081 when it is not one the noise model accepts.
    Commas are read as thousands separators only where they group digits in threes
    (`12,345`): `150,2` is a decimal comma, which read that way would be 1502."""
    v, problem = cell_number(value)
    if problem == "decimal comma":
        errors.append(error("E081", f"{place}: `{printable(value)}` for `{o.series}` is not a number: its comma "
                            "does not separate thousands", o.span,
                            "write decimals with a full stop (150.2), thousands as 12,345 or 12345"))
        return None
    if problem == "not a number":
        nil = value.strip() in ("-", "\u2013", "\u2014")  # official tables' mark for nil, or for not applicable
        errors.append(error("E081", f"{place}: `{printable(value)}` for `{o.series}` is not a number", o.span,
                            "official tables write `-` for nil: write 0 if it is none, or leave the cell "
                            "empty for a missing value" if nil else
                            "fix the value, or leave the cell empty for a missing value"))
        return None
    if v is None:
        errors.append(error("E081", f"{place}: `{printable(value)}` is not a finite number", o.span))
        return None
    if v < 0 and o.noise in ("poisson", "negative_binomial"):
        errors.append(error("E081", f"{place}: `{o.series}` is {v:g}, but {o.noise} noise is for counts, "
                            "which are never negative", o.span,
                            "fix the value, or use `noise: normal` for a quantity that can be negative"))
        return None
    return v


def _calendar_start(when: str, o: Observation, cal: Calibration, start: float, unit: str,
                    unit_s: Fraction | None) -> float | None:
    """The start of a period given in whole calendar years, quarters or months before a date."""
    if o.over is None or cal.time_origin is None or unit_s is None:
        return None
    n, u = o.over
    months = months_per(u)
    if months is None or n != int(n):
        return None
    try:
        begin = add_months(dt.date.fromisoformat(when.strip()[:10]), -int(n) * months)
    except (ValueError, OverflowError):  # not a date, or a period reaching before the year 1
        return None
    return start + date_time(begin, cal.time_origin, unit, unit_s)


def _over(o: Observation, unit: str, unit_s: Fraction | None, errors: list[Diagnostic]) -> float | None:
    if o.over is None:
        return None
    n, u = o.over
    if not u:
        return n
    s = seconds_per(u)
    if s is None or unit_s is None:
        errors.append(error("E080", f"cannot express `over: {n:g} {u}` in the model's time unit `{unit}`", o.span,
                            f"give it as a number of {unit}s"))
        return n
    return n * float(s / unit_s)


_YEARS = re.compile(r"\s*(\d{4})\s*(?:[/-]\s*(\d{2}|\d{4}))?\s*")


def year_date(cell: str, year_end: tuple[int, int]) -> str:
    """`2019/2020`, `2019-20` or `2020` as the date `year_end` (month, day) falls on in the year
    it ends in: 2020-07-31. Anything else is left as it is, to be read (or refused) as written."""
    m = _YEARS.fullmatch(cell)
    if m is None:
        return cell
    first, second = int(m.group(1)), m.group(2)
    last = first if second is None else int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    if second is not None and last < first:
        last += 100  # 1999-00
    if second is not None and last != first + 1:
        return cell  # not one year to the next: read as written, and refused with its row
    month, day = year_end
    return f"{last:04d}-{month:02d}-{day:02d}"


def _undated(o: Observation, undated: list[tuple[str, str]]) -> Diagnostic:
    """E081 for the time cells that are neither numbers nor YYYY-MM-DD dates, with how to write
    a day/month/year date (UK spreadsheets') so that it is read, never guessed at."""
    first = undated[0][0].strip()
    more = f" (and {len(undated) - 1} more)" if len(undated) > 1 else ""
    dmy = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", first)
    if dmy:
        day, month, year = (int(x) for x in dmy.groups())
        hint = (f"write dates as YYYY-MM-DD: if `{first}` is day/month/year, it is "
                f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else
                "write dates as YYYY-MM-DD, e.g. 2021-03-31")
    elif _YEARS.fullmatch(first):
        hint = (f"`{printable(first)}` is a year, not a day: say which day of it each value stands for with "
                "`year_end: MM-DD` in this data source (`07-31` for the children's social work statistics' "
                "31 July, `03-31` for a financial year), or write dates YYYY-MM-DD")
    else:
        hint = "write dates as YYYY-MM-DD (e.g. 2021-03-31), or times as numbers in the model's time unit"
    return error("E081", f"{_rows_text([p for _, p in undated])}: `{printable(first)}`{more} for `{o.series}` "
                 "is neither a number nor a date (YYYY-MM-DD)", o.span, hint)


def _time(when: str, cal: Calibration, start: float, unit: str, unit_s: Fraction | None, place: str,
          o: Observation, errors: list[Diagnostic], undated: list[tuple[str, str]]) -> float | None:
    """The cell's time on the model's axis; a cell that is neither a number nor a date goes
    into `undated`, reported together (`_undated`)."""
    text = when.strip()
    try:
        t = float(text)
        if math.isfinite(t):  # `nan` and `inf` read as floats: a row that has no time
            return t
    except ValueError:
        pass
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        undated.append((when, place))
        return None
    if cal.time_origin is None or unit_s is None:
        errors.append(error("E080", f"{place}: the data are dated, so the calibration needs `time_origin` "
                            "(the date at the model's start time) and a model time unit such as year",
                            Span(cal.file, 1, 1, 1, 2), "add e.g. `time_origin: 2009-03-31`"))
        return None
    return start + date_time(day, cal.time_origin, unit, unit_s)


def _series_hint(name: str, seen: set[str], by_key: bool = True) -> str:
    """The series the data hold that `name` may mean (`Dundee foster` for `dundee_foster`:
    case and spaces aside), else what they hold; `by_key`: the observation's own name was
    taken for the series' (no `series:`), which `series:` can change."""
    def plain(s: str) -> str:
        return re.sub(r"[\s_-]+", "_", s.strip().lower())

    whole = name.split("[", 1)[0]
    if "," in name and any(("[" in s) != ("]" in s) for s in seen):  # `x[a,b]` unquoted in a CSV header
        return (f"a header with a comma in it is cut in two unless quoted: write `\"{printable(name)}\"` "
                f"(as `run -o --wide` writes it)")
    if "[" in name and whole in seen:  # an array observed element by element, where the data hold one series
        return (f"observing an array reads one series an element (`{printable(name)}`, as `run -o --wide` heads "
                f"them), but the data hold `{printable(whole)}` alone: if it is the total, observe an auxiliary "
                f"that sums the array (`aux total = sum(...)`)")
    same = sorted(s for s in seen if plain(s) == plain(name))
    if same:
        return f"the data call it `{printable(same[0])}`: write `series: {printable(same[0])}` (case and spaces matter)"
    near = did_you_mean(name, sorted(seen))
    shown = ", ".join(f"`{printable(s)}`" for s in sorted(seen)[:8]) + (" ..." if len(seen) > 8 else "")
    link = "; say which with `series: NAME`" if by_key else ""
    return near or (f"the data hold {shown}{link}" if seen else "check the series name against the data (case matters)")


def _ragged(data: bytes) -> tuple[int, int, int] | None:
    """The first line of a CSV file with more filled cells than its header: (line, cells,
    header's). Empty cells past the header (a spreadsheet's trailing commas) do not count."""
    try:
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        width = len(next(rows, []))
        return next(((rows.line_num, len(r), width) for r in rows if overfull(r, width)), None)
    except (UnicodeDecodeError, csv.Error):
        return None


def _read_csv(data: bytes) -> Any:
    """The table, every cell text. A line with more filled cells than the header raises
    ParserWarning (`_ragged` says where); with only empty ones more, they are dropped."""
    import pandas as pd

    with warnings.catch_warnings():
        # index_col=False: a first row of one cell more than the header made its first column
        # the index and shifted every column of every row
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, index_col=False)
        except pd.errors.ParserWarning:
            if _ragged(data) is not None:
                raise
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, index_col=False)


def _read_source(src: DataSource, cal: Calibration, raw: dict[Key, list[tuple[str, str, str | None, str]]],
                 errors: list[Diagnostic], seen: set[str], met: dict[str, dict[str, str]]) -> None:
    import pandas as pd

    from ..compiler.base.files import read_bytes

    name = Path(src.file).name
    try:
        data = read_bytes(src.file, MAX_DATA_BYTES, src.span, "data file")  # regular files, size first
        table = _read_csv(data)
    except SpecError as exc:
        errors.extend(error("E081", d.message, d.span, d.hint or "paths are relative to this file")
                      for d in exc.diagnostics)
        return
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.ParserWarning):
        ragged = _ragged(data)  # never quote what the file holds
        errors.append(error("E081", f"{printable(name)} line {ragged[0]} has {ragged[1]} cells, its header "
                            f"{ragged[2]}", src.span, OVERFULL_HINT) if ragged else
                      error("E081", f"cannot read {printable(name)} as CSV (UTF-8 text, one header row)", src.span,
                            "save it as UTF-8 CSV with a header row"))
        return
    cols = list(table.columns)
    wanted = [src.time] + ([src.series, src.value] if src.layout == "tidy" else [])
    wanted += [c for c in (src.unit, src.prefer.column if src.prefer else None) if c] + [c for c, _ in src.where]
    shown = other_separator([str(c) for c in cols])
    if shown is not None and any(c not in cols for c in wanted):  # one diagnostic, not one a column
        errors.append(error("E081", f"{name} has its columns separated by {shown}, not by commas", src.span,
                            "save it as CSV with commas between columns (and full stops in decimals)"))
        return
    for c in wanted:
        if c not in cols:
            errors.append(error("E081", f"{name} has no column `{c}`", src.span, "its columns: " + ", ".join(cols)))
    if errors:
        return
    rows: dict[tuple[Key, str], list[tuple[int, str, str | None, str | None]]] = {}
    table = kept(table, src, name, errors)
    if src.layout == "tidy":
        seen.update(str(x) for x in table[src.series].unique()[:10_000])
    else:
        seen.update(str(c) for c in cols if c not in wanted)
    year_end = src.year_end
    if year_end is not None:  # `2019/2020`, `2019-20`, `2020`: the given day of the year they end in
        table[src.time] = [year_date(str(cell), year_end) for cell in table[src.time]]
    pick = Picker(list(raw))
    by_columns = [c for c in pick.columns() if c in cols]
    for index, rec in zip(table.index, table.to_dict("records"), strict=True):
        line = int(index) + 2
        pref = rec[src.prefer.column] if src.prefer else None
        unit = rec[src.unit] if src.unit else None
        held = [rec[src.series]] if src.layout == "tidy" else [c for c in cols if c in pick]
        for series in held:
            if series not in pick:
                continue
            for c in by_columns:
                met.setdefault(c, {}).setdefault(norm(rec[c]), str(rec[c]))
            value = rec[src.value] if src.layout == "tidy" else rec[series]
            for key in pick.keys(series, rec):
                rows.setdefault((key, rec[src.time]), []).append((line, value, unit, pref))
    twice: dict[Key, list[tuple[str, list[int]]]] = {}  # each series' dates with several rows
    for (key, when), found in rows.items():
        # an empty cell is a missing value, never a second value for the same date
        present = [r for r in found if not _missing(r[1])] or found[:1]
        chosen = _prefer(present, src)
        if len(chosen) > 1:
            twice.setdefault(key, []).append((when, [r[0] for r in chosen]))
            continue
        line, value, unit, _ = chosen[0]
        raw[key].append((when, value, unit, f"{name}:{line}"))
    for (series, cells), dates in twice.items():  # one error a series, not one a date
        same = {c for c in (src.time, src.series, src.value, src.unit) if c} | {c for c, _ in cells}
        when, lines = dates[0]
        more = f", and at {len(dates) - 1} other date(s)" if len(dates) > 1 else ""
        what = f"`{series}`" + (f" with {cells_text(cells)}" if cells else "")
        hint = "say which to keep with `prefer: {column: note, keep: PREFERRED}`, or remove the duplicates"
        errors.append(error("E083", f"{name}: {len(lines)} values for {what} at {when} (rows "
                            f"{', '.join(map(str, lines))}){more}", src.span,
                            differ_hint(table, lines, same, hint)))


# marks for no value: R's and pandas' NA, and official statistics' (the GSS shorthand `[c]`
# confidential, `[x]` not available, `[z]` not applicable; `..` and `*` in older tables)
MISSING = frozenset({"na", "n/a", "nan", ".", ":", "..", "*", "[c]", "[x]", "[z]"})


def _missing(value: str) -> bool:
    """An empty cell, or one of the usual marks for a missing value."""
    return value.strip() == "" or value.strip().lower() in MISSING


def _rows_text(places: list[str]) -> str:
    """`data.csv:2-10, 14`: the rows, with runs of consecutive rows as ranges."""
    by_file: dict[str, list[int]] = {}
    for place in places:
        name, _, row = place.rpartition(":")
        by_file.setdefault(name, []).append(int(row))
    parts = []
    for name, nums in by_file.items():
        nums.sort()
        spans: list[list[int]] = []
        for n in nums:
            if spans and n == spans[-1][1] + 1:
                spans[-1][1] = n
            else:
                spans.append([n, n])
        shown = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)
        parts.append(f"{name} row{'s' if len(nums) > 1 else ''} {shown}")
    return "; ".join(parts)


def _prefer(found: list[tuple[int, str, str | None, str | None]], src: DataSource) -> list:
    if len(found) == 1 or src.prefer is None:
        return found
    p = src.prefer
    kept = [r for r in found if not (p.drop and (r[3] or "").startswith(p.drop))]
    best = [r for r in kept if (r[3] or "").startswith(p.keep)]
    return best or kept or found
