"""An arrayed stock's initial values read from a CSV file, as a parameter's are: another
authority's starting numbers by area and placement come as a spreadsheet, not typed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import stockflow
from stockflow.cli import main
from stockflow.compiler.base.diagnostics import SpecError

HEAD = "time { start 0 stop 4 dt 1 units year }\nunit child\ndim area = [north, south]\ndim kind = [foster, home]\n"
ROWS = "area,kind,value\nnorth,foster,10\nnorth,home,20\nsouth,foster,30\nsouth,home,40\n"
DSL = HEAD + ('stock cared[area, kind] [child] = csv "start.csv" { source "start.csv, made up for the test" }\n'
              "flow out[area, kind] [child/year]: cared[area, kind] -> outside = cared[area, kind] * 0.5 [1/year]\n")
YAML = """time: {start: 0, stop: 4, dt: 1, units: year}
units: {child: }
dimensions: {area: [north, south], kind: [foster, home]}
stocks:
  cared: {dims: [area, kind], table: start.csv, units: child}
flows:
  out: {dims: [area, kind], from: "cared[area, kind]", to: outside, rate: "cared[area, kind] * 0.5 [1/year]"}
"""
WANT = {"cared[north,foster]": 10.0, "cared[north,home]": 20.0, "cared[south,foster]": 30.0, "cared[south,home]": 40.0}


def folder(tmp_path: Path, rows: str = ROWS) -> Path:
    (tmp_path / "start.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "m.sfm").write_text(DSL, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(YAML, encoding="utf-8")
    return tmp_path


def codes(path: Path) -> list[tuple[str, str, int]]:
    with pytest.raises(SpecError) as exc:
        stockflow.load(path)
    return [(d.code, d.message + " | " + (d.hint or ""), d.span.line if d.span else 0) for d in exc.value.diagnostics]


@pytest.mark.parametrize("name", ["m.sfm", "m.yaml"])
def test_a_stock_starts_from_its_csv_rows(name: str, tmp_path: Path) -> None:
    res = stockflow.load(folder(tmp_path) / name).run()
    for vid, start in WANT.items():
        assert res[vid][0] == start and res[vid][-1] == pytest.approx(start * 0.5 ** 4, rel=1e-14)


def test_explain_gives_the_element_its_value(tmp_path: Path) -> None:
    told = CliRunner().invoke(main, ["explain", str(folder(tmp_path) / "m.sfm"), "cared[south,home]"]).stdout
    assert "initial value: 40\n" in told and 'csv "start.csv"' in told


def test_a_row_left_out_is_never_zero(tmp_path: Path) -> None:
    [(code, msg, line)] = codes(folder(tmp_path, ROWS.rsplit("south,home", 1)[0]) / "m.sfm")
    assert code == "E094" and "cared[south,home]" in msg and line == 5


def test_only_parameters_and_stocks_read_csv(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "m.sfm").write_text(HEAD + 'stock s[area] [child] = 1\naux a[area] [child] = csv "start.csv"\n',
                             encoding="utf-8")
    [(code, msg, line)] = codes(d / "m.sfm")
    assert code == "E094" and "`a` is an aux" in msg and line == 6
    (d / "m.yaml").write_text(YAML.replace("table: start.csv", "table: start.csv, initial: 1"), encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.yaml")
    assert code == "E003" and "both `initial` and `table`" in msg
    (d / "m.yaml").write_text(YAML.replace("table: start.csv, ", ""), encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.yaml")
    assert code == "E003" and "lacks `initial`" in msg and "table: FILE.csv" in msg


def test_another_authority_reads_its_own_starting_numbers(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "ours.csv").write_text(ROWS.replace("north,home,20", "north,home,25"), encoding="utf-8")
    (d / "ours.sfm").write_text('extends "m.sfm"\nset cared = csv "ours.csv"\n', encoding="utf-8")
    assert stockflow.load(d / "ours.sfm").run()["cared[north,home]"][0] == 25.0
    out = CliRunner().invoke(main, ["diff", str(d / "m.sfm"), str(d / "ours.sfm")]).stdout
    assert "cared[north,home]: A 20, B 25" in out  # the same-looking `csv` lines differ in numbers
    (d / "bad.sfm").write_text('extends "m.sfm"\nset out = csv "ours.csv"\n', encoding="utf-8")
    [(code, msg, _)] = codes(d / "bad.sfm")
    assert code == "E016" and "`out` is a flow" in msg


def test_format_keeps_the_file_both_ways(tmp_path: Path) -> None:
    d = folder(tmp_path)
    as_yaml = CliRunner().invoke(main, ["format", "--to", "yaml", str(d / "m.sfm")]).stdout
    assert "table: start.csv" in as_yaml and "initial" not in as_yaml
    (d / "back.yaml").write_text(as_yaml, encoding="utf-8")
    as_dsl = CliRunner().invoke(main, ["format", "--to", "dsl", str(d / "back.yaml")]).stdout
    assert 'stock cared[area, kind] [child] = csv "start.csv"' in as_dsl
    (d / "back.sfm").write_text(as_dsl, encoding="utf-8")
    for name in ("back.yaml", "back.sfm"):
        res = stockflow.load(d / name).run()
        assert {v: res[v][0] for v in WANT} == WANT


def test_the_report_says_which_file_each_value_came_from(tmp_path: Path) -> None:
    """A board reads where each number came from: a starting number without a source is
    flagged as a parameter's is, and a value read from a file names the file."""
    from stockflow.report import _assumptions

    d = folder(tmp_path)
    sourced = "".join(_assumptions(stockflow.load(d / "m.sfm")))
    assert sourced.count("source: start.csv, made up for the test; read from <code>start.csv</code>") == 4
    (d / "m.sfm").write_text(DSL.replace(' { source "start.csv, made up for the test" }', ""), encoding="utf-8")
    bare = "".join(_assumptions(stockflow.load(d / "m.sfm")))
    assert bare.count("no source or assumption given</span>; read from <code>start.csv</code>") == 4


def test_a_file_named_where_a_value_goes_says_how_to_read_it(tmp_path: Path) -> None:
    d = folder(tmp_path)
    (d / "m.yaml").write_text(YAML.replace("table: start.csv", "initial: {table: start.csv}"), encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.yaml")
    assert code == "E003" and "`table:` goes in place of `initial:`" in msg
    (d / "m.yaml").write_text(YAML.replace("table: start.csv", "initial: start.csv"), encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.yaml")
    assert code == "E004" and "`table: start.csv`" in msg
    (d / "m.sfm").write_text(DSL.replace('csv "start.csv"', "data/start.csv"), encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.sfm")
    assert code == "E001" and '`csv "data/start.csv"`' in msg


def test_elements_written_as_spreadsheets_write_names(tmp_path: Path) -> None:
    """`East Ayrshire` in a CSV file is the element `east_ayrshire`; `Dundee City` is still no
    element of a dimension that has `dundee`, and says which it might be."""
    d = folder(tmp_path)
    (d / "m.sfm").write_text(DSL.replace("north", "north_east"), encoding="utf-8")
    (d / "start.csv").write_text(ROWS.replace("north,", "North East,").replace("south,home", "South,home"),
                                 encoding="utf-8")
    assert stockflow.load(d / "m.sfm").run()["cared[north_east,home]"][0] == 20.0
    (d / "start.csv").write_text(ROWS.replace("south,home", "South Side,home"), encoding="utf-8")
    (d / "m.sfm").write_text(DSL, encoding="utf-8")
    [(code, msg, _)] = codes(d / "m.sfm")
    assert code == "E094" and "`south side` is not an element of `area`" in msg
