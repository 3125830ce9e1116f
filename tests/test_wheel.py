"""Packaging: the wheel installs into a fresh environment and its CLI works from there."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist)], check=True)
    wheel = next(dist.glob("stockflow-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "stockflow/grammars/expr.lark" in names and "stockflow/grammars/model.lark" in names
    assert "stockflow/grammars/xmile.lark" in names and "stockflow/compiler/read/xmile/read.py" in names
    assert "stockflow/compiler/passes/lower.py" in names and "stockflow/runtime/_simulate.py" in names
    assert "stockflow/py.typed" in names and "stockflow/cli/explore.py" in names
    for f in (ROOT / "src" / "stockflow" / "assets").rglob("*.*"):  # the explorer's page, scripts and uPlot
        assert f"stockflow/{f.relative_to(ROOT / 'src' / 'stockflow').as_posix()}" in names, f
    assert "stockflow/specs/girfec/girfec.sfm" in names and "stockflow/specs/girfec-city/girfec-city.sfm" in names
    # every file a bundled spec or calibration names ships with it (the data of a calibration too)
    for f in (ROOT / "specs").rglob("*"):
        if f.suffix in (".sfm", ".yaml", ".csv") and "fit" not in f.parts:
            assert f"stockflow/{f.relative_to(ROOT).as_posix()}" in names, f
    # Never bare top-level packages named after the repo's folders.
    assert not [n for n in names if n.split("/")[0] in ("compiler", "runtime", "grammars", "specs", "tests")]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    py = bindir / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # The dependencies (JAX, sympy, ...) come from this environment, read-only, through a .pth
    # file: only stockflow itself is taken from the wheel.
    site = subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   text=True).strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "_stockflow_test_deps.pth").write_text("\n".join(deps) + "\n")

    where = subprocess.check_output(
        [str(py), "-c", "import importlib.util as u, stockflow, stockflow.compiler, stockflow.runtime; "
                        "print(stockflow.__file__); print(u.find_spec('compiler'), u.find_spec('runtime'))"],
        text=True, cwd=tmp_path).splitlines()
    assert where[0].startswith(str(venv)) and where[1] == "None None"

    check = subprocess.run([str(bindir / "stockflow"), "check", "stockflow:girfec"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    city = subprocess.run([str(bindir / "stockflow"), "check", "stockflow:girfec-city"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert city.returncode == 0, city.stderr  # its `extends` finds the base inside the installed package
    out = tmp_path / "girfec.csv"
    run = subprocess.run([str(bindir / "stockflow"), "run", "stockflow:girfec", "-o", str(out)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "total_cost" in run.stdout and out.stat().st_size > 10_000
    page = tmp_path / "explorer.html"
    exp = subprocess.run([str(bindir / "stockflow"), "explore", "stockflow:girfec", "-o", str(page)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert exp.returncode == 0 and "uPlot" in page.read_text(encoding="utf-8"), exp.stderr
    # XMILE out and back in, from the installed package (its grammar ships as package data)
    xm = tmp_path / "girfec.xmile"
    exp = subprocess.run([str(bindir / "stockflow"), "export", "stockflow:girfec", "-o", str(xm)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert exp.returncode == 0, exp.stderr
    imp = subprocess.run([str(bindir / "stockflow"), "run", str(xm)], cwd=tmp_path, capture_output=True, text=True)
    assert imp.returncode == 0, imp.stderr

    # Every bundled spec checks from the installed package (the files it names are there; their
    # runs against their reality checks are tested in the source tree: test_cli, test_girfec,
    # test_arrays); the bundled calibration finds its data there.
    import importlib.util

    names = sorted(d.name for d in (ROOT / "specs").iterdir() if d.is_dir() and any(d.glob("*.sfm")))
    res = subprocess.run([str(bindir / "stockflow"), "check", *(f"stockflow:{n}" for n in names)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode == 0 and f"{len(names)} spec(s) checked: 0 error(s)" in res.stderr + res.stdout, res.stderr
    installed = Path(subprocess.check_output(
        [str(py), "-c", "import stockflow.specs, os; print(os.path.dirname(stockflow.specs.__file__))"],
        text=True, cwd=tmp_path).strip())
    assert installed.is_relative_to(venv) and importlib.util.find_spec("stockflow") is not None
    for cal in sorted(installed.rglob("calibrate.yaml")):
        res = subprocess.run([str(bindir / "stockflow"), "calibrate", str(cal), "--starts", "2"], cwd=tmp_path,
                             capture_output=True, text=True)
        assert res.returncode == 0 and "estimate" in res.stdout, (cal, res.stderr)

    # The README's Python block, from the repository root, as a notebook opened there runs it:
    # the installed package is imported, never the source folders beside it.
    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert block
    res = subprocess.run([str(py), "-c", "import stockflow; print(stockflow.__file__)\n" + block.group(1)],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith(str(venv))
