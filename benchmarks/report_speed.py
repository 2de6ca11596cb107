"""Time one report: two years of hourly pressure and 300 attacks (prints medians)."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np

from correlation import Attack, Course, PatientSeries, analyze
from correlation.simulate import simulate_pressure


def main() -> None:
    rng = np.random.default_rng(1)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    hours = 24 * 731
    pressure = simulate_pressure(start, hours, rng)
    pressure[rng.random(hours) < 0.02] = np.nan
    onsets = np.sort(rng.choice(729 * 24, 300, replace=False))
    attacks = [
        Attack(start + timedelta(hours=int(h) + 24), start + timedelta(hours=int(h) + 38),
               "migraine" if i % 7 else "headache")
        for i, h in enumerate(onsets)
    ]
    series = PatientSeries(
        timezone="Europe/London", pressure_start=start, pressure_hpa=pressure,
        attacks=attacks, tracking_start=date(2024, 5, 2), report_date=date(2026, 4, 30),
        course=Course("PRT", date(2025, 12, 1), date(2026, 1, 25)),
    )
    analyze(series)
    runs = []
    for _ in range(50):
        t0 = time.perf_counter()
        report = analyze(series)
        runs.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    report.to_dict(include_days=True)
    dict_ms = (time.perf_counter() - t0) * 1e3
    print(f"analyze: median {statistics.median(runs) * 1e3:.2f} ms over 50 runs "
          f"({len(report.days)} days, {hours} hours, {len(attacks)} attacks)")
    print(f"to_dict(include_days=True): {dict_ms:.2f} ms")


if __name__ == "__main__":
    main()
