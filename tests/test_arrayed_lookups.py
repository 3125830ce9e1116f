"""Arrayed lookups: `lookup effect[level] = {low: [...], else: [...]}` declares a table per
element, and `effect[level](x)` calls each element's own, in both forms, through format,
XMILE and every backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stockflow
from stockflow.compiler.base.diagnostics import SpecError
from stockflow.compiler.pipeline import parse_text
from stockflow.compiler.write.format import format_dsl, format_yaml
from stockflow.compiler.write.xmile import write_xmile

from conftest import ROOT

TEXT = (ROOT / "tests/models/arrayed_lookup.sfm").read_text(encoding="utf-8")


def expected() -> dict[str, np.ndarray]:
    """The same model by hand, in NumPy: Euler steps of a decay whose rate each element reads
    from its own straight-line table (clamped at the ends)."""
    tables = {"low": ([0, 200], [0.1, 0.3]), "mid": ([0, 200], [0.2, 0.4]), "high": ([0, 200], [0.2, 0.4])}
    out = {}
    for level, start in (("low", 100.0), ("mid", 80.0), ("high", 60.0)):
        xs, ys = tables[level]
        series = [start]
        for _ in range(4):
            p = series[-1]
            series.append(p - p * float(np.interp(p, xs, ys)))
        out[f"pop[{level}]"] = np.array(series)
    return out


def test_each_element_reads_its_own_table() -> None:
    got = stockflow.load_text(TEXT).run()
    for name, want in expected().items():
        np.testing.assert_allclose(got[name], want, rtol=1e-14)
    assert got["mid_effect"][0] == pytest.approx(0.25)
    assert got["total_effect"][0] == pytest.approx(0.2 + 0.3 + 0.3)


def test_both_backends_and_the_jax_path_agree() -> None:
    m = stockflow.load_text(TEXT)
    a, b = m.run(backend="numpy"), m.run(backend="jax")
    np.testing.assert_allclose(a.values, b.values, rtol=1e-13)


def test_both_forms_print_and_read_back_alike(tmp_path: Path) -> None:
    spec = parse_text(TEXT, "a.sfm")
    dsl = format_dsl(spec)
    assert "lookup effect[level] [1/year] = {low: [(0, 0.1), (200, 0.3)], else: [(0, 0.2), (200, 0.4)]}" in dsl
    assert "effect[level](pop[level] / 1 child)" in dsl
    assert format_dsl(parse_text(dsl, "b.sfm")) == dsl
    yaml_text = format_yaml(spec)
    assert "      low: [[0.0, 0.1], [200.0, 0.3]]" in yaml_text and "    dims: [level]" in yaml_text
    (tmp_path / "a.yaml").write_text(yaml_text, encoding="utf-8")
    want = stockflow.load_text(TEXT).run().values
    np.testing.assert_array_equal(stockflow.load(tmp_path / "a.yaml").run().values, want)
    assert format_yaml(parse_text(yaml_text, "a.yaml", "yaml")) == yaml_text


def test_xmile_export_and_import_keep_the_numbers(tmp_path: Path) -> None:
    m = stockflow.load_text(TEXT)
    xml = write_xmile(m.checked).text
    assert '<gf name="effect_low"' in xml and "LOOKUP(effect_high, (pop[high] / leave_constant))" in xml
    (tmp_path / "a.xmile").write_text(xml, encoding="utf-8")
    back = stockflow.load(tmp_path / "a.xmile").run()
    for name, want in expected().items():
        np.testing.assert_allclose(back[name], want, rtol=1e-12)


HEAD = "time { start 0 stop 1 dt 1 units year }\ndim level = [low, mid, high]\n" \
       "lookup effect[level] = [(0, 1), (1, 2)]\n"


@pytest.mark.parametrize(("text", "code", "words"), [
    ("aux a = effect(3)", "E092", "a table for each element of level: say which"),
    ("aux a = effect[zzz](3)", "E091", "`zzz` is not an element of `level`"),
    ("aux a = effect[low]", "E092", "`effect` is a lookup"),
    ("aux a = effect", "E092", "`effect` is a lookup"),
    ("lookup plain = [(0, 1), (1, 2)]\naux a = plain[low](1)", "E092", "`plain` has no dimensions"),
    ("lookup g[level] = {low: [(0, 1), (1, 2)]}\naux a = g[mid](1)", "E093", "2 elements of `g` have no table"),
    ("lookup g[level] = {lo: [(0, 1), (1, 2)], else: [(0, 0), (1, 1)]}\naux a = g[mid](1)", "E091",
     "did you mean `low`"),
    ("lookup h = {low: [(0, 1), (1, 2)]}", "E092", "has a table of elements but no dimensions"),
    ("aux a[level] = effect[level](1) * 2 { where level != low }\naux b = a[low]", "E093", "does not exist"),
])
def test_mistakes_say_what_is_wrong(text: str, code: str, words: str) -> None:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(HEAD + text + "\n")
    found = [(d.code, d.message, d.hint or "") for d in exc.value.diagnostics]
    assert any(c == code and (words in msg or words in hint) for c, msg, hint in found), found
    assert all(d.span is not None and d.span.line >= 3 for d in exc.value.diagnostics)


def test_yaml_refuses_a_table_without_dims(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("model: {name: y}\ntime: {start: 0, stop: 1, dt: 1, units: year}\n"
                 "lookups:\n  g:\n    points: {low: [[0, 1], [1, 2]]}\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        stockflow.load(p)
    (d,) = exc.value.diagnostics
    assert d.code == "E092" and "no `dims`" in d.message and d.span is not None and d.span.line == 5


def test_an_error_in_an_array_equation_is_reported_once() -> None:
    with pytest.raises(SpecError) as exc:
        stockflow.load_text(HEAD + "stock s[level] [kid] = 1\n")
    assert [d.code for d in exc.value.diagnostics] == ["E030"]
