"""What a new user meets first: commands on small models, clean messages, a library that keeps
out of the caller's way, and a formatter that keeps comments."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import stockflow
from stockflow.cli import main
from stockflow.compiler.read.dsl import parse_dsl
from stockflow.compiler.read.yaml_reader import parse_yaml
from stockflow.compiler.write.format import format_dsl, format_yaml

from conftest import ROOT

GIRFEC = str(ROOT / "specs" / "girfec" / "girfec.sfm")
SIR_BY_AGE = str(ROOT / "tests" / "models" / "sir_by_age.sfm")
NO_METRICS = """model t "T"
time { start 0  stop 10  dt 1  units year }
unit child
stock a [child] = 100
flow leaving [child/year]: a -> outside = a * r
param r [1/year] = 0.1 { bounds [0, 1] }
scenario low { set r = 0.05 }
"""


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def girfec() -> stockflow.Model:
    return stockflow.load(GIRFEC)


def test_scenarios_without_metrics_run_and_report(tmp_path: Path) -> None:
    spec = tmp_path / "m.sfm"
    spec.write_text(NO_METRICS)
    code, out, err = invoke("run", str(spec), "--scenarios", "all")
    assert code == 0, err
    assert "2 runs of 2 scenarios" in out
    # without metrics the heading stood alone: each stock at the end, under each scenario
    table = out.split("stocks at the end of the run (the spec declares no metrics to compare)\n", 1)[1].splitlines()
    assert table[0].split() == ["stock", "baseline", "low", "units"]
    assert table[2].split() == ["a", f"{100 * 0.9**10:.4g}", f"{100 * 0.95**10:.4g}", "child"]
    code, _, err = invoke("report", str(spec), "-o", str(tmp_path / "r.html"))
    assert code == 0, err
    assert "Results against the baseline" in (tmp_path / "r.html").read_text()


def test_a_sampled_scenario_plots_as_median_and_band(tmp_path: Path) -> None:
    out = tmp_path / "f.png"
    code, _, err = invoke("plot", GIRFEC, "-o", str(out), "--kind", "flows-by-scenario", "--stock", "intensive")
    assert code == 0, err
    assert out.stat().st_size > 10_000


def test_diff_run_compares_sampled_scenarios_by_their_median() -> None:
    code, out, _ = invoke("diff", GIRFEC, str(ROOT / "specs" / "girfec-city" / "girfec-city.sfm"), "--run")
    assert code == 1  # they differ
    assert "scenario wm2u_uncertain (median over draws: 200 in A, 200 in B)" in out
    assert "e+0" not in out  # numbers people read are written out


@pytest.mark.parametrize("args, says", [
    (["plot", GIRFEC, "-o", "x.png", "--vars", "fostr"], "`fostr` is not a recorded variable"),
    (["plot", GIRFEC, "-o", "x.png", "--kind", "flows", "--stock", "intensve"], "did you mean `intensive`?"),
    (["run", GIRFEC, "--set", "intensive=150"], "--initial intensive=VALUE"),
    (["run", GIRFEC, "--initial", "rate_u_a=0.1"], "--set rate_u_a=VALUE"),
    (["run", GIRFEC, "--set", "rate_ua=0.1"], "did you mean `rate_u_a`?"),
    (["run", GIRFEC, "--scenarios", "wm2x"], "did you mean `wm2u`?"),
    # by an array's name (these were tracebacks, or hints naming one element)
    (["plot", SIR_BY_AGE, "-o", "x.png", "--vars", "peak_infected"], "is a metric"),
    (["plot", SIR_BY_AGE, "-o", "x.png", "--vars", "infectd"], "did you mean `infected`?"),
    (["plot", SIR_BY_AGE, "-o", "x.png", "--kind", "flows", "--stock", "infected"], "name one element"),
    (["run", SIR_BY_AGE, "--set", "infected=2"], "--initial infected=VALUE"),
    (["run", SIR_BY_AGE, "--initial", "contact=2"], "--set contact=VALUE"),
    (["run", SIR_BY_AGE, "--set", "force=2"], "`force` is computed by its equation"),
])
def test_unknown_names_give_one_clean_message(args: list[str], says: str, tmp_path: Path) -> None:
    """A name a command cannot use is one E061 that says what to do instead."""
    args = [str(tmp_path / a) if a.endswith(".png") else a for a in args]
    code, _, err = invoke(*args)
    assert code == 1
    assert says in err and "E061" in err
    assert "nothing named" not in err and err.count("is not") == 1 and "Traceback" not in err


def test_initial_values_from_the_command_line() -> None:
    code, out, err = invoke("run", GIRFEC, "--initial", "intensive=150")
    assert code == 0, err
    assert re.search(r"^intensive\s+150\s", out, re.M), out


def test_python_api_behaves_as_a_notebook_user_expects(girfec: stockflow.Model) -> None:
    runs = girfec.run_scenarios("wm2u")  # one name, not a list of letters
    assert runs.names == ("baseline", "wm2u")
    assert runs.run("baseline").metric("total_cost") == runs["baseline"].metric("total_cost")
    with pytest.raises(KeyError, match="did you mean `total_cost`"):
        runs.run("wm2u").metric("total_cst")
    with pytest.raises(IndexError, match="runs 0 to 1"):
        runs.run(7)
    frame = pd.DataFrame({"intervention_scale": [0.0, 0.5, 1.0]})
    batch = girfec.run_batch(frame)
    np.testing.assert_array_equal(batch["intensive"], girfec.run_batch({"intervention_scale": [0, 0.5, 1]})["intensive"])
    assert {"load", "Model", "Results", "check"} <= set(dir(stockflow))
    text = repr(girfec.run())
    assert len(text) < 400 and text.startswith("<Results: 481 times")
    assert repr(batch).startswith("<BatchResults: 3 runs")


def test_an_array_is_asked_for_by_its_name_and_a_slip_is_pointed_to_it() -> None:
    """`outputs=["kids"]` for an arrayed stock was "not a stock, flow or auxiliary", and a
    misspelt `kid` was offered a list of elements, not `kids`."""
    m = stockflow.load(SIR_BY_AGE)
    r = m.run(outputs=["infected"])
    assert r["infected"].shape == (len(r.times), 3) and len(r.variables) == 3
    np.testing.assert_array_equal(r["infected"], m.run()["infected"])
    for ask in (lambda: m.run()["infectd"], lambda: m.run(outputs=["infectd"]),
                lambda: m.run_scenarios().batch["infectd"]):
        with pytest.raises(KeyError, match="did you mean `infected`"):
            ask()


def test_a_value_that_is_not_finite_is_refused_where_it_is_given() -> None:
    """`params={"rate": float("nan")}` ran and failed later as E060 in some flow downstream."""
    m = stockflow.load(SIR_BY_AGE)
    name, stock = next(iter(m.parameters)), "susceptible"
    for run in (lambda: m.run(params={name: float("nan")}), lambda: m.run(initial={stock: float("inf")}),
                lambda: m.run_batch({name: [0.1, float("nan")]})):
        with pytest.raises(stockflow.RunError, match="is not a finite number"):
            run()


def test_batch_frames_are_built_column_by_column(girfec: stockflow.Model) -> None:
    batch = girfec.run_batch({"intervention_scale": np.linspace(0, 1, 4)})
    frame = batch.to_frame()
    for i in range(4):  # the same rows as each run's own tidy table
        one = batch.run(i).to_frame()
        got = frame[frame.scenario == i].drop(columns="scenario").reset_index(drop=True)
        for col in ("variable", "kind", "units"):
            got[col] = got[col].astype(object)
        pd.testing.assert_frame_equal(got, one, check_dtype=False)


def test_stockflow_keeps_out_of_the_callers_jax_and_matplotlib(tmp_path: Path) -> None:
    script = f"""
