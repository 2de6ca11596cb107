"""Simulation study: planted weather hazards on exactly DESIGN's window days are recovered.

Each scenario simulates 500 seeded patients (270 days: 84-day baseline, 56-day course, 84-day
follow-up) and analyses them with the default configuration.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from correlation import analyze
from correlation.simulate import simulate_patient

N_PATIENTS = 500

SCENARIOS = {
    # weather sensitivity 3, unchanged by the course: the null for the sensitivity ratio
    "unchanged": dict(base_rate=0.12, sensitivity=3.0, prt_sensitivity_factor=1.0),
    # sensitivity 2 removed by the course: follow-up ratio 1, sensitivity ratio 0.5
    "removed": dict(base_rate=0.12, sensitivity=2.0, prt_sensitivity_factor=0.0),
    # no weather effect at all, but fewer attacks after the course
    "no_weather": dict(base_rate=0.15, sensitivity=1.0, prt_base_factor=0.5),
}


def _run(params: dict) -> dict[str, np.ndarray]:
    keys = ("b_est", "b_lo", "b_hi", "f_est", "f_lo", "f_hi", "s_est", "s_lo", "s_hi", "s_p",
            "r_p")
    out: dict[str, list] = {k: [] for k in keys}
    for seed in range(N_PATIENTS):
        sp = simulate_patient(
            seed, report_date=date(2025, 1, 1) + timedelta(days=seed % 365), **params
        )
        rep = analyze(sp.to_series())
        b = rep.periods["baseline"].exposure_rate_ratio
        f = rep.periods["followup"].exposure_rate_ratio
        s = rep.comparison.sensitivity_ratio
        r = rep.comparison.ratio_of_rate_ratios
        row = (b.estimate, b.ci_low, b.ci_high, f.estimate, f.ci_low, f.ci_high,
               s.estimate, s.ci_low, s.ci_high, s.p_value, r.p_value)
        for k, v in zip(keys, row, strict=True):
            out[k].append(np.nan if v is None else v)
    return {k: np.array(v, dtype=float) for k, v in out.items()}


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, np.ndarray]]:
    return {name: _run(params) for name, params in SCENARIOS.items()}


def _median(est: np.ndarray) -> float:
    # a missing estimate is an unbounded ratio (no onsets on non-window days): count it high
    return float(np.median(np.where(np.isnan(est), np.inf, est)))


def _coverage(lo: np.ndarray, hi: np.ndarray, truth: float) -> float:
    lo = np.where(np.isnan(lo), 0.0, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    return float(np.mean((lo <= truth) & (truth <= hi)))


def test_exposure_rate_ratio_recovers_planted_ratio(results):
    for name, truth_b, truth_f in (("unchanged", 3.0, 3.0), ("removed", 2.0, 1.0),
                                   ("no_weather", 1.0, 1.0)):
        r = results[name]
        assert truth_b / 1.3 < _median(r["b_est"]) < truth_b * 1.3, name
        assert truth_f / 1.3 < _median(r["f_est"]) < truth_f * 1.3, name


def test_exact_intervals_cover_the_truth(results):
    for name, truth_b, truth_f in (("unchanged", 3.0, 3.0), ("removed", 2.0, 1.0),
                                   ("no_weather", 1.0, 1.0)):
        r = results[name]
        assert _coverage(r["b_lo"], r["b_hi"], truth_b) >= 0.93, name
        assert _coverage(r["f_lo"], r["f_hi"], truth_f) >= 0.93, name


def test_sensitivity_ratio_intervals_cover_the_truth(results):
    r = results["removed"]
    computable = ~np.isnan(r["s_est"])
    assert computable.mean() > 0.9
    assert _coverage(r["s_lo"][computable], r["s_hi"][computable], 0.5) >= 0.93


def test_false_flags_under_no_change(results):
    for name in ("unchanged", "no_weather"):
        r = results[name]
        p = r["s_p"][~np.isnan(r["s_p"])]
        assert np.mean(p < 0.05) <= 0.07, name


def test_ratio_of_rate_ratios_false_flags_stay_modest(results):
    # migraine days cluster (one attack can span two days), so the Woolf test on day counts
    # runs a little above its nominal 5% (about 7% here; documented in docs/method.md)
    for name in ("unchanged", "no_weather"):
        q = results[name]["r_p"][~np.isnan(results[name]["r_p"])]
        assert np.mean(q < 0.05) <= 0.10, name
