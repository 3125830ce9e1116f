"""The compiler's dependencies point one way: each stage package imports only those below it.
Read from the source's import statements (lazy imports inside functions included), so a cycle
or an upward import fails here before it confuses anyone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPILER = ROOT / "compiler"
# Top to bottom; a package may import its own modules and any package below it.
LAYERS = ("pipeline", "write", "analysis", "passes", "codegen", "read", "ir", "base")
PUBLIC = ROOT / "src" / "stockflow"


def _module_of(path: Path, top: Path, pkg: str) -> tuple[str, bool]:
    parts = list(path.relative_to(top).with_suffix("").parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join([pkg, *parts]), is_pkg


def _imports(path: Path, module: str, is_pkg: bool) -> set[str]:
    """What the module imports at run time (imports only for the type checker are left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for top in ast.walk(tree) if isinstance(top, ast.If)
                   and getattr(top.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(top)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            out.add(src)
            out.update(f"{src}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["stockflow", "compiler"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in LAYERS else None


def test_compiler_imports_point_down() -> None:
    wrong = []
    for path in sorted(COMPILER.rglob("*.py")):
        module, is_pkg = _module_of(path, COMPILER, "stockflow.compiler")
        mine = _layer(module)
        if mine is None:
            continue
        for target in _imports(path, module, is_pkg):
            theirs = _layer(target)
            if theirs is not None and LAYERS.index(theirs) < LAYERS.index(mine):
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "imports that point up:\n" + "\n".join(sorted(set(wrong)))


def test_every_compiler_module_is_in_a_layer() -> None:
    loose = [p.name for p in COMPILER.glob("*.py") if p.stem not in ("__init__", "pipeline")]
    assert not loose, f"modules outside the stage packages: {loose}"


def test_no_import_cycles_in_the_public_package() -> None:
    graph: dict[str, set[str]] = {}
    for top, pkg in ((PUBLIC, "stockflow"), (COMPILER, "stockflow.compiler"), (ROOT / "runtime", "stockflow.runtime")):
        for path in top.rglob("*.py"):
            module, is_pkg = _module_of(path, top, pkg)
            graph[module] = {t for t in _imports(path, module, is_pkg) if t in graph or t.startswith("stockflow")}
    known = set(graph)
    for m in graph:
        graph[m] = {t for t in graph[m] if t in known and t != m and not m.startswith(t + ".")}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for t in sorted(graph.get(n, ())):
            if state.get(t) == 1:
                return path[path.index(t):] + [t]
            if t not in state and (found := visit(t)):
                return found
        path.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_readers_never_load_sympy_or_numpy() -> None:
    code = ("import sys, pkgutil, importlib, stockflow.compiler.read as r\n"
            "for m in pkgutil.walk_packages(r.__path__, 'stockflow.compiler.read.'):\n"
            "    importlib.import_module(m.name)\n"
            "heavy = sorted(k for k in ('sympy', 'numpy', 'jax', 'pandas') if k in sys.modules)\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the readers load {out.stdout.strip()}"


def test_checking_a_spec_loads_neither_jax_nor_scipy() -> None:
    """`stockflow check` is what CI pipelines call on every spec: a second of JAX and another
    of scipy.stats at import would be most of its time, for nothing it uses. A DSL spec needs
    no YAML reader either (only a `calibrate { ... }` block's body is YAML)."""
    spec = Path(__file__).resolve().parents[1] / "specs" / "girfec" / "girfec.sfm"
    code = ("import sys, stockflow\n"
            f"assert not [d for d in stockflow.check({str(spec)!r}) if d.severity == 'error']\n"
            "print(','.join(sorted(k for k in ('jax', 'scipy.stats', 'pandas', 'matplotlib', 'yaml')\n"
            "                      if k in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"checking loads {out.stdout.strip()}"
