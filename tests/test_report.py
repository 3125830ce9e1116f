"""`stockflow report` (one self-contained HTML file) and `stockflow plot`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import stockflow
from stockflow.cli import main

from conftest import ROOT

GIRFEC = str(ROOT / "specs" / "girfec" / "girfec.sfm")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report") / "girfec.html"
    r = CliRunner().invoke(main, ["report", GIRFEC, "-o", str(out), "--break-even", "cost_rate",
                                  "--cost", "total_cost", "--quality", "quality_child_years"])
    assert r.exit_code == 0, r.output
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained(report_html: str) -> None:
    assert report_html.startswith("<!DOCTYPE html>")
    assert not re.search(r'<(script|link|img)[^>]*(src|href)="(https?:|//|/)', report_html)
    assert report_html.count('src="data:image/png;base64,') >= 3


def test_report_has_every_assumption_with_its_source(report_html: str) -> None:
    model = stockflow.load(GIRFEC)
    for p in model.checked.graph.params:
        assert f"<td>{p.display}</td>" in report_html
    assert "no source or assumption given" not in report_html
    assert re.search(r"declared girfec\.sfm:\d+", report_html)
    assert "Green Book" in report_html and "gov.scot" in report_html


def test_report_sections(report_html: str) -> None:
    for heading in ("Results against the baseline", "When savings appear", "Trajectories", "Assumptions",
                    "Scenarios", "Feedback loops (60)", "Reality checks"):
        assert heading in report_html, heading
    assert "wm2u_uncertain" in report_html and "200 draws, seed 2026" in report_html
    assert report_html.count('class="ok">holds') == 6 and "<td>wm2u</td>" in report_html
    if shutil.which("dot"):
        assert "<svg" in report_html
    else:
        assert "is not installed, so the diagram is given as DOT" in report_html


def test_plots(tmp_path: Path) -> None:
    runner = CliRunner()
    png = tmp_path / "t.png"
    assert runner.invoke(main, ["plot", GIRFEC, "-o", str(png), "--vars", "intensive,engaged_families"]).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = tmp_path / "f.svg"
    r = runner.invoke(main, ["plot", GIRFEC, "-o", str(svg), "--kind", "flows", "--stock", "intensive",
                             "--scenario", "wm2u"])
    assert r.exit_code == 0 and b"<svg" in svg.read_bytes()[:1000]
    cq = tmp_path / "cq.png"
    r = runner.invoke(main, ["plot", GIRFEC, "-o", str(cq), "--kind", "cost-quality", "--cost", "total_cost",
                             "--quality", "quality_child_years"])
    assert r.exit_code == 0 and cq.stat().st_size > 5000
    assert runner.invoke(main, ["plot", GIRFEC, "-o", str(tmp_path / "x.jpg")]).exit_code == 2
    assert runner.invoke(main, ["plot", GIRFEC, "-o", str(png), "--kind", "flows", "--stock", "nope"]).exit_code == 1
    assert runner.invoke(main, ["report", GIRFEC, "-o", str(tmp_path / "r.txt")]).exit_code == 2
