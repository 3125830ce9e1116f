"""Recovery studies of calibration: data simulated from known parameters with seeded noise,
fitted by stockflow, and the truth compared with what the report says.

For each setting it prints, per parameter, how often the reported 95% interval covered the
truth (and how often that interval was a profile one), how many fits were reported converged,
how many starts reached the best fit, and how often the report said "every parameter is
determined" while a truth lay outside its interval.

Run: python studies/recovery.py [--sets 100] [--only NAME] [--seeds N ...]   (about 2 s a data set)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stockflow.calibrate import calibrate

THREE = """model three
time { start 0  stop 10  dt 0.125  units year }
unit child
stock u [child] = 8000
stock a [child] = 1500
stock t [child] = 300
flow born [child/year]: outside -> u = births
flow up1 [child/year]: u -> a = u * up1_rate
flow down1 [child/year]: a -> u = a * down1_rate
flow up2 [child/year]: a -> t = a * up2_rate
flow down2 [child/year]: t -> a = t * down2_rate
flow ages_out [child/year]: u -> outside = u * 0.05 [1/year]
param births [child/year] = 500
param up1_rate [1/year] = 0.1
param down1_rate [1/year] = 0.3
param up2_rate [1/year] = 0.08
param down2_rate [1/year] = 0.2
"""
THREE_CAL = """model: three.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  u_count: {stock: u, noise: normal, sd: estimate}
  a_count: {stock: a, noise: normal, sd: estimate}
  t_count: {stock: t, noise: normal, sd: estimate}
  up2_total: {flow: up2, over: 1 year, noise: poisson}
estimate:
  up1_rate: {bounds: [0, 1]}
  down1_rate: {bounds: [0, 2]}
  up2_rate: {bounds: [0, 1]}
  down2_rate: {bounds: [0, 2]}
starts: 4
"""
ONE = """model one
time { start 0  stop 10  dt 0.125  units year }
unit child
stock s [child] = 2000
flow inflow [child/year]: outside -> s = joining
flow outflow [child/year]: s -> outside = s * leave_rate
param joining [child/year] = 400 { bounds [0, 5000] }
param leave_rate [1/year] = 0.2 { bounds [0.05, 1] }
"""
ONE_CAL = """model: one.sfm
data:
  - {file: data.csv, time: year, series: series, value: value}
observe:
  s_count: {stock: s, noise: normal, NOISE}
estimate:
  joining:
  leave_rate:
