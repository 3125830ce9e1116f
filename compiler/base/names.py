"""Name rules shared by the passes."""

from __future__ import annotations

import re
from fractions import Fraction
from importlib import resources

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _grammar_words() -> frozenset[str]:
    """Every quoted word of the DSL and expression grammars: the keywords, which cannot name
    variables in either form. Read from the grammar so the two never disagree."""
    text = "".join(resources.files("stockflow.grammars").joinpath(f).read_text(encoding="utf-8")
                   for f in ("model.lark", "expr.lark"))
    return frozenset(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"i?', text))


KEYWORDS = _grammar_words()

# name -> (fewest, most) arguments; None means no upper limit
BUILTINS: dict[str, tuple[int, int | None]] = {
    "min": (2, None), "max": (2, None), "abs": (1, 1), "exp": (1, 1), "ln": (1, 1), "log": (1, 2),
    "sqrt": (1, 1), "sin": (1, 1), "cos": (1, 1), "tan": (1, 1), "asin": (1, 1), "acos": (1, 1),
    "atan": (1, 1), "sinh": (1, 1), "cosh": (1, 1), "tanh": (1, 1), "floor": (1, 1), "ceil": (1, 1), "mod": (2, 2),
    "step": (2, 2), "ramp": (2, 3), "pulse": (2, 3),
    "trunc": (1, 1), "round": (1, 1), "rem": (2, 2),
}
STATEFUL: dict[str, tuple[int, int]] = {
    "smooth": (2, 3), "smooth3": (2, 3), "smoothn": (3, 4),
    "delay1": (2, 3), "delay3": (2, 3), "delayn": (3, 4), "init": (1, 1),
    "delay_fixed": (2, 3),  # the input a fixed time earlier: Euler only, the time a whole number of dt
}
MAX_STAGES = 100  # the most stages `smoothn`/`delayn` may chain
# metric summaries -> (fewest, most) arguments
AGGREGATES: dict[str, tuple[int, int]] = {
    "integral": (1, 3), "mean": (1, 3), "final": (1, 1), "initial": (1, 1), "maximum": (1, 1),
    "minimum": (1, 1), "discounted": (1, 2), "at": (2, 2),
}
GREEN_BOOK_DISCOUNT = 0.035  # HM Treasury Green Book: 3.5% a year, the default for `discounted`
CONSTANTS = {"pi"}
SPECIAL = {"time", "dt"}
RESERVED = KEYWORDS | SPECIAL | CONSTANTS


def canonical(name: str) -> str:
    """Canonical id of a user name: names are case-insensitive, as in XMILE and Vensim."""
    if "[" in name:  # an element, `rate[universal, additional]`: spaces inside do not matter
        return "".join(name.lower().split())
    return name.lower()


def is_identifier(name: str) -> bool:
    return bool(_IDENT.match(name))


def as_element_name(dim: str, element: str) -> str:
    """An element written as a spreadsheet labels it, as a name: `0-4` of `band` -> `band_0_4`."""
    word = re.sub(r"\W+", "_", element.replace("+", "_plus")).strip("_") or "element"
    return word if is_identifier(word) else f"{dim}_{word}"


# Built-in time units in seconds; the model's time unit becomes scale 1.
TIME_SECONDS: dict[str, Fraction] = {
    "second": Fraction(1),
    "minute": Fraction(60),
    "hour": Fraction(3600),
    "day": Fraction(86400),
    "week": Fraction(7 * 86400),
    "year": Fraction(86400) * Fraction(36525, 100),
    "month": Fraction(86400) * Fraction(36525, 100) / 12,
    "quarter": Fraction(86400) * Fraction(36525, 100) / 4,
}
TIME_ALIASES = {"seconds": "second", "minutes": "minute", "hours": "hour", "days": "day",
                 "weeks": "week", "years": "year", "months": "month", "quarters": "quarter"}
DIMENSIONLESS = {"dimensionless": Fraction(1), "percent": Fraction(1, 100)}


def time_words(unit: str) -> tuple[str, str]:
    """A time unit as a sentence uses it, one and many: `month`/`months`, whether the spec (or
    the XMILE file it came from) wrote `month` or `Months`; another unit as written."""
    word = unit.strip()
    one = word[:-1] if word.lower().endswith("s") and word[:-1].lower() in TIME_SECONDS else word
    return one, one + "s" if one.lower() in TIME_SECONDS else word
BUILTIN_UNITS = frozenset(TIME_SECONDS) | frozenset(TIME_ALIASES) | frozenset(DIMENSIONLESS)


def a_noun(noun: str) -> str:
    """`a stock`, `an aux`: a kind of declaration with its article, for messages."""
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
