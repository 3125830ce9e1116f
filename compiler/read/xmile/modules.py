"""XMILE modules, flattened: each `<module name="m">` brings its model's variables in as
`m.x` (nested modules as `m.sub.x`), an input port bound by `<connect to="m.port" from="y"/>`
takes the value of `y` from the enclosing model, and the enclosing model reads the module's
variables as `m.x`. One model results, with qualified names."""

from __future__ import annotations

from dataclasses import dataclass

from ...base.diagnostics import Diagnostic, error
from .names import key
from .xml import Node

MAX_MODULE_DEPTH = 20


@dataclass(frozen=True)
class Entry:
    node: Node  # a variable's element
    prefix: str  # `m.` for a variable of module m (`m.sub.` when nested); "" in the main model
    bound: str | None = None  # an input port's source: the key of a variable in the enclosing model


def models_by_name(models: list[Node]) -> tuple[Node, dict[str, Node]]:
    """The main model (the one without a name) and the others by key of their name."""
    main = next((m for m in models if not m.attrs.get("name")), models[0])
    return main, {key(m.attrs["name"]): m for m in models if m is not main and m.attrs.get("name")}


def variables_of(model: Node) -> Node | None:
    found = model.child("variables")
    if found is None and any(c.tag in ("stock", "flow", "aux", "gf", "module") for c in model.children):
        return model  # Stella 10 and older: the variables directly under <model>
    return found


def flatten(model: Node, others: dict[str, Node], file: str, errors: list[Diagnostic], prefix: str = "",
            path: tuple[str, ...] = ()) -> list[Entry]:
    variables = variables_of(model)
    if variables is None:
        return []
    out: list[Entry] = []
    for node in variables.children:
        if node.prefix:
            continue
        if node.tag != "module":
            out.append(Entry(node, prefix))
            continue
        out += _module(node, others, file, errors, prefix, path)
    return out


def _module(node: Node, others: dict[str, Node], file: str, errors: list[Diagnostic], prefix: str,
            path: tuple[str, ...]) -> list[Entry]:
    name = node.attrs.get("name", "")
    span = node.span(file, len("module") + 1)
    model_key = key(node.attrs.get("model_name") or name)
    sub = others.get(model_key)
    if not name or sub is None:
        errors.append(error("E072", f"module `{name or '?'}` names no <model> of this file", span,
                            f'add <model name="{node.attrs.get("model_name") or name}">, or fix the name'))
        return []
    if model_key in path or len(path) >= MAX_MODULE_DEPTH:
        errors.append(error("E071", f"module `{name}` contains itself", span, "modules must not nest in a cycle"))
        return []
    inner = f"{prefix}{name}."
    ports: dict[str, str] = {}
    for c in node.all("connect"):
        to, src = c.attrs.get("to", ""), c.attrs.get("from", "")
        local = key(to)
        if local.startswith(key(name) + "."):
            local = local[len(key(name)) + 1:]
        ports[local] = key(prefix + src.lstrip("."))
    entries = flatten(sub, others, file, errors, inner, (*path, model_key))
    out = []
    for e in entries:
        own = e.prefix == inner  # a variable of this module (not of one inside it)
        out.append(Entry(e.node, e.prefix, ports.get(key(e.node.attrs.get("name", ""))) if own else e.bound))
    return out
