"""Power of the sensitivity ratio (p < 0.05) for one patient, by simulation.

Scenarios: a weather sensitivity of 3 (onsets three times as frequent on window days) that a
course halves (follow-up ratio 1.5, sensitivity ratio 0.5) or removes (ratio 1, sensitivity
ratio 1/3), with 12, 24 or 52 weeks of baseline and of follow-up around an 8-week course.
Base onset probability 0.12 per at-risk day, attacks of 14 h on average, complete diary.
Prints the share of patients flagged (two-sided p < 0.05 with the estimate below 1).
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

import numpy as np

from correlation import MethodConfig, analyze
from correlation.simulate import simulate_patient

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def power(weeks: int, prt_sensitivity_factor: float, sensitivity: float = 3.0,
          base_rate: float = 0.12) -> tuple[float, float, float]:
    cfg = MethodConfig(baseline_days=7 * weeks, followup_days=7 * weeks)
    days = 2 * 7 * weeks + 56
    flagged = 0
    computable = 0
    estimates = []
    for seed in range(N):
        sp = simulate_patient(
            seed, report_date=date(2025, 1, 1) + timedelta(days=seed % 365), days=days,
            base_rate=base_rate, sensitivity=sensitivity,
            prt_sensitivity_factor=prt_sensitivity_factor, config=cfg,
        )
        s = analyze(sp.to_series(), cfg).comparison.sensitivity_ratio
        if s.estimate is None or s.p_value is None:
            continue
        computable += 1
        estimates.append(s.estimate)
        flagged += s.p_value < 0.05 and s.estimate < 1
    return flagged / N, computable / N, float(np.median(estimates))


def main() -> None:
    t0 = time.perf_counter()
    print(f"{N} simulated patients per cell; sensitivity 3, base rate 0.12/day")
    print(f"{'scenario':<34} {'weeks':>5} {'power':>6} {'computable':>10} {'median SR':>9}")
    for label, factor in (("halved (true SR 0.5)", 0.25), ("removed (true SR 0.33)", 0.0),
                          ("unchanged (true SR 1, false flags)", 1.0)):
        for weeks in (12, 24, 52):
            pw, comp, med = power(weeks, factor)
            print(f"{label:<34} {weeks:>5} {pw:>6.3f} {comp:>10.3f} {med:>9.2f}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
