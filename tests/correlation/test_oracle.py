"""The analysis agrees with an independent plain implementation of DESIGN.md (counts exactly,
intervals to 1e-6), on simulated patients across timezones, DST and pressure gaps, and through
`migraine-weather analyze` on a file pair it has never seen."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from correlation import analyze
from correlation.simulate import simulate_patient
from tests.correlation.oracle import analyse

ZONES = ["Europe/London", "America/Chicago", "Asia/Kolkata", "Australia/Adelaide", "UTC"]
COUNTS = ["covered_days", "migraine_days", "weather_linked_days", "non_weather_days",
          "unclassified_days", "window_days", "nonwindow_days", "onsets_window",
          "at_risk_window_days", "onsets_nonwindow", "at_risk_nonwindow_days",
          "migraine_window_days", "migraine_nonwindow_days"]


def _patient(seed: int):
    rng = np.random.default_rng(seed)
    sim = simulate_patient(seed, report_date=date(2026, 3, 1) + timedelta(days=int(seed % 7) * 37),
                           days=300, timezone=ZONES[seed % len(ZONES)], base_rate=0.2,
                           sensitivity=2.5, prt_sensitivity_factor=0.5)
    p = sim.pressure_hpa.copy()
    p[rng.random(p.size) < 0.03] = np.nan  # scattered gaps
    k = int(rng.integers(0, p.size - 80))
    p[k:k + 60] = np.nan  # and one long one
    sim.pressure_hpa = p
    return sim.to_series()


def _compare(mine: dict, theirs: dict) -> None:
    for name, expected in theirs.items():
        got = mine["periods"][name]
        for key in COUNTS:
            assert got[key] == expected[key], (name, key)
        rr, want = got["exposure_rate_ratio"], expected["exposure_rate_ratio"]
        if want["estimate"] is None:
            assert rr["estimate"] is None
        else:
            for key in ("estimate", "ci_low", "ci_high"):
                if want[key] is None:
                    assert rr[key] is None
                else:
                    assert rr[key] == pytest.approx(want[key], rel=1e-6, abs=1e-9), (name, key)
        if expected["attributable_mmd"] is None:
            assert got["attributable_mmd"] is None
        else:
            assert got["attributable_mmd"] == pytest.approx(expected["attributable_mmd"],
                                                            rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_counts_and_intervals_match_the_independent_implementation(seed):
    series = _patient(seed)
    _compare(analyze(series).to_dict(), analyse(series))


def test_analyze_command_on_an_unseen_file_pair(tmp_path):
    series = _patient(42)
    attacks = tmp_path / "attacks.csv"
    with attacks.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["started_at", "ended_at", "kind"])
        for a in series.attacks:
            writer.writerow([a.started_at.isoformat(),
                             a.ended_at.isoformat() if a.ended_at else "", a.kind])
    pressure = tmp_path / "pressure.csv"
    with pressure.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["observed_at", "surface_pressure_hpa"])
        for i, value in enumerate(series.pressure_hpa):
            hour = series.pressure_start + timedelta(hours=i)
            writer.writerow([hour.isoformat(), "" if np.isnan(value) else repr(float(value))])
    result = CliRunner().invoke(main, [
        "analyze", "--attacks", str(attacks), "--pressure", str(pressure),
        "--timezone", series.timezone,
        "--course-start", series.course.started_on.isoformat(),
        "--course-end", series.course.ended_on.isoformat(),
        "--tracking-start", series.tracking_start.isoformat(),
        "--report-date", series.report_date.isoformat(), "--format", "json",
    ])
    assert result.exit_code == 0, result.output
    _compare(json.loads(result.output), analyse(series))