import matplotlib
matplotlib.use("svg")
import jax, jax.numpy as jnp
import stockflow
from stockflow import plots
m = stockflow.load({GIRFEC!r})
runs = m.run_scenarios(["wm2u"])
fig = plots.trajectories(runs, ["intensive"], "month")
plots.save(fig, {str(tmp_path / "t.png")!r})
assert m.run().values.dtype == "float64"
print(jnp.ones(2).dtype, jax.config.jax_enable_x64, jax.config.jax_compilation_cache_dir, matplotlib.get_backend())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["float32", "False", "None", "svg"]


def test_format_keeps_comments_in_both_forms() -> None:
    text = ("# header about the model\n\ntime { start 0  stop 10  dt 1  units year }  # yearly\n"
            "unit child\n\n# the stock\nstock a [child] = 5  # five children\n"
            "flow f [child/year]: a -> outside = a * r {\n  description \"out\"  # why\n}\n"
            "param r [1/year] = 0.1\n# the end\n")
    once = format_dsl(parse_dsl(text, "m.sfm"))
    for c in ("# header about the model", "# yearly", "# the stock", "# five children", "# why", "# the end"):
        assert c in once
    assert format_dsl(parse_dsl(once, "m.sfm")) == once  # idempotent
    y = format_yaml(parse_dsl(text, "m.sfm"))
    assert "# five children" in y and "  # the stock\n  a:" in y
    assert format_yaml(parse_yaml(y, "m.yaml")) == y
    assert parse_yaml(y, "m.yaml") == parse_dsl(text, "m.sfm")


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in [
    *ROOT.glob("specs/*/*.sfm"), ROOT / "specs" / "girfec" / "girfec.yaml", *ROOT.glob("docs/examples/*.sfm"),
    *ROOT.glob("docs/examples/*.yaml")]))
