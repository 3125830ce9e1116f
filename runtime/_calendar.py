"""Dates on the model's time axis. In a model counted in years, quarters or months, a date a
whole number of them after `time_origin` (its anniversary, as published statistics date their
years) is at that whole time, leap days or not; days between anniversaries are a share of
the days between them. Other time units count days exactly."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

from ..compiler.base.names import TIME_ALIASES

MONTHS = {"year": 12, "quarter": 3, "month": 1}


def months_per(unit: str) -> int | None:
    """Calendar months in one of the model's time units, where it is a calendar unit."""
    return MONTHS.get(TIME_ALIASES.get(unit.lower(), unit.lower()))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day where it has no such day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    last = 31 if month == 12 else (dt.date(year, month + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def date_time(day: dt.date, origin: dt.date, unit: str, unit_s: Fraction) -> float:
    """The time from `origin` to `day`, in the model's unit."""
    m = months_per(unit)
    if m is None:
        return (day - origin).days * 86400 / float(unit_s)
    try:
        k = ((day.year - origin.year) * 12 + day.month - origin.month) // m
        while add_months(origin, k * m) > day:
            k -= 1
        while add_months(origin, (k + 1) * m) <= day:
            k += 1
        a, b = add_months(origin, k * m), add_months(origin, (k + 1) * m)
    except (ValueError, OverflowError):  # near the year 1 or 9999: days, as for other units
        return (day - origin).days * 86400 / float(unit_s)
    return k + (day - a).days / (b - a).days


def time_date(t: float, origin: dt.date, unit: str, unit_s: Fraction) -> dt.datetime:
    """The date and time `t` model units after `origin`: `date_time`'s inverse."""
    start = dt.datetime.combine(origin, dt.time())
    m = months_per(unit)
    if m is not None:
        k = math.floor(t)
        try:
            a, b = add_months(origin, k * m), add_months(origin, (k + 1) * m)
            return dt.datetime.combine(a, dt.time()) + (t - k) * (b - a)
        except (ValueError, OverflowError):
            pass
    return start + dt.timedelta(seconds=t * float(unit_s))
