"""Feedback loops with their polarity, and diagrams as DOT, Mermaid, SVG and PNG."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import stockflow
from stockflow.cli import main
from stockflow.compiler.analysis.causal import causal_graph
from stockflow.compiler.analysis.loops import Polarity, find_loops
from stockflow.compiler.write.diagram import DiagramOptions, to_dot, to_mermaid

from conftest import ROOT, model

POPULATION = """
stock population = 100 { non_negative }
flow births: outside -> population = population * birth_rate
flow deaths: population -> outside = population / lifetime
param birth_rate [1/year] = 0.03
param lifetime [year] = 70
"""

PREDATOR_PREY = """
stock prey = 100 { non_negative }
stock predators = 10 { non_negative }
flow prey_births: outside -> prey = prey * prey_growth
flow predation: prey -> outside = prey * predators * kill_rate
flow predator_births: outside -> predators = prey * predators * conversion
flow predator_deaths: predators -> outside = predators * mortality
param prey_growth [1/year] = 1
param kill_rate = 0.1
param conversion = 0.02
param mortality [1/year] = 0.5
"""


def loops_of(body: str) -> dict[tuple[str, ...], Polarity]:
    report = find_loops(causal_graph(model(body).checked))
    return {lp.names: lp.polarity for lp in report.loops}


def test_population_has_one_reinforcing_and_one_balancing_loop() -> None:
    assert loops_of(POPULATION) == {
        ("population", "births"): Polarity.REINFORCING,
        ("population", "deaths"): Polarity.BALANCING,
    }


def test_predator_prey_loops() -> None:
    assert loops_of(PREDATOR_PREY) == {
        ("prey", "prey_births"): Polarity.REINFORCING,
        ("prey", "predation"): Polarity.BALANCING,
        ("predators", "predator_births"): Polarity.REINFORCING,
        ("predators", "predator_deaths"): Polarity.BALANCING,
        ("prey", "predator_births", "predators", "predation"): Polarity.BALANCING,
    }


def test_sign_that_depends_on_values_is_undetermined() -> None:
    found = loops_of("""
stock x = 1
flow f: outside -> x = x * (k - 2)
param k [1/year] = 3
""")
    assert found == {("x", "f"): Polarity.UNDETERMINED}


def test_a_long_sums_links_are_each_terms_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sum(x[i!])` over an array was differentiated whole once a symbol: quadratic, a minute
    for `loops`, `explain`, diagrams and the explorer at 1,600 elements. Each symbol's link
    comes from the terms it is in; the signs and values at the start are those of the whole."""
    import sympy

    from stockflow.compiler.analysis import causal

    seen: list[int] = []
    real = sympy.diff
    monkeypatch.setattr(causal.sympy, "diff", lambda e, *a: seen.append(len(e.args)) or real(e, *a))
    m = model("dim i = range(1, 12)\nstock x[i] = 1\nparam k[i] [1/year] = 0.1\n"
              "flow out[i]: x[i] -> outside = x[i] * k[i] * (1 - share)\naux share = sum(x[i!]) / 100 - 0.2 * x[3]\n")
    g = causal_graph(m.checked)
    assert max(seen) < 12  # never the whole sum of twelve
    share = {link.source: link for link in g.links if link.target == "share"}
    assert sorted(share) == sorted(f"x[{i}]" for i in range(1, 13))
    assert share["x[1]"].value_at_start == pytest.approx(0.01) and share["x[3]"].value_at_start == pytest.approx(-0.19)
    assert share["x[1]"].sign.name == "POSITIVE" and share["x[3]"].sign.name == "NEGATIVE"
    assert loops_of("dim i = range(1, 12)\nstock x[i] = 1\nflow out[i]: x[i] -> outside = x[i] * sum(x[j!]) / 100\n"
                    "dim j = range(1, 12)\n") != {}