def test_bundled_specs_are_canonical(path: str) -> None:
    code, _, err = invoke("format", "--check", str(ROOT / path))
    assert code == 0, err


def test_an_unclosed_brace_is_pointed_at(tmp_path: Path) -> None:
    spec = tmp_path / "u.sfm"
    spec.write_text('time { start 0  stop 10  dt 1  units year }\nstock a = 1 {\n  description "x"\nparam r = 2\n')
    [d] = stockflow.check(spec)
    assert d.code == "E001" and "never closed" in d.message and (d.span.line, d.span.column) == (2, 13)
    assert "NON_NEGATIVE" not in (d.hint or "")


def test_errors_of_later_stages_in_unrelated_declarations_come_in_one_round(tmp_path: Path) -> None:
    spec = tmp_path / "two.sfm"
    spec.write_text("time { start 0  stop 10  dt 1  units year }\nunit child\nstock a [child] = 100\n"
                    "flow out [child/year]: a -> outside = a * rate_typo\nparam rate [1/year] = 0.1\n"
                    "stock b [child] = 5\nflow grow [child/year]: outside -> b = 3 [child]\n")
    codes = [d.code for d in stockflow.check(spec)]
    assert codes == ["E010", "E032"]


def test_a_rate_without_units_in_a_model_with_units_is_warned() -> None:
    m = stockflow.load_text("time { start 0  stop 120  dt 1  units month }\nunit child\n"
                            "stock s [child] = 100\nflow out [child/month]: s -> outside = s * r\nparam r = 0.3\n")
    [w] = m.warnings
    assert w.code == "W108" and "per month" in w.message
    quiet = stockflow.load_text("time { start 0  stop 120  dt 1  units month }\nunit child\n"
                                "stock s [child] = 100\nflow out [child/month]: s -> outside = s * r * k\n"
                                "param r [1/year] = 0.3\nparam k = 2\n")
    assert "W108" not in [w.code for w in quiet.warnings]  # `k` is a plain multiplier: r carries the time


@pytest.mark.parametrize("text, says", [
    ("flows:\n  f: {from: a, rate: 200 [child/year], units: child/year}\n", "quote a value"),
    ("scenarios:\n  s:\n    sample: {effect_delay: triangular(12, 18, 24)}\n", "was cut at a comma"),
])
def test_flow_mappings_with_brackets_or_commas_hint_at_quoting(text: str, says: str) -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        parse_yaml(text, "m.yaml")
    [d] = exc.value.diagnostics
    assert says in d.message + (d.hint or "")


@pytest.mark.parametrize("line, says, col", [
    ("param recovery [day] = 7 [day]", "units come from the declaration", 24),
    ("param recovery [day] = 7 day", "units come from the declaration", 24),
    ("param share = 2 * 3", "not an equation", 15),
    ("param share = other", "not an equation", 15),
])
def test_a_parameter_given_units_or_an_equation_says_what_a_value_is(line: str, says: str, col: int) -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl(f"time {{ start 0  stop 10  dt 1  units year }}\n{line}\n", "m.sfm")
    [d] = exc.value.diagnostics
    assert d.code == "E001" and says in d.message and (d.span.line, d.span.column) == (2, col)


def test_a_fault_in_a_parameters_properties_is_not_blamed_on_its_value() -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl("time { start 0  stop 10  dt 1  units year }\nparam a = 3 { bounds [0, 1 }\n", "m.sfm")
    [d] = exc.value.diagnostics
    assert d.message == "unexpected `}`"


def test_max_of_one_value_in_a_metric_points_to_maximum(tmp_path: Path) -> None:
    spec = tmp_path / "peak.sfm"
    spec.write_text("time { start 0  stop 10  dt 1  units year }\nstock s = 1\nflow f: outside -> s = 1\n"
                    "metric peak = max(s)\naux a = min(s * 2)\n")
    first, second = stockflow.check(spec)
    assert first.code == "E013" and first.span.line == 4 and "`maximum(s)`" in (first.hint or "")
    assert second.code == "E013" and second.span.line == 5 and "`min(x[level])`" in (second.hint or "")


def test_a_vensim_model_is_pointed_to_xmile(tmp_path: Path) -> None:
    mdl = tmp_path / "m.mdl"
    mdl.write_text("{UTF-8}\nx = 1\n\t~\t~\t|\n", encoding="utf-8")
    [d] = stockflow.check(mdl)
    assert d.code == "E005" and "xmutil" in (d.hint or "")
    code, _, err = invoke("import", str(mdl))
    assert code == 2 and "xmutil" in err


