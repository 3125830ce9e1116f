"""Arrays stay arrays in the JAX code: same-form elements are one array operation, so the
step's program does not grow with the number of elements, and the numbers are those of the
scalar code (the NumPy path evaluates every element on its own)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stockflow
from stockflow.compiler.codegen.build import build
from stockflow.compiler.codegen.build_vector import VectorCode
from stockflow.compiler.codegen.vector import Group
from stockflow.runtime._jax import jax, jnp, x64

from conftest import ROOT, model

MIXED = """model mixed
time { start 0  stop 20  dt 0.125  units year  method euler }
unit child
unit GBP
dim level = [universal, additional, targeted, intensive]
dim band = [young, middle, old]
stock kids[level, band] [child] = {(universal, young): 900, (intensive, old): 5, else: 60} { non_negative }
param rate[from: level, to: level] [1/year] = {(universal, additional): 0.07, else: 0.02} { where from != to }
param cost[level] [GBP/(child*year)] = {universal: 50, additional: 400, targeted: 2000, intensive: 9000}
param exit_rate [1/year] = 0.3
lookup pressure = [(0, 1), (500, 1.2), (2000, 2)]
lookup crowding[band] = {young: [(0, 1), (300, 1.5)], else: [(0, 0.8), (300, 1)]}
flow move[from: level, to: level, band] [child/year]: kids[from, band] -> kids[to, band] = kids[from, band] * rate[from, to] * pressure(sum(kids[from, band!]) / 1 [child]) {
  where from != to
  tags escalation
}
flow ageing[level, band] [child/year]: kids[level, band] -> kids[level, band + 1] = kids[level, band] / 6 [year] * crowding[band](sum(kids[level!, band]) / 1 [child]) { where band != old }
flow leaving[level] [child/year]: kids[level, old] -> outside = kids[level, old] * exit_rate
flow births [child/year]: outside -> kids[universal, young] = 150 [child/year]
aux spend[level] [GBP/year] = cost[level] * sum(kids[level, band!])
aux total [child] = sum(kids[level, band])
metric total_spend [GBP] = integral(sum(spend[level]))
metric peak [child] = maximum(total)
scenario calmer { scale escalation by 0.5 from 5 over 5 }
scenario dearer { set exit_rate = 0.1 from 4 over 2 until 15 }
"""


def test_vectorised_jax_matches_the_scalar_code() -> None:
    m = stockflow.load_text(MIXED)
    a, b = m.run(backend="numpy"), m.run(backend="jax")
    scale = np.abs(a.values).max()
    assert np.abs(a.values - b.values).max() <= 1e-12 * scale
    for x in b.metrics:
        assert a.metric(x.name) == pytest.approx(b.metric(x.name), rel=1e-12)
    a, b = m.run_scenarios(backend="numpy"), m.run_scenarios(backend="jax")
    assert np.abs(a.batch.values - b.batch.values).max() <= 1e-12 * scale
    over = {"kids[targeted,middle]": 0.0}  # an initial value given by the run, inside a vectorised group
    a, b = m.run(backend="numpy", initial=over), m.run(backend="jax", initial=over)
    assert b["kids[targeted,middle]"][0] == 0.0 and np.abs(a.values - b.values).max() <= 1e-12 * scale


def test_same_form_elements_are_grouped() -> None:
    m = stockflow.load_text(MIXED)
    with x64():
        c = VectorCode(m.checked, jnp, (), ())
    sizes = sorted(len(s.names) for s in c.steps if isinstance(s, Group))
    assert sizes and max(sizes) >= 12  # the 36 escalation elements (4 x 3 levels x 3 bands) in few groups
    grouped = sum(sizes)
    assert grouped >= 0.8 * len(m.checked.graph.order) - 10


def chain(n: int) -> str:
    ks = ", ".join(f"{e}: {0.1 + 0.001 * e:.4f}" for e in range(1, n + 1))
    return f"""model chain
