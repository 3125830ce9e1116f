"""Spec inheritance: `extends`, `set`, `remove`, chains, cycles and provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stockflow
from stockflow import SpecError

from conftest import ROOT

BASE = ROOT / "tests" / "corpus" / "bases" / "small.sfm"


@pytest.fixture(autouse=True)
def _bases_may_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """These children live in temporary folders and extend the corpus's bases: allowed, as a
    user allows a folder of shared bases with `--allow-read`."""
    from stockflow.compiler.base.files import ALLOW_ENV

    monkeypatch.setenv(ALLOW_ENV, str(BASE.parent))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codes(exc: pytest.ExceptionInfo[SpecError]) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


def test_override_add_and_remove(tmp_path: Path) -> None:
    child = write(tmp_path, "child.sfm", f"""
extends "{BASE}"
set birth_rate = 0.05 {{ source "Local registrar, 2024" }}
set population = 250
remove deaths
flow leaving [person/year]: population -> outside = population * 0.01 [1/year]
""")
    m = stockflow.load(child)
    assert m.parameters["birth_rate"] == 0.05
    p = next(p for p in m.checked.graph.params if p.id == "birth_rate")
    assert p.doc.source == "Local registrar, 2024" and p.bounds == (0, 1)  # bounds inherited
    r = m.run()
    np.testing.assert_allclose(r["population"][0], 250)
    assert "deaths" not in [v.id for v in r.variables] and "leaving" in [v.id for v in r.variables]
    # births 0.05, leaving 0.01: net 0.04 a year, compounded by Euler steps of 0.25
    assert r["population"][-1] == pytest.approx(250 * (1 + 0.04 * 0.25) ** 40, rel=1e-12)
    assert stockflow.check(child) == [d for d in stockflow.check(child) if d.code == "W102"]  # lifetime unused


def test_yaml_child_of_a_dsl_base(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", f"""
extends: {BASE}
override:
  population: {{initial: 10, source: survey}}
  births: {{rate: population * birth_rate * 2}}
""")
    r = stockflow.load(child).run()
    assert r["population"][0] == 10
    assert r["births"][0] == pytest.approx(10 * 0.03 * 2)


def test_yaml_child_writes_changes_as_the_sections_do(tmp_path: Path) -> None:
    """`override: {birth_rate: 0.05}` was "must be a mapping of `key: value` lines", though
    `parameters:` reads `name: value`; `remove: deaths` had to be a list; and `set:`, the DSL's
    word, was an unknown section whose hint listed sections. The first two now read as written
    and the third names `override:`."""
    child = write(tmp_path, "child.yaml", f"""
extends: {BASE}
override:
  birth_rate: 0.05
  population: 250
  births: population * birth_rate * 2