def test_a_flow_capped_by_min_or_max_keeps_its_loop_sign() -> None:
    """min/max differentiate to steps; each step is in [0, 1], so the sign is known."""
    found = loops_of("""
stock waiting = 250 { non_negative }
stock treated = 0
flow starts: waiting -> treated = min(waiting / 2 [year], capacity)
flow referrals: outside -> waiting = max(target - waiting, 0) / 1 [year]
param capacity [1/year] = 30
param target = 300
""")
    assert found == {("waiting", "starts"): Polarity.BALANCING,
                     ("waiting", "referrals"): Polarity.BALANCING}
    # a step less another is still of unknown sign
    assert loops_of("""
stock x = 1
flow f: outside -> x = (min(x, 2) - max(x, 1)) / 1 [year]
""") == {("x", "f"): Polarity.UNDETERMINED}


@pytest.fixture(scope="module")
def girfec() -> stockflow.Model:
    return stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")


def test_girfec_escalation_and_deescalation_pairs(girfec: stockflow.Model) -> None:
    report = find_loops(causal_graph(girfec.checked))
    by_names = {lp.names: lp for lp in report.loops}
    pair = by_names[("universal", "universal_to_additional", "additional", "additional_to_universal")]
    # The multipliers' signs depend on the programme's effect, so symbolically undetermined;
    # at the start of a run the pair is reinforcing (more at one level, more moving back).
    assert pair.polarity is Polarity.UNDETERMINED and pair.at_start is Polarity.REINFORCING
    word_of_mouth = by_names[("engaged_families", "reach", "engaging")]
    assert word_of_mouth.polarity is Polarity.REINFORCING
    drain = by_names[("intensive", "intensive_ageing_out")]
    assert drain.polarity is Polarity.BALANCING
    # 59: the smooth's own goal-seeking stage (`effect (smooth stage)` to itself) is how the
    # function works, not a loop of the model, as Stella and Vensim list none for SMTH1
    assert len(report.loops) == 59 and not report.truncated
    assert not any(loop.names == ("effect (smooth stage)",) for loop in report.loops)


BUNDLED = sorted((ROOT / "specs").glob("*/*.sfm"))


