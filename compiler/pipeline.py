"""The compiler's stages, in order: read -> parse -> inherit -> resolve -> lower (units, sympy) -> check.

Reading and parsing are `read_source` and `parse_source` (by file kind); inheritance needs to
find and read bases, so it is `load_spec`; the passes after it are pure functions of the
previous stage's output, listed in `PASSES`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .base.diagnostics import Diagnostic, Span, SpecError, by_position, error, printable, warning
from .base.files import allowed_roots, check_named, read_bytes
from .base.limits import MAX_FILE_BYTES, MAX_XMILE_BYTES
from .base.registry import PREFIX, resolve_spec_path
from .ir import ast as A
from .ir import graph as G
from .ir.model import CheckedModel
from .passes.arrays import expand_arrays
from .passes.checks import check
from .passes.inherit import load_chain
from .passes.lower import lower
from .passes.resolve import resolve
from .read.dsl import parse_dsl

# The passes after inheritance, in order: Spec -> Graph -> CheckedModel -> warnings.
PASSES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("arrays", expand_arrays),  # arrayed declarations written out element by element (compiler/passes/arrays/)
    ("resolve", resolve),  # names, hidden variables, evaluation orders (compiler/passes/resolve.py)
    ("lower", lower),  # units and sympy equations, conservation proved (compiler/passes/lower.py)
    ("check", check),  # warnings about a model that compiles (compiler/passes/checks.py)
)

YAML_SUFFIXES = (".yaml", ".yml")
DSL_SUFFIXES = (".sfm", ".stockflow")
XMILE_SUFFIXES = (".xmile", ".stmx", ".xml", ".itmx")
VENSIM_SUFFIXES = (".mdl", ".vpm", ".vpmx", ".vmf", ".vmfx")
VENSIM_HINT = ("a Vensim model: convert it to XMILE first (xmutil converts .mdl files), then read the .xmile "
               "file (docs/xmile.md)")


@dataclass(frozen=True)
class Source:
    path: str
    text: str


def read_source(path: str | Path, span: Span | None = None) -> Source:
    """Read one spec file: a regular file within the size limit (checked before reading), UTF-8
    without NUL bytes (E005/E006, at the line of the fault). Line endings become `\\n`, so a
    file saved with CR alone reads line by line too."""
    p = Path(path)
    name = str(path)
    if "\0" not in name and p.is_dir():
        raise SpecError([error("E005", f"{printable(name)} is a directory", span, "give a spec file")])
    if p.suffix.lower() not in YAML_SUFFIXES + DSL_SUFFIXES + XMILE_SUFFIXES:
        raise SpecError([error("E005", f"cannot tell the spec language of `{printable(p.name)}`", span,
                               VENSIM_HINT if p.suffix.lower() in VENSIM_SUFFIXES else
                               "name the file *.yaml, *.sfm, or *.xmile/*.stmx for XMILE")])
    limit = MAX_XMILE_BYTES if p.suffix.lower() in XMILE_SUFFIXES else MAX_FILE_BYTES
    raw = read_bytes(name, limit, span, "spec file")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # the byte-order mark Notepad and Excel write
    except UnicodeDecodeError as exc:
        line, col = _place(raw, exc.start)
        raise SpecError([error("E005", f"{printable(name)} is not UTF-8 text: byte {raw[exc.start]:#04x} at line "
                               f"{line}, column {col}", Span(name, line, col, line, col + 1),
                               "save the file as UTF-8")]) from None
    if "\0" in text:
        line, col = _place(raw, raw.index(b"\0"))
        raise SpecError([error("E005", f"{printable(name)} holds a NUL byte at line {line}, column {col}",
                               Span(name, line, col, line, col + 1), "a spec is plain text; remove it")])
    return Source(name, text.replace("\r\n", "\n").replace("\r", "\n"))


def _place(raw: bytes, at: int) -> tuple[int, int]:
    """Line and column (from 1) of byte `at`, counting CR, LF and CRLF as line ends."""
    head = raw[:at].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    line = head.count(b"\n") + 1
    return line, len(head) - (head.rfind(b"\n") + 1) + 1


def parse_source(src: Source) -> A.Spec:
    """One file's AST as written (no bases merged): what `format` prints."""
    if src.path.lower().endswith(YAML_SUFFIXES):
        from .read.yaml_reader import parse_yaml  # each reader is imported when a spec needs it

        return parse_yaml(src.text, src.path)
    if src.path.lower().endswith(XMILE_SUFFIXES):
        return import_xmile(src.text, src.path)
    return parse_dsl(src.text, src.path)


