"""stockflow's disk cache: what it keeps is read back only when this user wrote it in a folder
no one else can write to, and a broken entry is rebuilt, never a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stockflow.compiler.base import cache
from stockflow.compiler.read.expr import cached_lark


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "c"
    monkeypatch.setenv("STOCKFLOW_CACHE_DIR", str(d))
    return d


def test_built_once_then_loaded(folder: Path) -> None:
    builds = []

    def build() -> list[int]:
        builds.append(1)
        return [1, 2, 3]

    assert cache.cached("x.pickle", build, list, list) == [1, 2, 3]
    assert cache.cached("x.pickle", build, list, list) == [1, 2, 3]
    assert len(builds) == 1
    assert (folder / "x.pickle").exists() and not (folder.stat().st_mode & 0o077)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="ownership checks need POSIX")
def test_an_entry_others_could_have_written_is_not_read(folder: Path) -> None:
    cache.store("x.pickle", "ours")
    folder.chmod(0o777)  # anyone could have replaced it
    assert cache.load("x.pickle") is None
    folder.chmod(0o700)
    (folder / "x.pickle").chmod(0o666)
    assert cache.load("x.pickle") is None


def test_a_broken_entry_is_rebuilt(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    (folder / "x.pickle").write_bytes(b"not a pickle")
    assert cache.cached("x.pickle", lambda: 7, int, int) == 7


def test_the_parser_from_the_cache_parses_as_the_built_one(folder: Path) -> None:
    text = 'start: WORD+\n%import common.WORD\n%import common.WS\n%ignore WS\n'
    built = cached_lark(text)
    assert list(folder.glob("lark-*.pickle"))
    loaded = cached_lark(text)
    assert loaded.parse("a b c") == built.parse("a b c")


def test_no_cache_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKFLOW_CACHE_DIR", "")
    assert cache.cached("x.pickle", lambda: 5, int, int) == 5
    assert cache.load("x.pickle") is None