remove: deaths
""")
    m = stockflow.load(child)
    r = m.run()
    assert m.parameters["birth_rate"] == 0.05 and r["population"][0] == 250
    assert r["births"][0] == pytest.approx(250 * 0.05 * 2) and "deaths" not in [v.id for v in r.variables]
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(tmp_path, "set.yaml", f"extends: {BASE}\nset:\n  birth_rate: 0.05\n"))
    [d] = exc.value.diagnostics
    assert d.message == "unknown section `set`" and "`override:`" in (d.hint or "")


def test_chains_and_bundled_bases(tmp_path: Path) -> None:
    middle = write(tmp_path, "middle.sfm", f'extends "{BASE}"\nset lifetime = 50\n')
    top = write(tmp_path, "top.sfm", 'extends "middle.sfm"\nset birth_rate = 0.1\n')
    m = stockflow.load(top)
    assert m.parameters["lifetime"] == 50 and m.parameters["birth_rate"] == 0.1
    assert middle.exists()
    girfec_child = write(tmp_path, "g.sfm", 'extends "stockflow:girfec"\nset intervention_scale = 0\n')
    assert stockflow.load(girfec_child).parameters["intervention_scale"] == 0


def test_cycles_are_named(tmp_path: Path) -> None:
    write(tmp_path, "a.sfm", 'extends "b.sfm"\n')
    write(tmp_path, "b.sfm", 'extends "a.sfm"\n')
    with pytest.raises(SpecError) as e:
        stockflow.load(tmp_path / "a.sfm")
    assert codes(e) == ["E017"] and "a.sfm -> b.sfm -> a.sfm" in e.value.diagnostics[0].message


def test_unknown_names_and_kinds(tmp_path: Path) -> None:
    child = write(tmp_path, "c.sfm", f'extends "{BASE}"\nset birth_rat = 1\nremove popuation\n')
    with pytest.raises(SpecError) as e:
        stockflow.load(child)
    assert codes(e) == ["E016", "E016"]
    assert [d.hint for d in e.value.diagnostics] == ["did you mean `birth_rate`?", "did you mean `population`?"]
    with pytest.raises(SpecError) as e:
        stockflow.load(write(tmp_path, "d.sfm", f'extends "{BASE}"\nset birth_rate = population\n'))
    assert codes(e) == ["E053"]
    with pytest.raises(SpecError) as e:
        stockflow.load(write(tmp_path, "m.sfm", f'extends "{BASE}"\nset final_population {{ bounds [0, 1] }}\n'))
    assert codes(e) == ["E016"]
    with pytest.raises(SpecError) as e:
        stockflow.load(write(tmp_path, "n.sfm", 'set x = 1\n'))
    assert "E016" in codes(e)
    with pytest.raises(SpecError) as e:
        stockflow.load(write(tmp_path, "missing.sfm", 'extends "nowhere.sfm"\n'))
    assert codes(e) == ["E005"]


def test_unit_errors_in_overrides_point_at_the_child(tmp_path: Path) -> None:
    child = write(tmp_path, "u.sfm", f'extends "{BASE}"\nset births = population\nset birth_rate [person] = 0.1\n')
    with pytest.raises(SpecError) as e:
        stockflow.load(child)
    found = {(d.code, Path(d.span.file).name, d.span.line) for d in e.value.diagnostics if d.span}
    assert ("E032", "u.sfm", 2) in found  # births = population is in person, not person/year


def test_provenance_of_every_value(tmp_path: Path) -> None:
    middle = write(tmp_path, "middle.sfm", f'extends "{BASE}"\nset lifetime = 50\n')
    top = write(tmp_path, "top.sfm", 'extends "middle.sfm"\nset lifetime = 60\nremove births\n'
                                     'flow births [person/year]: outside -> population = 1 [person/year]\n')
    m = stockflow.load(top)
    origins = dict(m.spec.origins)  # type: ignore[union-attr]
    history = [(o.action, Path(o.span.file).name, o.span.line) for o in origins["lifetime"]]
    assert history == [("declared", "small.sfm", 9), ("overridden", "middle.sfm", 2), ("overridden", "top.sfm", 2)]
    assert [o.action for o in origins["births"]] == ["declared", "removed", "declared"]
    for name, steps in origins.items():
        assert steps and all(o.span is not None and Path(o.span.file).exists() for o in steps), name
    assert middle.exists()


CITY = ROOT / "specs" / "girfec-city" / "girfec-city.sfm"
GIRFEC = ROOT / "specs" / "girfec" / "girfec.sfm"


def test_city_spec_adapts_girfec_with_overrides_only() -> None:
    from stockflow.compiler.pipeline import parse_source, read_source

    own = parse_source(read_source(CITY))
    assert own.extends and not own.decls and own.overrides  # nothing declared afresh
    city = stockflow.load(CITY)
    assert city.warnings == ()
    base = city.run(params={"intervention_scale": 0})
    for level in ("universal", "additional", "targeted", "intensive"):
        assert base[level][-1] == pytest.approx(base[level][0], rel=0.005)
    assert base["total_children"][0] == pytest.approx(100_000)
    history = dict(city.spec.origins)["intensive"]  # type: ignore[union-attr]
    assert [(o.action, Path(o.span.file).name) for o in history] == [
        ("declared", "girfec.sfm"), ("overridden", "girfec-city.sfm")]


def test_explain_and_diff_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stockflow.cli import main

    r = CliRunner().invoke(main, ["explain", str(CITY), "intensive"])
    assert r.exit_code == 0
    assert "declared" in r.stdout and "girfec.sfm:" in r.stdout and "overridden" in r.stdout
    assert "girfec-city.sfm:" in r.stdout and "inflows: universal_to_intensive" in r.stdout
    r = CliRunner().invoke(main, ["explain", str(GIRFEC), "escalation_multiplier"])
    assert "depends on: effect (-), max_escalation_reduction" in r.stdout
    assert CliRunner().invoke(main, ["explain", str(GIRFEC), "nothing"]).exit_code == 1

    r = CliRunner().invoke(main, ["diff", str(GIRFEC), str(CITY), "--run"])
    assert r.exit_code == 1
    assert "~ param rate_u_a:" in r.stdout and "A: param rate_u_a [1/year] = 0.07" in r.stdout
    assert "~ stock intensive:" in r.stdout and "total_cost" in r.stdout
    assert "rate_a_u" not in r.stdout  # unchanged
    assert CliRunner().invoke(main, ["diff", str(GIRFEC), str(GIRFEC)]).exit_code == 0
    bad = write(tmp_path, "bad.sfm", "stock a = \n")
    assert CliRunner().invoke(main, ["diff", str(GIRFEC), str(bad)]).exit_code == 2


def test_explain_says_what_each_scenario_does_to_a_variable() -> None:
    """`explain` gave where a parameter was declared and set, but not that a scenario samples,
    sets or scales it: the one thing a board asks of an assumption."""
    from click.testing import CliRunner

    from stockflow.cli import main

    def said(name: str, spec: Path = GIRFEC) -> list[str]:
        out = CliRunner().invoke(main, ["explain", str(spec), name]).stdout.splitlines()
        if "in scenarios:" not in out:
            return []
        rest = out[out.index("in scenarios:") + 1:]
        return [line.split() and " ".join(line.split()) for line in rest[:next(
            (i for i, line in enumerate(rest) if not line.startswith("  ")), len(rest))]]

    assert said("max_escalation_reduction") == ["wm2u_uncertain draws it from triangular(0.1, 0.25, 0.4), 200 times"]
    assert said("intervention_scale") == ["baseline sets it to 0", "wm2u sets it to 1", "wm2u_stronger sets it to 1",
                                          "wm2u_uncertain sets it to 1"]
    assert said("universal_to_additional") == ["wm2u_stronger scales it by 0.9 from 24 over 36"]
    assert said("rate_u_a") == []


LOOKUP_BASE = """model base
time { start 0  stop 4  dt 1  units year  method euler }
unit child
dim level = [low, high]
lookup effect = [(0, 0), (10, 1)] { source "Base survey" }
lookup shape[level] = { high: [(0, 5), (1, 5)], else: [(0, 1), (1, 1)] }
stock s [child] = 1
aux e = effect(time / 1 year)
aux h[level] = shape[level](0)
flow f [child/year]: outside -> s = e * 1 [child/year]
"""


def _h(model: stockflow.Model) -> list[float]:
    r = model.run()
    return [float(r["h[low]"][0]), float(r["h[high]"][0])]


def test_set_gives_a_lookup_a_new_table(tmp_path: Path) -> None:
    """An authority replaces a base's table with its own, in either form, and the history
    says where each table came from."""
    write(tmp_path, "base.sfm", LOOKUP_BASE)
    base = stockflow.load(tmp_path / "base.sfm")
    assert base.run()["s"][-1] == pytest.approx(1 + 0.0 + 0.1 + 0.2 + 0.3)
    assert _h(base) == [1.0, 5.0]
    dsl = stockflow.load(write(tmp_path, "child.sfm", 'extends "base.sfm"\n'
                               'set effect = [(0, 2), (10, 2)] { source "Local survey, 2025" }\n'
                               'set shape[low] = [(0, 7), (1, 7)]\n'))
    assert dsl.run()["s"][-1] == pytest.approx(9.0)
    assert _h(dsl) == [7.0, 5.0]  # the other element keeps its table
    from click.testing import CliRunner

    from stockflow.cli import main

    told = CliRunner().invoke(main, ["explain", str(tmp_path / "child.sfm"), "effect"]).output
    assert "[(0, 2), (10, 2)]" in told and "Local survey, 2025" in told and "child.sfm:2" in told
    yml = stockflow.load(write(tmp_path, "child.yaml", "extends: base.sfm\noverride:\n"
                               "  effect: {points: [[0, 3], [10, 3]]}\n"
                               "  shape: {points: [[0, 9], [1, 9]]}\n"))
    assert yml.run()["s"][-1] == pytest.approx(13.0)
    assert _h(yml) == [9.0, 9.0]  # a new table for the whole lookup holds for every element


def test_a_new_table_is_checked_where_it_is_written(tmp_path: Path) -> None:
    write(tmp_path, "base.sfm", LOOKUP_BASE)
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(tmp_path, "bad.sfm", 'extends "base.sfm"\nset shape[low] = [(1, 1), (0, 2)]\n'))
    d = exc.value.diagnostics[0]
    assert (d.code, d.span.file.endswith("bad.sfm"), d.span.line, d.span.column) == ("E052", True, 2, 19)
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(tmp_path, "kinds.sfm", 'extends "base.sfm"\nset effect = 3\nset s = [(0, 1), (1, 2)]\n'))
    got = [(d.code, d.message, d.hint) for d in exc.value.diagnostics]
    assert got[0][0] == "E016" and "set effect = [(0, 1), (1, 2)]" in (got[0][2] or "")
    assert got[1][:2] == ("E016", "`points` does not apply to `s`, which is a stock")


ARRAYED_BASE = """model base
time { start 0  stop 2  dt 1  units year  method euler }
unit child
dim level = [low, high]
stock children[level] [child] = 10
flow leave[level] [child/year]: children[level] -> outside = children[level] * rate[level]
param rate[level] [1/year] = 0.1
"""


def test_one_name_in_brackets_is_an_element_or_units_as_the_spec_says(tmp_path: Path) -> None:
    """`set x [name]` reads as units where `name` is a unit and no element of x's dimensions;
    `set children [child] = 5` was refused as "`child` is not an element of `level`"."""
    write(tmp_path, "base.sfm", ARRAYED_BASE)
    m = stockflow.load(write(tmp_path, "child.sfm", 'extends "base.sfm"\nset children [child] = 5\n'
                                                    'set rate[high] = 0.3\nset rate [low] = 0.2\n'))
    r = m.run()
    assert r["children[low]"][-1] == pytest.approx(5 * 0.8**2, rel=1e-12)
    assert r["children[high]"][-1] == pytest.approx(5 * 0.7**2, rel=1e-12)
    with pytest.raises(SpecError) as exc:  # a misspelt element still gets the element's hint
        stockflow.load(write(tmp_path, "typo.sfm", 'extends "base.sfm"\nset rate[hgh] = 0.2\n'))
    assert codes(exc) == ["E091"] and "high" in (exc.value.diagnostics[0].hint or "")


def test_another_authority_gives_a_dimension_its_own_elements(tmp_path: Path) -> None:
    """Declaring the base's dimension again was told to `set` it, which cannot be written;
    it is removed and declared anew, as the hint now says."""
    write(tmp_path, "base.sfm", ARRAYED_BASE)
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(tmp_path, "again.sfm", 'extends "base.sfm"\ndim level = [low, mid, high]\n'))
    [d] = exc.value.diagnostics
    assert d.code == "E011" and d.hint == ("to give it other elements, remove it first: `remove level` on the line "
                                           "before (YAML: `remove: [level]`)")
    m = stockflow.load(write(tmp_path, "mine.sfm", 'extends "base.sfm"\nremove level\ndim level = [low, mid, high]\n'))
    assert m.run()["children"].shape == (3, 3)
    yaml = write(tmp_path, "mine.yaml", "extends: base.sfm\nremove: [level]\ndimensions:\n  level: [low, mid, high]\n")
    assert stockflow.load(yaml).run()["children"].shape == (3, 3)


def test_a_base_table_over_a_dimension_declared_anew_is_one_error_in_the_adapting_spec(tmp_path: Path) -> None:
    """Tables the base wrote for its own authorities gave an error per entry, all in the
    base's file ("`dundee` is not an element of `authority`", "2 elements of `kids` have no
    value"), and none said what to write in the adapting spec."""
    (tmp_path / "start.csv").write_text("authority,value\ndundee,100\nangus,50\n", encoding="utf-8")
    write(tmp_path, "base.sfm", "time { start 0 stop 2 dt 1 units year }\ndim authority = [dundee, angus]\n"
          "stock kids[authority] = csv \"start.csv\"\nparam leave[authority] [1/year] = {dundee: 0.1, angus: 0.2}\n"
          "param cost[authority] = 5\n"  # an equation for every element still holds for new ones
          "flow go[authority] [1/year]: kids[authority] -> outside = kids[authority] * leave[authority] * cost[authority]"
          " / 5\n")
    head = 'extends "base.sfm"\nremove authority\ndim authority = [fife, falkirk]\n'
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(tmp_path, "mine.sfm", head))
    [d] = exc.value.diagnostics
    assert d.code == "E093" and d.span is not None and d.span.file.endswith("mine.sfm") and d.span.line == 3
    assert d.message.startswith("`kids` (") and "base.sfm:3) and `leave` (" in d.message
    assert d.hint == ("give each a table for the new elements here: `set kids = {fife: ..., falkirk: ...}`; "
                      "`set leave = {fife: ..., falkirk: ...}` (or `= csv \"FILE.csv\"`)")
    m = stockflow.load(write(tmp_path, "mine2.sfm", head + "set kids = {fife: 10, falkirk: 20}\nset leave = 0.5\n"))
    assert m.run()["kids[falkirk]"][-1] == pytest.approx(20 * 0.5**2, rel=1e-12)
    yaml = "extends: base.sfm\nremove: [authority]\ndimensions:\n  authority: [fife, falkirk]\n"
    with pytest.raises(SpecError) as exc:  # in YAML, the hint is YAML
        stockflow.load(write(tmp_path, "mine.yaml", yaml))
    assert "under `override:`, give each a table for the new elements: `kids: {value: {fife: ..., falkirk: ...}}`" \
        in (exc.value.diagnostics[0].hint or "")
    m = stockflow.load(write(tmp_path, "mine2.yaml", yaml + "override:\n  kids: {value: {fife: 10, falkirk: 20}}\n"
                             "  leave: {value: 0.5}\n"))
    assert m.run()["kids[falkirk]"][-1] == pytest.approx(20 * 0.5**2, rel=1e-12)