time {{ start 0 stop 10 dt 0.25 units year }}
dim i = range(1, {n})
stock x[i] = 1
param k[i] [1/year] = {{{ks}}}
flow move[i] [1/year]: x[i] -> x[i + 1] = x[i] * k[i] {{ where i < {n} }}
flow out [1/year]: x[{n}] -> outside = x[{n}] * 0.1 [1/year]
aux total = sum(x[i])
"""


def program_size(n: int) -> tuple[int, int, int]:
    """Operations in the traced derivative, parameter preparation and initial state."""
    m = stockflow.load_text(chain(n))
    with x64():
        fns = build(m.checked, jnp)
        params = jnp.asarray(m.param_vector())
        prep = fns.prepare(params, 0.25)
        n_state = fns.layout.n_state
        y = jnp.ones(n_state)
        deriv = jax.make_jaxpr(lambda y: fns.deriv(y, 0.0, prep))(y)
        prepare = jax.make_jaxpr(lambda p: fns.prepare(p, 0.25)["$values"])(params)
        init = jax.make_jaxpr(lambda p: fns.init(p, 0.0, 0.25, jnp.zeros(n_state), jnp.zeros(n_state, bool)))(params)
    return len(deriv.eqns), len(prepare.eqns), len(init.eqns)


def test_the_program_does_not_grow_with_the_elements() -> None:
    small, large = program_size(20), program_size(400)
    assert large == small, (small, large)


def test_the_bundled_arrayed_model_is_unchanged() -> None:
    arrayed = stockflow.load(ROOT / "specs" / "girfec-arrayed" / "girfec-arrayed.sfm")
    plain = stockflow.load(ROOT / "specs" / "girfec" / "girfec.sfm")
    a, b = arrayed.run(backend="jax"), plain.run(backend="jax")
    for level in ("universal", "additional", "targeted", "intensive"):
        np.testing.assert_allclose(a[f"children[{level}]"], b[level], rtol=1e-12)


FORMS = [  # an auxiliary's apply-to-all equation, over element i of `x` (stocks) and `k` (params)
    "x[i] * k[i]",
    "min(x[i], 50) * k[i] + max(x[i] - 80, 0) * 0.01",
    "if x[i] > 40 then k[i] * 2 else k[i] / 2",
    "curve(x[i] / 10) * k[i]",
    "x[i] / sum(x[i!]) * k[i]",
    "sqrt(x[i] + 1) * k[i] - exp(-x[i] / 100) * 0.1",
    "(x[i] - mean(x[i!])) * 0.001 + k[i]",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 9), forms=st.lists(st.sampled_from(range(len(FORMS))), min_size=1, max_size=3),
       chain=st.booleans(), seed=st.integers(0, 10_000))
def test_generated_arrayed_models_match_the_scalar_code(n: int, forms: list[int], chain: bool, seed: int) -> None:
    """Random apply-to-all equations, with and without a chain between elements (whose ends
    differ in form), on the vectorised JAX path and the scalar NumPy path."""
    rng = np.random.default_rng(seed)
    ks = ", ".join(f"{e}: {v:.4f}" for e, v in zip(range(1, n + 1), rng.uniform(0.01, 0.2, n), strict=True))
    x0 = ", ".join(f"{e}: {v:.2f}" for e, v in zip(range(1, n + 1), rng.uniform(5, 100, n), strict=True))
    lines = [f"dim i = range(1, {n})", f"stock x[i] = {{{x0}}}", f"param k[i] = {{{ks}}}",
             "lookup curve = [(0, 0.5), (5, 1), (10, 2)]"]
    for j, f in enumerate(forms):
        lines.append(f"aux a{j}[i] = {FORMS[f]}")
    total = " + ".join(f"a{j}[i]" for j in range(len(forms)))
    lines.append(f"flow grow[i]: outside -> x[i] = x[i] * 0.01 + ({total}) * 0.1")
    lines.append("flow shrink[i]: x[i] -> outside = x[i] * k[i] * 0.5")
    if chain:
        lines.append(f"flow pass[i]: x[i] -> x[i + 1] = x[i] * 0.05 {{ where i < {n} }}")
    lines.append("aux total = sum(x[i])")
    m = model("\n".join(lines) + "\n", stop=5, method="rk4")
    a, b = m.run(backend="numpy"), m.run(backend="jax")
    scale = np.abs(a.values).max()
    assert np.abs(a.values - b.values).max() <= 1e-12 * scale


def lookup_chain(n: int, props: str) -> str:
    """A chain whose flows each read their own element's table (same length, different
    points), at arguments below, inside and beyond the tables."""
    tabs = ", ".join(f"{e}: [(0, {1 + e * 0.1:.2f}), (20, {2 + e * 0.05:.2f}), (40, {2.5 + e * 0.01:.2f})]"
                     for e in range(1, n))
    return f"""model lk
time {{ start 0 stop 10 dt 0.25 units year }}
dim i = range(1, {n})
stock x[i] = {{1: 100, else: 30}}
lookup eff[i] = {{ {tabs}, else: [(0, 1), (20, 1.5), (40, 2.2)] }} {{ {props} }}
flow move[i] [1/year]: x[i] -> x[i + 1] = x[i] * 0.1 [1/year] * eff[i](x[i] - 40) {{ where i < {n} }}
aux total = sum(x[i])
"""


@pytest.mark.parametrize("props", ["", "interpolation step", "extrapolation linear"])
def test_an_arrayed_lookups_elements_are_one_operation(props: str) -> None:
    m = stockflow.load_text(lookup_chain(7, props))
    with x64():
        c = VectorCode(m.checked, jnp, (), ())
    assert [len(s.names) for s in c.steps if isinstance(s, Group)] == [6]  # every `move` element at once
    a, b = m.run(backend="numpy"), m.run(backend="jax")
    args = np.concatenate([a[f"x[{e}]"] for e in range(1, 7)]) - 40
    assert args.min() < 0 and args.max() > 40  # below and beyond the tables, as well as inside
    np.testing.assert_allclose(b.values, a.values, rtol=1e-12, atol=1e-12 * np.abs(a.values).max())


def test_an_arrayed_lookups_program_does_not_grow_with_the_elements() -> None:
    def size(n: int) -> int:
        m = stockflow.load_text(lookup_chain(n, ""))
        with x64():
            fns = build(m.checked, jnp)
            prep = fns.prepare(jnp.asarray(m.param_vector()), 0.25)
            return len(jax.make_jaxpr(lambda y: fns.deriv(y, 0.0, prep))(jnp.ones(fns.layout.n_state)).eqns)

    assert size(10) == size(60)
