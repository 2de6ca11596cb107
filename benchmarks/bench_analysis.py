"""Speed and memory of the analysis (DESIGN "Scale"): prints medians, rates and peak memory.

1. One patient: two years of hourly pressure (2% scattered gaps) and 300 attacks.
2. A cohort of 1,000 simulated patients (nine months each): patients per second for the
   per-patient reports, then the cohort summary over them.

Run: .venv/bin/python benchmarks/bench_analysis.py
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import numpy as np

from correlation import Attack, Course, PatientSeries, analyze, cohort_summary
from correlation.simulate import simulate_patient, simulate_pressure


def one_patient() -> PatientSeries:
    """Two years of hourly pressure and 300 attacks for one patient."""
    rng = np.random.default_rng(1)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    hours = 24 * 731
    pressure = simulate_pressure(start, hours, rng)
    pressure[rng.random(hours) < 0.02] = np.nan
    onsets = np.sort(rng.choice(729, 300, replace=False)) * 24 + rng.integers(0, 20, 300)
    attacks = [
        Attack(start + timedelta(hours=int(h) + 24), start + timedelta(hours=int(h) + 34),
               "migraine" if i % 7 else "headache")
        for i, h in enumerate(onsets)
    ]
    return PatientSeries(
        timezone="Europe/London", pressure_start=start, pressure_hpa=pressure,
        attacks=attacks, tracking_start=date(2024, 5, 2), report_date=date(2026, 4, 30),
        course=Course("PRT", date(2025, 12, 1), date(2026, 1, 25)),
    )


def main() -> None:
    series = one_patient()
    analyze(series)
    runs = []
    for _ in range(101):
        t0 = time.perf_counter()
        report = analyze(series)
        runs.append(time.perf_counter() - t0)
    json_runs = []
    for _ in range(21):
        t0 = time.perf_counter()
        report.to_dict(include_days=True)
        json_runs.append(time.perf_counter() - t0)
    tracemalloc.start()
    analyze(series).to_dict(include_days=True)
    _, peak_one = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_ms = statistics.median(runs) * 1e3
    print(f"one patient ({len(report.days)} days, {len(series.pressure_hpa)} hours, "
          f"{len(series.attacks)} attacks): median {one_ms:.2f} ms per report "
          f"(target < 10 ms: {10 / one_ms:.1f}x headroom); JSON with days "
          f"{statistics.median(json_runs) * 1e3:.2f} ms; peak memory {peak_one / 2**20:.1f} MiB")

    n = 1000
    t0 = time.perf_counter()
    cohort = [simulate_patient(seed, report_date=date(2026, 11, 1), days=270).to_series()
              for seed in range(n)]
    sim_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    reports = [analyze(s) for s in cohort]
    analyse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cohort_summary(reports).to_dict()
    pool_s = time.perf_counter() - t0
    del reports
    # Memory is traced in a second pass: tracemalloc slows allocation several-fold.
    tracemalloc.start()
    reports = [analyze(s) for s in cohort]
    cohort_summary(reports).to_dict()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"cohort of {n}: {n / analyse_s:.0f} patients/s ({analyse_s * 1e3 / n:.2f} ms each; "
          f"simulating them took {sim_s:.1f} s); cohort summary {pool_s * 1e3:.1f} ms; "
          f"peak memory holding all {n} reports {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
