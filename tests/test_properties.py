"""Property tests: formatting round-trips, no tracebacks on garbage, conservation."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import stockflow
from stockflow.compiler.base.diagnostics import SpecError
from stockflow.compiler.ir import ast as A
from stockflow.compiler.pipeline import compile_spec, parse_text
from stockflow.compiler.read.dsl import parse_dsl
from stockflow.compiler.read.yaml_reader import parse_yaml
from stockflow.compiler.write.format import _SECTION, SECTION_ORDER, format_dsl, format_yaml
from stockflow.runtime.reference import reference_run

from conftest import ROOT
from strategies import specs, stock_flow_models

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)


# units of one name on an override read back as "units, or an element": CI found this once
UNITS_ONLY = A.Spec(A.ModelInfo("h"), None, (A.UnitDecl("a"),), extends="base.sfm",
                    overrides=(A.Override("c", units=A.UnitExpr((("a", 1),), Fraction(1))),))


@SLOW
@given(specs())
@example(UNITS_ONLY)
def test_dsl_round_trip(spec: A.Spec) -> None:
    assert parse_dsl(format_dsl(spec), "x.sfm") == spec


@SLOW
@given(specs())
def test_yaml_round_trip(spec: A.Spec) -> None:
    # YAML groups declarations by section, so compare with the spec in section order.
    ordered = sorted(spec.decls, key=lambda d: SECTION_ORDER.index(_SECTION[type(d)]))
    assert parse_yaml(format_yaml(spec), "x.yaml") == dataclasses.replace(spec, decls=tuple(ordered))


def test_a_negative_number_reads_alike_in_both_forms() -> None:
    """Hypothesis found `expect a0 = -1e-05` coming back from YAML as the number -1e-05, where
    the DSL reads a minus before a number: the same value, another tree, so a round trip of
    the spec did not give the spec back."""
    text = "time { start 0 stop 1 dt 1 units year }\nstock a = -0.0\naux c = -2\nexpect a0 = -1e-05\n"
    spec = parse_dsl(text, "x.sfm")
    ordered = sorted(spec.decls, key=lambda d: SECTION_ORDER.index(_SECTION[type(d)]))
    assert parse_yaml(format_yaml(spec), "x.yaml").decls == tuple(ordered)


def _never_traceback(text: str, form: str) -> None:
    try:
        compile_spec(parse_text(text, "fuzz", form))
    except SpecError as exc:
        assert exc.diagnostics and all(d.code for d in exc.diagnostics)


@SLOW
@given(st.text(max_size=300))
def test_garbage_gives_diagnostics_not_tracebacks(text: str) -> None:
    _never_traceback(text, "dsl")
    _never_traceback(text, "yaml")


GIRFEC = (ROOT / "specs" / "girfec" / "girfec.sfm").read_text(encoding="utf-8")
GIRFEC_YAML = (ROOT / "specs" / "girfec" / "girfec.yaml").read_text(encoding="utf-8")


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_specs_give_diagnostics_not_tracebacks(data: st.DataObject) -> None:
    for text, form in ((GIRFEC, "dsl"), (GIRFEC_YAML, "yaml")):
        pos = data.draw(st.integers(0, len(text) - 1))
        cut = data.draw(st.integers(0, 12))
        insert = data.draw(st.text(alphabet="()[]{}+-*/^<>=:,.#\"' \n0123456789abcxyz_", max_size=6))
        _never_traceback(text[:pos] + insert + text[pos + cut:], form)


SUBNORMAL = """unit thing
stock s0 [thing] = 0
stock s1 [thing] = 2.22507e-309 { non_negative }
stock s2 [thing] = 1
flow f0 [thing/year]: s1 -> s0 = s1 * 1 [1/year]
flow f1 [thing/year]: s2 -> s1 = s2 * 1 [1/year]
group all_stocks = [s0, s1, s2]"""


@settings(deadline=None, max_examples=12, suppress_health_check=[HealthCheck.too_slow])
@given(stock_flow_models(), st.sampled_from(["euler", "rk4"]))
@example(SUBNORMAL, "euler")  # a subnormal stock once overflowed the non-negative cap's ratio
def test_random_models_conserve_and_match_reference(body: str, method: str) -> None:
    head = f"time {{ start 0  stop 5  dt 0.125  units year  method {method} }}\n"
    m = stockflow.load_text(head + body)
    r = m.run()
    assert r.conservation["all_stocks"] < 1e-9
    _, ref = reference_run(m.checked, m.plan(), m.param_vector())
    cols = [v.id for v in m.variables()]
    for v in r.variables:
        np.testing.assert_allclose(r[v.id], ref[:, cols.index(v.id)], rtol=1e-12, atol=1e-9)


_coef = st.fractions(min_value=-3, max_value=3, max_denominator=12)
_linear = st.lists(st.tuples(st.integers(0, 5), _coef), max_size=6)


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.tuples(_coef, _linear), max_size=5), net=_linear, nonlinear=st.booleans())
def test_a_groups_residual_added_flow_by_flow_is_sympys_expand(parts: list, net: list, nonlinear: bool) -> None:
    """Conservation adds the coefficients of each flow over a group's stocks (sympy's expand of
    the whole sum was quadratic: 28 s at 3,200 elements). It is the same residual, zero or not,
    and a derivative that is not a sum of flows times numbers goes to sympy as before."""
    import sympy

    from stockflow.compiler.passes.lower import _residual

    f = sympy.symbols("f0:6")

    def lin(terms: list) -> sympy.Expr:
        return sympy.Add(*[sympy.Rational(c.numerator, c.denominator) * f[i] for i, c in terms])

    pairs = [(sympy.Rational(k.numerator, k.denominator), lin(t)) for k, t in parts]
    if nonlinear:
        pairs.append((sympy.Integer(1), f[0] * f[1] + sympy.Max(f[2], 0)))
    want = sympy.expand(sympy.Add(*[k * e for k, e in pairs]) - lin(net))
    got = _residual(pairs, lin(net))
    assert sympy.expand(got - want) == 0
    assert (got == 0) == (want == 0)


def test_a_conserved_group_over_an_array_is_proved_flow_by_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """A group over an arrayed stock of 2,000 elements: its residual is added flow by flow
    (sympy's expand is not called), and its net boundary flow is the one outflow."""
    import sympy

    from stockflow.compiler.passes import lower

    calls = []
    real = sympy.expand
    monkeypatch.setattr(lower.sympy, "expand", lambda *a, **k: calls.append(1) or real(*a, **k))
    n = 2000
    text = (f"time {{ start 0 stop 1 dt 0.5 units year }}\ndim i = range(1, {n})\nstock x[i] = 1\n"
            f"flow move[i]: x[i] -> x[i + 1] = x[i] * 0.1 {{ where i < {n} }}\n"
            f"flow out: x[{n}] -> outside = x[{n}] * 0.1\ngroup all = [x]\n")
    m = stockflow.load_text(text)
    assert calls == []
    assert m.checked.boundary["all"] == -sympy.Symbol("out")


_leaf = st.sampled_from(["x", "y", "z", "2", "1/3", "-1"])


@settings(max_examples=150, deadline=None)
@given(factors=st.lists(st.tuples(_leaf, st.sampled_from(["", "**2", "exp", "max"])), min_size=1, max_size=5),
       terms=st.integers(1, 3), wrt=st.sampled_from(["x", "y"]))
def test_a_causal_links_derivative_is_sympys(factors: list, terms: int, wrt: str) -> None:
    """The causal graph differentiates a product with its symbol as a plain factor by leaving
    the factor out, and a sum term by term: the same expression as sympy's `diff`, exactly."""
    import sympy

    from stockflow.compiler.analysis.causal import _partial, _terms_by_symbol

    def factor(leaf: str, how: str) -> sympy.Expr:
        v = sympy.sympify(leaf)
        return {"": v, "**2": v**2, "exp": sympy.exp(v), "max": sympy.Max(v, 0)}[how]

    product = sympy.Mul(*[factor(leaf, how) for leaf, how in factors])
    e = sympy.Add(*[product * (k + 1) + sympy.Symbol(f"w{k}") for k in range(terms)])
    x = sympy.Symbol(wrt)
    for expr in (product, e):
        parts = _terms_by_symbol(expr)
        got = _partial(expr, x) if parts is None or x not in parts else sympy.Add(*[_partial(t, x) for t in parts[x]])
        assert got == sympy.diff(expr, x), (expr, got)