def test_a_table_over_the_bases_dimension_needs_no_units_to_be_an_array(tmp_path: Path) -> None:
    """`param p[level] = {a: 1, b: 3}` in a spec extending the one that declares `level` read
    `[level]` as units: "`p` has a table of elements but no dimensions; name them after it:
    `p[level]`", which is what was written."""
    write(tmp_path, "b1.sfm", "time { start 0 stop 2 dt 1 units year }\ndim level = [a, b]\n")
    m = stockflow.load(write(tmp_path, "b2.sfm", 'extends "b1.sfm"\nparam p[level] = {a: 1, b: 3}\n'
                             "lookup e[level] = {a: [(0, 0), (1, 1)], else: [(0, 1), (1, 2)]}\n"
                             "stock s = p[b] + e[b](0.5)\n"))
    assert m.run()["s"][0] == 4.5
    m = stockflow.load(write(tmp_path, "b4.sfm", 'extends "b1.sfm"\nstock x[l: level] = 1\n'  # indexed by it
                             "aux a[level] = x[level] * 2\nflow f[level]: x[level] -> outside = 0.5\n"))
    assert m.run()["a[b]"][-1] == 2 * (1 - 0.5 - 0.5)
    scalar = stockflow.load(write(tmp_path, "b3.sfm", 'extends "b1.sfm"\nunit child\nparam q[child] = 3\n'))
    assert scalar.checked.graph.params[0].id == "q"  # one name and one number: still units


