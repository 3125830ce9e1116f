"""One arrayed equation -> the scalar equation of one element: subscripts become the names of
element variables, reductions become sums (or products, means, minima, maxima) of them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ...base.diagnostics import Diagnostic, Span, error
from ...base.hints import did_you_mean
from ...base.limits import MAX_ELEMENTS
from ...base.names import canonical
from ...ir import ast as A
from ...ir.text import expr_text
from ...ir.walk import children, rebuild
from .dims import Bound, Dim

REDUCTIONS = ("sum", "mean", "prod", "min", "max")


@dataclass(frozen=True)
class Arrayed:
    """An arrayed variable as expressions see it: the dimension at each position and the
    elements that exist (a `where` may leave some out)."""

    name: str
    dims: tuple[Dim, ...]
    exists: frozenset[tuple[str, ...]]
    lookup: bool = False  # an arrayed lookup: a table per element, called as `effect[level](x)`


def element_name(name: str, key: Sequence[str]) -> str:
    return f"{name}[{','.join(key)}]"


class Expander:
    def __init__(self, dims: dict[str, Dim], arrays: dict[str, Arrayed], errors: list[Diagnostic]):
        self.dims = dims
        self.arrays = arrays
        self.errors = errors
        self.refused: set[str] = set()  # arrays whose declaration failed

    def err(self, code: str, msg: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(error(code, msg, span, hint))

    # ---------------------------------------------------------------- expressions
    def __call__(self, e: A.Expr, env: dict[str, Bound]) -> A.Expr:
        named = e.name if isinstance(e, A.Subscript) else e.func if isinstance(e, A.Call) else None
        if named is not None and canonical(named) in self.refused:
            return A.Num(0.0, None, e.span)
        if isinstance(e, A.Subscript):
            return self.subscript(e, env)
        if isinstance(e, A.Call) and (e.at or canonical(e.func) in self.arrays):
            return self.lookup_call(e, env)
        if isinstance(e, A.Name):
            return self.name(e, env)
        if isinstance(e, A.Call) and canonical(e.func) in REDUCTIONS and len(e.args) == 1:
            e = self.whole(e)
            reduced = self.reduction(e, env)
            if reduced is not None:
                return reduced
        return rebuild(e, lambda x: self(x, env))

    def name(self, e: A.Name, env: dict[str, Bound]) -> A.Expr:
        key = canonical(e.name)
        if key in self.arrays and self.arrays[key].lookup:
            arr = self.arrays[key]
            self.err("E092", f"`{e.name}` is a lookup: call its element's table", e.span,
                     f"e.g. `{e.name}[{', '.join(d.name for d in arr.dims)}](x)`")
            return A.Num(0.0, None, e.span)
        if key in self.arrays:
            arr = self.arrays[key]
            dims = ", ".join(d.name for d in arr.dims)
            one = ", ".join(d.elements[0] for d in arr.dims)
            self.err("E092", f"`{e.name}` is arrayed over {dims}: say which elements", e.span,
                     f"`{e.name}[{dims}]` for the element of each, `{e.name}[{one}]` for one, "
                     f"or `sum({e.name}[{dims}])` for the total")
            return A.Num(0.0, None, e.span)
        if key in env:
            return A.Num(env[key].value, None, e.span)
        return e

    def _all_indices(self, name: str, arr: Arrayed, env: dict[str, Bound]) -> str:
        """How to index every dimension: those this equation runs over by their index, the
        others by an element, or summed over (`a[level, young]` or `sum(a[level, band!])`)."""
        bound = {b.dim.name: i for i, b in env.items()}
        if all(d.name in bound for d in arr.dims):
            return f"write `{name}[{', '.join(bound[d.name] for d in arr.dims)}]`"
        one = ", ".join(bound.get(d.name, d.elements[0]) for d in arr.dims)
        total = ", ".join(bound.get(d.name, d.name + "!") for d in arr.dims)
        return f"write `{name}[{one}]` for one element, or `sum({name}[{total}])` for the total"

    def lookup_call(self, e: A.Call, env: dict[str, Bound]) -> A.Expr:
        """`effect[level](x)` -> the call of that element's table, `effect[universal](x)`."""
        arr = self.arrays.get(canonical(e.func))
        args = tuple(self(a, env) for a in e.args)
        if arr is None or not arr.lookup:
            what = "has no dimensions" if arr is None else "is not a lookup"
            self.err("E092", f"`{e.func}` {what}, so `{e.func}[...](...)` does not apply", e.span,
                     f"call a lookup as `{e.func}(x)`" if arr is None else f"write `{e.func}[...]` without `(...)`")
            return A.Num(0.0, None, e.span)
        if not e.at:
            dims = ", ".join(d.name for d in arr.dims)
            self.err("E092", f"the lookup `{e.func}` has a table for each element of {dims}: say which", e.span,
                     f"`{e.func}[{dims}](x)` for each element's own, or `{e.func}[{', '.join(d.elements[0] for d in arr.dims)}](x)`")
            return A.Num(0.0, None, e.span)
        table = self.subscript(A.Subscript(e.func, e.at, e.span), env, call=True)
        return A.Call(table.name, args, e.span) if isinstance(table, A.Name) else table

    def subscript(self, e: A.Subscript, env: dict[str, Bound], call: bool = False) -> A.Expr:
        arr = self.arrays.get(canonical(e.name))
        if arr is not None and arr.lookup and not call:
            self.err("E092", f"`{e.name}` is a lookup: call its element's table", e.span,
                     f"e.g. `{e.name}[{', '.join(d.name for d in arr.dims)}](x)`")
            return A.Num(0.0, None, e.span)
        if arr is None:
            self.err("E092", f"`{e.name}` has no dimensions, so it takes no `[...]`", e.span,
                     f"write `{e.name}` alone, or give it dimensions where it is declared")
            return A.Num(0.0, None, e.span)
        if len(e.indices) != len(arr.dims):
            self.err("E092", f"`{e.name}` has {len(arr.dims)} dimension(s) ({', '.join(d.name for d in arr.dims)}) "
                     f"but {len(e.indices)} index(es) are given", e.span, self._all_indices(e.name, arr, env))
            return A.Num(0.0, None, e.span)
        key = []
        for idx, dim in zip(e.indices, arr.dims, strict=True):
            element = self.index(idx, dim, env, e)
            if element is None:
                return A.Num(0.0, None, e.span)
            key.append(element)
        if tuple(key) not in arr.exists:
            self.err("E093", f"`{element_name(e.name, key)}` does not exist: its `where` leaves it out", e.span,
                     "guard the reference with `where`, or give that element its own equation")
            return A.Num(0.0, None, e.span)
        return A.Name(element_name(canonical(e.name), key), e.span)

    def index(self, idx: A.Expr, dim: Dim, env: dict[str, Bound], at: A.Subscript) -> str | None:
        """The element of `dim` an index picks."""
        shift = 0
        if isinstance(idx, A.BinOp) and idx.op in (A.BinOpKind.ADD, A.BinOpKind.SUB) and isinstance(idx.right, A.Num):
            step = idx.right.value
            if step != int(step):
                self.err("E092", "an index moves by a whole number of elements", idx.span, "e.g. `children[band - 1]`")
                return None
            shift, idx = int(step) if idx.op is A.BinOpKind.ADD else -int(step), idx.left
        if isinstance(idx, A.Num) and shift == 0:
            word = str(int(idx.value)) if idx.value == int(idx.value) else str(idx.value)
            return self.element(word, dim, idx.span)
        if not isinstance(idx, A.Name):
            self.err("E092", "an index is an element, a dimension, or a dimension plus or minus a whole number",
                     idx.span, "e.g. `children[universal]`, `children[level]`, `children[band - 1]`")
            return None
        word = canonical(idx.name)
        if word in env:
            bound = env[word]
            if shift:
                pos = bound.position + shift
                if not 0 <= pos < len(bound.dim.elements):
                    self.err("E093", f"`{idx.name} {'+' if shift > 0 else '-'} {abs(shift)}` runs past the end of "
                             f"`{bound.dim.name}` at element `{bound.dim.elements[bound.position]}`", idx.span,
                             f"leave it out with `where {_within(idx.name, bound.dim.elements, shift)}`, "
                             "or give it its own equation")
                    return None
                bound = Bound(bound.dim, pos)
            mapped = bound.dim.mapped(canonical(dim.name))
            if dim.position(bound.element) is None and mapped is not None:
                return mapped[bound.position]  # `maps`: this element's counterpart in `dim`
            if dim.position(bound.element) is None:
                self.err("E092", f"`{at.name}` runs over `{dim.name}`, but the index `{idx.name}` runs over "
                         f"`{bound.dim.name}`, whose element `{bound.dim.elements[bound.position]}` is not one of "
                         f"`{dim.name}`'s", idx.span,
                         f"index `{at.name}` by `{dim.name}` (or a subrange of it), by one of its elements, or "
                         f"declare how one maps onto the other: `dim {bound.dim.name} = [...] {{ maps {dim.name} [...] }}`")
                return None
            return bound.element
        if shift:
            self.err("E092", f"`{idx.name}` is not a dimension this equation runs over", idx.span,
                     "only an index the equation binds can move by a number")
            return None
        if word in self.dims and word not in env:
            one = ", ".join(self.dims[word].elements[0] if i is idx else expr_text(i) for i in at.indices)
            self.err("E092", f"`{idx.name}` is a dimension, but this equation does not run over it", idx.span,
                     f"add it to the declaration's dimensions, name one element (`{at.name}[{one}]`), or add up "
                     f"over it: `sum({expr_text(at)})`")
            return None
        return self.element(idx.name, dim, idx.span, list(env))

    def element(self, word: str, dim: Dim, span: Span | None, indices: Sequence[str] = ()) -> str | None:
        """The element `word` names; E091 if none, suggesting an element or, where the word is
        a misspelt index of the equation (`kids[lvl]` in an equation over `level`), that."""
        if dim.position(word) is None:
            nor = f", nor an index this equation runs over ({', '.join(indices)})" if indices else ""
            self.err("E091", f"`{word}` is not an element of `{dim.name}`{nor}", span,
                     did_you_mean(word, [*dim.elements, *indices]) or "its elements: " + ", ".join(dim.elements[:12]))
            return None
        return canonical(word)

    # ---------------------------------------------------------------- reductions
    def whole(self, e: A.Call) -> A.Call:
        """`sum(children)`: every element, as Stella reads it, i.e. `sum(children[level!])`.
        An array over one dimension twice (`rate[from: level, to: level]`) must still say
        which elements, as `level!` twice would take the diagonal."""
        arg = e.args[0]
        if not isinstance(arg, A.Name):
            return e
        arr = self.arrays.get(canonical(arg.name))
        names = [d.name for d in arr.dims] if arr is not None and not arr.lookup else []
        if not names or len(set(names)) < len(names):
            return e
        return replace(e, args=(A.Subscript(arg.name, tuple(A.Name(n + "!", arg.span) for n in names), arg.span),))

    def reduction(self, e: A.Call, env: dict[str, Bound]) -> A.Expr | None:
        """`sum(x[level])`: over each dimension named in the argument that the equation does not
        bind, and each written `level!`; None when there is none (an ordinary call)."""
        free = self.free_dims(e.args[0], env)
        if not free:
            return None
        if math.prod(len(d.elements) for d in free) > MAX_ELEMENTS:
            self.err("E006", f"`{e.func}(...)` would add up more than {MAX_ELEMENTS:,} terms", e.span, "use fewer elements")
            return A.Num(0.0, None, e.span)
        arg = _unmark(e.args[0])
        terms = [self(arg, {**env, **inner}) for inner in bindings(free)]
        return combine(canonical(e.func), terms, e.span)

    def free_dims(self, e: A.Expr, env: dict[str, Bound]) -> list[Dim]:
        """Dimensions used as indices in `e` but not bound (or marked `!`), outside reductions."""
        out: dict[str, Dim] = {}
        stack = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, A.Call) and x.at:
                stack.extend(x.args)
            if isinstance(x, A.Subscript) or (isinstance(x, A.Call) and x.at):
                for idx in (x.indices if isinstance(x, A.Subscript) else x.at):
                    if isinstance(idx, A.Name):
                        word = canonical(idx.name)
                        marked = word.endswith("!")
                        word = word.rstrip("!")
                        if word in self.dims and (marked or word not in env):
                            out[word] = self.dims[word]
            elif isinstance(x, A.Call) and canonical(x.func) in REDUCTIONS and x is not e:
                continue
            else:
                stack.extend(children(x))
        return list(out.values())


