"""Dimensions: their elements, subranges, and the index names an arrayed equation binds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...base.diagnostics import Diagnostic, error
from ...base.hints import did_you_mean
from ...base.names import as_element_name, canonical, is_identifier
from ...ir import ast as A


@dataclass(frozen=True)
class Dim:
    name: str  # as declared
    elements: tuple[str, ...]  # as declared
    parent: str | None  # canonical name of the dimension this is a subrange of
    numeric: bool  # elements are whole numbers: an index's value is the number itself
    maps: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension, the element of it for each of ours)
    ids: tuple[str, ...] = field(init=False, compare=False)  # canonical elements
    _at: dict[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        ids = tuple(canonical(e) for e in self.elements)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "_at", {e: i for i, e in enumerate(ids)})

    def position(self, element: str) -> int | None:
        return self._at.get(canonical(element))

    def mapped(self, dim: str) -> tuple[str, ...] | None:
        """Our elements' counterparts in dimension `dim` (canonical), when we map onto it."""
        return next((elements for target, elements in self.maps if target == dim), None)


@dataclass(frozen=True)
class Bound:
    """An index name an equation binds (`level`, or an alias such as `from`) to one element."""

    dim: Dim
    position: int

    @property
    def element(self) -> str:
        return self.dim.ids[self.position]

    @property
    def value(self) -> float:
        """What the index name means in arithmetic or `where`: a numeric dimension's number,
        else the element's position from 1."""
        return float(self.dim.elements[self.position]) if self.dim.numeric else float(self.position + 1)


def read_dims(decls: tuple[A.Decl, ...], errors: list[Diagnostic]) -> dict[str, Dim]:
    out: dict[str, Dim] = {}
    for d in decls:
        if not isinstance(d, A.DimDecl):
            continue
        key = canonical(d.name)
        if not is_identifier(d.name):
            errors.append(error("E003", f"`{d.name}` is not a valid dimension name", d.span,
                                "use letters, digits and _, starting with a letter"))
            continue
        if key in out:
            errors.append(error("E011", f"dimension `{d.name}` is declared twice", d.span, "rename or remove one"))
            continue
        if not d.elements:
            errors.append(error("E090", f"dimension `{d.name}` has no elements", d.span,
                                "list them: `dim level = [universal, additional]`"))
            continue
        if _elements_ok(d, errors):
            numeric = all(e.lstrip("-").isdigit() for e in d.elements)
            out[key] = Dim(d.name, d.elements, canonical(d.parent) if d.parent else None, numeric)
    for d in decls:
        if isinstance(d, A.DimDecl) and d.parent and canonical(d.name) in out:
            _check_subrange(d, out, errors)
    for d in decls:
        if isinstance(d, A.DimDecl) and d.maps and canonical(d.name) in out:
            _check_maps(d, out, errors)
    return out


def _check_maps(d: A.DimDecl, dims: dict[str, Dim], errors: list[Diagnostic]) -> None:
    """`maps region [west, east]`: one element of `region` for each element, in order."""
    me = dims[canonical(d.name)]
    for target, elements in d.maps:
        other = dims.get(canonical(target))
        if other is None:
            errors.append(error("E091", f"`{d.name}` maps onto `{target}`, which is not a dimension", d.span,
                                did_you_mean(target, [x.name for x in dims.values()]) or "declare it first"))
            continue
        if len(elements) != len(me.elements):
            errors.append(error("E092", f"`{d.name}` has {len(me.elements)} elements but its map onto `{target}` gives "
                                f"{len(elements)}", d.span, f"give one element of `{target}` for each, in order"))
            continue
        bad = next((e for e in elements if other.position(e) is None), None)
        if bad is not None:
            errors.append(error("E091", f"`{bad}` is not an element of `{target}`", d.span,
                                did_you_mean(bad, other.elements) or "its elements: " + ", ".join(other.elements[:12])))
            continue
        counterparts = (canonical(target), tuple(canonical(e) for e in elements))
        me = dims[canonical(d.name)] = replace(me, maps=(*me.maps, counterparts))


def _elements_ok(d: A.DimDecl, errors: list[Diagnostic]) -> bool:
    seen: set[str] = set()
    for i, e in enumerate(d.elements):
        span = d.element_spans[i] if i < len(d.element_spans) else d.span
        if not (is_identifier(e) or e.lstrip("-").isdigit()):
            errors.append(error("E090", f"element `{e}` of `{d.name}` is not a name or a whole number", span,
                                f"use letters, digits and _: `{as_element_name(d.name, e)}`"))
            return False
        if canonical(e) in seen:
            errors.append(error("E090", f"element `{e}` appears twice in `{d.name}`", span, "keep one"))
            return False
        seen.add(canonical(e))
    return True


def _check_subrange(d: A.DimDecl, dims: dict[str, Dim], errors: list[Diagnostic]) -> None:
    parent = dims.get(canonical(d.parent or ""))
    if parent is None:
        errors.append(error("E091", f"`{d.name}` is a subrange of `{d.parent}`, which is not a dimension", d.span,
                            did_you_mean(d.parent or "", [x.name for x in dims.values()]) or "declare it first"))
        del dims[canonical(d.name)]
        return
    for i, e in enumerate(d.elements):
        if parent.position(e) is None:
            span = d.element_spans[i] if i < len(d.element_spans) else d.span
            errors.append(error("E091", f"`{e}` is not an element of `{parent.name}`", span,
                                did_you_mean(e, parent.elements) or "elements: " + ", ".join(parent.elements)))
            del dims[canonical(d.name)]
            return
