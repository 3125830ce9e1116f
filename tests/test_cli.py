"""The command line: exit codes, output formats, files written and files never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from stockflow.cli import main

from conftest import ROOT

GIRFEC = str(ROOT / "specs" / "girfec" / "girfec.sfm")
CORPUS = ROOT / "tests" / "corpus"


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_check_exit_codes() -> None:
    assert invoke("check", GIRFEC)[0] == 0
    code, _, err = invoke("check", GIRFEC, str(CORPUS / "E010_undefined.sfm"))
    assert code == 1 and "error[E010]" in err and "2 spec(s) checked" in err
    assert invoke("check", str(CORPUS / "W102_unused.sfm"))[0] == 0
    assert invoke("check", "--strict", str(CORPUS / "W102_unused.sfm"))[0] == 1
    assert invoke("check")[0] == 2
    assert invoke("check", "--format", "xml", GIRFEC)[0] == 2


def test_check_json_and_github() -> None:
    code, out, _ = invoke("check", "--format", "json", str(CORPUS / "E030_unknown_unit.sfm"))
    assert code == 1
    [d] = json.loads(out)
    assert d["code"] == "E030" and d["span"]["line"] == 4
    code, out, _ = invoke("check", "--format", "github", str(CORPUS / "E030_unknown_unit.sfm"))
    assert out.startswith("::error file=") and "title=E030" in out


def test_run_prints_summary_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    code, stdout, _ = invoke("run", GIRFEC, "-o", str(out), "--set", "intervention_scale=0")
    assert code == 0, stdout
    assert "intensive" in stdout and "total_cost" in stdout and "conserved group girfec_levels" in stdout
    df = pd.read_csv(out)
    assert {"time", "variable", "kind", "units", "value"} <= set(df.columns)
    assert df[df.variable == "intensive"].value.iloc[0] == 138


def test_run_errors(tmp_path: Path) -> None:
    code, _, err = invoke("run", str(CORPUS / "E020_loop.sfm"))
    assert code == 1 and "E020" in err
    code, _, err = invoke("run", GIRFEC, "--set", "nope=1")
    assert code == 1 and "E061" in err
    assert invoke("run", GIRFEC, "--set", "oops")[0] == 2
    assert invoke("run", GIRFEC, "-o", str(tmp_path / "x.txt"))[0] == 2


def test_run_refuses_to_overwrite_its_spec(tmp_path: Path) -> None:
    spec = tmp_path / "m.sfm"
    spec.write_text("time { start 0 stop 1 dt 0.5 units year }\nstock a = 1\n")
    before = spec.read_bytes()
    code, _, _ = invoke("run", str(spec), "-o", str(spec))
    assert code == 2 and spec.read_bytes() == before


def test_format_check_and_yaml(tmp_path: Path) -> None:
    code, text, _ = invoke("format", GIRFEC)
    assert code == 0 and text.startswith("model girfec")
    canonical = tmp_path / "c.sfm"
    canonical.write_text(text)
    assert invoke("format", "--check", str(canonical))[0] == 0
    assert invoke("format", "--check", GIRFEC)[0] == 1  # has comments, so not canonical
    code, ytext, _ = invoke("format", "--to", "yaml", GIRFEC)
    assert code == 0 and ytext.startswith("model:")
    assert invoke("format", str(canonical), "-o", str(canonical))[0] == 2


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and "stockflow" in out
