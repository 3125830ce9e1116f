"""The one number formatter: what people read in tables, reports and plots."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import stockflow
from stockflow.numbers import column_texts, percent_text, tick_text, value_text


def test_values_as_people_read_them() -> None:
    assert value_text(126_923_709.4) == "126,923,709"
    assert value_text(227_500_000.0) == "227,500,000"
    assert value_text(132.6449) == "132.64"
    assert value_text(7480.0) == "7,480"  # a whole number as a person writes it, as 40 is
    assert value_text(7480.5) == "7,480.5"
    assert value_text(200.0) == "200" and value_text(40.0) == "40"
    assert value_text(12.3456) == "12.35"
    assert value_text(0.0123456) == "0.01235"
    assert value_text(0.00001234) == "0.00001234"
    assert value_text(0.0) == "0"
    assert value_text(-2_500_000.0) == "-2,500,000"
    assert value_text(float("nan")) == "n/a"
    assert value_text(float("inf")) == "inf"


def test_money_in_pounds() -> None:
    assert value_text(126_923_709.4, "GBP") == "£126,923,709"
    assert value_text(-1234.5, "gbp") == "-£1,235"  # halves away from zero, as people (and JavaScript) round
    assert value_text(12.5, "GBP") == "£12.50"
    assert value_text(0.0, "GBP") == "£0" and value_text(50.0, "GBP") == "£50"  # no pence where there are none
    assert value_text(-0.001, "GBP") == "£0" and value_text(999.999, "GBP") == "£1,000"
    assert tick_text(150_000_000.0, "GBP") == "£150,000,000"
    assert tick_text(-2.5, "child") == "-2.5"


@given(st.floats(min_value=1e-9, max_value=1e15, exclude_max=True)
       | st.floats(min_value=-1e15, max_value=-1e-9, exclude_min=True))
def test_no_scientific_notation_and_four_significant_digits(v: float) -> None:
    text = value_text(v)
    assert "e" not in text
    back = float(text.replace(",", ""))
    assert math.isclose(back, v, rel_tol=5e-4, abs_tol=0.005 if abs(v) >= 100 else 0)


@given(st.floats(min_value=-1e14, max_value=1e14))
def test_ticks_have_no_offset_or_exponent(v: float) -> None:
    text = tick_text(v)
    assert "e" not in text
    assert math.isclose(float(text.replace(",", "")), v, rel_tol=1e-6, abs_tol=1e-9)
    assert tick_text(1e-17) == "0"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the explorer's numbers are not run")
def test_the_explorer_writes_numbers_as_the_report_does() -> None:
    """The explorer's `valueText` (ui.js) and `value_text` must agree: a board sees both."""
    ui = (Path(stockflow.__file__).parent / "assets" / "explorer" / "ui.js").read_text()
    start, end = ui.index("/* numbers as people read them"), ui.index("  function unitLabel")
    cases = [(7480.0, None), (200.0, "child"), (200.5, None), (40.0, None), (132.6449, None), (0.0123456, None),
             (126_923_709.4, None), (-2_500_000.0, None), (0.0, None), (1234.5, "GBP"), (12.5, "GBP/year"),
             (-0.001, "GBP"), (3e-12, None), (2e15, None), (-150.0, None), (0.0, "GBP"), (50.0, "GBP/year"),
             (999.999, "GBP"), (0.004, "GBP"), (1e300, "GBP"), (-2e16, "GBP"), (1e300, None)]
    script = ui[start:end] + f"\nconsole.log(JSON.stringify({json.dumps(cases)}.map(c => valueText(c[0], c[1]))));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
    assert json.loads(out) == [value_text(v, u) for v, u in cases]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the explorer's numbers are not run")