def test_set_gives_an_array_a_new_table_or_csv_file(tmp_path: Path) -> None:
    """Another authority gives an arrayed parameter its own values: as a table, as a CSV file
    beside its own spec, or (YAML) either under `override:`; a stock's elements as a table."""
    write(tmp_path, "base.sfm", ARRAYED_BASE)
    sub = tmp_path / "city"
    sub.mkdir()
    (sub / "ours.csv").write_text("level,value\nlow,0.2\nhigh,0.5\n", encoding="utf-8")
    dsl = stockflow.load(write(sub, "city.sfm", 'extends "../base.sfm"\n'
                               'set rate = csv "ours.csv" { source "City register, 2025" }\n'
                               'set children = {low: 40, else: 20}\n'))
    assert dsl.parameters["rate[high]"] == 0.5
    assert dsl.run()["children[low]"][-1] == pytest.approx(40 * 0.8 ** 2)
    assert dsl.run()["children[high]"][-1] == pytest.approx(20 * 0.5 ** 2)
    table = stockflow.load(write(sub, "table.sfm", 'extends "../base.sfm"\nset rate = {low: 0.3, high: 0.6}\n'
                                 'set rate[high] = 0.7\n'))
    assert (table.parameters["rate[low]"], table.parameters["rate[high]"]) == (0.3, 0.7)
    yml = stockflow.load(write(sub, "city.yaml", "extends: ../base.sfm\noverride:\n"
                               "  rate: {table: ours.csv}\n  children: {initial: {high: 5, else: 1}}\n"))
    assert yml.parameters["rate[low]"] == 0.2 and yml.run()["children[high]"][0] == 5
    starts = stockflow.load(write(sub, "starts.sfm", 'extends "../base.sfm"\nset children = csv "ours.csv"\n'))
    assert starts.run()["children[high]"][0] == 0.5  # a stock's initial values from a file, too
    with pytest.raises(SpecError) as exc:
        stockflow.load(write(sub, "bad.sfm", 'extends "../base.sfm"\nset leave = csv "ours.csv"\n'
                             'set rate[low] = {low: 1}\nset rate = {low: x, high: 1}\n'))
    assert [(d.code, d.span.line) for d in exc.value.diagnostics] == [("E016", 2), ("E016", 3), ("E053", 4)]
    with pytest.raises(SpecError) as exc:  # no `else`: each element needs its own
        stockflow.load(write(sub, "short.sfm", 'extends "../base.sfm"\nset rate = {low: 0.1}\n'))
    [d] = exc.value.diagnostics
    assert d.code == "E093" and "rate[high]" in d.message


