"""Calibration: parameter recovery, identifiability, data handling and its errors, the CLI."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import stockflow
from stockflow.calibrate import calibrate
from stockflow.cli import main
from stockflow.compiler.base.diagnostics import SpecError

from conftest import ROOT

MODEL = """model two
time { start 0  stop 10  dt 0.125  units year }
unit child
stock a [child] = 1000
stock b [child] = 100
flow up [child/year]: a -> b = a * up_rate
flow down [child/year]: b -> a = b * down_rate
flow born [child/year]: outside -> a = births
flow leave [child/year]: b -> outside = b * leave_rate
param up_rate [1/year] = 0.05
param down_rate [1/year] = 0.3
param leave_rate [1/year] = 0.1
param births [child/year] = 20
"""
TRUTH = {"up_rate": 0.08, "down_rate": 0.25, "leave_rate": 0.15}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data simulated from TRUTH with seeded noise: stocks with 2% noise, yearly flow counts."""
    d = tmp_path_factory.mktemp("cal")
    (d / "two.sfm").write_text(MODEL)
    r = stockflow.load(d / "two.sfm").run(params=TRUTH)
    rng = np.random.default_rng(3)
    rows = []
    for year in range(1, 11):
        k = year * 8
        rows.append((year, "b_count", rng.normal(r["b"][k], 0.02 * r["b"][k])))
        rows.append((year, "a_count", rng.normal(r["a"][k], 0.02 * r["a"][k])))
        rows.append((year, "up_total", rng.poisson(np.sum(r["up"][k - 8:k]) * 0.125)))
    with (d / "data.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([("year", "series", "value"), *rows])
    return d


def write(d: Path, name: str, text: str) -> Path:
    (d / name).write_text(text)
    return d / name


FULL = """model: two.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  b_count: {stock: b, noise: normal, sd: estimate}
  a_count: {stock: a, noise: normal, cv: 0.02}
  up_total: {flow: up, over: 1 year, noise: poisson}
estimate:
  up_rate: {bounds: [0, 1]}
  down_rate: {bounds: [0, 2]}
  leave_rate:
starts: 3
seed: 1
"""


def test_recovers_known_parameters_inside_their_intervals(synthetic: Path) -> None:
    fit = calibrate(write(synthetic, "full.yaml", FULL))
    assert fit.converged
    est = {e.name: e for e in fit.estimates}
    for name, true in TRUTH.items():
        assert est[name].low < true < est[name].high, (name, est[name])
        assert abs(est[name].value - true) / true < 0.1
    assert not fit.identifiability.weak
    assert "determined to within a factor of 2" in fit.report()
    # the fit starts where the model is, plus a seeded design; all starts agree here
    assert len(fit.start_losses) == 3 and max(fit.start_losses) - min(fit.start_losses) < 1e-3


def test_says_what_a_single_stock_series_cannot_separate(synthetic: Path) -> None:
    """One stock observed, four parameters: the seed's warning, in the report's words."""
    text = FULL.replace("  a_count: {stock: a, noise: normal, cv: 0.02}\n", "").replace(
        "  up_total: {flow: up, over: 1 year, noise: poisson}\n", "").replace("  leave_rate:\n", "  leave_rate:\n  births:\n")
    fit = calibrate(write(synthetic, "b_only.yaml", text))
    weak = fit.identifiability.weak
    assert weak, fit.report()
    involved = {n for d in weak for n, w in d.loadings if abs(w) > 0.25}
    assert {"births", "leave_rate"} <= involved
    report = fit.report()
    assert "The data cannot tell these apart" in report and "NOT determined" in report
    # and it names data that would help (an unobserved stock or flow of the model)
    names = [n for n, _, _ in fit.identifiability.suggestions]
    assert names and set(names) <= {"a", "up", "down", "born", "leave"}


def test_profile_likelihood_is_zero_at_the_optimum(synthetic: Path) -> None:
    fit = calibrate(write(synthetic, "full.yaml", FULL))
    prof = fit.profile("leave_rate", points=5)
    values = [v for v, _ in prof]
    middle = prof[2]
    assert middle[0] == pytest.approx(fit.params()["leave_rate"], rel=1e-9)
    assert abs(middle[1]) < 1e-4 and min(d for _, d in prof) > -1e-4
    assert values == sorted(values) and prof[0][1] > 1.0 and prof[-1][1] > 1.0


def test_overlay_runs_with_the_estimates(synthetic: Path) -> None:
    fit = calibrate(write(synthetic, "full.yaml", FULL), starts=1)
    out = synthetic / "sub" / "calibrated.sfm"  # as `-o fit/` beside the model
    out.parent.mkdir(exist_ok=True)
    out.write_text(fit.overlay(out))
    m = stockflow.load(out)
    p = {x.id: x.value for x in m.checked.graph.params}
    for name, value in fit.params().items():
        assert p[name] == pytest.approx(value, rel=1e-12)
    assert "95% interval" in out.read_text()


def test_flow_totals_are_integrals_over_the_period(tmp_path: Path) -> None:
    """A constant inflow of 12 a year seen as totals over 6 months is 6, not 12."""
    write(tmp_path, "m.sfm", "time { start 0 stop 4 dt 0.25 units year }\nstock s = 0\n"
                             "flow f: outside -> s = rate\nparam rate = 5\n")
    with (tmp_path / "d.csv").open("w") as fh:
        fh.write("t,f\n1,6.0\n2,6.0\n3.5,6.0\n")
    fit = calibrate(write(tmp_path, "c.yaml", "model: m.sfm\ndata: {file: d.csv, layout: wide, time: t}\n"
                                             "observe: {f: {flow: f, over: 0.5, noise: normal, sd: 0.1}}\n"
                                             "estimate: {rate: }\n"))
    assert fit.params()["rate"] == pytest.approx(12.0, rel=1e-6)


def test_an_observation_names_the_column_it_reads(tmp_path: Path) -> None:
    """A spreadsheet's column `Approved carers` could be observed only by a YAML key spelt the
    same, spaces and all; `column:` (the guess) was an unknown key whose hint listed keys, and
    "no data for `carers`" said what the data hold but not how to link them. `series:` names
    the data's series; the observation keeps its own name in the report."""
    write(tmp_path, "m.sfm", "time { start 0 stop 4 dt 0.25 units year }\nstock s = 0\n"
                             "flow f: outside -> s = rate\nparam rate = 5\n")
    (tmp_path / "d.csv").write_text("Year,Approved carers\n1,12\n2,24\n3,36\n")
    head = "model: m.sfm\ndata: {file: d.csv, layout: wide, time: Year}\n"
    fit = calibrate(write(tmp_path, "c.yaml", head + "observe: {carers: {stock: s, series: Approved carers, sd: 0.1}}\n"
                                                  "estimate: {rate: }\n"))
    assert fit.params()["rate"] == pytest.approx(12.0, rel=1e-6)
    assert "sd of carers" not in fit.params() and [r["series"] for r in fit.residuals().to_dict("records")][0] == "carers"
    with pytest.raises(SpecError) as exc:
        calibrate(write(tmp_path, "c2.yaml", head + "observe: {carers: {stock: s, column: Approved carers, sd: 0.1}}\n"
                                                    "estimate: {rate: }\n"))
    [d] = exc.value.diagnostics
    assert d.message == "unknown key `column` in `observe.carers`"
    assert d.hint == "the series' name in the data (a column's header) is `series: ...`"
    with pytest.raises(SpecError) as exc:
        calibrate(write(tmp_path, "c3.yaml", head + "observe: {carers: {stock: s, sd: 0.1}}\nestimate: {rate: }\n"))
    [d] = exc.value.diagnostics
    assert d.hint == "the data hold `Approved carers`; say which with `series: NAME`"
    with pytest.raises(SpecError) as exc:
        calibrate(write(tmp_path, "c4.yaml", head + "observe: {carers: {stock: s, series: Aproved carers, sd: 0.1}}\n"
                                                    "estimate: {rate: }\n"))
    [d] = exc.value.diagnostics
    assert d.message == "no data for `carers` (series `Aproved carers`) in any data file"
    assert d.hint == "did you mean `Approved carers`?"


def test_the_fit_chart_labels_each_axis_with_its_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The residuals' label, `observed - fitted [children_per_year]` on one line, ran past its
    short panel into the one above; it is two lines, the units under the words."""
    from stockflow import plots
    from stockflow.report_calibration import plot

    write(tmp_path, "m.sfm", "unit child\ntime { start 0 stop 4 dt 0.25 units year }\nstock s [child] = 0\n"
                             "flow f [child/year]: outside -> s = rate\nparam rate [child/year] = 5\n")
    (tmp_path / "d.csv").write_text("year,kids\n1,12\n2,24\n3,36\n")
    fit = calibrate(write(tmp_path, "c.yaml", "model: m.sfm\ndata: {file: d.csv, layout: wide, time: year}\n"
                                              "observe: {kids: {stock: s, sd: 0.1}}\nestimate: {rate: }\n"))
    drawn = []
    monkeypatch.setattr(plots, "save", lambda fig, path, inputs=(): drawn.append(fig))
    plot(fit, tmp_path / "fit.png")
    [fig] = drawn
    top, bottom = fig.axes
    assert top.get_ylabel() == "[child]" and bottom.get_ylabel() == "observed - fitted\n[child]"
    assert bottom.get_xlabel() == "time [year]"
    # the data fit exactly: residuals of 1e-14 spread over the axis showed `0` at every tick
    fig.canvas.draw()
    ticks = [t.get_text() for t in bottom.get_yticklabels() if t.get_text()]
    assert ticks.count("0") == 1 and len(set(ticks)) == len(ticks), ticks
    assert bottom.get_ylim()[1] == pytest.approx(0.01 * 36, rel=1e-3)


def test_a_tight_interval_is_written_with_the_digits_that_tell_its_ends_apart() -> None:
    """An estimate of 300 with a std err of 0.0014 had the interval `[300, 300]`."""
    from types import SimpleNamespace

    from stockflow.report_calibration import _interval

    def text(lo: float, hi: float) -> str:
        return _interval(SimpleNamespace(low=lo, high=hi))

    assert text(299.99717, 300.00283) == "[299.997, 300.003]"
    assert text(13787.339, 15084.475) == "[13,787.34, 15,084.48]"  # as before where they differ
    assert text(1234567.1, 1234567.4) == "[1,234,567.1, 1,234,567.4]"
    assert text(0.5, 0.5) == "[0.5, 0.5]" and text(-math.inf, 3.0) == "[-inf, 3]"


def _diag(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as exc:
        calibrate(path)
    return [(d.code, d.message) for d in exc.value.diagnostics]


def test_bad_data_is_named_with_file_and_row(synthetic: Path) -> None:
    d = synthetic
    (d / "bad.csv").write_text("year,series,value,unit\n1,b_count,12x,children\n2,b_count,150,people\n")
    cal = FULL.replace("data.csv, time: year, series: series, value: value}",
                       "bad.csv, time: year, series: series, value: value, unit: unit}")
    cal = cal.replace("  b_count: {stock: b, noise: normal, sd: estimate}",
                      "  b_count: {stock: b, noise: normal, sd: estimate, unit: children}")
    got = _diag(write(d, "bad.yaml", cal))
    assert ("E081", "bad.csv:2: `12x` for `b_count` is not a number") in got
    assert any(c == "E082" and "bad.csv row 3" in m and "people" in m for c, m in got)
    got = _diag(write(d, "col.yaml", FULL.replace("series: series", "series: measure")))
    assert got[0][0] == "E081" and "no column `measure`" in got[0][1]


def b_count_only(csv: str, extra: str = "") -> str:
    """FULL, observing only `b_count`, read from `csv` (with `extra` keys for its data source)."""
    body = FULL.replace("data.csv, time: year, series: series, value: value}",
                        f"{csv}, time: year, series: series, value: value{extra}}}")
    return body.replace("  a_count: {stock: a, noise: normal, cv: 0.02}\n", "").replace(
        "  up_total: {flow: up, over: 1 year, noise: poisson}\n", "")


def test_a_unit_mismatch_on_many_rows_is_one_diagnostic_naming_them(synthetic: Path) -> None:
    rows = "".join(f"{y},b_count,{100 + y},people\n" for y in range(1, 10))
    (synthetic / "many.csv").write_text("year,series,value,unit\n" + rows)
    cal = b_count_only("many.csv", ", unit: unit").replace(
        "  b_count: {stock: b, noise: normal, sd: estimate}",
        "  b_count: {stock: b, noise: normal, sd: estimate, unit: children}")
    got = _diag(write(synthetic, "many.yaml", cal))
    assert [c for c, _ in got] == ["E082"]
    assert "many.csv rows 2-10" in got[0][1] and "`people`" in got[0][1]


def test_a_spreadsheets_own_ways_are_named_never_guessed(synthetic: Path) -> None:
    """Data from another authority's spreadsheet: day/month/year dates were one E081 a row (500
    rows, 500 errors), a `;`-separated file three "no column" errors, and a decimal comma
    (`150,2`) was read as 1502 without a word."""
    rows = "".join(f"{d:02d}/03/2009,b_count,{100 + d}\n" for d in range(1, 29))
    (synthetic / "uk.csv").write_text("year,series,value\n" + rows)
    got = _diag(write(synthetic, "uk.yaml", "time_origin: 2008-03-31\n" + b_count_only("uk.csv")))
    assert [c for c, _ in got] == ["E081"] and "uk.csv rows 2-29: `01/03/2009` (and 27 more)" in got[0][1]
    with pytest.raises(SpecError) as exc:
        calibrate(synthetic / "uk.yaml")
    assert exc.value.diagnostics[0].hint == "write dates as YYYY-MM-DD: if `01/03/2009` is day/month/year, it is 2009-03-01"
    (synthetic / "semi.csv").write_text("year;series;value\n1;b_count;140\n")
    got = _diag(write(synthetic, "semi.yaml", b_count_only("semi.csv")))
    assert got == [("E081", "semi.csv has its columns separated by `;`, not by commas")]
    (synthetic / "comma.csv").write_text('year,series,value\n1,b_count,"150,2"\n2,b_count,"1,150.5"\n')
    got = _diag(write(synthetic, "comma.yaml", b_count_only("comma.csv")))
    assert got == [("E081", "comma.csv:2: `150,2` for `b_count` is not a number: its comma does not separate thousands")]


def test_an_empty_cell_is_missing_not_a_duplicate(synthetic: Path) -> None:
    (synthetic / "gap.csv").write_text("year,series,value\n1,b_count,140\n1,b_count,\n2,b_count,150\n")
    fit = calibrate(write(synthetic, "gap.yaml", b_count_only("gap.csv")), starts=1)
    assert list(fit.series[0].values) == [140.0, 150.0]


def test_official_statistics_marks_are_missing_and_said_so(synthetic: Path) -> None:
    """A published table as downloaded: `[c]` (suppressed), `[x]` (not available), `..` and
    `*` were each E081 "not a number" and stopped the fit. They are missing values, left out
    and named. `-`, which official tables use for nil, is not guessed at: its hint says so."""
    rows = "1,b_count,140\n2,b_count,[c]\n3,b_count,..\n4,b_count,*\n5,b_count,[x]\n6,b_count,150\n"
    (synthetic / "pub.csv").write_text("year,series,value\n" + rows)
    fit = calibrate(write(synthetic, "pub.yaml", b_count_only("pub.csv")), starts=1)
    assert list(fit.series[0].values) == [140.0, 150.0]
    notes = " ".join(n.message for n in fit.notes)
    assert "4 missing value(s) of `b_count` left out (marked `[c]`, `..`, `*`, `[x]`)" in notes
    (synthetic / "nil.csv").write_text("year,series,value\n1,b_count,140\n2,b_count,-\n")
    with pytest.raises(SpecError) as exc:
        calibrate(write(synthetic, "nil.yaml", b_count_only("nil.csv")))
    [d] = exc.value.diagnostics
    assert d.code == "E081" and "`-`" in d.message and "write 0" in d.hint and "leave the cell empty" in d.hint


def test_duplicates_need_a_choice_and_prefer_makes_it(synthetic: Path) -> None:
    d = synthetic
    (d / "dup.csv").write_text("year,series,value,note\n1,b_count,140,SUPERSEDED: first\n"
                               "1,b_count,138,PREFERRED: revised\n2,b_count,150,\n3,b_count,,\n"
                               "30,b_count,150,\n")
    body = b_count_only("dup.csv")
    got = _diag(write(d, "dup.yaml", body))
    assert got[0][0] == "E083" and "rows 2, 3" in got[0][1]
    chosen = body.replace("value: value}", "value: value, prefer: {column: note, keep: PREFERRED, drop: SUPERSEDED}}")
    fit = calibrate(write(d, "dup2.yaml", chosen), starts=1)
    [s] = fit.series
    assert list(s.values) == [138.0, 150.0]  # the preferred revision; the empty cell and year 30 left out
    notes = " ".join(n.message for n in fit.notes)
    assert "outside the run" in notes and "1 missing value" in notes


def test_calibration_spec_errors(synthetic: Path) -> None:
    d = synthetic
    got = _diag(write(d, "e1.yaml", FULL.replace("leave_rate:", "leave_rat:")))
    assert got == [("E084", "`leave_rat` is not a parameter of two")]
    got = _diag(write(d, "e2.yaml", FULL.replace("{stock: b,", "{stock: bb,")))
    assert got[0][0] == "E084" and "`bb` is not a stock" in got[0][1]
    got = _diag(write(d, "e3.yaml", FULL.replace("starts: 3", "starst: 3")))
    assert got[0][0] == "E080" and "starst" in got[0][1]
    got = _diag(write(d, "e4.yaml", FULL.replace("{flow: up, over: 1 year,", "{flow: up,")))
    assert got[0][0] == "E080" and "needs `over`" in got[0][1]
    got = _diag(write(d, "e5.yaml", FULL.replace("{bounds: [0, 1]}", "{prior: gamma(1, 2)}")))
    assert got[0][0] == "E080" and "prior" in got[0][1]


def test_dated_data_need_a_time_origin(synthetic: Path) -> None:
    d = synthetic
    (d / "dated.csv").write_text("date,series,value\n2001-01-01,b_count,130\n")
    body = FULL.replace("data.csv, time: year", "dated.csv, time: date")
    got = _diag(write(d, "dated.yaml", body))
    assert got[0][0] == "E080" and "time_origin" in got[0][1]


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "1e400"])
def test_a_time_that_is_no_time_is_refused_with_its_row(cell: str, synthetic: Path) -> None:
    """`nan` in the time column read as a float: a row at no time went into the fit, and the
    fit ended in an internal error (LinAlgError). It is a time cell like any other that is not
    a number or a date."""
    d = synthetic
    rows = (d / "data.csv").read_text().splitlines()
    rows[3] = cell + rows[3][rows[3].index(","):]
    (d / "notime.csv").write_text("\n".join(rows) + "\n")
    got = _diag(write(d, "notime.yaml", FULL.replace("data.csv", "notime.csv")))
    assert got[0][0] == "E081" and f"row 4: `{cell}`" in got[0][1] and "neither a number nor a date" in got[0][1]


@pytest.mark.parametrize("row", [0, 5])
def test_a_row_of_more_cells_than_the_header_is_refused_with_its_line(row: int, synthetic: Path) -> None:
    """A first data row with one cell too many (`1,000` unquoted) made pandas take the first
    column for the index: every column shifted, and the fit ended in an internal error. A later
    one was "cannot read as CSV" with no place. Either is E081 at its line."""
    d = synthetic
    rows = (d / "data.csv").read_text().splitlines()
    rows[1 + row] += ",1,000"  # a count written with its thousands comma, unquoted
    (d / "ragged.csv").write_text("\n".join(rows) + "\n")
    got = _diag(write(d, "ragged.yaml", FULL.replace("data.csv", "ragged.csv")))
    assert got[0][0] == "E081" and f"ragged.csv line {row + 2} has 5 cells, its header 3" in got[0][1], got


def test_empty_cells_past_the_header_are_a_spreadsheets_and_read(synthetic: Path) -> None:
    """Every data row ending in a comma the header lacks (as spreadsheets save them) was read
    with its first column taken for the index: every column shifted. The empty cells go."""
    from stockflow.runtime._data import _read_csv

    d = synthetic
    rows = (d / "data.csv").read_text().splitlines()
    trailing = "\n".join([rows[0]] + [r + "," for r in rows[1:]]) + "\n"
    assert _read_csv(trailing.encode()).equals(_read_csv((d / "data.csv").read_bytes()))


@pytest.mark.parametrize("old, new, says", [
    ("sd: estimate", "sd: .nan", "`sd` must be a finite number"),
    ("cv: 0.02", "cv: .inf", "`cv` must be a finite number"),
    ("cv: 0.02", "cv: 0.02, weight: .nan", "`weight` must be a finite number"),
    ("starts: 3", "starts: .inf", "`starts` must be a finite number"),
    ("sd: estimate", "sd: 0", "`sd` must be positive"),
])
def test_a_value_that_is_no_number_is_told_once(old: str, new: str, says: str, synthetic: Path) -> None:
    """`sd: .nan` was told twice: "must be a finite number", then "must be a positive finite
    number, not 0", about a 0 nobody wrote (the first error's stand-in)."""
    got = _diag(write(synthetic, "once.yaml", FULL.replace(old, new)))
    assert [m for _, m in got] == [says], got