def test_the_explorer_writes_a_row_in_one_number_of_decimals_as_the_report_does() -> None:
    """The explorer's results row read `132.64  137.73  -5.086` and its map `7,647.12 (+165.29)`:
    each number to its own decimals. `columnTexts` (ui.js) is the report's `column_texts`."""
    ui = (Path(stockflow.__file__).parent / "assets" / "explorer" / "ui.js").read_text()
    start, end = ui.index("/* numbers as people read them"), ui.index("  function unitLabel")
    rows = [([132.64, 137.73], None), ([-5.086], None), ([91136.34, 91009.19, 90000.5, 92000.25], "child"),
            ([119.75, 137.61], "child"), ([0.9113, 0.9101], None), ([0.001271], None), ([7647.12], None),
            ([165.29], None), ([149700627.0, 149998493.0], "GBP"), ([-297866.0], "GBP"), ([1.5, float("nan")], None),
            ([12.345, 1.0], None), ([-0.0004, 250.0], None), ([2e15, 1.0], None), ([1e300, 5.0], None),
            ([1e300, -3e16], "GBP")]
    script = ui[start:end] + (f"\nconsole.log(JSON.stringify({json.dumps(rows).replace('NaN', 'null')}"
                              ".map(r => columnTexts(r[0].map(v => v === null ? NaN : v), r[1]))));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
    got = json.loads(out)
    assert got == [column_texts(v, u) for v, u in rows]
    assert got[2] == ["91,136", "91,009", "90,001", "92,000"] and got[1] == ["-5.09"]
    # 1e300 (a run gone wrong) was an internal error in every table: past exact decimals
    assert got[-2] == ["1.0000e+300", "5"] and got[-1] == ["£1.0000e+300", "-£3.0000e+16"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the explorer's numbers are not run")
def test_the_explorer_writes_times_without_thousands_separators() -> None:
    """A run from 2024 to 2034 in years: the explorer's time axis and savings sentence read
    2024, not 2,024 (quantities keep their separators)."""
    ui = (Path(stockflow.__file__).parent / "assets" / "explorer" / "ui.js").read_text()
    start, end = ui.index("/* numbers as people read them"), ui.index("  function signed")
    script = ui[start:end] + ("\nconsole.log(JSON.stringify([timeTick(2024), timeTick(2030.5), timeText(2030.25), "
                              "timeText(115.24), timeTick(0), tickText(2024)]));")
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
    assert json.loads(out) == ["2024", "2030.5", "2030.25", "115.24", "0", "2,024"]


def test_a_small_change_keeps_a_significant_figure() -> None:
    """The report said `-£2,031 (-0.0%)` for a change of 0.0016%: it reads as no change or a
    slip. A change too small for the decimals keeps one significant figure."""
    assert [percent_text(r) for r in (0.026, -0.000016, 0.0004, -0.1234, 1e-12, 0.0)] == [
        "+2.6%", "-0.002%", "+0.04%", "-12.3%", "about 0%", "0%"]
    assert percent_text(-0.0016, 2) == "-0.16%" and percent_text(0.00004, 2) == "+0.004%"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed: the explorer's numbers are not run")
def test_the_explorer_writes_changes_as_the_report_does() -> None:
    ui = (Path(stockflow.__file__).parent / "assets" / "explorer" / "ui.js").read_text()
    start, end = ui.index("/* numbers as people read them"), ui.index("  function signed")
    cases = [0.026, -0.000016, 0.0004, -0.1234, 1e-12, 0.0, 0.00049, -0.0005, 3.5]
    script = ui[start:end] + f"\nconsole.log(JSON.stringify({json.dumps(cases)}.map(percentText)));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
    assert json.loads(out) == [percent_text(r) for r in cases]


@pytest.mark.parametrize(("unit", "one", "many"), [("month", "month", "months"), ("months", "month", "months"),
                                                   ("Months", "Month", "Months"), ("year", "year", "years"),
                                                   ("fortnight", "fortnight", "fortnight")])
def test_a_time_unit_in_a_sentence(unit: str, one: str, many: str) -> None:
    """A model imported from XMILE runs in `months`: the explorer's axis read `monthss` and its
    sentence `Savings from months 116`."""
    from stockflow.numbers import time_words

    assert time_words(unit) == (one, many)
