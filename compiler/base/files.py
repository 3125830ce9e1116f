"""Every file stockflow writes goes through `write_atomic`: a temporary file in the same
folder, flushed to disk, then renamed over the target, so a reader never sees half a file and
a failure leaves the old file as it was. A write to a file that the same command read (the
spec, a base, a data file) is refused: outputs never replace inputs."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from .diagnostics import Span, SpecError, error, printable

Writer = Callable[[BinaryIO], None]


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (after links, `..` and case-folding file systems)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(path: str | Path, inputs: Iterable[str | Path]) -> None:
    """E007 when `path` is one of the files this command read."""
    for src in inputs:
        if str(src).startswith("<"):
            continue
        if Path(path).exists() and same_file(path, src):
            raise SpecError([error("E007", f"refusing to write {path}: it is {src}, which this command read",
                                   None, "write the output to another file name or folder")])


def write_atomic(path: str | Path, data: bytes | str | Writer, inputs: Iterable[str | Path] = ()) -> Path:
    """Write `data` (bytes, text as UTF-8, or a function that writes to a binary file) to `path`."""
    target = Path(path)
    refuse_inputs(target, inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading `'`."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def safe_csv_frame(df: Any) -> Any:
    """A copy of a DataFrame whose text cells (and column names) cannot run as formulas."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(lambda v: safe_cell(v) if isinstance(v, str) else v)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.cat.rename_categories([safe_cell(str(c)) for c in series.cat.categories])
    out.columns = [safe_cell(str(c)) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = [safe_cell(v) if isinstance(v, str) else v for v in out.index]
    return out


# ---------------------------------------------------------------- reading
MAX_PATH_CHARS = 4096
ALLOW_ENV = "STOCKFLOW_ALLOW_READ"  # more folders a spec may read from, os.pathsep-separated


def read_bytes(path: str | Path, limit: int, span: Span | None = None, what: str = "file") -> bytes:
    """A regular file's bytes, refusing anything else (a FIFO, a device, a directory) and
    anything over `limit` bytes before reading it. Problems are E005/E006 at `span`."""
    name = str(path)
    if "\0" in name:
        raise SpecError([error("E005", f"the {what} path holds a NUL byte", span, "write the path without it")])
    if len(name) > MAX_PATH_CHARS:
        raise SpecError([error("E005", f"the {what} path is {len(name)} characters long", span,
                               f"paths are at most {MAX_PATH_CHARS} characters")])
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            raise SpecError([error("E005", f"{printable(name)} is a directory", span, f"give a {what}")])
        if not stat.S_ISREG(st.st_mode):
            raise SpecError([error("E005", f"{printable(name)} is not a regular file", span,
                                   f"give a {what} saved on disk (not a pipe or a device)")])
        if st.st_size > limit:
            raise SpecError([error("E006", f"{printable(name)} is {st.st_size} bytes; the limit is {limit}",
                                   span, "split it, or check that this is the right file")])
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SpecError([error("E005", f"{printable(name)} is not a regular file", span, None)])
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise SpecError([error("E005", f"no such file: {printable(name)}", span, "check the path")]) from None
    except OSError as exc:
        raise SpecError([error("E005", f"cannot read {printable(name)}: {exc.strerror}", span, None)]) from None
    if len(raw) > limit:
        raise SpecError([error("E006", f"{printable(name)} is over {limit} bytes", span,
                               "split it, or check that this is the right file")])
    return raw


def allowed_roots(entry: str | Path) -> tuple[Path, ...]:
    """The folders a spec given as `entry` may read from: the folder above its own, and below
    (so a city's spec reaches a sibling base and `fit/calibrated.sfm` its model), the bundled
    specs, and any folder the user allowed (`--allow-read`, STOCKFLOW_ALLOW_READ)."""
    from importlib import resources

    here = Path(os.path.realpath(Path(entry).parent if not str(entry).startswith("<") else Path.cwd()))
    roots = [here.parent if here.parent != here else here]
    try:
        roots.append(Path(os.path.realpath(str(resources.files("stockflow.specs")))))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a broken install
        pass
    extra = os.environ.get(ALLOW_ENV, "")
    roots += [Path(os.path.realpath(p)) for p in extra.split(os.pathsep) if p]
    return tuple(roots)


def check_named(path: str | Path, roots: tuple[Path, ...], span: Span | None, what: str) -> str:
    """A path that a spec names (a base, a model, a data file), refused unless it lies, after
    links are followed, inside one of `roots`."""
    name = str(path)
    if "://" in name:
        raise SpecError([error("E005", f"the {what} is a URL: {printable(name)}", span,
                               "stockflow reads local files only; download it next to the spec")])
    if "\0" in name or len(name) > MAX_PATH_CHARS:
        read_bytes(name, 0, span, what)  # the same refusal, with its message
    real = Path(os.path.realpath(name))
    if not any(real == r or r in real.parents for r in roots):
        raise SpecError([error("E005", f"the {what} {printable(name)} is outside the folders this spec may read",
                               span, "a spec reads files in the folder above its own (and below) and the bundled specs; "
                               f"to allow another folder: `stockflow --allow-read FOLDER ...` or {ALLOW_ENV}")])
    return name
