"""Whole commands in fresh processes, as people meet stockflow: a single run against PySD's
fresh run of the same model, and each command that issue 15 sets a goal for.

The commands take turns (A B C ... A B C ...), so that a busy spell of a shared machine falls
on all of them; each row gives the median and range of --runs processes, wall and CPU
(user + system, the child's own). Each command runs once untimed first. Python writes
bytecode caches for its users, so the children do too even where this environment turns
that off (PYTHONDONTWRITEBYTECODE), and stockflow's compiled-run cache is a fresh folder,
filled by that first run. --cold evicts every file of Python, its packages, this checkout and
the caches from the OS page cache before each process (posix_fadvise, no root needed), as a
first command after a reboot meets them.
Run: python benchmarks/bench_fresh.py [--runs 6] [--cold] [--only run-euler check ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import GIRFEC, ROOT, pysd_model, tempdir

SCOTLAND = ROOT / "specs" / "scotland_looked_after" / "calibrate.yaml"
ONE_STOCK = """model one
time { start 0  stop 10  dt 0.125  units year }
unit child
stock s [child] = s0
flow inflow [child/year]: outside -> s = joining
flow outflow [child/year]: s -> outside = s * leave_rate
param s0 [child] = 2000 { bounds [100, 10000] }
param joining [child/year] = 400 { bounds [0, 5000] }
param leave_rate [1/year] = 0.2 { bounds [0.05, 1] }
"""
ONE_STOCK_CAL = """model: one.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  s_count: {stock: s, noise: normal, sd: estimate}
estimate:
  s0:
  joining:
  leave_rate:
"""
# name: (what issue 15 asks, or "" where it sets no goal of its own)
GOALS = {
    "python": "", "imports-floor": "", "check": "0.5 s CPU", "run-euler": "half PySD's", "run": "",
    "scenarios": "3 s", "report": "3 s", "calibrate-scotland": "5 s", "calibrate-one-stock": "3 s",
}


def one_stock_files(folder: Path) -> Path:
    """A one-stock model and ten yearly counts made from it (s0 1800, joining 500, leaving 0.1)."""
    t = np.arange(1, 11, dtype=float)
    mean = 5000 + (1800 - 5000) * np.exp(-0.1 * t)
    counts = mean + np.random.default_rng(15).normal(0, 100, t.size)
    (folder / "one.sfm").write_text(ONE_STOCK, encoding="utf-8")
    rows = "".join(f"{int(y)},s_count,{c:.1f}\n" for y, c in zip(t, counts, strict=True))
    (folder / "data.csv").write_text("year,series,value\n" + rows, encoding="utf-8")
    (folder / "cal.yaml").write_text(ONE_STOCK_CAL, encoding="utf-8")
    return folder / "cal.yaml"


def commands(tmp: Path) -> dict[str, list[str]]:
    exe = str(Path(sys.executable).with_name("stockflow"))
    py = sys.executable
    spec = str(GIRFEC)
    xmile = tmp / "girfec.xmile"
    pysd_model(GIRFEC, tmp)  # writes the XMILE export PySD reads
    one = one_stock_files(Path(tmp))
    return {
        "python": [py, "-c", "pass"],
        "imports-floor": [py, "-c", "import numpy, lark, sympy; sympy.Symbol('x') + 1"],
        "check": [exe, "check", spec],
        "run-euler": [exe, "run", spec, "--method", "euler", "-o", str(tmp / "euler.csv")],
        "pysd-run": [py, "-W", "ignore", "-c", f"import pysd; pysd.read_xmile({str(xmile)!r}).run()"],
        "run": [exe, "run", spec, "-o", str(tmp / "rk4.csv")],
        "scenarios": [exe, "run", spec, "--scenarios", "all", "-o", str(tmp / "scenarios.csv")],
        "report": [exe, "report", spec, "-o", str(tmp / "report.html")],
        "calibrate-scotland": [exe, "calibrate", str(SCOTLAND), "-o", str(tmp / "fit-scotland")],
        "calibrate-one-stock": [exe, "calibrate", str(one), "-o", str(tmp / "fit-one")],
    }


def evict(roots: list[Path]) -> None:
    """Drop these files' pages from the OS page cache, so the next process reads them from disk."""
    for root in roots:
        for folder, _, files in os.walk(root):
            for name in files:
                try:
                    fd = os.open(os.path.join(folder, name), os.O_RDONLY)
                except OSError:
                    continue
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # calibrate and check may exit 1 with a verdict; a crash is 2+
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--cold", action="store_true", help="evict the page cache before every process")
    ap.add_argument("--only", nargs="+", help="command names (python, check, run-euler, ...)")
    args = ap.parse_args()
    with tempdir() as name:
        tmp = Path(name)
        cmds = commands(tmp)
        if args.only:
            keep = set(args.only) | ({"pysd-run"} if "run-euler" in args.only else set())
            cmds = {k: v for k, v in cmds.items() if k in keep}
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["STOCKFLOW_CACHE_DIR"] = str(tmp / "cache")
        roots = [Path(sys.base_prefix), Path(sys.prefix), ROOT, tmp, Path.home() / ".cache"]
        for cmd in cmds.values():
            timed(cmd, env)  # bytecode and compiled-run caches
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        for _ in range(args.runs):
            for key, cmd in cmds.items():
                if args.cold:
                    evict(roots)
                times[key].append(timed(cmd, env))
    report(times, args)


def report(times: dict[str, list[tuple[float, float]]], args: argparse.Namespace) -> None:
    cache = "page cache evicted before each (cold)" if args.cold else "page cache warm"
    print(f"fresh processes, {args.runs} each in turns, {cache}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'command':22}{'wall median':>12}{'wall range':>14}{'CPU median':>12}  goal (issue 15)")
    for key, rows in times.items():
        wall = [w for w, _ in rows]
        cpu = statistics.median(c for _, c in rows)
        span = f"{min(wall):.2f}-{max(wall):.2f}"
        print(f"{key:22}{statistics.median(wall):>11.2f}s{span:>14}{cpu:>11.2f}s  {GOALS.get(key, '')}")
    if "run-euler" in times and "pysd-run" in times:
        pairs = [a[0] / b[0] for a, b in zip(times["run-euler"], times["pysd-run"], strict=True)]
        ratio = statistics.median(w for w, _ in times["run-euler"]) / statistics.median(w for w, _ in times["pysd-run"])
        print(f"stockflow run / PySD run, wall: {ratio:.2f} of medians; pair by pair {min(pairs):.2f}-{max(pairs):.2f}"
              " (issue 15: at most 0.5)")


if __name__ == "__main__":
    main()
