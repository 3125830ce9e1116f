"""The broken-spec corpus: each file must produce exactly its golden diagnostics.

Regenerate the golden files after an intended change with STOCKFLOW_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import stockflow
from stockflow.compiler.base.codes import CODES
from stockflow.compiler.base.diagnostics import render_text

from conftest import ROOT

CORPUS = sorted(p for p in (ROOT / "tests" / "corpus").iterdir() if p.suffix in (".sfm", ".yaml", ".xmile"))


def render(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    diags = stockflow.check(rel)
    sources = {rel: path.read_text(encoding="utf-8")}
    return "\n".join(render_text(d, sources) for d in diags) + "\n"


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_golden(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    got = render(path)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expected_code = first.removeprefix("# expect: ").removeprefix("<!-- expect: ").removesuffix("-->").strip()
    assert f"[{expected_code}]" in got
    golden = path.with_suffix(path.suffix + ".expected")
    if os.environ.get("STOCKFLOW_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_every_static_code_has_a_corpus_entry() -> None:
    covered = {p.name.split("_")[0] for p in CORPUS}
    # E005: file-level (tested below); E041 guards the compiler's own bookkeeping and cannot be
    # produced by a spec; E060-E062 and W104 arise at run time (tests/test_api.py, test_cli.py).
    # E080-E084 and W107 concern calibration files and their data (tests/test_calibrate.py).
    # E007 guards outputs against replacing inputs (tests/test_files.py). E085 (no sampler
    # installed) and E086 (a fit's draws file) arise at run time (tests/test_calibration_trust.py).
    runtime_or_file = {"E005", "E007", "E041", "E060", "E061", "E062", "W104", "E080", "E081", "E082", "E083", "E084",
                       "E085", "E086", "W107"}
    assert set(CODES) - runtime_or_file <= covered


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    [d] = stockflow.check(tmp_path / "nope.sfm")
    assert d.code == "E005" and "no such file" in d.message
    other = tmp_path / "model.txt"
    other.write_text("x")
    [d] = stockflow.check(other)
    assert d.code == "E005" and "*.yaml, *.sfm" in (d.hint or "")


def test_non_utf8_and_oversized_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sfm"
    bad.write_bytes(b"\xff\xfe\x00junk")
    assert stockflow.check(bad)[0].code == "E005"
    big = tmp_path / "big.sfm"
    big.write_bytes(b"#" * 5_000_001)
    assert stockflow.check(big)[0].code == "E006"


def test_json_rendering_has_code_span_and_hint() -> None:
    from stockflow.compiler.base.diagnostics import render_json

    diags = stockflow.check(ROOT / "tests" / "corpus" / "E030_unknown_unit.sfm")
    [item] = json.loads(render_json(diags))
    assert item["code"] == "E030" and item["severity"] == "error"
    assert item["span"]["line"] == 4 and item["span"]["column"] == 10
    assert item["hint"] == "did you mean `child`?"


def test_a_long_source_line_is_quoted_around_the_fault() -> None:
    """A table of 320 entries on one line was echoed whole under each warning (4,000
    characters); a line of any length is quoted only around the span, with the caret on it."""
    from stockflow.compiler.base.diagnostics import SHOWN, Diagnostic, Severity, Span

    line = "aux y = " + "k + " * 200 + "nope + " + "1 + " * 100 + "1"
    col = line.index("nope") + 1
    d = Diagnostic("E010", "`nope` is not defined", Span("m.sfm", 2, col, 2, col + 4))
    quoted, caret = render_text(d, {"m.sfm": "model m\n" + line + "\n"}).splitlines()[1:3]
    assert len(quoted) <= len("   2 | ") + SHOWN + 2 and quoted.startswith("   2 | …") and quoted.endswith("…")
    assert caret.strip() == "^^^^" and quoted[caret.index("^"):caret.index("^") + 4] == "nope"
    start = Diagnostic("W102", "w", Span("m.sfm", 2, 1, 2, 4), severity=Severity.WARNING)
    quoted, caret = render_text(start, {"m.sfm": "model m\n" + line + "\n"}).splitlines()[1:3]
    assert quoted.startswith("   2 | aux y") and quoted.endswith("…") and caret == "       ^^^"
    near = Diagnostic("E010", "`nope` is not defined", Span("m.sfm", 2, 9, 2, 13))
    short = render_text(near, {"m.sfm": "model m\naux y = nope\n"}).splitlines()
    assert short[1:3] == ["   2 | aux y = nope", "               " + "^" * 4]


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text("time: &t {start: 0, stop: 1, dt: 0.5, units: year}\nstocks: {a: {initial: 1}}\n"
                    "model: *t\n")
    [d] = stockflow.check(spec)
    assert d.code == "E002" and "aliases" in d.message


def test_every_code_is_documented() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"| {code} |" in text, code


def test_hostile_nesting_and_chains_do_not_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("time: {start: 0, stop: 1, dt: 0.5, units: year}\nstocks: " + "[" * 3000 + "]" * 3000)
    [d] = stockflow.check(deep)
    assert d.code == "E006" and "nested" in d.message
    chain = tmp_path / "chain.sfm"
    chain.write_text("time { start 0 stop 1 dt 0.5 units year }\nstock s = 1\nflow f: s -> outside = a1999\n"
                     "aux a0 = s\n" + "\n".join(f"aux a{i} = exp(a{i - 1}) * 0.5" for i in range(1, 2000)))
    assert [d.code for d in stockflow.check(chain)] == ["W101"]


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_check_output_formats_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus file through `stockflow check --format json|github`, against one golden file."""
    from click.testing import CliRunner

    from stockflow.cli import main

    monkeypatch.chdir(ROOT)
    parts = []
    for path in CORPUS:
        rel = path.relative_to(ROOT).as_posix()
        r = CliRunner().invoke(main, ["check", "--format", fmt, rel])
        assert r.exit_code in (0, 1)
        parts.append(f"== {rel} (exit {r.exit_code})\n{r.stdout}")
    got = "".join(parts)
    golden = ROOT / "tests" / "golden" / f"check.{fmt}.txt"
    if os.environ.get("STOCKFLOW_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_a_time_unit_in_a_model_that_counts_time_its_own_way() -> None:
    """`[1/day]` in a model run in ticks was "unknown unit `day`" with a did-you-mean."""
    with pytest.raises(stockflow.SpecError) as exc:
        stockflow.load_text("model t\nunit tick\ntime { start 0 stop 3 dt 1 units tick }\nstock s = 1\n"
                            "flow f [1/day]: s -> outside = s * 0.1 [1/day]\n")
    d = exc.value.diagnostics[0]
    assert d.code == "E030" and "`day` is a time unit, but this model counts time in `tick`" in d.message
    assert d.hint == "count time in days, or give this in tick"


def test_a_syntax_error_names_the_punctuation_it_expected() -> None:
    """`sample x from ...` said "expected `=`, `over`, `tilde`": lark's name, not the `~` to type."""
    with pytest.raises(stockflow.SpecError) as exc:
        stockflow.load_text("model m\ntime { start 0 stop 1 dt 1 }\nparam p = 1\nstock s = p\n"
                            "scenario a {\n  sample p from uniform(0, 1)\n}\n")
    assert exc.value.diagnostics[0].hint == "expected `=`, `[`, `over`, `~`"


def test_the_checks_build_the_model_functions_only_when_an_analysis_needs_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """At thousands of elements, building the NumPy functions was over half the check pass,
    for analyses that did not need them: a large model whose outflows vanish at zero has no
    rate to evaluate and no time constant to find (over 400 stocks)."""
    from stockflow.compiler.passes import checks

    built = []
    real = checks.build
    monkeypatch.setattr(checks, "build", lambda *a, **k: built.append(1) or real(*a, **k))
    chain = ("time { start 0 stop 4 dt 0.25 units year }\ndim i = range(1, 500)\nstock x[i] = 1\n"
             "flow move[i] [1/year]: x[i] -> x[i + 1] = x[i] * 0.1 [1/year] { where i < 500 }\n")
    assert stockflow.load_text(chain).warnings == () and built == []
    small = "time { start 0 stop 4 dt 1 units year }\nstock s = 1\nflow f: s -> outside = 0.5 + s\n"
    w103, w101 = stockflow.load_text(small).warnings  # a rate to evaluate, and a time constant: built once
    assert "at zero it is 0.5" in w101.message and "time constant, 1 year" in w103.message and built == [1]
