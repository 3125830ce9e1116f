"""The command line: exit codes, output formats, files written and files never touched."""

from __future__ import annotations

import json
import re
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


def test_a_long_array_is_summarised_not_printed_whole(tmp_path: Path) -> None:
    """`run` on a chain of 320 stocks printed 320 rows; the summary keeps the first 30 and the
    last 5 and says where the rest are."""
    spec = tmp_path / "chain.sfm"
    spec.write_text("model chain\ntime { start 0 stop 2 dt 1 units year }\ndim i = range(1, 50)\n"
                    "stock x[i] = i\nflow out[i]: x[i] -> outside = x[i] * 0.5\n", encoding="utf-8")
    code, out, _ = invoke("run", str(spec))
    assert code == 0
    rows = [line.split()[0] for line in out.splitlines() if line.startswith(("x[", "…"))]
    assert rows == [f"x[{i}]" for i in range(1, 31)] + ["…"] + [f"x[{i}]" for i in range(46, 51)]
    assert "… 15 more stocks" in out and "(every stock is in the results: add -o results.csv)" in out
    code, out, _ = invoke("run", str(spec), "--scenarios", "all")  # no metrics: the stocks, cut alike
    assert code == 0 and "… 15 more stocks" in out and "x[50]" in out
    code, out, _ = invoke("run", str(spec), "-o", str(tmp_path / "r.csv"))
    tidy = pd.read_csv(tmp_path / "r.csv")
    assert code == 0 and "add -o" not in out and tidy[tidy.variable == "x"].i.nunique() == 50


def test_a_stock_of_two_dimensions_is_summarised_as_a_grid(tmp_path: Path) -> None:
    """32 authorities at four levels printed 128 rows cut to 35: a board could not find its
    own authority. A stock of two or more dimensions is a grid: a row per authority, the
    levels side by side, its total now and at the start, in one number of decimals a column."""
    spec = tmp_path / "grid.sfm"
    spec.write_text("model grid\ntime { start 0 stop 1 dt 1 units year }\nunit child\n"
                    "dim authority = [dundee, angus, fife]\ndim level = [low, high]\n"
                    "stock kids[authority, level] [child] = {(dundee, low): 20000, (dundee, high): 120.5, "
                    "(angus, low): 9000, (angus, high): 40, (fife, low): 30000, (fife, high): 300}\n"
                    "flow up[authority] [child/year]: kids[authority, low] -> kids[authority, high] = "
                    "kids[authority, low] * 0.01 [1/year]\nstock other [child] = 5\n", encoding="utf-8")
    code, out, _ = invoke("run", str(spec))
    assert code == 0, out
    lines = out.splitlines()
    at = lines.index("kids at the end, by authority and level [child]")
    assert lines[at + 1].split() == ["authority", "low", "high", "total", "at", "start"]
    assert lines[at + 3].split() == ["dundee", "19,800", "320.5", "20,121", "20,121"]
    assert lines[at + 6].split() == ["total", "58,410", "1,050.5", "59,461", "59,461"]
    assert "other" in out and "kids[dundee,low]" not in out  # the scalar stock in the table above


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
    assert code == 0 and text.startswith("# GIRFEC four-level") and "\nmodel girfec" in text  # comments kept
    canonical = tmp_path / "c.sfm"
    canonical.write_text(text)
    assert invoke("format", "--check", str(canonical))[0] == 0
    assert invoke("format", "--check", GIRFEC)[0] == 0  # the bundled spec is canonical, comments and all
    messy = tmp_path / "messy.sfm"
    messy.write_text(Path(GIRFEC).read_text().replace("time { start 0  stop 120", "time {start 0 stop 120"))
    assert invoke("format", "--check", str(messy))[0] == 1
    code, ytext, _ = invoke("format", "--to", "yaml", GIRFEC)
    assert code == 0 and ytext.startswith("# GIRFEC four-level") and "\nmodel:\n" in ytext
    code, _, err = invoke("format", str(canonical), "-o", str(canonical))
    assert code == 1 and "E007" in err and "refusing to write" in err  # never over its input


