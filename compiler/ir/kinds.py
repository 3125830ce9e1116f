"""What each kind of declaration is called and accepts, written once: the DSL and YAML readers,
inheritance, both formatters and `stockflow schema` are all derived from `KINDS`."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import ast as A

DOC_KEYS = ("description", "source", "assumption")
TIME_KEYS = ("start", "stop", "dt", "units", "method", "save")
MODEL_KEYS = ("name", "title", "description")
MODEL_PROPS = frozenset({"description", "title"})  # a DSL `model` line's `{ ... }`
SET_PROPS = frozenset({*DOC_KEYS, "tags", "non_negative", "bounds", "during"})  # a DSL `set` line's

# The JSON type of each key's value in YAML.
EXPR: dict[str, Any] = {"type": ["string", "number"]}
UNIT: dict[str, Any] = {"type": ["string", "integer"]}
TEXT: dict[str, Any] = {"type": "string"}
PAIR: dict[str, Any] = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}


@dataclass(frozen=True, slots=True)
class Kind:
    decl: type  # the AST class
    word: str  # the DSL keyword that starts one
    section: str  # its YAML section
    noun: str  # what messages call it
    keys: tuple[str, ...]  # the keys its YAML mapping accepts, in the formatter's order
    required: tuple[str, ...] = ()
    value_key: str | None = None  # the key of its main value, which an override may replace
    dsl_props: frozenset[str] = frozenset(DOC_KEYS)  # what its DSL `{ ... }` accepts
    shorthand: dict[str, Any] | None = None  # the JSON type of an entry given as a bare value
    one_of: tuple[str, ...] = ()  # keys of which a mapping gives exactly one (a value, or a CSV file)


KINDS: tuple[Kind, ...] = (
    Kind(A.UnitDecl, "unit", "units", "unit", ("definition", "description"), dsl_props=frozenset(),
         shorthand={"type": ["string", "null"]}),
    Kind(A.DimDecl, "dim", "dimensions", "dimension", ("elements", "range", "in", "maps", *DOC_KEYS),
         dsl_props=frozenset({*DOC_KEYS, "maps"}), shorthand={"type": "array", "items": {"type": ["string", "integer"]}}),
    Kind(A.StockDecl, "stock", "stocks", "stock",
         ("dims", "initial", "table", "units", "non_negative", "where", *DOC_KEYS),
         (), "initial", frozenset({*DOC_KEYS, "non_negative", "where"}), one_of=("initial", "table")),
    Kind(A.FlowDecl, "flow", "flows", "flow",
         ("dims", "from", "to", "rate", "units", "tags", "non_negative", "where", *DOC_KEYS),
         ("rate",), "rate", frozenset({*DOC_KEYS, "tags", "non_negative", "where"})),
    Kind(A.AuxDecl, "aux", "auxiliaries", "auxiliary", ("dims", "equation", "units", "where", *DOC_KEYS),
         ("equation",), "equation", frozenset({*DOC_KEYS, "where"}), shorthand=EXPR),
    Kind(A.ParamDecl, "param", "parameters", "parameter",
         ("dims", "value", "table", "units", "bounds", "where", *DOC_KEYS),
         (), "value", frozenset({*DOC_KEYS, "bounds", "where"}), {"type": "number"}, one_of=("value", "table")),
    Kind(A.LookupDecl, "lookup", "lookups", "lookup",
         ("dims", "points", "units", "x_units", "interpolation", "extrapolation", "where", *DOC_KEYS), ("points",),
         dsl_props=frozenset({*DOC_KEYS, "interpolation", "extrapolation", "x_units", "where"})),
    Kind(A.MetricDecl, "metric", "metrics", "metric", ("equation", "units", *DOC_KEYS), ("equation",), "equation",
         shorthand=EXPR),
    Kind(A.GroupDecl, "group", "groups", "group", ("stocks", *DOC_KEYS), ("stocks",),
         shorthand={"type": "array", "items": TEXT}),
    Kind(A.ExpectDecl, "expect", "expectations", "expectation", ("condition", "during", "under", *DOC_KEYS),
         ("condition",), "condition", frozenset({*DOC_KEYS, "during", "under"}), EXPR),
    Kind(A.ScenarioDecl, "scenario", "scenarios", "scenario",
         ("title", "extends", "set", "scale", "sweep", "sample", "sample_from_fit", "draws", "seed",
          "latin_hypercube", "report", *DOC_KEYS)),
)
BY_CLASS = MappingProxyType({k.decl: k for k in KINDS})
BY_SECTION = MappingProxyType({k.section: k for k in KINDS})
BY_WORD = MappingProxyType({k.word: k for k in KINDS})
DECL_SECTIONS = tuple(k.section for k in KINDS)  # also the order `format` writes them in
SECTIONS = ("extends", "model", "time", *DECL_SECTIONS, "override", "remove", "calibrate")
# What an override may change: any kind's main value and the properties that kinds share.
OVERRIDE_KEYS = ("value", "initial", "equation", "rate", "condition", "points", "table", "units", "tags", "bounds",
                 "non_negative", "during", *DOC_KEYS)

# An arrayed declaration's main value may be a table: element (or "e1, e2") -> value, with `else`.
POINTS: dict[str, Any] = {"type": "array", "items": PAIR, "minItems": 2}
CASES: dict[str, Any] = {"type": "object", "additionalProperties": EXPR}
NUMBERS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "number"}}  # a scenario's table
KEY_TYPES: dict[str, dict[str, Any]] = {
    "initial": {"anyOf": [EXPR, CASES]}, "rate": {"anyOf": [EXPR, CASES]}, "equation": {"anyOf": [EXPR, CASES]},
    "condition": EXPR, "value": {"anyOf": [EXPR, CASES]},
    "dims": {"type": "array", "items": {"anyOf": [TEXT, {"type": "object", "additionalProperties": TEXT,
                                                          "minProperties": 1, "maxProperties": 1}]}},
    "where": TEXT, "table": TEXT, "in": TEXT,
    "maps": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": ["string", "integer"]}}},
    "elements": {"type": "array", "items": {"type": ["string", "integer"]}},
    "range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    "units": UNIT, "x_units": UNIT, "definition": UNIT,
    "non_negative": {"type": "boolean"}, "description": TEXT, "source": TEXT, "assumption": TEXT,
    "from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]},
    "tags": {"type": ["array", "string"], "items": TEXT}, "bounds": PAIR, "during": PAIR,
    "points": {"anyOf": [POINTS, {"type": "object", "additionalProperties": POINTS}]},
    "interpolation": {"enum": [m.value for m in A.Interpolation]},
    "extrapolation": {"enum": [m.value for m in A.Extrapolation]},
    "stocks": {"type": "array", "items": TEXT},
    "title": TEXT, "extends": TEXT, "under": TEXT, "draws": {"type": "integer"}, "seed": {"type": "integer"},
    "latin_hypercube": {"type": "boolean"}, "report": {"type": "array", "items": TEXT},
    "sweep": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "number"}}},
    "sample": {"type": "object", "additionalProperties": TEXT}, "sample_from_fit": TEXT,
    "set": {"type": "object", "additionalProperties": {"anyOf": [{"type": "number"}, NUMBERS, {
        "type": "object", "additionalProperties": False, "required": ["value"],
        "properties": {"value": {"anyOf": [{"type": "number"}, NUMBERS]},
                       **{k: {"type": "number"} for k in ("from", "over", "until")}}}]}},
    "scale": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["flows", "by"],
        "properties": {"flows": TEXT, "by": {"type": "number"}, "from": {"type": "number"},
                       "over": {"type": "number"}, "until": {"type": "number"}}}},
}
