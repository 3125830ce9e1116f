"""Every spec, calibration and Python snippet in README.md and docs/ is run, so the docs stay true."""

from __future__ import annotations

import re

import pytest
import yaml

import stockflow
from stockflow.compiler.read.calibration import read_calibration
from stockflow.compiler.read.dsl import parse_dsl
from stockflow.compiler.read.yaml_reader import parse_yaml

from conftest import ROOT

FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.S | re.M)
DSL_WORDS = ("model", "time", "unit", "stock", "flow", "aux", "param", "lookup", "metric", "group", "expect",
             "scenario", "extends", "set", "remove", "#", "calibrate")
CALIBRATION_KEYS = {"data", "observe", "estimate"}


def blocks() -> list[tuple[str, int, str, str]]:
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append((str(path.relative_to(ROOT)), line, m.group(1), m.group(2)))
    return out


def _id(b: tuple[str, int, str, str]) -> str:
    return f"{b[0]}:{b[1]}"


DSL = [b for b in blocks() if b[2] == "" and b[3].lstrip().startswith(DSL_WORDS) and "\n  - `" not in b[3]]
YAML = [b for b in blocks() if b[2] == "yaml"]
# README.md's Python block runs from an installed wheel in tests/test_wheel.py
PYTHON = [b for b in blocks() if b[2] == "python" and b[0] != "README.md"]


def test_the_docs_have_examples_of_each_kind() -> None:
    assert len(DSL) >= 15 and len(YAML) >= 15 and len(PYTHON) >= 1


@pytest.mark.parametrize("block", DSL, ids=_id)
def test_dsl_examples_parse(block: tuple[str, int, str, str]) -> None:
    file, _, _, text = block
    if not re.search(r"^time\b", text, re.M) and not re.search(r"^extends\b", text, re.M):
        text = "time { start 0  stop 10  dt 1  units year }\n" + text  # a fragment: the rest of a model
    if "\ncalibrate {" in text:
        spec = parse_dsl(text, file)
        assert spec.calibrate is not None
        folder = ROOT / "specs" / "scotland_looked_after"
        read_calibration(spec.calibrate, str(folder / "x.sfm"), model=str(folder / "looked_after.sfm"))
        return
    spec = parse_dsl(text, file)
    if any(line.startswith("model ") for line in text.splitlines()) and spec.time is not None:
        stockflow.load_text(text)  # a whole model: it compiles


@pytest.mark.parametrize("block", YAML, ids=_id)
def test_yaml_examples_are_valid(block: tuple[str, int, str, str]) -> None:
    file, _, _, text = block
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or text.startswith(" "):
        return  # a fragment of a scenario, shown indented: valid YAML is what it can be held to
    if CALIBRATION_KEYS & set(data):
        read_calibration(text, str(ROOT / "specs" / "scotland_looked_after" / "calibrate.yaml"))
    elif {"jobs", "repos"} & set(data) or text.startswith("# yaml-language-server"):
        return  # CI configuration, not a spec
    else:
        if "time" not in data and "extends" not in data:
            text = "time: {start: 0, stop: 10, dt: 1, units: year}\n" + text  # a fragment
        parse_yaml(text, file)


@pytest.mark.parametrize("block", PYTHON, ids=_id)
def test_python_examples_run(block: tuple[str, int, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # as in a notebook opened in the repository
    code = compile(block[3], f"{block[0]}:{block[1]}", "exec")
    exec(code, {"__name__": "__docs__"})  # noqa: S102 - the docs' own Python, in a test