starts: 6
"""


@dataclass(frozen=True)
class Setting:
    name: str
    model: str
    cal: str
    truth: dict[str, float]
    noise: dict[str, tuple[str, float]]  # series: ("sd", value) | ("cv", value) | ("poisson", 0)
    years: tuple[int, ...] = tuple(range(1, 11))


SETTINGS = [
    Setting("three_levels", THREE, THREE_CAL, {"up1_rate": 0.12, "down1_rate": 0.25, "up2_rate": 0.06,
                                                "down2_rate": 0.3},
            {"u_count": ("sd", 80.0), "a_count": ("sd", 40.0), "t_count": ("sd", 15.0), "up2_total": ("poisson", 0)}),
    Setting("one_stock_stocks_only", ONE, ONE_CAL.replace("NOISE", "sd: estimate"),
            {"joining": 500.0, "leave_rate": 0.1}, {"s_count": ("sd", 150.0)}, years=(1, 2, 3, 4, 5, 6)),
    Setting("one_stock_cv", ONE, ONE_CAL.replace("NOISE", "cv: 0.05"),
            {"joining": 500.0, "leave_rate": 0.1}, {"s_count": ("cv", 0.05)}),
]


def first_fit(s: Setting, folder: Path) -> object:
    """A fit to noise-free data, only to have the compiled problem and the series' layout."""
    (folder / f"{s.model.split()[1]}.sfm").write_text(s.model)
    rows = [(y, name, 100.0 + y) for y in s.years for name in s.noise]
    (folder / "data.csv").write_text("year,series,value\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    (folder / "cal.yaml").write_text(s.cal)
    return calibrate(folder / "cal.yaml", starts=1)


def simulate(fit: object, s: Setting, rng: np.random.Generator) -> list[np.ndarray]:
    prob = fit.problem  # type: ignore[attr-defined]
    z = np.array([p.to_z(s.truth.get(p.name, p.start)) for p in prob.params])
    out = []
    for series, mu in zip(prob.series, prob.predictions(z), strict=True):
        mu = np.asarray(mu, dtype=np.float64)
        kind, value = s.noise[series.obs.series]
        if kind == "poisson":
            out.append(rng.poisson(np.maximum(mu, 0)).astype(float))
        elif kind == "cv":
            out.append(mu + rng.normal(0, value * np.abs(mu)))
        else:
            out.append(mu + rng.normal(0, value, mu.shape))
    return out


def study(s: Setting, sets: int, seeds: tuple[int, ...] = (20261201,)) -> None:
    """`sets` data sets from each seed's noise, counted together."""
    covered = {n: 0 for n in s.truth}
    profile = {n: 0 for n in s.truth}
    by_seed: list[str] = []
    converged = agree = false_all = at_bound = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base = first_fit(s, Path(tmp))
        for seed in seeds:
            rng = np.random.default_rng(seed)
            here = {n: 0 for n in s.truth}
            for _ in range(sets):
                fit = base.with_data(simulate(base, s, rng))  # type: ignore[attr-defined]
                est = {e.name: e for e in fit.estimates}
                inside = {n: est[n].low <= v <= est[n].high for n, v in s.truth.items()}
                for n in s.truth:
                    here[n] += inside[n]
                    profile[n] += est[n].interval == "profile"
                converged += fit.converged
                best = min(fit.start_losses)
                agree += sum(1 for x in fit.start_losses if x - best < 0.01)
                at_bound += any(e.limit in ("lower bound", "upper bound") for e in fit.estimates)
                false_all += "Every parameter, and every combination" in fit.report() and not all(inside.values())
            by_seed.append(f"seed {seed}: " + ", ".join(f"{n} {here[n] / sets:.3f}" for n in s.truth))
            for n in s.truth:
                covered[n] += here[n]
    total = sets * len(seeds)
    secs = time.perf_counter() - t0
    where = f"{sets} from each of seeds {', '.join(map(str, seeds))}" if len(seeds) > 1 else f"seed {seeds[0]}"
    print(f"\n## {s.name}: {total} data sets ({where}), {secs / total:.2f} s a fit")
    print(f"{'parameter':14} {'truth':>8} {'coverage':>9} {'covered':>8} {'95% interval of it':>19} {'profile':>8}")
    for n, v in s.truth.items():
        c = covered[n] / total
        half = 1.96 * (c * (1 - c) / total) ** 0.5
        print(f"{n:14} {v:8g} {c:9.3f} {covered[n]:>8d} {f'{c - half:.3f}-{c + half:.3f}':>19} {profile[n]:8d}")
    if len(seeds) > 1:
        print("each seed alone: " + "; ".join(by_seed))
    print(f"converged {converged}/{total}; starts reaching the best fit {agree / total:.2f} on average; "
          f"a parameter at a bound in {at_bound}; 'every parameter determined' with a truth outside: {false_all} (about "
          f"{1 - 0.95 ** len(s.truth):.0%} of fits when every interval is right)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", type=int, default=100)
    ap.add_argument("--only")
    ap.add_argument("--seeds", type=int, nargs="+", default=[20261201],
                    help="the noise's seeds: --sets data sets from each, counted together")
    a = ap.parse_args()
    print(f"# calibration recovery ({sys.platform}, numpy {np.__version__})")
    for s in SETTINGS:
        if a.only is None or a.only == s.name:
            study(s, a.sets, tuple(a.seeds))


if __name__ == "__main__":
    main()
