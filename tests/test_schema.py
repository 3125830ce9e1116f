"""`stockflow schema`: a valid JSON Schema that accepts every bundled spec and rejects the
structurally broken ones in the corpus (expression, unit and name errors need `stockflow check`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from stockflow.cli import main

from conftest import ROOT

# Corpus codes whose problem is in the YAML structure, which a JSON Schema can see.
STRUCTURAL = {"E003", "E012", "E050"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    r = CliRunner().invoke(main, ["schema"])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def yaml_of(path: Path) -> object:
    if path.suffix == ".sfm":
        r = CliRunner().invoke(main, ["format", "--to", "yaml", str(path)])
        assert r.exit_code == 0
        return yaml.safe_load(r.stdout)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


BUNDLED = [p for folder in (ROOT / "specs", ROOT / "docs") for p in sorted(folder.glob("*/*"))
           if p.suffix in (".sfm", ".yaml") and "\nobserve:" not in p.read_text(encoding="utf-8")]  # not calibrations


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_accepts_bundled_specs(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    assert list(validator.iter_errors(yaml_of(path))) == []


BROKEN = [p for p in sorted((ROOT / "tests" / "corpus").glob("*.yaml")) if p.name.split("_")[0] in STRUCTURAL]


@pytest.mark.parametrize("path", BROKEN, ids=[p.name for p in BROKEN])
def test_rejects_structurally_broken_specs(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    assert list(validator.iter_errors(yaml_of(path)))


def test_every_yaml_corpus_file_is_classified() -> None:
    codes = {p.name.split("_")[0] for p in (ROOT / "tests" / "corpus").glob("*.yaml")}
    # E002: not YAML at all; E004/E011/E016: an expression, a duplicate key, a base's kinds;
    # E091: a dimension's name that is not declared (a name, which a schema cannot check).
    assert codes - STRUCTURAL == {"E002", "E004", "E011", "E016", "E091"}


def test_specs_may_point_at_the_schema(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("$schema: ./stockflow.schema.json\ntime: {start: 0, stop: 1, dt: 0.5, units: year}\n"
                    "stocks: {a: {initial: 1}}\n")
    r = CliRunner().invoke(main, ["check", str(spec)])
    assert r.exit_code == 0


def test_a_value_or_a_csv_file_exactly_one(validator: jsonschema.Draft202012Validator) -> None:
    """A stock takes `initial` or `table`, a parameter `value` or `table`: one, never both or none."""
    head = {"time": {"start": 0, "stop": 1, "dt": 1, "units": "year"}, "dimensions": {"a": ["x", "y"]}}
    for body, ok in (({"dims": ["a"], "table": "s.csv"}, True), ({"dims": ["a"], "initial": 1}, True),
                     ({"dims": ["a"]}, False), ({"dims": ["a"], "initial": 1, "table": "s.csv"}, False)):
        assert bool(list(validator.iter_errors({**head, "stocks": {"s": body}}))) is not ok
    param = {"dims": ["a"], "table": "p.csv"}
    assert not list(validator.iter_errors({**head, "parameters": {"p": param}}))
    assert list(validator.iter_errors({**head, "parameters": {"p": {**param, "value": 1}}}))


def test_an_override_may_be_its_value_alone(validator: jsonschema.Draft202012Validator) -> None:
    """The reader takes `override: {rate: 0.09}` and `remove: name`; the schema says so, and
    still refuses an unknown key in an override's mapping."""
    spec = {"extends": "base.sfm", "override": {"rate": 0.09, "effect": "1 - 0.3 * reach", "s": {"initial": 3}},
            "remove": "deaths"}
    assert not list(validator.iter_errors(spec))
    assert list(validator.iter_errors({**spec, "override": {"s": {"initail": 3}}}))
    assert list(validator.iter_errors({**spec, "remove": 3}))