def test_version() -> None:
    from importlib.metadata import version

    code, out, _ = invoke("--version")
    assert code == 0 and out.strip() == f"stockflow, version {version('stockflow')}"
    import subprocess
    import sys

    # `python -m stockflow`, for a machine where the script is not on the PATH
    ran = subprocess.run([sys.executable, "-m", "stockflow", "--version"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ran.stdout.strip() == f"stockflow, version {version('stockflow')}", ran.stderr


REALITY = """time { start 0  stop 10  dt 0.25  units year }
unit child
stock kids [child] = 100
flow leaving [child/year]: kids -> outside = 30 [child/year]
metric final_kids [child] = final(kids)
expect kids_never_negative = kids >= 0 child { description "A stock of children cannot be negative" }
expect some_left_at_the_end = final_kids > 10 child
expect early_years = kids > 50 child { during [0, 1] }
"""


def test_check_run_reports_failed_expectations(tmp_path: Path) -> None:
    spec = tmp_path / "r.sfm"
    spec.write_text(REALITY)
    code, _, err = invoke("check", str(spec))
    assert code == 0  # without --run only names and units are checked
    code, _, err = invoke("check", "--run", str(spec))
    assert code == 1
    assert "expectation `kids_never_negative` fails at year 3.5: kids = -5 child (27 of 41 times)" in err
    assert "expectation `some_left_at_the_end` fails for this run: final_kids = -200" in err
    assert "early_years" not in err and "note: A stock of children cannot be negative" in err
    code, out, _ = invoke("check", "--run", "--format", "json", str(spec))
    assert [d["code"] for d in json.loads(out)] == ["W101", "E062", "E062"]
    assert invoke("check", "--run", GIRFEC, str(ROOT / "specs" / "girfec-city" / "girfec-city.sfm"))[0] == 0


def test_expectations_are_unit_checked_and_conditions(tmp_path: Path) -> None:
    spec = tmp_path / "u.sfm"
    spec.write_text(REALITY.replace("kids >= 0 child", "kids >= 0 year").replace("final_kids > 10 child",
                                                                                 "final_kids + 1 child"))
    code, _, err = invoke("check", str(spec))
    assert code == 1 and "error[E031]" in err and "error[E034]" in err


def test_format_check_many_files_and_hooks(tmp_path: Path) -> None:
    import yaml

    good = tmp_path / "good.sfm"
    good.write_text(invoke("format", GIRFEC)[1])
    assert invoke("format", "--check", str(good), str(good))[0] == 0
    bad = tmp_path / "bad.sfm"
    bad.write_text(Path(GIRFEC).read_text().replace("time { start 0  stop 120", "time {start 0 stop 120"))
    assert invoke("format", "--check", str(good), GIRFEC)[0] == 0  # the bundled spec is canonical
    assert invoke("format", "--check", str(good), str(bad))[0] == 1
    assert invoke("format", str(good), GIRFEC)[0] == 2  # many files only with --check
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    commands = {h["id"]: h["entry"].split()[1:] for h in hooks}
    assert commands == {"stockflow-check": ["check"], "stockflow-check-run": ["check", "--run"],
                        "stockflow-format": ["format", "--check"]}
    for args in commands.values():  # each entry works on the files pre-commit would pass
        assert invoke(*args, str(good))[0] == 0


def test_a_failing_value_is_written_as_a_reader_checks_it() -> None:
    from stockflow.compiler.analysis.expect import _value

    assert _value(100182857.14, 6, "GBP/year") == "£100,182,857/year"
    assert _value(-2500.5, 6, "GBP") == "-£2,500.5" and _value(250.0, 6, "child") == "250 child"
    assert _value(30.00004, 10, "week") == "30.00004 week" and _value(0.0, 6, "") == "0"
    assert _value(3e-9, 6, "") == "3e-09" and _value(2e16, 6, "child") == "2e+16 child"


def test_check_run_under_scenarios(tmp_path: Path) -> None:
    spec = tmp_path / "under.sfm"
    spec.write_text(f'extends "{GIRFEC}"\n'
                    "expect saves_a_tenth = total_cost < 0.9 * baseline(total_cost) { under wm2u_stronger }\n"
                    "expect uncertain_saves = total_cost < baseline(total_cost) { under wm2u_uncertain }\n")
    code, _, err = invoke("check", "--run", str(spec))
    assert code == 1
    # money as a board reads it, not 1.39419e+08
    assert "`saves_a_tenth` fails under scenario `wm2u_stronger`: total_cost = £139,418,608, " \
           "baseline(total_cost) = £149,998,493" in err
    assert "`uncertain_saves` fails under scenario `wm2u_uncertain` (run " in err
    assert "programme_saves_money" not in err  # inherited from girfec.sfm, and it holds
    bad = tmp_path / "bad.sfm"
    bad.write_text(f'extends "{GIRFEC}"\nexpect a = total_cost < baseline(total_cost)\n'
                   "expect b = total_cost < baseline(total_cost) { under wm22u }\n")
    code, _, err = invoke("check", str(bad))
    assert code == 1 and "error[E015]" in err and "error[E010]" in err and "did you mean `wm2u`" in err


def test_the_command_is_a_process_of_its_own(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`stockflow` (the console script) starts no BLAS threads it does not use and skips the
    collector's last pass at exit, but keeps a user's own BLAS setting; `main` itself, which a
    user's process may call, changes neither."""
    import gc
    import os

    import stockflow.cli as cli

    calls: list[object] = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main"))
    monkeypatch.setattr(cli.atexit, "register", calls.append)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cli.entry()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and calls == [gc.freeze, "main"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    cli.entry()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    assert invoke("check", GIRFEC)[0] == 0 and "OPENBLAS_NUM_THREADS" not in os.environ


def test_money_in_the_consoles_tables_is_in_pounds() -> None:
    """A board reads the console's tables too: costs were `-2,030.77` beside `-7,957,449`."""
    code, out, _ = invoke("run", GIRFEC)
    assert code == 0 and "£126,923,709" in out and "£1,643" in out
    code, out, _ = invoke("run", GIRFEC, "--scenarios", "all")
    block = out.split("discounted_cost [£]", 1)[1].split("\n\n", 1)[0]  # units as a board reads them
    assert "£126,925,739" in block and "-£2,031" in block and "-£7,957,449" in block and "-2,030.77" not in block
    code, out, _ = invoke("diff", GIRFEC, str(ROOT / "specs" / "girfec-city" / "girfec-city.sfm"), "--run")
    assert "£" in out.split("discounted_cost", 1)[1].split("\n", 1)[0]


def test_diff_shows_values_read_from_csv_files_that_differ(tmp_path: Path) -> None:
    """Two authorities' specs with the same `csv "rates.csv"` line but their own files were
    'no differences'; the values that differ are listed."""
    spec = ("time { start 0  stop 2  dt 1  units year }\ndim level = [low, high]\n"
            'param rate[level] [1/year] = csv "rates.csv"\nstock s[level] = 1\n'
            "flow f[level]: s[level] -> outside = s[level] * rate[level]\n")
    for name, high in (("a", "0.4"), ("b", "0.5")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.sfm").write_text(spec, encoding="utf-8")
        (tmp_path / name / "rates.csv").write_text(f"level,value\nlow,0.1\nhigh,{high}\n", encoding="utf-8")
    code, out, _ = invoke("diff", str(tmp_path / "a" / "m.sfm"), str(tmp_path / "b" / "m.sfm"))
    assert code == 1 and "rate[high]: A 0.4, B 0.5" in out and "rate[low]" not in out
    assert "no differences" not in out


def test_check_takes_a_calibration_file_among_the_specs(tmp_path: Path) -> None:
    """`stockflow check specs/*/*.yaml` in CI met calibrate.yaml and gave seven errors about
    unknown sections; a calibration file is checked as `calibrate` would, without fitting."""
    import shutil

    here = ROOT / "specs" / "scotland_looked_after"
    code, _, err = invoke("check", str(here / "calibrate.yaml"), str(ROOT / "specs" / "girfec" / "girfec.yaml"))
    assert code == 0 and "2 spec(s) checked: 0 error(s)" in err
    for f in here.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    bad = tmp_path / "calibrate.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("leave_rate:", "leave_rat:"), encoding="utf-8")
    code, out, err = invoke("check", str(bad))
    assert code == 1 and "E084" in out + err and "did you mean `leave_rate`?" in out + err


def test_check_takes_a_folder(tmp_path: Path) -> None:
    """`stockflow check specs/` in CI: every spec in the folder and below, hidden folders and
    data files left alone; an error in any of them fails the check."""
    good = "model m\ntime { start 0 stop 1 dt 1 units year }\nstock s = 1\n"
    (tmp_path / "a.sfm").write_text(good, encoding="utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.yaml").write_text("time: {start: 0, stop: 1, dt: 1, units: year}\n", encoding="utf-8")
    (tmp_path / "nested" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "broken.sfm").write_text("stock = ", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert r.exit_code == 0 and "2 spec(s) checked: 0 error(s)" in r.output, r.output
    (tmp_path / "nested" / "c.sfm").write_text("stock = ", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", "--format", "github", str(tmp_path)])
    assert r.exit_code == 1 and "c.sfm" in r.output and "broken.sfm" not in r.output


def test_check_takes_a_pattern_no_shell_expanded(tmp_path: Path) -> None:
    """`stockflow check "specs/**/*.sfm"` (Windows' shell, a quoted CI step) was "no such file";
    the pattern now stands for the specs it matches, and one that matches none is still an error."""
    good = "model m\ntime { start 0 stop 1 dt 1 units year }\nstock s = 1\n"
    (tmp_path / "nested").mkdir()
    for name in ("a.sfm", "nested/b.sfm"):
        (tmp_path / name).write_text(good, encoding="utf-8")
    (tmp_path / "nested" / "notes.txt").write_text("x", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(tmp_path / "**" / "*.sfm")])
    assert r.exit_code == 0 and "2 spec(s) checked: 0 error(s)" in r.output, r.output
    r = CliRunner().invoke(main, ["check", str(tmp_path / "*.yaml")])
    assert r.exit_code == 1 and "E005" in r.output


def test_format_check_takes_a_folder(tmp_path: Path) -> None:
    """A folder's DSL and YAML specs, its calibration files left out (they are no specs), and
    the bundled specs are all in canonical form, the calibration's own output included."""
    good = "model m\n\ntime { start 0  stop 1  dt 1  units year  method euler }\n\nstock s = 1\n"
    (tmp_path / "a.sfm").write_text(good, encoding="utf-8")
    (tmp_path / "cal.yaml").write_text("model: a.sfm\nobserve: {x: {stock: s}}\nestimate: {}\n", encoding="utf-8")
    assert invoke("format", "--check", str(tmp_path))[0] == 0
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.sfm").write_text("stock s = 1\ntime { start 0 stop 1 dt 1 units year }\n", encoding="utf-8")
    code, _, err = invoke("format", "--check", str(tmp_path))
    assert code == 1 and "b.sfm: not in canonical form" in err and "a.sfm" not in err
    assert invoke("format", "--check", str(ROOT / "specs"))[0] == 0
    assert invoke("format", str(tmp_path))[0] == 2  # printing takes one file


def test_a_check_at_its_bound_is_not_failed_by_rounding(tmp_path: Path) -> None:
    """A value that reaches its bound exactly computes a hair over it: `<= 30` failed at the
    time it reached 30 and showed `= 30`, as if it held. A relative 1e-9 past a bound holds,
    and a value shown for a failure has the digits that make it fail."""
    spec = tmp_path / "b.sfm"
    spec.write_text("model b\ntime { start 0  stop 10  dt 0.1  units year }\nstock s = 0\n"
                    "flow f: outside -> s = 3\nexpect at_most_30 = s <= 30\nexpect under_15 = s <= 15\n"
                    "stock t = 0\nflow g: outside -> t = 3.000004\nexpect hair = t <= 30.00001\n", encoding="utf-8")
    code, _, err = invoke("check", "--run", str(spec))
    assert code == 1 and "at_most_30" not in err  # s reaches 30.00000000000005 at the end
    assert "expectation `under_15` fails at year 5.1: s = 15.3 (" in err
    assert "expectation `hair` fails at year 10: t = 30.00004 (1 of 101 times)" in err  # not `t = 30`


def test_run_writes_a_wide_table_for_a_spreadsheet(tmp_path: Path) -> None:
    out = tmp_path / "wide.csv"
    code, stdout, _ = invoke("run", GIRFEC, "--wide", "-o", str(out))
    assert code == 0 and "481 rows, a column per variable" in stdout
    assert invoke("run", GIRFEC, "-o", str(tmp_path / "tidy.csv"))[0] == 0
    wide, tidy = pd.read_csv(out), pd.read_csv(tmp_path / "tidy.csv")
    assert list(wide.columns[:2]) == ["time", "universal"]
    last = tidy[(tidy.variable == "intensive") & (tidy.time == 120)].value.iloc[0]
    assert wide.intensive.iloc[-1] == last and len(wide) == 481
    assert invoke("run", GIRFEC, "--wide")[0] == 2
    assert invoke("run", GIRFEC, "--wide", "--scenarios", "all", "-o", str(out))[0] == 2


def test_models_without_stocks_run_plot_and_report(tmp_path: Path) -> None:
    """A model of auxiliaries only drew a traceback in `plot` and an empty stock table in
    `run`; a model of metrics only divided by zero in a batch."""
    auxes = tmp_path / "a.sfm"
    auxes.write_text("model a\ntime { start 0  stop 5  dt 1  units year }\naux a = time * 2\n", encoding="utf-8")
    metrics = tmp_path / "m.sfm"
    metrics.write_text("model m\ntime { start 0  stop 5  dt 1  units year }\nmetric m = 1\n", encoding="utf-8")
    code, out, _ = invoke("run", str(auxes))
    assert code == 0 and re.search(r"^a\s+0\s+10\s+year$", out, re.M) and "variable" in out
    assert invoke("plot", str(auxes), "-o", str(tmp_path / "a.png"))[0] == 0
    code, out, err = invoke("plot", str(metrics), "-o", str(tmp_path / "m.png"))
    assert code == 2 and "no stocks, flows or auxiliaries" in err
    code, out, _ = invoke("run", str(metrics), "--scenarios", "all")
    assert code == 0 and "1 run of 1 scenario" in out and "\nm\n" in out  # no `[1]` for a pure number
    assert re.search(r"^m\s+1$", invoke("run", str(metrics))[1], re.M)
    for kind in ("report", "explore"):
        assert invoke(kind, str(metrics), "-o", str(tmp_path / f"{kind}.html"))[0] == 0


def test_a_reality_check_during_no_time_of_the_run_is_refused(tmp_path: Path) -> None:
    """`expect big = p > 1000 { during [20, 30] }` in a ten-year run was never checked, and
    `check --run` passed it."""
    spec = tmp_path / "d.sfm"
    spec.write_text("model d\ntime { start 0  stop 10  dt 1  units year }\nstock p = 100\n"
                    "expect big = p > 1000 { during [20, 30] }\nexpect late = p > 0 { during [5, 30] }\n",
                    encoding="utf-8")
    code, _, err = invoke("check", str(spec))
    assert code == 1 and "expectation `big` is checked during [20, 30], outside the run" in err and "`late`" not in err


def test_a_sampled_scenario_says_which_assumptions_matter() -> None:
    code, out, _ = invoke("run", GIRFEC, "--scenarios", "wm2u_uncertain")
    assert code == 0 and "which assumptions matter" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("wm2u_uncertain, total_cost:"))
    assert line.split(": ", 1)[1].startswith("max_escalation_reduction -0.")  # the strongest first
    assert "intensive_peak: does not vary" in out


def test_the_run_header_says_the_time_unit_as_a_sentence_does() -> None:
    """`time 0 to 104 week`: a span of time is in weeks, as the explorer and report say it."""
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm")])
    assert r.exit_code == 0 and "480 steps, time 0 to 120 months\n" in r.output
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--scenarios", "wm2u"])
    assert r.exit_code == 0 and "time 0 to 120 months); baseline: baseline" in r.output


def test_plot_vars_takes_a_slice_with_a_comma_in_it(tmp_path: Path) -> None:
    """`--vars 'kids[*, hi],total'` was split at every comma: "`kids[*` is not a recorded
    variable"."""
    from stockflow.cli.common import names_list

    assert names_list("kids[*, hi],total, a[x,y] ") == ["kids[*, hi]", "total", "a[x,y]"]
    spec = tmp_path / "m.sfm"
    spec.write_text("time { start 0  stop 2  dt 1  units year }\ndim area = [n, s]\ndim level = [lo, hi]\n"
                    "stock kids[area, level] = 1\naux total = sum(kids)\n", encoding="utf-8")
    code, out, err = invoke("plot", str(spec), "--vars", "kids[*, hi],total", "-o", str(tmp_path / "p.png"))
    assert code == 0 and (tmp_path / "p.png").stat().st_size > 0, out + err


def test_scenarios_without_metrics_show_a_stock_of_two_dimensions_as_a_grid_a_scenario(tmp_path: Path) -> None:
    """`run --scenarios` of a model without metrics listed every element of a 2-D stock, cut
    at 35 rows: a grid under each scenario, as `run` shows it; scalar stocks stay in a table
    whose columns share their decimals."""
    spec = tmp_path / "grid.sfm"
    spec.write_text("model grid\ntime { start 0 stop 1 dt 1 units year }\nunit child\n"
                    "dim authority = [dundee, angus]\ndim level = [low, high]\n"
                    "stock kids[authority, level] [child] = {(dundee, low): 20000, (dundee, high): 100, "
                    "(angus, low): 9000, (angus, high): 40}\nparam up [1/year] = 0.01\n"
                    "flow rise[authority] [child/year]: kids[authority, low] -> kids[authority, high] = "
                    "kids[authority, low] * up\nstock other [child] = 5\nstock few [child] = 123456\n"
                    "scenario faster { set up = 0.02 }\n", encoding="utf-8")
    code, out, _ = invoke("run", str(spec), "--scenarios", "all")
    assert code == 0, out
    lines = out.splitlines()
    at = lines.index("stock  baseline   faster  units")  # one number of decimals a column
    assert [lines[at + 2].split(), lines[at + 3].split()] == [["other", "5", "5", "child"],
                                                              ["few", "123,456", "123,456", "child"]]
    base = lines.index("kids at the end under baseline, by authority and level [child]")
    faster = lines.index("kids at the end under faster, by authority and level [child]")
    assert lines[base + 3].split() == ["dundee", "19,800", "300.00", "20,100", "20,100"]
    assert lines[faster + 3].split() == ["dundee", "19,600", "500.00", "20,100", "20,100"]
    assert lines[faster + 5].split() == ["total", "28,420", "720.00", "29,140", "29,140"]
    assert "kids[dundee,low]" not in out


def test_a_scenario_tables_columns_share_their_decimals(tmp_path: Path) -> None:
    """A metric's table printed `19,920.17` above `17,136.85` and, in its difference column,
    `-2,783.31` above `-5,762`: each column in one number of decimals, as the run's grids are."""
    spec = tmp_path / "m.sfm"
    spec.write_text("model m\ntime { start 0 stop 1 dt 1 units year }\nunit child\nstock kids [child] = 19920.17\n"
                    "flow out [child/year]: kids -> outside = kids * k\nparam k [1/year] = 0\n"
                    "metric left [child] = final(kids)\nscenario a { set k = 0.13972 }\n"
                    "scenario b { set k = 0.289257 }\n", encoding="utf-8")
    code, out, _ = invoke("run", str(spec), "--scenarios", "all")
    assert code == 0, out
    lines = out.split("left [child]\n", 1)[1].splitlines()
    assert [ln.split() for ln in lines[2:5]] == [["baseline", "19,920"], ["a", "17,137", "-2,783.2", "-13.97%"],
                                                 ["b", "14,158", "-5,762.0", "-28.93%"]]