def _unmark(e: A.Expr) -> A.Expr:
    """`level!` back to `level`, now that the reduction binds it (inner reductions keep theirs)."""
    if isinstance(e, A.Subscript):
        return replace(e, indices=_unmarked(e.indices))
    if isinstance(e, A.Call) and e.at:
        return replace(e, args=tuple(_unmark(a) for a in e.args), at=_unmarked(e.at))
    if isinstance(e, A.Call) and canonical(e.func) in REDUCTIONS:
        return e
    return rebuild(e, _unmark)


def _unmarked(indices: tuple[A.Expr, ...]) -> tuple[A.Expr, ...]:
    return tuple(A.Name(i.name.rstrip("!"), i.span) if isinstance(i, A.Name) else i for i in indices)


def bindings(dims: Sequence[Dim], aliases: Sequence[str] | None = None) -> list[dict[str, Bound]]:
    """Every combination of elements, each dimension bound under its own name (or alias)."""
    names = list(aliases) if aliases is not None else [canonical(d.name) for d in dims]
    out = []
    for combo in itertools.product(*(range(len(d.elements)) for d in dims)):
        out.append({n: Bound(d, p) for n, d, p in zip(names, dims, combo, strict=True)})
    return out


def combine(func: str, terms: list[A.Expr], span: Span | None) -> A.Expr:
    """The terms summed (multiplied) as a balanced tree, so that depth grows with log n."""
    if func in ("min", "max"):
        return terms[0] if len(terms) == 1 else A.Call(func, tuple(terms), span)
    op = A.BinOpKind.MUL if func == "prod" else A.BinOpKind.ADD
    tree = _balanced(op, terms, span)
    return A.BinOp(A.BinOpKind.DIV, tree, A.Num(float(len(terms)), None, span), span) if func == "mean" else tree


