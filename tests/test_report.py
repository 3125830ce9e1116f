"""`stockflow report` (one self-contained HTML file) and `stockflow plot`."""

from __future__ import annotations

import re
import subprocess
import sys
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
                    "Scenarios", "Feedback loops (59)", "Reality checks"):
        assert heading in report_html, heading
    assert "wm2u_uncertain" in report_html and "200 draws, seed 2026" in report_html
    assert report_html.count('class="ok">holds') == 6 and "<td>wm2u</td>" in report_html
    assert re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="[^"]+" data-heights="[^"]+" style="width:100%',
                     report_html)


def test_the_report_shows_how_the_scenarios_moved_the_stock_they_move_most(report_html: str,
                                                                           tmp_path: Path) -> None:
    """The flows panels were the baseline's only: flat lines in a steady baseline. Intensive
    ends furthest from the baseline under the scenarios, so its inflow and outflow under each
    are drawn; a spec with no scenario has no such section."""
    assert "<h3>How the scenarios moved intensive</h3>" in report_html
    assert 'alt="intensive: inflow and outflow by scenario" src="data:image/png;base64,' in report_html
    spec = tmp_path / "alone.sfm"
    spec.write_text("time { start 0  stop 5  dt 1  units year }\nstock s = 10\nflow f: s -> outside = s * 0.1\n",
                    encoding="utf-8")
    out = tmp_path / "alone.html"
    assert CliRunner().invoke(main, ["report", str(spec), "-o", str(out)]).exit_code == 0
    assert "How the scenarios moved" not in out.read_text(encoding="utf-8")


def test_report_reads_as_a_board_reads(report_html: str) -> None:
    # metrics as rows, scenarios as columns, money in pounds, no scientific notation
    head = re.search(r"<h2>Results against the baseline</h2>.*?<table>(.*?)</table>", report_html, flags=re.S)
    assert head is not None
    table = head.group(1)
    assert table.count("<tr>") == 1 + len(stockflow.load(GIRFEC).checked.graph.metrics)
    assert "<th>baseline</th><th>wm2u</th>" in table and "£149,998,493" in table
    assert "-£297,866 (-0.2%)" in table and "5-95%:" in table
    assert not re.search(r"\d\.\d+e[+-]\d", report_html.split("<img", 1)[0])
    # loops summarised, the full list folded
    assert re.search(r"<p>\d+ reinforcing, \d+ balancing", report_html) and "<details><summary>All 59 loops" in report_html


def test_the_metric_rows_hold_each_scenarios_values() -> None:
    m = stockflow.load(GIRFEC)
    res = m.run_scenarios(["wm2u"])
    rows = {(r.scenario, r.metric): r for r in res.metric_rows()}
    total = rows[("wm2u", "total_cost")]
    assert total.value == pytest.approx(res.run("wm2u").metric("total_cost"), rel=1e-12)
    assert total.runs == 1 and total.p5 == total.value == total.p95
    assert len(res.metrics_table()) == len(rows)
    be = res.break_even_rows("cost_rate")
    assert [r.scenario for r in be] == list(res.break_even("cost_rate").scenario)


