"""Hypothesis strategies for spec ASTs and random stock-flow models."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from stockflow.compiler.base.names import BUILTIN_UNITS, RESERVED
from stockflow.compiler.ir import ast as A

names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in RESERVED)
unit_names = st.from_regex(r"[a-z][a-z]{0,5}", fullmatch=True).filter(
    lambda n: n not in RESERVED and n not in BUILTIN_UNITS)
numbers = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
signed = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
tags = st.from_regex(r"[a-z]{1,6}(-[a-z]{1,6})?", fullmatch=True)


@st.composite
def units(draw: st.DrawFn) -> A.UnitExpr:
    factors = draw(st.dictionaries(unit_names, st.integers(-3, 3).filter(bool), max_size=3))
    scale = Fraction(draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    return A.UnitExpr(tuple(sorted(factors.items())), scale)


leaves = st.one_of(
    st.builds(A.Num, numbers),
    st.builds(A.Num, numbers, units()),
    st.builds(A.Name, names),
    st.just(A.Name("time")),
)


def _extend(children: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    return st.one_of(
        st.builds(A.BinOp, st.sampled_from(list(A.BinOpKind)), children, children),
        st.builds(A.Neg, children),
        st.builds(A.Compare, st.sampled_from(list(A.CompareKind)), children, children),
        st.builds(A.Logic, st.sampled_from(["and", "or"]), children, children),
        st.builds(A.Not, children),
        st.builds(A.If, children, children, children),
        st.builds(A.Call, names, st.lists(children, min_size=1, max_size=3).map(tuple)),
    )


exprs = st.recursive(leaves, _extend, max_leaves=12)
docs = st.builds(A.Doc, st.none() | texts, st.none() | texts, st.none() | texts)
maybe_units = st.none() | units()


@st.composite
def specs(draw: st.DrawFn) -> A.Spec:
    pool = draw(st.lists(names, min_size=10, max_size=10, unique=True))
    unit_pool = draw(st.lists(unit_names, min_size=2, max_size=2, unique=True))
    endpoint = st.none() | st.sampled_from(pool)
    decls: list[A.Decl] = [
        A.UnitDecl(unit_pool[0], None, draw(st.none() | texts)),
        A.UnitDecl(unit_pool[1], draw(st.none() | units()), draw(st.none() | texts)),
        A.StockDecl(pool[0], draw(exprs), draw(maybe_units), draw(st.booleans()), draw(docs)),
        A.FlowDecl(pool[1], draw(endpoint), draw(endpoint), draw(exprs), draw(maybe_units),
                   tuple(draw(st.lists(tags, max_size=2))), draw(st.booleans()), draw(docs)),
        A.AuxDecl(pool[2], draw(exprs), draw(maybe_units), draw(docs)),
        A.ParamDecl(pool[3], draw(signed), draw(maybe_units),
                    draw(st.none() | st.tuples(signed, signed)), draw(docs)),
        A.LookupDecl(pool[4], tuple(draw(st.lists(st.tuples(signed, signed), min_size=1, max_size=4))),
                     draw(maybe_units), draw(maybe_units), draw(st.sampled_from(list(A.Interpolation))),
                     draw(st.sampled_from(list(A.Extrapolation))), draw(docs)),
        A.MetricDecl(pool[5], draw(exprs), draw(maybe_units), draw(docs)),
        A.GroupDecl(pool[6], tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))), draw(docs)),
        A.ExpectDecl(pool[8], draw(exprs), draw(st.none() | st.tuples(signed, signed)), draw(docs)),
        A.ScenarioDecl(pool[9], draw(st.none() | texts), draw(st.none() | names),
                       tuple(A.ScenarioSet(n, draw(signed), change=A.Change(*draw(st.sampled_from([
                           (None, None, None), (draw(signed), None, None), (draw(signed), draw(signed), None),
                           (None, None, draw(signed)), (draw(signed), None, draw(signed))]))))
                             for n in draw(st.lists(names, max_size=2, unique_by=str.lower))),
                       tuple(A.ScenarioScale(t, draw(signed), A.Change(*draw(st.sampled_from([
                           (None, None), (draw(signed), None), (draw(signed), draw(signed))]))))
                             for t in draw(st.lists(tags, max_size=2))), draw(docs),
                       report=tuple(draw(st.lists(names, max_size=2)))),
    ]
    order = draw(st.permutations(range(len(decls))))
    start = draw(st.floats(-100, 100, allow_nan=False))
    time = A.TimeSpec(start, start + draw(st.floats(1, 100)), draw(st.floats(0.01, 1)),
                      draw(st.sampled_from(["year", "month", "day"])), draw(st.sampled_from(list(A.Method))),
                      draw(st.none() | st.floats(0.01, 5)))
    info = A.ModelInfo(pool[7], draw(st.none() | texts), draw(st.none() | texts))
    extends = draw(st.none() | st.sampled_from(["base.sfm", "stockflow:girfec", "../shared/a b.yaml"]))
    overrides: list[A.Override] = []
    removals: list[A.Removal] = []
    if extends is not None:
        overridden = draw(st.lists(names, max_size=3, unique=True))
        overrides = []
        for n in overridden:
            value = draw(st.none() | exprs)  # a new value, or (for a lookup) a new table, or neither
            points = draw(st.none() | st.lists(st.tuples(signed, signed), min_size=1, max_size=3).map(tuple)) \
                if value is None else None
            overrides.append(A.Override(n, value, None, draw(maybe_units),
                                        draw(st.none() | st.lists(tags, min_size=1, max_size=2).map(tuple)),
                                        draw(st.none() | st.tuples(signed, signed)), draw(st.sampled_from([None, True])),
                                        draw(docs), None, draw(st.none() | st.tuples(signed, signed)), points=points))
        removals = [A.Removal(n) for n in draw(st.lists(names, max_size=2))]
        time = draw(st.none() | st.just(time))
    return A.Spec(info, time, tuple(decls[i] for i in order), extends=extends, overrides=tuple(overrides),
                  removals=tuple(removals))


@st.composite
def stock_flow_models(draw: st.DrawFn) -> str:
    """A random, valid model in DSL text: stocks joined by first-order flows."""
    n = draw(st.integers(2, 5))
    lines = ["unit thing"]
    for i in range(n):
        nn = " { non_negative }" if draw(st.booleans()) else ""
        lines.append(f"stock s{i} [thing] = {draw(st.floats(0, 100)):.6g}{nn}")
    k = 0
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                rate = draw(st.floats(0, 2))
                lines.append(f"flow f{k} [thing/year]: s{i} -> s{j} = s{i} * {rate:.6g} [1/year]")
                k += 1
    for i in range(n):
        if draw(st.booleans()):
            lines.append(f"flow in{i} [thing/year]: outside -> s{i} = {draw(st.floats(0, 10)):.6g} [thing/year]"
                         f" * (1 + sin(time / 1 year))")
        if draw(st.booleans()):
            lines.append(f"flow out{i} [thing/year]: s{i} -> outside = {draw(st.floats(0, 3)):.6g} [thing/year]")
    lines.append(f"group all_stocks = [{', '.join(f's{i}' for i in range(n))}]")
    return "\n".join(lines)
