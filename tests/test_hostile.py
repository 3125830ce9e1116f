"""Specs from elsewhere: files a spec may not read, injection into what others open, inputs
never overwritten, control characters never echoed. Each case must hold; the last test prints
`N/N hold` for the classes covered here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import stockflow
from stockflow.cli import main

from conftest import ROOT

TIME = "time { start 0  stop 2  dt 1  units year }\n"


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout + r.stderr


def _outside_base(d: Path) -> tuple[int, str]:
    (d / "secrets.yaml").write_text("password: hunter2\n")
    (d / "a" / "inner").mkdir(parents=True)
    (d / "a" / "inner" / "child.sfm").write_text('extends "../../secrets.yaml"\nmodel x\n')
    return invoke("check", str(d / "a" / "inner" / "child.sfm"))


def _absolute_base(d: Path) -> tuple[int, str]:
    (d / "c.sfm").write_text('extends "/etc/passwd.sfm"\nmodel x\n')
    return invoke("check", str(d / "c.sfm"))


def _symlink_base(d: Path) -> tuple[int, str]:
    (d / "out").mkdir()
    (d / "out" / "b.sfm").write_text(TIME + 'param password = 1234 { description "hunter2" }\n')
    (d / "p" / "spec").mkdir(parents=True)
    (d / "p" / "spec" / "b.sfm").symlink_to(d / "out" / "b.sfm")
    (d / "p" / "spec" / "c.sfm").write_text('extends "b.sfm"\nmodel x\n')
    return invoke("check", str(d / "p" / "spec" / "c.sfm"))


def _non_spec_base(d: Path) -> tuple[int, str]:
    (d / "secrets.yaml").write_text("password: hunter2\n")
    (d / "c.sfm").write_text('extends "secrets.yaml"\nmodel x\n')
    return invoke("check", str(d / "c.sfm"))


def _proc_data(d: Path) -> tuple[int, str]:
    (d / "m.sfm").write_text(TIME + "stock a = 1\nparam k = 1\nflow f: a -> outside = k\n")
    (d / "c.yaml").write_text("model: m.sfm\ndata:\n  - {file: /proc/self/environ, time: t}\n"
                              "observe:\n  x: {stock: a, noise: poisson}\nestimate:\n  k:\n")
    return invoke("calibrate", str(d / "c.yaml"))


def _fifo_base(d: Path) -> tuple[int, str]:
    os.mkfifo(d / "f.sfm")
    (d / "c.sfm").write_text('extends "f.sfm"\nmodel x\n')
    return invoke("check", str(d / "c.sfm"))


def _dev_zero_data(d: Path) -> tuple[int, str]:
    (d / "m.sfm").write_text(TIME + "stock a = 1\nparam k = 1\nflow f: a -> outside = k\n")
    (d / "zero.csv").symlink_to("/dev/zero")
    (d / "c.yaml").write_text("model: m.sfm\ndata:\n  - {file: zero.csv, time: t}\n"
                              "observe:\n  x: {stock: a, noise: poisson}\nestimate:\n  k:\n")
    return invoke("calibrate", str(d / "c.yaml"))


def _bundled_traversal(d: Path) -> tuple[int, str]:
    return invoke("check", "stockflow:../../../../etc/passwd")


LEAKS: dict[str, Callable[[Path], tuple[int, str]]] = {
    "extends outside the spec's folder": _outside_base, "extends an absolute path": _absolute_base,
    "extends through a symlink out": _symlink_base, "extends a file that is not a spec": _non_spec_base,
    "data file in /proc": _proc_data, "a FIFO as a base": _fifo_base, "/dev/zero as data": _dev_zero_data,
    "a bundled name with ..": _bundled_traversal,
}


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_nothing_is_read_or_echoed_that_should_not_be(case: str, tmp_path: Path) -> None:
    code, out = LEAKS[case](tmp_path)
    assert code == 1, out
    assert "hunter2" not in out and "password:" not in out and "PATH=" not in out
    assert "E005" in out or "E003" in out or "E081" in out


def test_a_folder_can_be_allowed_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "b.sfm").write_text(TIME + "stock a = 1\n")
    (tmp_path / "la" / "city").mkdir(parents=True)
    (tmp_path / "la" / "city" / "c.sfm").write_text('extends "../../base/b.sfm"\nmodel c\n')
    assert invoke("check", str(tmp_path / "la" / "city" / "c.sfm"))[0] == 1
    code, out = invoke("--allow-read", str(tmp_path / "base"), "check", str(tmp_path / "la" / "city" / "c.sfm"))
    assert code == 0, out


def test_spec_text_reaches_svg_and_dot_as_text_only(tmp_path: Path) -> None:
    spec = tmp_path / "evil.sfm"
    spec.write_text('model evil "<<a xlink:href=\\"javascript:alert(1)\\">x</a>>"\n' + TIME + "stock a = 1\n")
    code, out = invoke("diagram", str(spec), "-o", str(tmp_path / "d.dot"))
    assert code == 0, out
    dot = (tmp_path / "d.dot").read_text()
    assert "label=<" not in dot  # never a Graphviz HTML label
    model = stockflow.load(spec)
    from stockflow.report import build

    html = build(model, model.run_scenarios())
    assert "<a xlink" not in html and "&lt;a xlink" in html


def test_csv_cells_never_run_as_formulas(tmp_path: Path) -> None:
    from stockflow.compiler.files import safe_csv_frame

    df = pd.DataFrame({"series": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "\tx", "ok"], "v": range(6)})
    cells = safe_csv_frame(df)["series"].tolist()
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells) and cells[-1] == "ok"


@pytest.mark.parametrize("args", [
    ["format", "{spec}", "-o", "{dir}/./m.sfm"],
    ["export", "{child}", "-o", "{dir}/m.sfm"],
    ["run", "{spec}", "-o", "{dir}/../{name}/m.sfm"],
])
def test_outputs_never_replace_inputs(args: list[str], tmp_path: Path) -> None:
    spec = tmp_path / "m.sfm"
    spec.write_text(TIME + "stock a = 1\n")
    (tmp_path / "child.sfm").write_text('extends "m.sfm"\nmodel child\n')
    before = spec.read_bytes()
    filled = [a.format(spec=spec, dir=tmp_path, child=tmp_path / "child.sfm", name=tmp_path.name) for a in args]
    if filled[0] == "run":
        filled[-1] = str(tmp_path / "m.csv")
        (tmp_path / "m.csv").symlink_to(spec)  # a link to the spec is the spec
    code, out = invoke(*filled)
    assert code == 1 and ("E007" in out or "refusing" in out), out
    assert spec.read_bytes() == before


def test_calibrate_never_writes_over_its_model_or_data() -> None:
    folder = ROOT / "specs" / "scotland_looked_after"
    from stockflow.compiler.diagnostics import SpecError
    from stockflow.compiler.files import refuse_inputs

    with pytest.raises(SpecError, match="E007|refusing"):
        refuse_inputs(folder / "scotland_children_social_work.csv", [str(folder / "scotland_children_social_work.csv")])


def test_terminal_escapes_are_shown_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "t.sfm"
    spec.write_text(TIME + "stock a = 1\nflow f: a -> outside = nope\x1b]0;pwned\x07\x1b[2K\n")
    code, out = invoke("check", str(spec))
    assert code == 1 and "\x1b" not in out and "\\x1b" in out


@pytest.mark.parametrize("raw, line", [(b"time { start 0  stop 2  dt 1  units year }\nstock a = 1\n\xff\n", 3),
                                       (b"time { start 0  stop 2  dt 1  units year }\nstock a = 1\n\x00\n", 3)])
def test_bad_bytes_are_reported_at_their_own_line(raw: bytes, line: int, tmp_path: Path) -> None:
    spec = tmp_path / "b.sfm"
    spec.write_bytes(raw)
    [d] = stockflow.check(spec)
    assert d.code == "E005" and d.span is not None and d.span.line == line


def test_cr_line_endings_do_not_let_a_comment_swallow_the_file(tmp_path: Path) -> None:
    spec = tmp_path / "cr.sfm"
    spec.write_bytes(b"# a comment\rtime { start 0  stop 2  dt 1  units year }\rstock a = 1\rflow f: a -> outside = a\r")
    m = stockflow.load(spec)
    assert m.stocks == ["a"]


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!int abc", "!!float x"])
def test_yaml_tags_are_refused_with_a_diagnostic(tag: str, tmp_path: Path) -> None:
    spec = tmp_path / "t.yaml"
    spec.write_text(f"time: {{start: 0, stop: 1, dt: 1, units: year}}\nstocks:\n  a:\n    initial: {tag}\n")
    [d] = stockflow.check(spec)
    assert d.code == "E002"