@pytest.mark.parametrize("spec", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_golden_dot_for_bundled_specs(spec: Path) -> None:
    m = stockflow.load(spec)
    dot = to_dot(m.checked, causal_graph(m.checked)).source
    golden = ROOT / "tests" / "golden" / f"{spec.stem}.dot"
    if os.environ.get("STOCKFLOW_UPDATE_GOLDEN"):
        golden.write_text(dot, encoding="utf-8")
    assert dot == golden.read_text(encoding="utf-8")


def test_dot_and_mermaid_content(girfec: stockflow.Model) -> None:
    cg = causal_graph(girfec.checked)
    dot = to_dot(girfec.checked, cg).source
    assert "cluster_girfec_levels" in dot and "#c0392b" in dot and "#1e8449" in dot
    assert "$" not in dot  # hidden stocks are drawn through, never shown
    focus = to_mermaid(girfec.checked, cg, DiagramOptions(focus="intensive", depth=1))
    assert focus.startswith("flowchart TB") and "intensive_ageing_out" in focus
    assert "engaged_families" not in focus and ":::ghost" in focus
    assert "births" not in focus.split("linkStyle")[0].replace("moving", "")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed (apt-get install graphviz)")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_rendered_diagrams(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"girfec{suffix}"
    r = CliRunner().invoke(main, ["diagram", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:500]
    assert oct(out.stat().st_mode & 0o777) == "0o644"


def test_an_arrays_loops_are_listed_once_a_shape(tmp_path: Path) -> None:
    """Each authority has its own loops, the same shapes over again: 32 authorities at four
    levels listed 1,152 loops. A loop that keeps to one element of a dimension is listed once
    for all of them, the dimension in the element's place; `--each` lists every loop."""
    spec = tmp_path / "areas.sfm"
    spec.write_text("time { start 0 stop 1 dt 0.25 units year }\ndim area = [dundee, fife, angus]\n"
                    "dim level = [low, high]\nstock kids[area, level] = 10\n"
                    "flow up[area]: kids[area, low] -> kids[area, high] = kids[area, low] * 0.1\n"
                    "flow down[area]: kids[area, high] -> kids[area, low] = kids[area, high] * 0.2\n"
                    "flow leave[area, level]: kids[area, level] -> outside = kids[area, level] / 18\n"
                    "aux total = sum(kids[area!, level!])\nflow births: outside -> kids[dundee, low] = total * 0.01\n",
                    encoding="utf-8")
    r = CliRunner().invoke(main, ["loops", str(spec)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    leave = next(i for i, ln in enumerate(lines) if "kids[area,level] -> leave[area,level]" in ln)
    assert lines[leave].split()[1] == "balancing"
    assert lines[leave + 1].strip().startswith("6 loops, one for each area and level (L")
    up = next(i for i, ln in enumerate(lines) if "kids[area,low] -> up[area] -> kids[area,high] -> down[area]" in ln)
    assert lines[up + 1].strip().startswith("3 loops, one for each area (")
    assert lines[up + 1].strip().endswith("(L14, L15, L16)")  # five ids or fewer: all of them
    # through Dundee's births, which no other authority has: its own, named by its elements
    assert "kids[dundee,low] -> total -> births -> kids[dundee,low]" in r.stdout and "[area,low] -> total" not in r.stdout
    # a loop kept to `high` by a flow of `high` alone differs only in its area
    down = next(i for i, ln in enumerate(lines) if "kids[area,high] -> down[area] -> kids[area,high]" in ln)
    assert lines[down + 1].strip().startswith("3 loops, one for each area (")
    total = int(lines[-2].split()[0])
    assert f"{total} loop(s)" in r.stdout and "`--each` lists every loop" in lines[-1]
    each = CliRunner().invoke(main, ["loops", "--each", str(spec)]).stdout
    assert len([ln for ln in each.splitlines() if ln.strip().startswith("L")]) == total
    assert "[area" not in each and "kids[fife,high] -> leave[fife,high]" in each


def test_cli_loops_and_text_diagrams(tmp_path: Path) -> None:
    spec = tmp_path / "pp.sfm"
    spec.write_text("time { start 0 stop 10 dt 0.25 units year }\n" + PREDATOR_PREY)
    r = CliRunner().invoke(main, ["loops", str(spec)])
    assert r.exit_code == 0 and "5 loop(s): 2 reinforcing, 3 balancing, 0 undetermined" in r.stdout
    r = CliRunner().invoke(main, ["loops", "--format", "json", str(spec)])
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and not data["truncated"] and len(data["loops"]) == 5
    assert {"id", "polarity", "polarity_at_start", "variables", "stocks"} <= set(data["loops"][0])
    r = CliRunner().invoke(main, ["diagram", str(spec), "-o", str(tmp_path / "pp.mmd")])
    assert r.exit_code == 0 and (tmp_path / "pp.mmd").read_text().startswith("flowchart")
    r = CliRunner().invoke(main, ["diagram", str(spec), "--focus", "prey", "--depth", "1"])
    assert r.exit_code == 0 and r.stdout.startswith("digraph")
    assert CliRunner().invoke(main, ["diagram", str(spec), "--focus", "wolf"]).exit_code == 2
    assert CliRunner().invoke(main, ["diagram", str(spec), "-o", str(tmp_path / "x.jpg")]).exit_code == 2


def test_highlight_a_loop(girfec: stockflow.Model) -> None:
    cg = causal_graph(girfec.checked)
    loop = next(lp for lp in find_loops(cg).loops if lp.names == ("engaged_families", "reach", "engaging"))
    dot = to_dot(girfec.checked, cg, DiagramOptions(highlight=loop.nodes)).source
    assert "reach -> engaging [" in dot and "#d68910" in dot.split("reach -> engaging [")[1].split("]")[0]
    r = CliRunner().invoke(main, ["diagram", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "--loop", "L999"])
    assert r.exit_code == 2 and "stockflow loops" in r.output


def test_svg_diagram_is_the_system_map_without_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    r = CliRunner().invoke(main, ["diagram", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="map"') and ".link{display:none}" in svg
    # the four levels in one row in group order; escalation arcs above it in red, de-escalation below in green
    xs = [float(re.search(rf'data-id="{s}".*?<rect x="([\d.]+)"', svg).group(1))
          for s in ("universal", "additional", "targeted", "intensive")]
    assert xs == sorted(xs)
    red = re.findall(r'd="M[\d.]+,([\d.]+) Q[\d.]+,(-?[\d.]+) [^"]*" stroke="#c0392b"', svg)
    green = re.findall(r'd="M[\d.]+,([\d.]+) Q[\d.]+,([\d.]+) [^"]*" stroke="#1e8449"', svg)
    assert len(red) == 6 and len(green) == 6
    assert all(float(c) < float(y) for y, c in red) and all(float(c) > float(y) for y, c in green)
    linked = CliRunner().invoke(main, ["diagram", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "-o", str(out),
                                       "--links"])
    assert linked.exit_code == 0 and 'data-from="engaged_families"' in out.read_text(encoding="utf-8")


SIR_BY_AGE = """model sir
time { start 0  stop 10  dt 1  units day }
dim age = [young, old]
stock susceptible[age] = 100
stock infected[age] = 1
stock recovered[age] = 0
flow infection[age]: susceptible[age] -> infected[age] = susceptible[age] * infected[age] * 0.001
flow recovery[age]: infected[age] -> recovered[age] = infected[age] / 7
group people = [susceptible, infected, recovered]
"""


def _boxes(svg: str) -> dict[str, tuple[float, float, list[str]]]:
    """Each stock box: its rectangle's corner and the lines of text above its value."""
    out = {}
    for sid, x, y, body in re.findall(r'<g class="stock" data-id="([^"]+)".*?<rect x="([\d.]+)" y="([\d.]+)"(.*?)</g>',
                                      svg):
        out[sid] = (float(x), float(y), re.findall(r'class="(?:name|element)">([^<]*)<', body))
    return out


def test_a_map_of_several_arrays_names_each_box_and_sets_arrays_in_rows(tmp_path: Path) -> None:
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import system_map

    m = stockflow.load_text(SIR_BY_AGE)
    boxes = _boxes(system_map(m.checked, causal_graph(m.checked)))
    assert boxes["infected[young]"][2] == ["infected", "young"]
    assert boxes["recovered[old]"][2] == ["recovered", "old"]
    # a row per array, the age bands across: each infection runs straight down
    assert boxes["susceptible[young]"][1] < boxes["infected[young]"][1] < boxes["recovered[young]"][1]
    assert boxes["susceptible[young]"][0] == boxes["infected[young]"][0] < boxes["infected[old]"][0]
    assert boxes["susceptible[young]"][1] <= 60  # no arcs above: the first row just under the key
    girfec_svg = system_map(stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").checked,
                            causal_graph(stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm").checked))
    valves = [float(y) for y in re.findall(r'<g class="flow"[^>]*>.*?<circle cx="[\d.]+" cy="(-?[\d.]+)"', girfec_svg)]
    assert 40 <= min(valves) <= 80  # arcs above the row: room for them, and no more
    # one array: its elements alone say which box is which
    girfec = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
    one_svg = system_map(girfec.checked, causal_graph(girfec.checked))
    one = _boxes(one_svg)
    assert [lines for sid, (_, _, lines) in one.items() if "[" in sid] == [
        ["universal"], ["additional"], ["targeted"], ["intensive"]]
    # ... and the key says what the boxes are, as no box names the array
    key = lambda svg: re.findall(r'class="key-box"/><text[^>]*>([^<]*)<', svg)  # noqa: E731
    assert key(one_svg) == ["children[level]: a box per element"]
    assert key(girfec_svg) == [] and key(system_map(m.checked, causal_graph(m.checked))) == []


def test_a_long_name_wraps_onto_two_lines_of_its_box() -> None:
    """`enquiries_in_process` was cut to `enquiries_in_proc…` on the map; it is broken after
    an underscore instead; a name too long for two lines, or with no underscore, is shortened."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import system_map

    m = stockflow.load_text("""time { start 0  stop 1  dt 1  units year }
stock enquiries_in_process = 1
stock approved = 1
stock averyveryverylongnamewithoutbreaks = 1
stock children_placed_with_kinship_carers = 1
flow f: enquiries_in_process -> approved = 1
""")
    boxes = _boxes(system_map(m.checked, causal_graph(m.checked)))
    assert boxes["enquiries_in_process"][2] == ["enquiries_", "in_process"]
    assert boxes["approved"][2] == ["approved"]
    assert boxes["averyveryverylongnamewithoutbreaks"][2] == ["averyveryverylong…"]
    assert boxes["children_placed_with_kinship_carers"][2] == ["children_placed_", "with_kinship_care…"]


def test_graphviz_draws_each_array_once_unless_asked_for_its_elements(tmp_path: Path) -> None:
    """A model of arrays drew every element with every causal arrow between them (GIRFEC by
    age: 12 stocks and hundreds of arrows); each array is now one node labelled with its
    indices, as Vensim and Stella draw them, and --elements draws them all."""
    spec = str(ROOT / "tests" / "models" / "sir_by_age.sfm")
    dot = CliRunner().invoke(main, ["diagram", spec])
    assert dot.exit_code == 0, dot.output
    text = dot.stdout
    assert 'label="infected[age]"' in text and 'label="contact[a, b]"' in text and "infected[young]" not in text
    assert len(re.findall(r"\binfected -> recovery_flow \[arrowsize", text)) == 1  # one causal arrow for three
    every = CliRunner().invoke(main, ["diagram", spec, "--elements"]).stdout
    assert '"infected[young]"' in every and '"infected[old]"' in every
    near = CliRunner().invoke(main, ["diagram", spec, "--focus", "force", "--depth", "1"])
    assert near.exit_code == 0 and "force[a]" in near.stdout and "recovered" not in near.stdout
    typo = CliRunner().invoke(main, ["diagram", spec, "--focus", "infectd"])
    assert typo.exit_code == 2 and "did you mean `infected`?" in typo.output
    out = tmp_path / "m.mmd"
    assert CliRunner().invoke(main, ["diagram", spec, "-o", str(out)]).output == f"wrote {out}\n"
    assert "infected[young]" not in out.read_text(encoding="utf-8")


def test_a_map_stands_rows_as_close_as_their_arcs_allow_and_arrays_as_grids() -> None:
    """An array over two dimensions outside any group stood in rows of six (authorities and
    placements mixed), every row 300 px below the last whether or not arcs ran between them,
    and the cloud a flow left into overlapped the next box's incoming one."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import BOX_H, system_map

    m = stockflow.load_text("""time { start 0  stop 1  dt 1  units year }
dim area = [north, south, east, west]
dim kind = [foster, home]
stock cared[area, kind] = 10
flow come[area, kind]: outside -> cared[area, kind] = 1
flow go[area, kind]: cared[area, kind] -> outside = cared[area, kind] * 0.1
""")
    svg = system_map(m.checked, causal_graph(m.checked))
    boxes = _boxes(svg)
    rows = sorted({y for _, y, _ in boxes.values()})
    assert len(rows) == 2 and rows[1] - rows[0] <= BOX_H + 100  # no arcs: rows close together
    assert [sid for sid, (_, y, _) in boxes.items() if y == rows[0]] == [
        f"cared[{a},foster]" for a in ("north", "south", "east", "west")]  # areas across, kinds down
    clouds = sorted(float(x) for x, y in re.findall(r'<ellipse class="cloud" cx="([\d.]+)" cy="([\d.]+)"', svg)
                    if abs(float(y) - rows[0] - BOX_H / 2) < 30)
    assert all(b - a >= 18 for a, b in zip(clouds, clouds[1:], strict=False))  # each 18 px wide: none overlap
    sir = _boxes(system_map(stockflow.load_text(SIR_BY_AGE).checked, causal_graph(stockflow.load_text(SIR_BY_AGE).checked)))
    ys = sorted({y for _, y, _ in sir.values()})
    assert all(b - a <= BOX_H + 100 for a, b in zip(ys, ys[1:], strict=False))  # straight pipes between rows


def test_a_grid_too_wide_to_stand_unwrapped_turns() -> None:
    """32 authorities at four levels stood as rows of 32 per level, wrapped at six: an
    authority's levels were rows apart and every move between them crossed the map. Each
    authority is now a row with its levels across, so the moves stay short."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import system_map

    areas = [f"a{i}" for i in range(1, 9)]
    m = stockflow.load_text(f"""time {{ start 0  stop 1  dt 1  units year }}
dim area = [{", ".join(areas)}]
dim level = [low, mid, high]
stock kids[area, level] = 10
flow up[area, level]: kids[area, level] -> kids[area, level + 1] = kids[area, level] * 0.1 {{ where level != high }}
""")
    boxes = _boxes(system_map(m.checked, causal_graph(m.checked)))
    rows: dict[float, list[str]] = {}
    for sid, (_, y, _) in sorted(boxes.items(), key=lambda b: (b[1][1], b[1][0])):  # top to bottom, left to right
        rows.setdefault(y, []).append(sid)
    assert list(rows.values()) == [[f"kids[{a},{lv}]" for lv in ("low", "mid", "high")] for a in areas]


def test_flows_between_rows_run_side_by_side_and_round_other_boxes() -> None:
    """Moves between placements each way were drawn on one line, and a move from the first
    row to the third ran straight through the box between them."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import BOX_H, BOX_W, system_map

    m = stockflow.load_text("""time { start 0  stop 1  dt 1  units year }
dim area = [north, south]
dim kind = [kin, foster, home]
stock cared[area, kind] = 10
flow move[area, a: kind, b: kind]: cared[area, a] -> cared[area, b] = cared[area, a] * 0.1 { where a != b }
group care = [cared]
""")
    svg = system_map(m.checked, causal_graph(m.checked))
    boxes = {sid: (x + BOX_W / 2, y + BOX_H / 2) for sid, (x, y, _) in _boxes(svg).items()}
    pipes = dict(re.findall(r'<g class="flow" data-id="([^"]+)".*?<path d="([^"]+)"', svg))
    down, up = ([float(v) for v in re.findall(r"-?[\d.]+", pipes[f])] for f in ("move[north,kin,foster]",
                                                                           "move[north,foster,kin]"))
    assert abs(down[0] - up[2]) >= 12  # kin's end of each: side by side, not one line drawn twice
    skip = pipes["move[north,kin,home]"]
    assert " Q" in skip  # a curve
    cx = float(skip.split(" Q")[1].split(",")[0])
    assert abs(cx - boxes["cared[north,foster]"][0]) > BOX_W  # bowed well clear of the box it passes


def test_a_chain_of_box_to_box_flows_stays_low_and_overlapping_arcs_stack() -> None:
    """Ageing from each year of age to the next: every arc spans one box, and each was drawn
    higher than the last (14 px more per flow of that span anywhere on the map), so the
    seventeenth rose 240 px. Only arcs that overlap are stacked."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import system_map

    def valves(text: str) -> dict[str, float]:
        m = stockflow.load_text(text)
        svg = system_map(m.checked, causal_graph(m.checked))
        return {fid: float(cy) for fid, cy in re.findall(
            r'<g class="flow" data-id="([^"]+)".*?<circle cx="[\d.]+" cy="(-?[\d.]+)"', svg)}

    chain = valves("""time { start 0  stop 1  dt 1  units year }
dim age = range(0, 9)
stock kids[age] = 10
flow ageing[age]: kids[age] -> kids[age + 1] = kids[age] { where age < 9 }
group all = [kids]
""")
    heights = [chain[f"ageing[{a}]"] for a in range(9)]
    assert max(heights) == min(heights)
    girfec = valves((ROOT / "specs" / "girfec" / "girfec.sfm").read_text(encoding="utf-8"))
    assert girfec["universal_to_additional"] == girfec["additional_to_targeted"] == girfec["targeted_to_intensive"]  # side by side: one height
    assert girfec["universal_to_targeted"] != girfec["additional_to_intensive"]  # these two overlap between additional and targeted


def test_a_wide_map_scrolls_sideways_rather_than_shrinking_past_reading(tmp_path: Path) -> None:
    """Eighteen ages across were shrunk to the page's width: 13 px text drawn at 3 px. The map
    is now drawn at 0.7 of its size or more, in a box that scrolls sideways."""
    from stockflow.compiler.analysis.causal import causal_graph
    from stockflow.compiler.write.map import MIN_SCALE, system_map

    m = stockflow.load_text("time { start 0  stop 1  dt 1  units year }\ndim age = range(0, 17)\nstock kids[age] = 1\n"
                            "flow ageing[age]: kids[age] -> kids[age + 1] = kids[age] { where age < 17 }\ngroup all = [kids]\n")
    svg = system_map(m.checked, causal_graph(m.checked))
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    assert f"min-width:{width * MIN_SCALE:.0f}px" in svg and width * MIN_SCALE > 2000
    out = tmp_path / "e.html"
    assert CliRunner().invoke(main, ["explore", str(ROOT / "specs" / "girfec" / "girfec.sfm"), "-o", str(out)]).exit_code == 0
    assert '<div class="map-scroll"><svg' in out.read_text(encoding="utf-8")


def test_a_long_list_of_loops_is_cut_and_the_rest_counted(tmp_path: Path) -> None:
    """A model with ageing between bands listed 4,662 shapes of loops (a report of 4.7 MB):
    nobody reads them. Past 100 shapes the first 50 are listed, shortest first, and the rest
    counted by the variables they pass through; `--all` lists every one."""
    from stockflow.report import _loops

    names = ["a", "b", "c", "d", "e", "f"]  # flows both ways between every two: 409 loops
    flows = "".join(f"flow {x}_{y}: {x} -> {y} = {x} * 0.01\n" for x in names for y in names if x != y)
    spec = tmp_path / "k6.sfm"
    spec.write_text("time { start 0 stop 1 dt 0.25 units year }\n" + "".join(f"stock {x} = 10\n" for x in names)
                    + flows, encoding="utf-8")
    out = CliRunner().invoke(main, ["loops", str(spec)]).stdout
    listed = [ln for ln in out.splitlines() if re.match(r"\s*L\d+ ", ln)]
    assert len(listed) == 50 and listed[0].split()[0] == "L1" and listed[-1].split()[0] == "L50"
    assert "... and 389 longer shapes (389 loops), by what they pass through:" in out
    counted = [ln.split() for ln in out.split("pass through:")[1].split("\n\n")[0].splitlines() if ln.strip()]
    # each loop of a scalar model has variables of its own: counted by its stocks instead
    assert [c[:3] for c in counted] == [["144", "5", "stocks"], ["120", "6", "stocks"], ["90", "4", "stocks"],
                                        ["35", "3", "stocks"]]
    assert "439 loop(s): 409 reinforcing, 30 balancing" in out and "`--all` lists every loop" in out
    every = CliRunner().invoke(main, ["loops", "--all", str(spec)]).stdout
    assert len([ln for ln in every.splitlines() if re.match(r"\s*L\d+ ", ln)]) == 439 and "longer shapes" not in every
    html = _loops(stockflow.load(spec), causal_graph(stockflow.load(spec).checked))
    assert "Feedback loops (439)" in html and "and 389 longer shapes (389 loops)" in html
    assert html.count("<tr>") == 1 + 5 + 1 + 50 + 1 + len(counted)  # headers and rows: top five, 50 listed, the rest


def test_a_long_list_of_an_arrays_loops_is_counted_by_the_variables_they_pass_through(tmp_path: Path) -> None:
    """Bands with ageing between them, levels with flows both ways, and births from the total:
    thousands of long loops, a few sets of variables."""
    spec = tmp_path / "bands.sfm"
    spec.write_text("time { start 0 stop 1 dt 0.25 units year }\ndim level = [a, b, c, d]\ndim band = [young, old]\n"
                    "stock kids[level, band] = 10\n"
                    "flow move[from: level, to: level, band]: kids[from, band] -> kids[to, band] = kids[from, band] * 0.1 "
                    "{ where from != to }\n"
                    "flow ageing[level]: kids[level, young] -> kids[level, old] = kids[level, young] / 5\n"
                    "aux total = sum(kids[level!, band!])\nflow births: outside -> kids[a, young] = total * 0.01\n",
                    encoding="utf-8")
    out = CliRunner().invoke(main, ["loops", str(spec)]).stdout
    assert len([ln for ln in out.splitlines() if re.match(r"\s*L\d+ ", ln)]) == 50, out
    rest = [ln for ln in out.split("pass through:")[1].split("\n\n")[0].splitlines() if ln.strip()]
    assert rest and all(re.match(r"\s*[\d,]+  kids, ", ln) for ln in rest), rest
    assert any("ageing" in ln and "total" in ln and "births" in ln for ln in rest)
    said = int(re.search(r"and [\d,]+ longer shapes \(([\d,]+) loops\)", out).group(1).replace(",", ""))
    assert sum(int(ln.split()[0].replace(",", "")) for ln in rest) == said


def _oracle_for(assumptions: dict[str, str]):  # noqa: ANN202 - the private class under test
    import sympy

    from stockflow.compiler.analysis.causal import _SignOracle

    oracle = _SignOracle.__new__(_SignOracle)
    oracle.assume = {sympy.Symbol(n): sympy.Symbol(n, **({a: True} if a else {})) for n, a in assumptions.items()}
    oracle.inline = {}
    return oracle


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["positive", "nonnegative", "negative", "nonpositive", "", "number"]), min_size=1,
                max_size=5),
       st.lists(st.sampled_from([-3, -0.5, 2, 7]), min_size=5, max_size=5))
def test_a_products_sign_from_its_factors_is_sympys(kinds: list[str], numbers: list[float]) -> None:
    """A link's sign from a product of symbols of known sign is read from the factors, not
    asked of sympy's assumptions (a millisecond a link: 320 authorities' 3,840 links from their
    rates took 2 s). Where it answers, it is sympy's answer."""
    import sympy

    oracle = _oracle_for({f"s{i}": k for i, k in enumerate(kinds) if k != "number"})
    factors = [sympy.Float(numbers[i]) if k == "number" else sympy.Symbol(f"s{i}") for i, k in enumerate(kinds)]
    d = sympy.Mul(*factors)
    fast = oracle.product_sign(d)
    if all(k in ("positive", "nonnegative", "negative", "number") for k in kinds):
        assert fast is not None
    if fast is not None:
        assert fast == oracle._symbolic(d)


@pytest.mark.parametrize("spec", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.sfm")))
def test_every_bundled_links_sign_is_as_sympy_finds_it(spec: str) -> None:
    import sympy

    from stockflow.compiler.analysis.causal import _partial, _SignOracle

    m = stockflow.load(ROOT / spec)
    oracle = _SignOracle(m.checked)
    exprs = {**m.checked.equations, **m.checked.derivatives}
    fast = 0
    for e in exprs.values():
        for x in e.free_symbols:
            d = _partial(e, x) if isinstance(x, sympy.Symbol) else None
            got = None if d is None else oracle.product_sign(d)
            if got is not None:
                fast += 1
                assert got == oracle._symbolic(d), (spec, e, x)
    assert fast > 0