def test_a_new_table_survives_format_in_both_forms(tmp_path: Path) -> None:
    """`format` printed `set rate` with its table dropped, and `--to yaml` wrote `set rate [high]
    = 0.7` (one element) as units `high`."""
    from stockflow.compiler.pipeline import parse_source, read_source
    from stockflow.compiler.write.format import format_dsl, format_yaml

    write(tmp_path, "base.sfm", ARRAYED_BASE)
    (tmp_path / "ours.csv").write_text("level,value\nlow,0.2\nhigh,0.5\n", encoding="utf-8")
    child = write(tmp_path, "child.sfm", 'extends "base.sfm"\nset rate = {low: 0.3, else: 0.6}\n'
                  'set rate [high] = 0.7\nset children = csv "ours.csv"\n')
    want = stockflow.load(write(tmp_path, "want.sfm", 'extends "base.sfm"\nset rate = {low: 0.3, else: 0.6}\n'
                                'set rate [high] = 0.7\nset children = {low: 2, else: 3}\n'))
    spec = parse_source(read_source(child))
    assert 'set children = csv "ours.csv"' in format_dsl(spec)
    for text, name in ((format_dsl(parse_source(read_source(want.path))), "again.sfm"),
                       (format_yaml(parse_source(read_source(want.path))), "again.yaml")):
        back = stockflow.load(write(tmp_path, name, text))
        assert back.parameters == want.parameters and back.run()["children[high]"][0] == 3