def _balanced(op: A.BinOpKind, terms: list[A.Expr], span: Span | None) -> A.Expr:
    while len(terms) > 1:
        terms = [A.BinOp(op, terms[i], terms[i + 1], span) if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]


def constant(e: A.Expr, fail: Callable[[A.Expr], None]) -> float | None:
    """The value of a `where` condition, which uses only numbers and index names."""
    if isinstance(e, A.Num):
        return e.value
    if isinstance(e, A.Neg):
        v = constant(e.operand, fail)
        return None if v is None else -v
    if isinstance(e, A.Not):
        v = constant(e.operand, fail)
        return None if v is None else float(not v)
    if isinstance(e, A.Compare | A.Logic | A.BinOp):
        a, b = constant(e.left, fail), constant(e.right, fail)
        if a is None or b is None:
            return None
        return _apply(e, a, b)
    fail(e)
    return None


def _apply(e: A.Compare | A.Logic | A.BinOp, a: float, b: float) -> float:
    if isinstance(e, A.Logic):
        return float(bool(a) and bool(b)) if e.op == "and" else float(bool(a) or bool(b))
    if isinstance(e, A.Compare):
        ops = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}
        return float(ops[e.op.value])
    ops2 = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else float("nan"), "^": a**b if a or b > 0 else 0.0}
    return ops2[e.op.value]


def _within(index: str, elements: tuple[str, ...], shift: int) -> str:
    """The `where` that keeps `index + shift` inside the dimension: `age != 17`, `age < 16`."""
    if shift > 0:
        return f"{index} != {elements[-1]}" if shift == 1 else f"{index} < {elements[len(elements) - shift]}"
    return f"{index} != {elements[0]}" if shift == -1 else f"{index} > {elements[-shift - 1]}"