def test_a_report_imports_neither_pandas_nor_scipy(tmp_path: Path) -> None:
    """Each import is about a tenth of a fresh `report`. The report's tables are small lists,
    and GIRFEC draws from triangular and uniform distributions, which need no scipy."""
    out = tmp_path / "r.html"
    code = ("import sys\nfrom stockflow.cli import main\n"
            f"main(['report', {GIRFEC!r}, '-o', {str(out)!r}, '--break-even', 'cost_rate'], standalone_mode=False)\n"
            "print('pandas' in sys.modules, 'scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["False", "False"]
    assert "When savings appear" in out.read_text(encoding="utf-8")


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


def test_cost_against_quality_reads_in_pounds() -> None:
    """The cost axis read 1.50 under a `1e8` offset; a board reads £150,000,000."""
    from stockflow.plots import cost_and_quality

    res = stockflow.load(GIRFEC).run_scenarios(["wm2u"])
    fig = cost_and_quality(res, "total_cost", "quality_child_years")
    ax = fig.axes[0]
    fig.canvas.draw()
    ys = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    xs = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ys and all(y.startswith("£") and "," in y for y in ys), ys
    assert ax.yaxis.get_offset_text().get_text() == "" and all("e" not in x for x in xs), xs
    assert ax.get_ylabel() == "total_cost [£]"  # the label as the ticks: it read [GBP] over £ ticks
    from stockflow.plots import trajectories

    panels = trajectories(res, ["cost_rate"], "month")
    assert panels.axes[0].get_ylabel() == "cost_rate\n[£/year]"


LEVELS_BY_BAND = """model grid "Levels by band"
time { start 0 stop 2 dt 0.25 units year method euler }
unit child
dim level = [universal, additional, targeted, intensive]
dim band = [young, mid, old]
stock families [child] = 10
stock children[level, band] [child] = {(universal, young): 1000, else: 100}
flow up[from: level, to: level, band] [child/year]: children[from, band] -> children[to, band] =
  children[from, band] * 0.05 [1/year] { where to == from + 1 }
flow leaving[level, band] [child/year]: children[level, band] -> outside = children[level, band] * 0.1 [1/year]
flow joining [child/year]: outside -> families = 1
scenario slower { scale up by 0.5 }
"""


def test_an_array_over_two_dimensions_is_drawn_whole_as_a_grid(tmp_path: Path) -> None:
    """The report drew the first six stocks and left the rest out without a word: for a model
    of four levels by three bands, only two levels. Now every stock is drawn, the array as a
    grid of levels by bands, and a section that draws fewer names what it leaves out."""
    from stockflow.plots import _grid, trajectories

    spec = tmp_path / "grid.sfm"
    spec.write_text(LEVELS_BY_BAND, encoding="utf-8")
    model = stockflow.load(spec)
    res = model.run_scenarios()
    info = {v.id: v for v in res.batch.variables}
    cols, places = _grid([info[s.lower()] for s in model.stocks])
    assert cols == 3 and places == [(0, 0)] + [(1 + i // 3, i % 3) for i in range(12)]
    fig = trajectories(res, model.stocks, "year")
    drawn = [ax for ax in fig.axes if ax.get_visible()]
    assert len(drawn) == 13 and sum(ax.get_xlabel() == "time [year]" for ax in drawn) == 3
    # an element's name above its panel, the array's beside it: `children[additional,old] [child]`
    # stood taller than its panel and ran into the row above
    titled = [ax for ax in drawn if ax.get_title()]
    assert [ax.get_title() for ax in titled][:2] == ["children[universal,young]", "children[universal,mid]"]
    assert len(titled) == 12 and {ax.get_ylabel() for ax in titled} == {"children\n[child]"}
    assert drawn[0].get_ylabel() == "families\n[child]" and not drawn[0].get_title()
    out = tmp_path / "grid.html"
    assert CliRunner().invoke(main, ["report", str(spec), "-o", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.count(" and its flows\"") == 6
    note = re.search(r"<p class='note'>Not drawn here: ([^<]*)\. These panels are for the 6 of (\d+) stocks", html)
    assert note is not None and note.group(2) == "13"
    left = note.group(1).split(", ")
    assert len(left) == 7 and len(set(left)) == 7 and all(n.startswith(("children[", "families")) for n in left)


def test_a_scenario_that_matches_the_baseline_leaves_it_visible() -> None:
    """Scenarios were solid lines drawn over the baseline: where one left a stock where the
    baseline has it, the baseline's line was hidden and the panel seemed to lack it."""
    from stockflow.plots import trajectories

    model = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    res = model.run_scenarios(["wm2u", "wm2u_stronger"])
    lines = trajectories(res, model.stocks[:1], "month").axes[0].get_lines()
    assert len(lines) == 3 and lines[0].get_linestyle() == "-"
    patterns = {str(line._unscaled_dash_pattern) for line in lines}  # matplotlib >= 3.5
    assert len(patterns) == 3


def test_savings_found_only_in_the_last_step_are_flagged(tmp_path: Path) -> None:
    """Spending 1,000 a year more for five years, then 1,100 less: the cumulative cost is back
    below the baseline's at 9.55 years, inside a ten-year run's last step."""
    from test_explorer import LATE_SAVINGS

    for stop, flagged in ((10, True), (12, False)):
        spec = tmp_path / f"late{stop}.sfm"
        spec.write_text(LATE_SAVINGS.replace("STOP", str(stop)), encoding="utf-8")
        out = tmp_path / f"late{stop}.html"
        r = CliRunner().invoke(main, ["report", str(spec), "-o", str(out), "--break-even", "cost_rate"])
        assert r.exit_code == 0, r.output
        page = out.read_text(encoding="utf-8")
        assert "<td>late</td>" in page and ">year 10" in page
        assert ("in the run&#x27;s last step" in page or "in the run's last step" in page) is flagged


def _break_even_heads(page: str) -> list[str]:
    table = page.split("When savings appear", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<th>([^<]*)</th>", table)


def test_the_break_even_table_has_a_column_only_where_some_row_fills_it(tmp_path: Path) -> None:
    """One run per scenario: no sweep point, no share of runs, no draws."""
    from test_explorer import LATE_SAVINGS

    pages = {}
    for name, extra in (("single", ""), ("swept", "scenario dial { sweep switch over [0.5, 1] }\n")):
        spec = tmp_path / f"{name}.sfm"
        spec.write_text(LATE_SAVINGS.replace("STOP", "12") + extra, encoding="utf-8")
        out = tmp_path / f"{name}.html"
        r = CliRunner().invoke(main, ["report", str(spec), "-o", str(out), "--break-even", "cost_rate"])
        assert r.exit_code == 0, r.output
        pages[name] = out.read_text(encoding="utf-8")
    assert _break_even_heads(pages["single"]) == ["scenario", "break-even"]
    assert _break_even_heads(pages["swept"]) == ["scenario", "point", "break-even"]
    assert "<td>dial</td><td>switch=0.5</td>" in pages["swept"]


def test_an_elements_assumption_says_where_its_array_was_set() -> None:
    """The "set in" column was empty for every element of an arrayed parameter."""
    from stockflow.report import _assumptions

    model = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
    rows = re.findall(r"<tr><td>(rate\[[^<]*)</td>.*?<td>([^<]*)</td></tr>", _assumptions(model)[1])
    assert rows and all(re.fullmatch(r"declared girfec-arrayed\.sfm:\d+", where) for _, where in rows), rows[:3]


def test_the_scenarios_table_shows_each_change_as_written() -> None:
    """`scale escalation by 0.8` over 32 authorities was listed as 96 lines, one per element of
    every tagged flow, and a table of elements as one `set` each. A stock's `set` is its start."""
    from stockflow.report import _scenarios

    areas = ", ".join(f"a{i}" for i in range(32))
    model = stockflow.load_text(f"""time {{ start 0  stop 2  dt 1  units year }}
dim area = [{areas}]
dim level = [lo, mid, hi]
stock kids[area, level] = 10
param up[level] = {{lo: 0.1, mid: 0.2, hi: 0}}
flow esc[area, level]: kids[area, level] -> kids[area, level + 1] = kids[area, level] * up[level] {{
  where level != hi
  tags escalation
}}
scenario prevention {{ scale escalation by 0.8 from 1 }}
scenario more "More of it" {{
  extends prevention
  set up = {{lo: 0.05, else: 0.1}}
  set kids[a0] = 5
  sample up[mid] ~ uniform(0.1, 0.3)
  draws 20
  seed 3
}}
""")
    page = _scenarios(model)[1]
    cells = re.findall(r"<tr><td>(\w+)</td><td>[^<]*</td><td>(.*?)</td>", page)
    assert cells == [("prevention", "scale escalation by 0.8 from 1"),
                     ("more", "all of prevention, and:<br>set up = {lo: 0.05, else: 0.1}<br>"
                              "start kids[a0] at 5<br>sample up[mid] ~ uniform(0.1, 0.3)<br>20 draws, seed 3")]


def test_an_array_too_large_to_draw_whole_has_its_end_values_in_a_table() -> None:
    """A board could find only 24 of 128 authority-and-level panels; the rest were named in a
    note. Each element's end value is now in a table laid out as the array is, with the
    change under each scenario under it."""
    from stockflow.report import _trajectories

    areas = ", ".join(f"a{i}" for i in range(15))  # 30 panels, more than a grid draws
    model = stockflow.load_text(f"""time {{ start 0  stop 2  dt 1  units year }}
dim area = [{areas}]
dim level = [lo, hi]
param up[area] [1/year] = 0.5
stock kids[area, level] = 100
flow esc[area, level]: kids[area, level] -> kids[area, level + 1] = kids[area, level] * up[area] {{
  where level != hi
  tags escalation
}}
scenario calmer {{ scale escalation by 0.5 }}
""")
    res = model.run_scenarios()
    page = "".join(_trajectories(model, res, None, None))
    assert "<h3>kids at the end of the run</h3>" in page
    row = re.search(r"<tr><td>a3</td>(.*?)</tr>", page).group(1)  # type: ignore[union-attr]
    # lo: 100 * 0.5^2 = 25, halved escalation 100 * 0.75^2 = 56.25; hi gets the rest of 200
    assert row == ('<td class="n">25<br><span class="note">+31.25 (+125.0%)</span></td>'
                   '<td class="n">175<br><span class="note">-31.25 (-17.9%)</span></td>')


def test_a_long_key_does_not_squeeze_the_grid() -> None:
    """The key stood on the first panel: with swept scenarios' long labels, tight_layout
    squeezed every column of a 3 x 3 grid to a third of its width."""
    from stockflow.plots import trajectories

    text = (ROOT / "tests" / "models" / "sir_by_age.sfm").read_text(encoding="utf-8")
    model = stockflow.load_text(text + "scenario wide { sweep contact[adult, adult] over [0.1, 0.2, 0.3, 0.4] }\n")
    res = model.run_scenarios(["baseline", "wide"])  # `baseline`, as the tables name it, may be asked for
    assert list(res.names) == ["baseline", "wide"]
    fig = trajectories(res, model.stocks, "day")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 9 and min(ax.get_position().width for ax in panels) > 0.24
    legend = fig.legends[0]
    key_bottom = legend.get_window_extent().transformed(fig.transFigure.inverted()).y0
    assert key_bottom > max(ax.get_position().y1 for ax in panels)  # above every panel, over none


def test_a_stocks_flows_are_drawn_in_one_unit() -> None:
    """Flows in child/month and child/year into one stock were drawn as they stood under one
    axis label: 10 a month in and 60 a year out, netted to a fall where the stock rises."""
    import numpy as np

    from stockflow.plots import flows_by_scenario, stock_and_flows

    model = stockflow.load_text("""model mixed
time { start 0  stop 24  dt 1  units month }
unit child
stock kids [child] = 200
param rate [1/year] = 0.3
flow arrive [child/month]: outside -> kids = 10 [child/month]
flow leave [child/year]: kids -> outside = kids * rate
scenario faster { set rate = 0.6 }
""")
    res = model.run()
    bottom = stock_and_flows(model, res, "kids", "month").axes[1]
    lines = {line.get_label(): np.asarray(line.get_ydata()) for line in bottom.get_lines()}
    np.testing.assert_allclose(lines["out: leave"], -res["leave"], rtol=1e-12)  # in its own child/year
    np.testing.assert_allclose(lines["in: arrive"], res["arrive"] * 12, rtol=1e-12)  # 10 a month is 120 a year
    np.testing.assert_allclose(lines["net"][:-1] / 12, np.diff(res["kids"]), rtol=1e-12)  # Euler, dt one month
    assert bottom.get_ylabel() == "flow (outflows below zero)\n[child/year]"
    runs = model.run_scenarios()
    panel = flows_by_scenario(model, runs, "kids", "month").axes[0]
    inflow = next(np.asarray(x.get_ydata()) for x in panel.get_lines() if x.get_label() == "inflow")
    np.testing.assert_allclose(inflow, runs.batch["arrive"][runs.indices("faster")[0]] * 12, rtol=1e-12)
    assert panel.get_ylabel() == "flow\n[child/year]"


def test_the_definitions_give_a_metrics_units_as_the_results_do() -> None:
    """A metric without declared units had its units in the results table and none beside its
    definition."""
    from stockflow.report import _definitions

    m = stockflow.load_text("model d\ntime { start 0  stop 1  dt 1  units year }\nunit referral\n"
                            "stock waiting [referral] = 5\nmetric final_wait = final(waiting)\n"
                            "metric declared [referral*year] = integral(waiting)\n")
    cells = re.findall(r"<td>([^<]*)</td>", _definitions(m)[1])
    assert cells == ["final_wait", "referral", "", "declared", "referral*year", ""]


def test_a_bare_models_report_says_what_it_lacks(tmp_path: Path) -> None:
    """Headings over empty tables read as a broken report; a model without stocks had no
    trajectories at all, and one loop was "the five that act most strongly"."""
    from stockflow.report import build

    auxes = stockflow.load_text("model a\ntime { start 0  stop 5  dt 1  units year }\naux a = time * 2\n")
    text = build(auxes, auxes.run_scenarios())
    for says in ("The spec declares no metrics", "The spec declares no parameters", "The spec declares no stocks",
                 'alt="variables by scenario"'):
        assert says in text, says
    assert "Why each stock moved" not in text and "<th>metric</th>" not in text
    one = stockflow.load_text("model o\ntime { start 0  stop 5  dt 1  units year }\nstock s = 1\n"
                              "flow out: s -> outside = s * 0.1\n")
    text = build(one, one.run_scenarios())
    assert "1 balancing, with each one's loop gain" in text and "The five" not in text and "All 1 loops" not in text


def test_the_assumptions_write_money_units_as_the_results_do() -> None:
    from stockflow.report import _assumptions

    text = "".join(_assumptions(stockflow.load(GIRFEC)))
    assert "<td>£/(child*year)</td>" in text and "<td>GBP/(child*year)</td>" not in text


def test_flows_that_share_a_unit_keep_it() -> None:
    """GIRFEC's flows are all child/year in a monthly model: drawn per year, as declared."""
    from stockflow.stock_flows import into_stock

    m = stockflow.load(GIRFEC)
    flows = into_stock(m, m.stock_decl("intensive"))
    assert flows.text == "child/year" and set(flows.factors.values()) == {1.0}


def test_many_scenarios_are_a_row_each_so_none_is_cut_off(tmp_path: Path) -> None:
    """Twelve scenarios made twelve columns: the page showed the first eight and cut the rest
    off at its right edge. Past six, each scenario is a row and each metric a column."""
    options = "".join(f'scenario option_{i} {{ scale leaving by 0.{i} }}\n' for i in range(1, 10))
    spec = tmp_path / "m.sfm"
    spec.write_text("time { start 0  stop 10  dt 1  units year }\nunit child\nunit GBP\n"
                    "stock kids [child] = 100\nflow leaving [child/year]: kids -> outside = kids * 0.2 [1/year]\n"
                    "metric at_end [child] = final(kids)\nmetric cost [GBP] = integral(kids * 10 [GBP/(child*year)])\n"
                    + options, encoding="utf-8")
    out = tmp_path / "r.html"
    assert CliRunner().invoke(main, ["report", str(spec), "-o", str(out)]).exit_code == 0
    table = out.read_text(encoding="utf-8").split("Results against the baseline")[1].split("</table>")[0]
    assert "<th>scenario</th><th>at_end (child)</th><th>cost (£)</th>" in table
    rows = re.findall(r"<tr><td>(\w+)</td>", table)
    assert rows == ["baseline"] + [f"option_{i}" for i in range(1, 10)]
    assert '<div class="wide">' in out.read_text(encoding="utf-8")  # any table too wide scrolls


def test_the_report_draws_the_trajectories_named(tmp_path: Path) -> None:
    """A model of 72 stocks drew the first 24 (ages 0 to 5) and named `plot` for the rest; a
    board wants the totals by level. `--vars` chooses, an array by its name."""
    spec = tmp_path / "grid.sfm"
    spec.write_text(LEVELS_BY_BAND + "aux by_level[level] [child] = sum(children[level, band!])\n", encoding="utf-8")
    out = tmp_path / "r.html"
    got = CliRunner().invoke(main, ["report", str(spec), "-o", str(out), "--vars", "by_level,families"])
    assert got.exit_code == 0, got.output
    html = out.read_text(encoding="utf-8")
    assert 'alt="variables chosen by scenario"' in html and "Not drawn here: children" not in html
    bad = CliRunner().invoke(main, ["report", str(spec), "-o", str(out), "--vars", "by_levl"])
    assert bad.exit_code == 1 and "did you mean `by_level`?" in bad.output


def test_the_report_names_its_spec_without_the_folders_it_was_run_from(tmp_path: Path) -> None:
    """A report goes to a board: `Spec: /home/analyst/projects/...` gave away a home folder."""
    out = tmp_path / "r.html"
    assert CliRunner().invoke(main, ["report", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "-o", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Spec: girfec.sfm." in text and str(ROOT) not in text


def test_the_full_list_of_loops_gives_an_arrays_loops_of_one_shape_one_row() -> None:
    """32 authorities' loops were 1,152 rows of the same shapes: the folded list has a row a
    shape, `... and 31 more`, its gains' range and `one for each area`; the five strongest
    stay loops of their own."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.report import _loops

    m = stockflow.load_text("time { start 0 stop 1 dt 0.25 units year }\ndim area = [dundee, fife, angus]\n"
                            "dim level = [low, high]\nstock kids[area, level] = 10\n"
                            "param rate[area] [1/year] = {dundee: 0.1, fife: 0.2, angus: 0.3}\n"
                            "flow up[area]: kids[area, low] -> kids[area, high] = kids[area, low] * rate[area]\n"
                            "flow leave[area, level]: kids[area, level] -> outside = kids[area, level] / 18 [year]\n")
    html = _loops(m, causal_graph(m.checked))
    assert "All 9 loops, as 2 shapes (an array's loops of one shape on one row)" in html
    assert ("<td>L3 and 2 more</td><td>balancing</td><td class=\"n\">-0.3 to -0.1 per year</td>"
            "<td>kids[area,low] → up[area] → kids[area,low]: one for each area</td>") in html, html
    assert "kids[area,level] → leave[area,level] → kids[area,level]: one for each area and level" in html
    top = html.split("<details>", 1)[0]
    assert "kids[angus,low] → up[angus] → kids[angus,low]" in top and "[area" not in top


def test_a_metrics_numbers_in_the_results_table_share_their_decimals() -> None:
    """A metric's row printed `19,920.17` beside `17,136.85`, and changes of `-2,783.31` beside
    `-5,762`: a row's values in one number of decimals, its changes in one."""
    from stockflow.report import _results

    m = stockflow.load_text("model m\ntime { start 0 stop 1 dt 1 units year }\nunit child\n"
                            "stock kids [child] = 19920.17\nflow out [child/year]: kids -> outside = kids * k\n"
                            "param k [1/year] = 0\nmetric left [child] = final(kids)\n"
                            "scenario a { set k = 0.13972 }\nscenario b { set k = 0.289257 }\n")
    html = "".join(_results(m, m.run_scenarios(None), None))
    row = html.split("<td>left</td>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="n">([^<]*)', row) == ["19,920", "17,137", "14,158"]
    assert re.findall(r'class="note">([^<]*)', row) == ["-2,783.2 (-14.0%)", "-5,762.0 (-28.9%)"]


def test_a_sweeps_points_each_have_their_line_in_the_end_table_and_the_runs_grid(tmp_path: Path) -> None:
    """A swept scenario's change was its median over its points, the middle one's or one
    between, labelled with the scenario's name as if it were the whole sweep: each point has
    its own line, named as the results table names it."""
    from stockflow.report import _trajectories

    areas = ", ".join(f"a{i}" for i in range(15))  # more panels than a grid draws: the table
    text = (f"time {{ start 0  stop 2  dt 1  units year }}\nunit child\ndim area = [{areas}]\ndim level = [lo, hi]\n"
            "param up[area] [1/year] = 0.5\nstock kids[area, level] [child] = 100\n"
            "flow esc[area] [child/year]: kids[area, lo] -> kids[area, hi] = kids[area, lo] * up[area]\n"
            "scenario range { sweep up[a3] over [0, 0.25, 1] }\n")
    model = stockflow.load_text(text)
    page = "".join(_trajectories(model, model.run_scenarios(), None, None))
    row = re.search(r"<tr><td>a3</td>(.*?)</tr>", page).group(1)  # type: ignore[union-attr]
    lo = row.split("</td>", 1)[0]
    # lo: 100 * 0.5^2 = 25 in the baseline; 100, 56.25 and 0 at the three points
    assert re.findall(r'class="note">([^<]*)', lo) == [
        "range (up[a3]=0): +75 (+300.0%)", "range (up[a3]=0.25): +31.25 (+125.0%)", "range (up[a3]=1): -25 (-100.0%)"]
    spec = tmp_path / "m.sfm"
    spec.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(main, ["run", str(spec), "--scenarios", "all"]).stdout
    at = out.splitlines().index("kids at the end under range (up[a3]=1), by area and level [child]")
    a3 = out.splitlines()[at + 6].split()
    assert a3[0] == "a3" and [float(x) for x in a3[1:]] == [0, 200, 200, 200]


def test_an_elements_long_name_labels_its_axis_by_its_array() -> None:
    """`children[intensive,age_12_17]` as the stock panel's axis label ran past the figure's
    top and over the panel below; the title names the element, the axis its array."""
    from stockflow.plots import flows_by_scenario, stock_and_flows

    model = stockflow.load(ROOT / "specs" / "girfec-ages" / "girfec-ages.sfm")
    top = stock_and_flows(model, model.run(), "children[intensive,age_12_17]", "month").axes[0]
    assert top.get_ylabel() == "children\n[child]" and top.get_title().startswith("children[intensive,age_12_17]:")
    fig = flows_by_scenario(model, model.run_scenarios(), "children[intensive,age_12_17]", "month")
    assert {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel().startswith("children")} == {"children\n[child]"}