def test_a_new_value_does_not_keep_the_old_values_source(tmp_path: Path) -> None:
    """A child's `set rate = 0.3` kept the base's `source` for 0.1: the report then cited a
    source for a number it never gave. A new value keeps only what its own `set` says."""
    write(tmp_path, "base.sfm", "time { start 0  stop 1  dt 1  units year }\nstock s = 1\n"
          "flow f: s -> outside = s * rate\n"
          'param rate = 0.1 { bounds [0, 1]  description "leaving"  source "Survey A, 2020"  assumption "A\'s mean" }\n')
    new = stockflow.load(write(tmp_path, "new.sfm", 'extends "base.sfm"\nset rate = 0.3\n'))
    doc = next(p for p in new.checked.graph.params if p.id == "rate").doc
    assert (doc.description, doc.source, doc.assumption) == ("leaving", None, None)
    cited = stockflow.load(write(tmp_path, "cited.sfm", 'extends "base.sfm"\nset rate = 0.3 { source "Ours, 2025" }\n'))
    doc = next(p for p in cited.checked.graph.params if p.id == "rate").doc
    assert (doc.source, doc.assumption) == ("Ours, 2025", None)
    bounds = stockflow.load(write(tmp_path, "bounds.sfm", 'extends "base.sfm"\nset rate { bounds [0, 0.5] }\n'))
    doc = next(p for p in bounds.checked.graph.params if p.id == "rate").doc
    assert (doc.source, doc.assumption) == ("Survey A, 2020", "A's mean")  # the value stands, and its source


