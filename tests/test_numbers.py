"""The one number formatter: what people read in tables, reports and plots."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from stockflow.numbers import tick_text, value_text


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
    assert value_text(-1234.5, "gbp") == "-£1,234"
    assert value_text(12.5, "GBP") == "£12.50"
    assert value_text(0.0, "GBP") == "£0.00"
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