@pytest.mark.parametrize("line, says", [
    ("aux a = IF s > 1 THEN 1 ELSE 0", "keywords are lower case: `if a > b then x else y`"),
    ("Stock t = 1", "write `stock`"),
    ("aux a = s**2", "a power is written `^`"),
    ("aux a = s * 10%", "write 10% as `0.1`"),
    ("aux a = s * 0,1", "not `0,1`"),
    ("stock my stock = 1", "write `my_stock`"),
    ("aux a = s;", "remove the `;`"),
    ("aux a = s * 0.25 per month", "`0.25 [1/month]`"),
    # a parameter's value: the slip, not "one number, not an equation"
    ("param rate [1/year] = 7%", "write 7% as `0.07`"),
    ("param rate [1/year] = 12.5%", "write 12.5% as `0.125`"),
    ("param births [1/year] = 1,000", "write `1000`"),
    ("aux a = s * 12,345", "write `12345`"),
    ("param r [1/year] = 0.07 // a yearly rate", "a comment starts with `#`"),
    ("aux a = s // 2", "a comment starts with `#`"),
    ("param cost [£/year] = 50", "`unit GBP`"),
    ("param r [per year] = 0.07", "`[1/year]`"),
    ("stock café = 1", "write `cafe`"),
    ("aux naïve = s", "write `naive`"),
    # dimensions as other tools and spreadsheets write them
    ("dim band = [0-4, 5-11]", "write `band_0_4` for `0-4`"),
    ('dim band = ["0-4", "5-11"]', "write `band_0_4` for `0-4`"),
    ("dim age = [0..17]", "`dim age = range(0, 17)`"),
    ("dim age = 0:17", "`dim age = range(0, 17)`"),
    ("dim age = range(17)", "`dim age = range(1, 17)`"),
    ("dim level = universal, additional", "`dim level = [universal, additional]`"),
    ("dim area = [East Ayrshire, Dundee]", "`East_Ayrshire` for one"),
    # operators and layout from Python, Vensim, Stella and word processors
    ("flow f: s => t = 1", "a flow runs `FROM -> TO`"),
    ("flow f: s → t = 1", "a flow runs `FROM -> TO`"),
    ("flow f from s to outside = 1", "`flow f: FROM -> TO = RATE`"),
    ("flow f = s -> outside", "`flow NAME: FROM -> TO = RATE`"),
    ("aux a == s", "a definition takes one `=`"),
    ("aux a = if s > 1: 1 else 0", "`if c then a else b`"),
    ("aux a = 1 if s > 1 else 0", "`if c then a else b`"),
    ("aux a = s description \"x\"", "properties go in braces"),
    ("aux a = s { description “curly” }", "straight quotes"),
    ("aux a = if s <> 1 then 1 else 0", "`!=`"),
    ("aux a = if s = 1 then 1 else 0", "`==`"),
    ("aux a = if s > 1 && s < 2 then 1 else 0", "`and`, `or`"),
    ("aux a = s\u200b * 2", "an invisible character"),  # a zero-width space, pasted from a web page
    ("aux a = s *\u00a02", "type an ordinary space"),
    # adapting a model: `set` copied with the declaration's keyword
    ("set param rate = 0.1", "`set` keeps the declaration's kind: write `set rate = ...`"),
    ("set stock s = 3", "`set` keeps the declaration's kind: write `set s = ...`"),
    ("remove scenario wm2u_uncertain", "`remove` takes the name alone: write `remove wm2u_uncertain`"),
    ("scenario x { scale f by 2 from 26 week }", "in the model's time unit, without units: write `from 26`"),
    ("scenario x { scale f by 2 from 1 over 2 [year] }", "write `over 2`"),
    # arrays and metrics as Vensim, Python and YAML write them
    ("dim lv = [lo, hi]\nstock x[lv] = [100, 20]", "keyed by element: `{lo: 100, hi: 20}`"),
    ("dim age = range(0, 9)\nstock x[age] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "`{0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, ...}`"),
    ("stock x[lv] = [1, 2]", 'keyed by element, `{universal: 100, additional: 20}`'),  # lv not in this file
    ("aux a = s.low", "an element is named in brackets: `s[low]`"),
    ("param p[lv, band] = {lo.young: 1, else: 2}", "keyed `(lo, young): VALUE`"),
    ("param p[lv, band] = {[lo, young]: 1, else: 2}", "keyed `(lo, young): VALUE`"),
    ('param p[lv, band] = {"lo, young": 1, else: 2}', "keyed `(lo, young): VALUE`"),
    ("metric m = s at end", "`final(s)`"),
    ("metric m = s * 2 at 2030", "`at(s * 2, 2030)`"),
    ("metric m[lv] [1] = s", "a metric is one number per run"),
    ("scenario x { sweep r from 1 to 2 steps 3 }", "`sweep r over [1, 1.5, 2]`"),
    ("scenario x { scale flows tagged escalation by 0.8 }", "write `scale escalation by ...`"),
])
def test_slips_from_other_tools_get_a_hint_of_what_to_write(line: str, says: str) -> None:
    """A syntax error that is a habit from Stella, Python or a spreadsheet says what to write,
    not which tokens the parser wanted."""
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl(f"time {{ start 0  stop 10  dt 1  units year }}\nstock s = 1\n{line}\n", "m.sfm")
    [d] = exc.value.diagnostics
    assert d.code == "E001" and says in (d.hint or ""), d.hint


@pytest.mark.parametrize(("line", "says"), [
    ("aux a = INTEG(s, 1)", "Vensim's INTEG is a stock"),  # "did you mean `integral`" pointed elsewhere
    ("aux a = XIDZ(s, 2, 1)", "`if b == 0 then x else a / b`"),
    ("aux a = e^s", "e^x is `exp(x)`"),
    ("aux a = TIME_STEP", "`dt`"),
    ("aux a = RANDOM_UNIFORM(0, 1)", "`sample p ~ uniform(a, b)`"),
])
def test_other_tools_functions_and_names_say_what_to_write(line: str, says: str) -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        stockflow.load_text(f"time {{ start 0  stop 10  dt 1  units year }}\nstock s = 1\n{line}\n")
    [d] = exc.value.diagnostics
    assert d.code in ("E010", "E013") and says in (d.hint or ""), d.hint


def test_time_settings_written_with_equals_say_how() -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl("time { start = 0, stop = 10 }\nstock s = 1\n", "m.sfm")
    assert "`time { start 0  stop 10  dt 0.25  units year }`" in (exc.value.diagnostics[0].hint or "")


def test_a_thousands_separator_inside_a_call_is_not_two_arguments() -> None:
    """`max(1,000, s)` parsed as max(1, 000, s) and ran; a number written with a leading zero
    is now an error that names the separator."""
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl("time { start 0  stop 10  dt 1  units year }\nstock s = 1\naux a = max(1,000, s)\n", "m.sfm")
    [d] = exc.value.diagnostics
    assert d.code == "E001" and (d.span.line, d.span.column) == (3, 15) and "`1000`" in (d.hint or "")
    m = stockflow.load_text("time { start 0  stop 10  dt 1  units year }\nstock s = 0.5\naux a = max(1, 0.05, s)\n")
    assert m.run()["a"][0] == 1.0


def test_a_misspelt_dimension_after_a_name_is_not_called_a_unit() -> None:
    """`aux a[agee]` beside `dim age` was "unknown unit `agee`" (one name in brackets reads as
    units unless it is a dimension of the file); it is E091 suggesting the dimension."""
    head = "time { start 0  stop 10  dt 1  units day }\ndim age = [young, old]\nunit child\nstock x[age] = 1\n"
    with pytest.raises(stockflow.SpecError) as exc:
        parse_dsl(head + "aux a[agee] = 1\n", "m.sfm")
    [d] = exc.value.diagnostics
    assert d.code == "E091" and d.hint == "did you mean the dimension `age`?"
    assert parse_dsl(head + "aux a [child] = 1 child\n", "m.sfm")  # a unit stays a unit
    assert parse_dsl('extends "base.sfm"\n' + head + "aux a [ages] = 1\n", "m.sfm")  # a base may declare `ages`


@pytest.mark.parametrize(("value", "hint"), [
    ("7%", "write 7% as `0.07`"), ('"1,000"', "write `1000`"), ("£50", "`units: GBP`")])
def test_yaml_numbers_as_spreadsheets_write_them_say_what_to_write(value: str, hint: str) -> None:
    with pytest.raises(stockflow.SpecError) as exc:
        parse_yaml(f"time: {{start: 0, stop: 1, dt: 1, units: year}}\nparameters:\n  r: {{value: {value}}}\n", "m.yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E003" and hint in (d.hint or "")


@pytest.mark.parametrize(("text", "code", "hint"), [
    ("time: {start: 0, stop: 1, dt: 1, units: year}\nstocks:\n\ts: {initial: 1}\n", "E002", "never tabs"),
    ("time: {start: 0, stop: 1, dt: 1, units: year}\nstocks:\n  s:{initial: 1}\n", "E003", "`s: {initial...`"),
    ("time:{start: 0, stop: 1, dt: 1, units: year}\nstocks:\n  s: {initial: 1}\n", "E002", "`time: {`"),
    ("time: {start: 0, stop: 1, dt: 1, units: year}\nparameters: {r: 1}\nscenarios:\n"
     "  x: {set: {r: {value: 2, from: 26 week}}}\n", "E003", "in the model's time unit, without units: `26`"),
])
def test_yaml_layout_slips_say_what_to_write(text: str, code: str, hint: str) -> None:
    """A tab, and a colon without its space (`s:{initial: 1}` was a stock named `s:{initial`
    that "lacks `initial`")."""
    with pytest.raises(stockflow.SpecError) as exc:
        parse_yaml(text, "m.yaml")
    [d] = exc.value.diagnostics
    assert d.code == code and hint in (d.hint or ""), d.hint


def test_yaml_reads_exponents_as_numbers_as_yaml_1_2_does() -> None:
    """PyYAML follows YAML 1.1, where `1e3` and `2.5e3` are text: `value: 1e3` was "must be a
    number" and `dt: 1e-2` "must be a number"."""
    m = stockflow.load_text("time: {start: 0, stop: 1, dt: 1e-1, units: year}\nstocks:\n  s: {initial: 2.5E3}\n"
                            "parameters:\n  r: {value: 1e-3}\n  big: {value: 1e3}\n"
                            "flows:\n  f: {from: s, to: outside, rate: s * r * big / 1000}\n", form="yaml")
    assert {p.id: p.value for p in m.checked.graph.params} == {"r": 0.001, "big": 1000.0}
    assert m.run()["s"][0] == 2500.0 and len(m.run()["s"]) == 11


@pytest.mark.parametrize(("text", "hint"), [
    ("model: m\ndescription: Note: this is it\n",
     'a value with `: ` in it must be quoted: `description: "Note: this is it"`'),
    ("model: {name: m, description: Note: this}\n", 'a value with `: ` in it must be quoted: `description: "Note: this"`'),
    ("stocks:\n  s: {initial: 1}\n t: {initial: 2}\n", "line `t:` up with `s:` on line 2 (2 spaces in)"),
    ("stocks:\n  s:\n    initial: 1\n      units: child\n",
     "`units:` is indented under `initial: 1`, which already has its value: line it up with `initial:` (4 spaces in)"),
    ("time: {start: 0, stop: 1\nstocks: {}\n", "the `{` or `[` opened at line 1 is not closed: close it on that line"),
])
def test_a_yaml_slip_is_told_its_fix(text: str, hint: str) -> None:
    """PyYAML's "mapping values are not allowed here" and "expected <block end>" came with
    "check indentation, colons and quotes here"; the hint now names the fix."""
    from stockflow.compiler.base.diagnostics import SpecError

    with pytest.raises(SpecError) as exc:
        parse_yaml(text, "m.yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E002" and d.hint == hint


def test_an_equation_in_yaml_gets_the_same_slip_hints() -> None:
    from stockflow.compiler.base.diagnostics import SpecError

    text = ("time: {start: 0, stop: 1, dt: 1, units: year}\ndimensions:\n  lv: [lo, hi]\n"
            "stocks:\n  x: {dims: [lv], initial: 1}\nmetrics:\n  m: \"x[lo] at end\"\n  n: \"x.lo\"\n")
    with pytest.raises(SpecError) as exc:
        parse_yaml(text, "m.yaml")
    assert [d.hint for d in exc.value.diagnostics] == ["a metric takes a summary of the run: `final(x[lo])`",
                                                       "an element is named in brackets: `x[lo]`"]


def test_yaml_hints_are_written_in_yaml() -> None:
    """A YAML spec's hints show YAML (`units: year`), and a description written at the top, as
    other tools' files have it, is pointed to `model:`."""
    from stockflow.compiler.base.diagnostics import SpecError

    with pytest.raises(SpecError) as exc:
        parse_yaml("description: Looked-after children\ntime: {start: 0, stop: 1, dt: 0}\n", "m.yaml")
    hints = [d.hint for d in exc.value.diagnostics]
    assert "model: {name: girfec, description: ...}" in hints[0]
    assert "add `units: year`" in hints and "e.g. `dt: 0.25`" in hints
    with pytest.raises(SpecError) as exc:
        parse_dsl("time { start 0 stop 1 dt 1 }\n", "m.sfm")
    assert [d.hint for d in exc.value.diagnostics] == ["add `units year`"]


def test_a_declaration_under_the_wrong_section_says_where_it_belongs() -> None:
    """A flow indented under `scenarios:` gave one "unknown key" error per key."""
    from stockflow.compiler.base.diagnostics import SpecError

    text = ("time: {start: 0, stop: 1, dt: 1, units: year}\nstocks: {s: {initial: 1}}\nscenarios:\n"
            "  more: {set: {r: 1}}\n  out:\n    from: s\n    to: outside\n    rate: s * 0.1\n")
    with pytest.raises(SpecError) as exc:
        parse_yaml(text, "m.yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E003" and "`out` is under `scenarios:`, but its keys (from, rate, to) are a flow's" in d.message
    assert d.hint == "move it under `flows:`" and d.span.line == 6


def test_another_tools_word_for_the_equation_is_one_error_naming_the_key() -> None:
    """`rate:` under an auxiliary gave two errors, "lacks `equation`" and "unknown key `rate`";
    a misspelling of another key (`too:`) is still told its spelling."""
    from stockflow.compiler.base.diagnostics import SpecError

    text = ("time: {start: 0, stop: 1, dt: 1, units: year}\nstocks: {s: {initial: 1}, t: {initial: 0}}\n"
            "auxiliaries:\n  a:\n    rate: s * 2\n"
            "flows:\n  f: {from: s, to: t, formula: s * 0.1}\n  g: {from: s, too: t}\n")
    with pytest.raises(SpecError) as exc:
        parse_yaml(text, "m.yaml")
    said = sorted((d.span.line, d.message, d.hint) for d in exc.value.diagnostics)
    assert said == [
        (5, "unknown key `rate` in `a`, which lacks `equation`", "write `equation:` in place of `rate:`"),
        (7, "unknown key `formula` in `f`, which lacks `rate`", "write `rate:` in place of `formula:`"),
        (8, "`g` lacks `rate`", "add `rate:` under `g`"),
        (8, "unknown key `too` in `g`", "did you mean `to`?"),
    ]


def test_yaml_units_as_a_list_and_sections_as_lists() -> None:
    """`units: [child, GBP]` was "must be a mapping"; a section written as a list of entries
    (`- kids: ...`) now says to drop the `- `."""
    from stockflow.compiler.base.diagnostics import SpecError

    m = stockflow.load_text("time: {start: 0, stop: 1, dt: 1, units: year}\nunits: [child, GBP]\n"
                            "stocks: {kids: {initial: 10, units: child}}\n", form="yaml")
    assert m.run()["kids"][0] == 10
    with pytest.raises(SpecError) as exc:
        parse_yaml("time: {start: 0, stop: 1, dt: 1, units: year}\nstocks:\n  - kids: {initial: 10}\n", "m.yaml")
    [d] = exc.value.diagnostics
    assert d.code == "E003" and "not a list" in d.message and "without the `- `" in d.hint


@pytest.mark.parametrize(("time", "says", "hint"), [
    ("start 0  stop 52  dt 1  units week  save 5", "save step 5 is not a whole number", "save 4"),
    ("start 0  stop 10  dt 3  units week", "not a whole number of dt (3) steps", "dt 2.5, which divides 10; or stop 9"),
    ("start 0  stop 10.1  dt 0.25  units year", "not a whole number of dt (0.25) steps", "dt 0.1, which divides 10.1; or stop 10"),
    ("start 2008.25  stop 2024.5  dt 0.125  units year  save 0.3", "save step 0.3", "save 0.25"),
])
def test_check_fails_where_run_would_on_the_step_grid(tmp_path: Path, time: str, says: str, hint: str) -> None:
    """A save step that does not divide the run, or a dt that does not divide it, passed
    `check` (a CI job's green tick) and failed only at `run`, with the hint `e.g. save 5` for
    a save of 5."""
    spec = tmp_path / "m.sfm"
    spec.write_text(f"time {{ {time} }}\nstock s = 1\n", encoding="utf-8")
    [d] = stockflow.check(spec)
    assert d.code == "E050" and says in d.message and hint in (d.hint or "")
    code, _, err = invoke("run", str(spec))
    assert code == 1 and says in err
    ok = tmp_path / "ok.sfm"
    ok.write_text("time { start 0  stop 52  dt 1  units week  save 4 }\nstock s = 1\n", encoding="utf-8")
    assert stockflow.check(ok) == [] and invoke("run", str(ok), "--dt", "3")[0] == 1
    for save in (0.0, -1.0, 3.0):  # from Python, as from a spec
        with pytest.raises(stockflow.SpecError, match="E050"):
            stockflow.load(ok).run(save_step=save)


def test_at_a_time_the_run_does_not_record_fails_at_check(tmp_path: Path) -> None:
    spec = tmp_path / "m.sfm"
    spec.write_text("time { start 0  stop 52  dt 1  units week  save 4 }\nstock s = 1\nflow f: outside -> s = 1\n"
                    "metric ten = at(s, 10)\n", encoding="utf-8")
    [d] = stockflow.check(spec)
    assert d.code == "E050" and "10 is not a recorded time" in d.message and "at 8 or 12" in (d.hint or "")
    spec.write_text(spec.read_text(encoding="utf-8").replace("at(s, 10)", "at(s, 12)"), encoding="utf-8")
    assert stockflow.check(spec) == [] and stockflow.load(spec).run().metric("ten") == pytest.approx(13.0)
    with pytest.raises(stockflow.SpecError) as exc:  # a run's own save step: the same check, at run time
        stockflow.load(spec).run(save_step=13)
    assert "12 is not a recorded time" in exc.value.diagnostics[0].message
    assert "at 0 or 13" in (exc.value.diagnostics[0].hint or "")


def test_a_misspelt_element_or_array_is_pointed_to_its_own_name() -> None:
    """`explain SPEC 'infected[yong]'` said only "nothing named", and `--initial infectd=5`
    offered no name at all: the pool held elements, and no array's own name."""
    code, _, err = invoke("explain", SIR_BY_AGE, "infected[yong]")
    assert code == 1 and "did you mean `infected[young]`?" in err
    code, _, err = invoke("run", SIR_BY_AGE, "--initial", "infectd=5")
    assert code == 1 and "did you mean `infected`?" in err


def test_a_byte_order_mark_is_read_past_and_invisible_characters_are_shown(tmp_path: Path) -> None:
    """Notepad and Excel start UTF-8 files with a byte-order mark: a spec saved so failed with
    `unexpected character` and an invisible one quoted raw."""
    spec = tmp_path / "m.sfm"
    spec.write_bytes("\ufefftime { start 0  stop 2  dt 1  units year }\r\nstock s = 1\r\n".encode())
    assert stockflow.check(spec) == [] and stockflow.load(spec).run()["s"][-1] == 1.0
    from stockflow.compiler.base.diagnostics import printable

    assert printable("a\u200bb\ufeff") == "a\\u200bb\\ufeff"


@pytest.mark.parametrize(("value", "says"), [("rate=7%", "write 7% as `0.07`"), ("rate=1,000", "write `1000`"),
                                             ("rate 0.07", "write `rate=0.07`"),
                                             ("rate=0.01 [1/month]", "the variable's own units")])
def test_a_value_on_the_command_line_written_as_elsewhere_says_what_to_write(value: str, says: str) -> None:
    code, _, err = invoke("run", GIRFEC, "--set", value)
    assert code == 2 and says in err


def test_plot_takes_its_kind_from_the_options_and_refuses_one_it_would_ignore(tmp_path: Path) -> None:
    """`plot SPEC --stock intensive -o f.png` drew the trajectories and ignored --stock without
    a word, as any option that another kind reads. --stock now means the flows plot unless
    --kind says otherwise, --cost and --quality the cost-quality plot, and an option the
    chosen kind would ignore is a usage error naming the kinds that read it."""
    code, out, err = invoke("plot", GIRFEC, "-o", str(tmp_path / "f.svg"), "--stock", "intensive")
    assert code == 0, err
    assert "intensive: the stock, and the flows that change it" in (tmp_path / "f.svg").read_text(encoding="utf-8")
    code, _, err = invoke("plot", GIRFEC, "-o", str(tmp_path / "c.png"), "--cost", "total_cost",
                          "--quality", "average_quality")
    assert code == 0, err
    code, _, err = invoke("plot", GIRFEC, "-o", str(tmp_path / "t.png"), "--kind", "trajectories", "--stock",
                          "intensive")
    assert code == 2 and "--stock is read by --kind flows or flows-by-scenario, not by trajectories" in err
    code, _, err = invoke("plot", GIRFEC, "-o", str(tmp_path / "v.png"), "--stock", "intensive", "--vars", "reach")
    assert code == 2 and "--vars is read by --kind trajectories, not by flows" in err
    from stockflow.cli.present import _FOR_KIND

    assert {o for options in _FOR_KIND.values() for o in options} == {
        "--vars", "--stock", "--scenario", "--cost", "--quality"}


def test_too_many_steps_is_said_in_plain_numbers_with_a_dt_that_fits(tmp_path: Path) -> None:
    """`1e+09 steps is more than the limit of 10000000`, hint "use a larger dt": the numbers
    now read as numbers, and the hint gives the smallest round dt that fits, at check and at
    a run's own --dt alike."""
    spec = tmp_path / "long.sfm"
    spec.write_text("time { start 0 stop 1000000 dt 0.001 units year }\nstock s = 1\n"
                    "flow f: s -> outside = s * 0.1 [1/year]\n", encoding="utf-8")
    [d] = stockflow.check(spec)
    assert (d.code, d.message, d.hint) == ("E006", "1,000,000,000 steps is more than the limit of 10,000,000",
                                           "use dt 0.1 or larger, or a shorter run")
    spec.write_text("time { start 0 stop 10 dt 0.5 units year }\nstock s = 1\n", encoding="utf-8")
    code, _, err = invoke("run", str(spec), "--dt", "0.0000001")
    assert code == 1 and "100,000,000 steps is more than the limit of 10,000,000" in err
    assert "use dt 0.000001 or larger" in err


def test_csv_written_as_a_function_call_is_told_the_form() -> None:
    """`= csv("start.csv")`, as a spreadsheet or Python would write it, was "unexpected `(`,
    expected a quoted string"."""
    from stockflow.compiler.base.diagnostics import SpecError
    from stockflow.compiler.read.dsl import parse_dsl

    with pytest.raises(SpecError) as exc:
        parse_dsl('time { start 0 stop 1 dt 1 }\ndim a = [x, y]\nstock s[a] = csv("start.csv")\n', "t.sfm")
    assert exc.value.diagnostics[0].hint == 'the file\'s name follows `csv` in quotes, without brackets: `csv "start.csv"`'
