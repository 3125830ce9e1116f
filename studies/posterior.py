"""The bundled Scottish fit's posterior against its fitted intervals: time, diagnostics, and
each parameter's 95% credible interval beside the fit's (Laplace or profile) one.

Run: python studies/posterior.py [--draws 500] [--chains 4]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stockflow.calibrate import calibrate
from stockflow.numbers import value_text

CAL = Path(__file__).resolve().parents[1] / "specs" / "scotland_looked_after" / "calibrate.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--chains", type=int, default=4)
    a = ap.parse_args()
    t0 = time.perf_counter()
    fit = calibrate(CAL)
    t1 = time.perf_counter()
    post = fit.posterior(draws=a.draws, chains=a.chains)
    t2 = time.perf_counter()
    print(f"fit {t1 - t0:.1f} s; posterior ({a.chains} chains of {a.draws} draws after as many warm-up) "
          f"{t2 - t1:.1f} s; mixed: {post.mixed}; divergences: {post.divergences}")
    s = post.summary().set_index("parameter")
    print(f"{'parameter':34} {'fit interval':>28} {'kind':>8} {'credible interval':>28} {'R-hat':>6} {'ESS':>6}")
    for e in fit.estimates:
        r = s.loc[e.name]
        print(f"{e.name:34} {'[' + value_text(e.low) + ', ' + value_text(e.high) + ']':>28} {e.interval:>8} "
              f"{'[' + value_text(r.low) + ', ' + value_text(r.high) + ']':>28} {r.rhat:6.3f} "
              f"{min(r.ess_bulk, r.ess_tail):6.0f}")


if __name__ == "__main__":
    main()