def test_one_elements_new_value_carries_its_own_source(tmp_path: Path) -> None:
    """`set rate[high] = 0.7 { source "..." }` dropped the source without a word, and the
    element kept the array's, which was for the base's number."""
    write(tmp_path, "base.sfm", ARRAYED_BASE.replace("= 0.1\n", '= 0.1 { source "Base survey" }\n'))
    m = stockflow.load(write(tmp_path, "child.sfm", 'extends "base.sfm"\n'
                             'set rate[high] = 0.7 { source "Our register, 2025" }\n'))
    docs = {p.id: p.doc for p in m.checked.graph.params}
    assert docs["rate[high]"].source == "Our register, 2025" and docs["rate[low]"].source == "Base survey"
    bare = stockflow.load(write(tmp_path, "bare.sfm", 'extends "base.sfm"\nset rate[high] = 0.7\n'))
    assert {p.id: p.doc.source for p in bare.checked.graph.params}["rate[high]"] is None
    from click.testing import CliRunner

    from stockflow.cli import main

    told = CliRunner().invoke(main, ["explain", str(tmp_path / "child.sfm"), "rate[high]"]).stdout
    assert "source: Our register, 2025" in told
    assert "source:" not in CliRunner().invoke(main, ["explain", str(tmp_path / "child.sfm"), "rate[low]"]).stdout
    told = CliRunner().invoke(main, ["explain", str(tmp_path / "bare.sfm"), "rate[high]"]).stdout
    assert "source: none given for this element's own value" in told


def test_a_new_table_without_else_drops_the_old_source_too(tmp_path: Path) -> None:
    write(tmp_path, "base.sfm", ARRAYED_BASE.replace("= 0.1\n", '= 0.1 { source "Base survey" }\n'))
    m = stockflow.load(write(tmp_path, "child.sfm", 'extends "base.sfm"\nset rate = {low: 0.2, high: 0.3}\n'))
    assert {p.doc.source for p in m.checked.graph.params} == {None}


def test_a_lookup_given_a_table_of_values_is_an_error(tmp_path: Path) -> None:
    """`set effect = {low: 3}` on an arrayed lookup was accepted and changed nothing."""
    write(tmp_path, "base.sfm", "time { start 0  stop 2  dt 1  units year }\ndim level = [low, high]\n"
          "lookup effect[level] = { low: [(0, 1), (1, 2)], else: [(0, 5), (1, 6)] }\nstock s[level] = 1\n"
          "flow f[level]: outside -> s[level] = effect[level](time)\n")
    for value in ("{low: 3}", 'csv "x.csv"'):
        with pytest.raises(SpecError) as exc:
            stockflow.load(write(tmp_path, "child.sfm", f'extends "base.sfm"\nset effect = {value}\n'))
        [d] = exc.value.diagnostics
        assert d.code == "E016" and "is a lookup" in d.message and "set effect[low] = [(0, 1), (1, 2)]" in (d.hint or "")


def test_diff_sets_a_declarations_later_lines_under_its_first() -> None:
    from stockflow.compiler.analysis.explain import Difference, describe

    text = describe(Difference("s", "stock", "changed", "stock s = 1 {\n  source \"a\"\n}", "stock s = 2"))
    assert text == '~ stock s:\n    A: stock s = 1 {\n         source "a"\n       }\n    B: stock s = 2'
    assert describe(Difference("s", "stock", "only in B", None, "stock s = 1 {\n  non_negative\n}")).endswith(
        "    stock s = 1 {\n      non_negative\n    }")


def test_explain_names_an_arrays_aliases(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from stockflow.cli import main

    spec = write(tmp_path, "m.sfm", "model m\ntime { start 0  stop 1  dt 1  units year }\ndim level = [low, high]\n"
                 "stock c[level] = 10\nflow move[from: level, to: level]: c[from] -> c[to] = c[from] * 0.1 "
                 "{ where from != to }\n")
    out = CliRunner().invoke(main, ["explain", str(spec), "move"]).stdout
    assert out.startswith("move: flow over from: level, to: level; elements move[low,high], move[high,low]")