def test_a_fit_whose_curvature_is_nan_says_so(synthetic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Hessian with NaN at the best point (an equation not smooth there) reached numpy's
    eigh, whose LinAlgError was an internal error. It is E060, naming the estimates."""
    from stockflow.runtime._fit import Problem

    monkeypatch.setattr(Problem, "hessian", lambda self, z: np.full((len(z), len(z)), np.nan))
    res = CliRunner().invoke(main, ["calibrate", str(write(synthetic, "nanh.yaml", FULL)), "--starts", "1"])
    assert res.exit_code == 1 and "internal error" not in res.output, res.output
    assert "E060" in res.output and "curvature at its best point (up_rate = " in res.output


def test_cli_writes_every_output(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "fit"
    res = CliRunner().invoke(main, ["calibrate", str(write(synthetic, "full.yaml", FULL)), "-o", str(out),
                                    "--starts", "1", "--profile", "up_rate"])
    assert res.exit_code == 0, res.output
    assert "95% interval" in res.output and "Profile of up_rate" in res.output
    for name in ("calibrated.sfm", "fit.png", "estimates.csv", "correlation.csv", "residuals.csv", "report.txt"):
        assert (out / name).stat().st_size > 0
    # the written spec is in canonical form: `format --check` over a folder holding it passes
    assert CliRunner().invoke(main, ["format", "--check", str(out)]).exit_code == 0
    res = CliRunner().invoke(main, ["calibrate", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 1 and "E005" in res.output


def test_scotland_looked_after_fit() -> None:
    """The bundled calibration to the published national series."""
    fit = calibrate(ROOT / "specs" / "scotland_looked_after" / "calibrate.yaml")
    assert fit.converged
    est = fit.params()
    assert 0.25 < est["leave_rate"] < 0.31  # 3,398 ceased in 2023-24 out of 11,844
    assert -160 < est["starts_trend"] < -110
    assert not fit.identifiability.weak
    # the residual term is judged on its own additive scale (its bounds are +-2,000): narrowed,
    # but its sign is the one thing the data leave open
    assert re.search(r"net_adjustment +± [\d.]+ +narrowed within its range, but the data do not fix its sign",
                     fit.report())
    res = fit.residuals()
    total = res[res.series == "looked_after_total"]
    assert (total.residual.abs() / total.observed).median() < 0.01
    # the fit bundled beside it is this build's: `calibrate -o fit` again if this fails
    with open(ROOT / "specs" / "scotland_looked_after" / "fit" / "estimates.csv", encoding="utf-8") as f:
        bundled = {row["name"]: float(row["value"]) for row in csv.DictReader(f)}
    assert {k: bundled[k] for k in est} == pytest.approx(est, rel=1e-5)


def test_calibrate_block_in_a_dsl_spec_and_section_in_yaml(synthetic: Path) -> None:
    """The same calibration written inside the model, in either form; `format` keeps it."""
    block = ("\ncalibrate {\n  data:\n    - {file: data.csv, time: year, series: series, value: value}\n"
             "  observe:\n    b_count: {stock: b, noise: normal, sd: estimate}  # a comment { }\n"
             "    up_total: {flow: up, over: 1 year, noise: poisson}\n"
             "  estimate:\n    up_rate: {bounds: [0, 1]}\n  starts: 1\n}\n\naux total [child] = a + b\n")
    dsl = write(synthetic, "inline.sfm", MODEL + block)
    fit_dsl = calibrate(dsl)
    assert stockflow.load(dsl).checked.graph.auxes[0].id == "total"  # the model around the block still reads
    res = CliRunner().invoke(main, ["format", "--to", "yaml", str(dsl)])
    assert res.exit_code == 0 and "calibrate:\n  data:" in res.output and "# a comment" in res.output
    yml = write(synthetic, "inline.yaml", res.output)
    fit_yaml = calibrate(yml)
    assert fit_dsl.params() == pytest.approx(fit_yaml.params(), rel=1e-9)
    back = CliRunner().invoke(main, ["format", str(yml)])
    assert "calibrate {\n  data:\n    - {file: data.csv" in back.output
    # errors in a block point at the spec's own lines
    broken = write(synthetic, "broken.sfm", MODEL + block.replace("up_rate: {bounds", "up_rat: {bounds"))
    with pytest.raises(SpecError) as exc:
        calibrate(broken)
    [d] = exc.value.diagnostics
    assert d.code == "E084" and d.span is not None and d.span.line == MODEL.count("\n") + 9  # `up_rat` is the 9th line of the block
    with pytest.raises(SpecError) as exc:
        calibrate(write(synthetic, "none.sfm", MODEL))
    assert exc.value.diagnostics[0].code == "E080"


def test_a_parameter_the_data_say_nothing_about_is_not_given_a_precise_value(synthetic: Path) -> None:
    (synthetic / "two_extra.sfm").write_text(MODEL + "param unseen [1/year] = 0.5 { bounds [0, 3] }\n"
                                             "aux unseen_effect [child] = b * unseen * 1 year\n")
    text = FULL.replace("model: two.sfm", "model: two_extra.sfm").replace("  leave_rate:\n", "  leave_rate:\n  unseen:\n")
    fit = calibrate(write(synthetic, "unseen.yaml", text), starts=1)
    e = {x.name: x for x in fit.estimates}["unseen"]
    assert e.se == float("inf") and (e.low, e.high) == (0.0, 3.0)
    assert "`unseen` on its own" in fit.report()
    corr = fit.correlation  # labelled by estimate
    assert list(corr.index) == list(corr.columns) == [x.name for x in fit.estimates]
    assert corr.loc["unseen"].isna().all()
    assert np.nanmax(np.abs(corr.to_numpy())) <= 1.0


def test_goodness_of_fit_names_overdispersion_and_outliers(synthetic: Path, tmp_path: Path) -> None:
    """Counts that vary far more than Poisson allows, and one stock value 40 sd off, are both
    said in the report, with the rows."""
    (tmp_path / "two.sfm").write_text(MODEL)
    with (synthetic / "data.csv").open() as fh:
        rows = list(csv.reader(fh))
    rng = np.random.default_rng(7)
    out = [rows[0]]
    for year, series, value in rows[1:]:
        v = float(value)
        if series == "up_total":
            v = max(0, round(v * rng.lognormal(0, 0.5)))
        if series == "b_count" and year == "6":
            v *= 1.8
        out.append([year, series, v])
    with (tmp_path / "data.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(out)
    fit = calibrate(write(tmp_path, "full.yaml", FULL))
    report = fit.report()
    assert "Goodness of fit:" in report
    assert "`up_total` varies about" in report and "noise: negative_binomial" in report
    assert re.search(r"`b_count` has observations far from the fit: data\.csv:\d+ \(\+", report)
    # the well-specified synthetic fit raises neither
    clean = calibrate(write(synthetic, "full.yaml", FULL)).report()
    assert "varies about" not in clean and "far from the fit" not in clean


def test_a_fit_compiles_each_function_once_whatever_its_starts(synthetic: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: loss, gradient, Hessian, Fisher information and suggestions are compiled once
    a fit, not once a start. After a first fit (whose helpers any later fit of three parameters
    reuses), two fits of models that differ in structure, so that neither reuses the other's
    programs, compile as many XLA programs with 2 starts as with 6."""
    import jax.monitoring

    monkeypatch.setenv("STOCKFLOW_CACHE_DIR", "")  # no compiled programs from disk
    compiles: list[str] = []

    def count(name: str, secs: float, **kw: object) -> None:
        if name.endswith("backend_compile_duration"):
            compiles.append(name)

    calibrate(write(synthetic, "full.yaml", FULL), starts=1).report()
    jax.monitoring.register_event_duration_secs_listener(count)
    try:
        counted = []
        for extra, starts in (("flow gone [child/year]: a -> outside = a * 0.001 [1/year]\n", 2),
                              ("flow gone [child/year]: b -> outside = b * 0.001 [1/year]\n", 6)):
            write(synthetic, f"two_{starts}.sfm", MODEL + extra)
            compiles.clear()
            fit = calibrate(write(synthetic, f"c{starts}.yaml", FULL.replace("two.sfm", f"two_{starts}.sfm")),
                            starts=starts)
            fit.report()
            assert len(fit.start_losses) == starts
            counted.append(len(compiles))
    finally:
        jax.monitoring.unregister_event_duration_listener(count)
    assert counted[0] == counted[1] and 0 < counted[0] <= 6, counted


def test_forward_mode_gradients_are_reverse_modes(synthetic: Path) -> None:
    """A capped RK4 model's gradient is taken forwards (tracing and compiling its reverse pass
    took GIRFEC's fit half a minute); it is the gradient reverse mode gives."""
    from stockflow.runtime._jax import jax, jnp, x64

    capped = MODEL.replace("units year }", "units year  method rk4 }").replace("stock b [child] = 100",
                                                                              "stock b [child] = 100 { non_negative }")
    write(synthetic, "capped.sfm", capped)
    fit = calibrate(write(synthetic, "capped.yaml", FULL.replace("two.sfm", "capped.sfm")), starts=1)
    prob = fit.problem
    assert prob.forward
    z = np.asarray(fit.z) + 0.05
    value, grad, _ = prob._all(z)
    with x64():
        want_value, want_grad = jax.jit(jax.value_and_grad(lambda q: prob.loss_fn(q, jnp.asarray(prob.y))))(z)
    assert value == pytest.approx(float(want_value), rel=1e-13)
    np.testing.assert_allclose(grad, np.asarray(want_grad), rtol=1e-9, atol=1e-9)
    assert not calibrate(write(synthetic, "plain.yaml", FULL), starts=1).problem.forward  # Euler, uncapped


def test_an_array_observed_whole_reads_a_series_an_element(tmp_path: Path) -> None:
    """`stock: infected` over an array was E084, "observe one element": 32 authorities at four
    levels took 128 observations written out. It is now one observation an element, each
    reading the series of its own name; data holding only the total are told to observe a sum."""
    import shutil

    shutil.copy(ROOT / "tests" / "models" / "sir_by_age.sfm", tmp_path / "sir.sfm")
    (tmp_path / "obs.csv").write_text("day,series,value\n7,sick,20\n14,sick,300\n", encoding="utf-8")
    path = write(tmp_path, "cal.yaml", "model: sir.sfm\ndata:\n  - {file: obs.csv, time: day, series: series, "
                 "value: value}\nobserve:\n  sick: {stock: infected, noise: poisson}\nestimate:\n  recovery:\n")
    with pytest.raises(SpecError) as exc:
        calibrate(path)
    d = exc.value.diagnostics[0]
    assert d.code == "E081" and "no data for `sick[young]`" in d.message
    assert "the data hold `sick` alone: if it is the total, observe an auxiliary that sums" in (d.hint or "")
    m = stockflow.load(tmp_path / "sir.sfm")
    r = m.run(params={"recovery": 5.0})
    ages = [v.id for v in m.variables() if v.array == "infected"]
    rows = "".join(f"{day},{a.replace('infected', 'sick')},{float(r[a][int(day / m.plan().dt)])!r}\n"
                   for day in (7, 14, 21) for a in ages)
    (tmp_path / "obs.csv").write_text("day,series,value\n" + rows, encoding="utf-8")
    path.write_text(path.read_text().replace("noise: poisson", "noise: normal, sd: 1"), encoding="utf-8")
    fit = calibrate(path)
    assert [s.obs.series for s in fit.series] == [a.replace("infected", "sick") for a in ages]
    assert fit.params()["recovery"] == pytest.approx(5.0, rel=1e-6)


def test_a_series_named_otherwise_in_the_data_is_named(synthetic: Path) -> None:
    """`B count` in the data for an observation `b_count` was "no data", with no clue which
    series the files hold."""
    d = synthetic
    rows = (d / "data.csv").read_text().replace(",b_count,", ",B count,")
    (d / "spaced.csv").write_text(rows)
    with pytest.raises(SpecError) as exc:
        calibrate(write(d, "spaced.yaml", b_count_only("spaced.csv")))
    [diag] = exc.value.diagnostics
    assert diag.code == "E081" and "`B count`" in (diag.hint or "")
    with pytest.raises(SpecError) as exc:
        calibrate(write(d, "typo.yaml", b_count_only("data.csv").replace("  b_count:", "  b_cont:")))
    assert "did you mean `b_count`?" in (exc.value.diagnostics[0].hint or "")


def test_a_calibration_key_without_the_space_after_its_colon_says_so(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("model: m.sfm\nobserve:\n  a_count:{stock: a}\nestimate:\n  k:\n")
    with pytest.raises(SpecError) as exc:
        calibrate(tmp_path / "c.yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E003" and "`a_count: {stock...`" in (d.hint or "")


@pytest.mark.parametrize(("cell", "date"), [("2019/2020", "2020-07-31"), ("2019-20", "2020-07-31"), ("2020", "2020-07-31"),
                                            ("1999-00", "2000-07-31"), (" 2019 / 2020 ", "2020-07-31"),
                                            ("2019-21", "2019-21"), ("2020-07-31", "2020-07-31"), ("Q1", "Q1")])
def test_a_year_written_as_statistics_tables_write_it_is_its_given_day(cell: str, date: str) -> None:
    from stockflow.runtime._data import year_date

    assert year_date(cell, (7, 31)) == date


def test_data_by_year_need_the_day_each_value_stands_for(synthetic: Path) -> None:
    """statistics.gov.scot dates a year's figures `2009/2010`: that was "neither a number nor a
    date". `year_end: 07-31` says which day they stand for; without it the hint names it."""
    rows = "".join(f"{2008 + y}/{2009 + y},b_count,{v}\n" for y, v in ((1, 140), (2, 150)))
    (synthetic / "years.csv").write_text("year,series,value\n" + rows)
    body = "time_origin: 2009-07-31\n" + b_count_only("years.csv")
    got = _diag(write(synthetic, "y1.yaml", body))
    assert got[0][0] == "E081" and "`2009/2010`" in got[0][1]
    with pytest.raises(SpecError) as exc:
        calibrate(synthetic / "y1.yaml")
    assert "year_end: MM-DD" in (exc.value.diagnostics[0].hint or "")
    fit = calibrate(write(synthetic, "y2.yaml", "time_origin: 2009-07-31\n"
                          + b_count_only("years.csv", ", year_end: 07-31")), starts=1)
    assert list(fit.series[0].ends) == pytest.approx([1.0, 2.0], abs=0.01)  # 2010-07-31, 2011-07-31: years 1 and 2
    got = _diag(write(synthetic, "y3.yaml", "time_origin: 2009-07-31\n" + b_count_only("years.csv", ", year_end: 31/07")))
    assert got[0][0] == "E080" and "MM-DD" in got[0][1]


def test_an_unquoted_header_with_a_comma_is_told_to_quote_it() -> None:
    """`children[dundee,universal]` written unquoted in a CSV header is cut at its comma; the
    hint was "did you mean `children[dundee`"."""
    from stockflow.runtime._data import _series_hint

    hint = _series_hint("children[dundee,universal]", {"children[dundee", "universal]", "year"})
    assert hint.startswith('a header with a comma in it is cut in two unless quoted: write `"children[dundee,universal]"`')


def test_an_arrays_series_are_named_as_the_published_tables_name_them(tmp_path: Path) -> None:
    """Published tables call the series `looked_after_kinship`, not `looked_after[kinship]`:
    `series: "looked_after_{placement}"` names each element's series; a brace that names no
    dimension is told the dimensions."""
    (tmp_path / "la.sfm").write_text("""time { start 0 stop 4 dt 0.25 units year }
dim placement = [kinship, foster]
stock looked_after[placement] = {kinship: 400, foster: 500}
param leave[placement] [1/year] = {kinship: 0.3, foster: 0.25}
flow go[placement] [1/year]: looked_after[placement] -> outside = looked_after[placement] * leave[placement]
""", encoding="utf-8")
    r = stockflow.load(tmp_path / "la.sfm").run(params={"leave[foster]": 0.2})
    rows = "".join(f"{t},looked_after_{p},{float(r[f'looked_after[{p}]'][t * 4])!r}\n"
                   for t in range(1, 5) for p in ("kinship", "foster"))
    (tmp_path / "d.csv").write_text("year,measure,value\n" + rows, encoding="utf-8")
    cal = ("model: la.sfm\ndata:\n  - {file: d.csv, time: year, series: measure, value: value}\nobserve:\n"
           "  la: {stock: looked_after, series: 'looked_after_{placement}', sd: 1}\nestimate:\n  'leave[foster]':\n")
    fit = calibrate(write(tmp_path, "cal.yaml", cal))
    assert [s.obs.named for s in fit.series] == ["looked_after_kinship", "looked_after_foster"]
    assert fit.params()["leave[foster]"] == pytest.approx(0.2, rel=1e-6)
    with pytest.raises(SpecError) as exc:
        calibrate(write(tmp_path, "bad.yaml", cal.replace("{placement}", "{plcement}")))
    d = exc.value.diagnostics[0]
    assert d.code == "E080" and "names `{plcement}`, which is not a dimension of `looked_after`" in d.message


LA = """model la
time { start 0 stop 4 dt 0.25 units year }
unit child
dim authority = [dundee_city, angus, na_h_eileanan_siar]
dim placement = [kinship, foster]
stock looked_after[authority, placement] [child] = 100
param leave[placement] [1/year] = {kinship: 0.3, foster: 0.25}
flow go[authority, placement] [child/year]: looked_after[authority, placement] -> outside = \
looked_after[authority, placement] * leave[placement]
"""
AREAS = {"dundee_city": "Dundee City", "angus": "Angus", "na_h_eileanan_siar": "Na h-Eileanan Siar"}


@pytest.fixture
def areas(tmp_path: Path) -> Path:
    """A published table's shape: one row per area, year and series, `Scotland` among the areas,
    made from a run with leave[foster] = 0.2."""
    (tmp_path / "la.sfm").write_text(LA, encoding="utf-8")
    r = stockflow.load(tmp_path / "la.sfm").run(params={"leave[foster]": 0.2})
    rows = [f"{2019 + t}-07-31,{shown},looked_after_{p},{float(r[f'looked_after[{a},{p}]'][t * 4])!r}\n"
            for t in range(1, 5) for a, shown in AREAS.items() for p in ("kinship", "foster")]
    rows += [f"{2019 + t}-07-31,Scotland,looked_after_foster,99999\n" for t in range(1, 5)]
    (tmp_path / "d.csv").write_text("year_end,area,measure,value\n" + "".join(rows), encoding="utf-8")
    return tmp_path


def test_a_file_of_many_areas_keeps_one_area_with_where(areas: Path) -> None:
    """The tables statistics.gov.scot publishes hold every authority: observing one series was
    an E083 at each date ("say which to keep with `prefer`"), as if the rows were revisions.
    It is one error naming the column the rows differ in, and `where` keeps one area's rows."""
    one = ("model: la.sfm\ntime_origin: 2019-07-31\ndata:\n  - {file: d.csv, time: year_end, series: measure, "
           "value: value}\nobserve:\n  looked_after_foster: {stock: 'looked_after[angus,foster]', sd: 1}\n"
           "estimate:\n  'leave[foster]':\n")
    with pytest.raises(SpecError) as exc:
        calibrate(write(areas, "one.yaml", one))
    [d] = exc.value.diagnostics
    assert d.code == "E083" and "at 2020-07-31 (rows 3, 5, 7, 26), and at 3 other date(s)" in d.message
    assert "the rows differ in `area` (`Dundee City`, `Angus`" in (d.hint or "")
    assert "for one area, `where: {area: Dundee City}` in the data source; for an array" in (d.hint or "")
    kept = one.replace("value: value}", "value: value, where: {area: Angus}}")
    fit = calibrate(write(areas, "kept.yaml", kept), starts=1)
    assert [s.rows[0] for s in fit.series] == ["d.csv:5"] and len(fit.series[0].values) == 4
    assert fit.params()["leave[foster]"] == pytest.approx(0.2, rel=1e-6)
    with pytest.raises(SpecError) as exc:
        calibrate(write(areas, "typo.yaml", kept.replace("Angus", "[Angus, Dundee]")))
    [d] = exc.value.diagnostics
    assert d.code == "E081" and d.message == "`where`: no row of d.csv has `area` `Dundee`"
    assert d.hint == "did you mean `Dundee City`?"


def test_an_arrays_elements_are_read_from_a_column_with_by(areas: Path) -> None:
    """The 32-authority model's data come with the authority in a column, not in the series'
    name: `by: {authority: area}` reads each element's rows by its cell (`Na h-Eileanan Siar`
    is `na_h_eileanan_siar`), in a tidy file or a wide one; `Scotland` is no element and is
    not read."""
    cal = ("model: la.sfm\ntime_origin: 2019-07-31\ndata:\n  - {file: d.csv, time: year_end, series: measure, "
           "value: value}\nobserve:\n  la: {stock: looked_after, series: 'looked_after_{placement}', "
           "by: {authority: area}, sd: 1}\nestimate:\n  'leave[foster]':\n")
    fit = calibrate(write(areas, "arr.yaml", cal), starts=1)
    assert len(fit.series) == 6 and all(len(s.values) == 4 for s in fit.series)
    assert fit.series[-1].obs.series == "la[na_h_eileanan_siar,foster]" and fit.series[-1].rows[0] == "d.csv:7"
    assert fit.params()["leave[foster]"] == pytest.approx(0.2, rel=1e-6)
    by_row: dict[tuple[str, str], dict[str, str]] = {}
    for rec in csv.DictReader((areas / "d.csv").read_text(encoding="utf-8").splitlines()):
        by_row.setdefault((rec["year_end"], rec["area"]), {})[rec["measure"]] = rec["value"]
    (areas / "w.csv").write_text("year_end,area,looked_after_kinship,looked_after_foster\n" + "".join(
        f"{y},{a},{v.get('looked_after_kinship', '')},{v['looked_after_foster']}\n" for (y, a), v in by_row.items()),
        encoding="utf-8")
    wide = cal.replace("d.csv, time: year_end, series: measure, value: value}", "w.csv, layout: wide, time: year_end}")
    assert calibrate(write(areas, "wide.yaml", wide), starts=1).params()["leave[foster]"] == pytest.approx(0.2, rel=1e-6)
    (areas / "la.sfm").write_text(LA.replace("na_h_eileanan_siar", "eilean_siar"), encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        calibrate(areas / "arr.yaml")
    [d] = exc.value.diagnostics  # one error for the element, not one for each of its series
    assert d.message == "no row of `looked_after_kinship`, `looked_after_foster` has `area` `eilean_siar`"
    assert (d.hint or "").startswith("`area` holds `Na h-Eileanan Siar`: if that is `eilean_siar`, name the "
                                     "element `na_h_eileanan_siar`")
    with pytest.raises(SpecError) as exc:
        calibrate(write(areas, "dim.yaml", cal.replace("{authority: area}", "area")))
    [d] = exc.value.diagnostics
    assert "`by: area` names one column, and `looked_after` has 2 dimensions" in d.message
    assert d.hint == "say which dimension it holds: `by: {authority: area}`"


def test_dates_a_whole_number_of_years_on_are_at_whole_years() -> None:
    """Dates were placed by days over a 365.25-day year, so 31 July 2020, a year after 31 July
    2019 across a leap day, was at 1.0021: data made at whole years were compared with the
    model a day later, and 31 March 2024, five years after 31 March 2019, fell past a run
    stopping at 5 and was left out. Anniversaries are whole years (quarters, months); days
    between them are a share of those days; day-counted units count days; the plot's dates
    are the inverse."""
    import datetime as dt

    from stockflow.runtime._calendar import date_time, time_date
    from stockflow.runtime._data import seconds_per

    year, month, day = (seconds_per(u) for u in ("year", "month", "day"))
    assert year is not None and month is not None and day is not None
    origin = dt.date(2019, 7, 31)
    assert date_time(dt.date(2020, 7, 31), origin, "year", year) == 1.0
    assert date_time(dt.date(2024, 3, 31), dt.date(2019, 3, 31), "years", year) == 5.0
    assert date_time(dt.date(2021, 1, 30), origin, "year", year) == pytest.approx(1 + 183 / 365)
    assert date_time(dt.date(2019, 1, 31), origin, "year", year) == pytest.approx(-1 + 184 / 365)
    assert date_time(dt.date(2020, 2, 29), dt.date(2020, 1, 31), "month", month) == 1.0  # the month's last day
    assert date_time(dt.date(2020, 7, 31), origin, "quarter", seconds_per("quarter") or year) == 4.0
    assert date_time(dt.date(2020, 7, 31), origin, "day", day) == 366.0
    for t in (0.0, 1.0, 1.5014, -0.25, 12.334):
        back = time_date(t, origin, "year", year)
        assert date_time(back.date(), origin, "year", year) == pytest.approx(t, abs=1 / 365)
    assert time_date(1.0, origin, "year", year) == dt.datetime(2020, 7, 31)


def test_an_arrays_elements_share_one_noise_level_when_asked(areas: Path) -> None:
    """An array observed whole with `sd: estimate` has an sd an element: 32 authorities at
    four levels fitted 128 of them besides the model's parameters. `sd: shared` (and
    `dispersion: shared`) is one, named after the observation, fitted to every element's
    residuals, its small-sample interval counting them all."""
    rng = np.random.default_rng(7)
    rows = []
    for line in (areas / "d.csv").read_text(encoding="utf-8").splitlines()[1:]:
        when, area, measure, value = line.split(",")
        if area != "Scotland":
            rows.append(f"{when},{area},{measure},{float(value) + rng.normal(0, 2.0)!r}\n")
    (areas / "noisy.csv").write_text("year_end,area,measure,value\n" + "".join(rows), encoding="utf-8")
    cal = ("model: la.sfm\ntime_origin: 2019-07-31\ndata:\n  - {file: noisy.csv, time: year_end, series: measure, "
           "value: value}\nobserve:\n  la: {stock: looked_after, series: 'looked_after_{placement}', "
           "by: {authority: area}, sd: shared}\nestimate:\n  'leave[foster]':\n")
    fit = calibrate(write(areas, "shared.yaml", cal), starts=2)
    names = [e.name for e in fit.estimates]
    assert names == ["leave[foster]", "sd of la"] and len(fit.series) == 6
    est = {e.name: e for e in fit.estimates}
    assert 1.2 < est["sd of la"].value < 3.0  # the noise was 2, over 24 values
    assert est["leave[foster]"].low < 0.2 < est["leave[foster]"].high
    each = calibrate(write(areas, "each.yaml", cal.replace("sd: shared", "sd: estimate")), starts=2)
    assert len(each.estimates) == 7  # an sd an element, as before
    nb = cal.replace("sd: shared", "noise: negative_binomial, dispersion: shared")
    rows = [r.replace(r.rsplit(",", 1)[1], f"{round(float(r.rsplit(',', 1)[1]))}\n") for r in rows]
    (areas / "noisy.csv").write_text("year_end,area,measure,value\n" + "".join(rows), encoding="utf-8")
    assert [e.name for e in calibrate(write(areas, "nb.yaml", nb), starts=1).estimates] == [
        "leave[foster]", "dispersion of la"]


def test_the_fit_chart_of_many_series_wraps_its_panels(areas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fit chart drew every series side by side: an array of 32 authorities at four levels
    made a figure 67,000 pixels wide, past what a PNG can hold, and the calibration ended in an
    internal error after its fit. Panels wrap at four a row, and at most MAX_PANELS are drawn,
    the output saying so."""
    from PIL import Image

    from stockflow import plots

    cal = ("model: la.sfm\ntime_origin: 2019-07-31\ndata:\n  - {file: d.csv, time: year_end, series: measure, "
           "value: value}\nobserve:\n  la: {stock: looked_after, series: 'looked_after_{placement}', "
           "by: {authority: area}, sd: 1}\nestimate:\n  'leave[foster]':\n")
    path = write(areas, "arr.yaml", cal)
    res = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(areas / "six"), "--starts", "1"])
    assert res.exit_code == 0, res.output
    with Image.open(areas / "six" / "fit.png") as im:
        six = im.size
    assert six == (round(4.4 * 4 * 120), round(5.8 * 2 * 120))  # four panels a row, two rows
    monkeypatch.setattr(plots, "MAX_PANELS", 4)
    res = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(areas / "four"), "--starts", "1"])
    assert res.exit_code == 0, res.output
    assert "fit.png (the first 4 of 6 series; residuals.csv has all)" in res.output
    with Image.open(areas / "four" / "fit.png") as im:
        assert im.size == (six[0], round(5.8 * 120))