def import_xmile(text: str, file: str) -> A.Spec:
    """An XMILE model as a spec. XMILE tools treat units as labels and never convert between
    them, so units are kept only where they agree without any conversion; otherwise the model
    is imported without units and says why (W106). Either way the numbers are XMILE's."""
    from .read.xmile.read import read_xmile

    with_units = read_xmile(text, file)
    without = read_xmile(text, file, with_units=False)
    plain = _lowered(without)
    if isinstance(plain, SpecError):
        raise plain
    typed = _lowered(with_units)
    if isinstance(typed, SpecError):
        first = typed.diagnostics[0]
        reason, span = first.message, first.span
    else:
        # derivatives too: a smoothing or delay time in other units than the run's is converted
        # in the hidden stock's rate, where XMILE tools would take it as it stands
        # (a stock's initial value and its derivative share its name: compared each on its own)
        before = [plain.equations, plain.initials, plain.derivatives]
        after = [typed.equations, typed.initials, typed.derivatives]
        changed = next((n for b, a in zip(before, after, strict=True) for n, e in b.items() if a.get(n) != e), None)
        if changed is None:
            return with_units
        hidden: list[G.Stock | G.Aux] = [*plain.graph.stocks, *plain.graph.auxes]
        origins = {x.id: x.origin for x in hidden if x.origin is not None}
        owner = origins[changed].owner if changed in origins else changed
        reason = f"`{owner}` would need a unit conversion, which XMILE tools do not make"
        span = next((d.span for d in with_units.decls if d.name.lower() == owner), None)
    note = warning("W106", f"the model's units do not agree, so it was imported without units: {reason}",
                   span or Span(file, 1, 1, 1, 2), "fix the units in the source tool to have them checked")
    return replace(without, notes=(note,))


def _lowered(spec: A.Spec) -> CheckedModel | SpecError:
    try:
        return lower(resolve(expand_arrays(load_chain(spec, _no_base, _no_bases))))
    except SpecError as exc:
        return exc


def _no_bases(path: str, span: Span | None) -> A.Spec:
    raise AssertionError("an XMILE model has no bases")


def _no_base(ref: str, from_file: str, span: Span | None) -> str:
    raise AssertionError("an XMILE model has no bases")


def base_locator(entry: str) -> tuple[Callable[[str, str, Span | None], str], Callable[[str, Span | None], A.Spec]]:
    """How a chain of `extends` started from `entry` finds and reads its bases: `stockflow:NAME`
    or a path relative to the extending file, inside the folders `entry` may read."""
    roots = allowed_roots(entry)

    def locate(ref: str, from_file: str, span: Span | None) -> str:
        if ref.startswith(PREFIX):
            return str(resolve_spec_path(ref, span))
        base_dir = Path(from_file).parent if not from_file.startswith("<") else Path.cwd()
        return check_named(str(base_dir / ref) if "://" not in ref else ref, roots, span, "base")

    def read(path: str, span: Span | None) -> A.Spec:
        return parse_source(read_source(path, span))

    return locate, read


def load_spec(src: Source, sources: dict[str, str] | None = None) -> A.Spec:
    """Parse a spec and merge it onto its bases; records in `sources` every file read that
    parsed as a spec (a file that did not is named in diagnostics, never shown)."""
    locate, read_base = base_locator(src.path)

    def read(path: str, span: Span | None) -> A.Spec:
        base = read_source(path, span)
        try:
            spec = parse_source(base)
        except SpecError as exc:  # not a spec: name the file and the fault, never quote it
            first = exc.diagnostics[0]
            where = f" at line {first.span.line}" if first.span and first.span.file == base.path else ""
            raise SpecError([error(first.code, f"the base {printable(base.path)} does not read as a spec: "
                                   f"{len(exc.diagnostics)} problem(s), the first {first.code}{where}", span,
                                   "check that `extends` names a stockflow spec; `stockflow check` on that file "
                                   "shows its problems")], exc.hidden | {base.path}) from None
        if sources is not None:
            sources[base.path] = base.text
        return spec

    return load_chain(parse_source(src), locate, read)


def parse_text(text: str, file: str = "<spec>", form: str = "dsl") -> A.Spec:
    if form == "yaml":
        from .read.yaml_reader import parse_yaml

        spec = parse_yaml(text, file)
    else:
        spec = parse_dsl(text, file)
    locate, read = base_locator(file)
    return load_chain(spec, locate, read)


def compile_spec(spec: A.Spec) -> CheckedModel:
    """The passes in order; raises SpecError with every error of the failing one."""
    (_, arrays_pass), (_, resolve_pass), (_, lower_pass), (_, check_pass) = PASSES
    model = lower_pass(resolve_pass(arrays_pass(spec)))
    warnings = list(spec.notes) + list(model.diagnostics) + check_pass(model)
    return replace(model, diagnostics=tuple(by_position(warnings)))


def diagnose(spec_or_path: str | Path) -> tuple[list[Diagnostic], dict[str, str]]:
    """All diagnostics for one file, and the sources needed to print them. Where names fail to
    resolve, the declarations not touched by those errors are still lowered and checked, so
    one round of `check` shows unit errors elsewhere too."""
    found, sources, _ = diagnose_built(spec_or_path)
    return found, sources


def diagnose_built(spec_or_path: str | Path) -> tuple[list[Diagnostic], dict[str, str], Built | None]:
    """As `diagnose`, with what was built when the spec compiled: `check --run` runs that
    instead of compiling the spec a second time."""
    sources: dict[str, str] = {}
    try:
        src = read_source(spec_or_path)
        sources[src.path] = src.text
        spec = load_spec(src, sources)
    except SpecError as exc:
        return list(exc.diagnostics), sources, None
    try:
        model = compile_spec(spec)
    except SpecError as exc:
        return by_position(list(exc.diagnostics) + _beyond(spec, exc.diagnostics)), sources, None
    return list(model.diagnostics), sources, Built(model, src.path, spec, tuple(sources))


@dataclass(frozen=True)
class Built:
    """A compiled spec with where it came from: the file, the merged spec, every file read."""

    checked: CheckedModel
    path: str
    spec: A.Spec
    inputs: tuple[str, ...]


def _beyond(spec: A.Spec, found: tuple[Diagnostic, ...], rounds: int = 3) -> list[Diagnostic]:
    """Errors of later stages in the declarations that the errors `found` do not touch: those
    declarations, and everything that uses them, are set aside and the rest compiled again."""
    from .passes.partial import without_failing

    if len(found) > 200 or any(d.code == "E006" for d in found):  # fix those first: a limit holds for all
        return []
    seen = {(d.code, d.span) for d in found}
    out: list[Diagnostic] = []
    for _ in range(rounds):
        rest = without_failing(spec, found)
        if rest is None:
            break
        spec = rest
        try:
            lower(resolve(expand_arrays(spec)))
            break
        except SpecError as exc:
            found = exc.diagnostics
            new = [d for d in found if (d.code, d.span) not in seen]
            seen |= {(d.code, d.span) for d in new}
            out += new
    return out
