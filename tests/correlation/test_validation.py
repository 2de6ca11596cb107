"""The validation study's pieces (issue #12): simulator options and a small seeded run."""

from __future__ import annotations

import math
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from correlation import analyze
from correlation.pressure import day_weather
from correlation.simulate import Spells, graded_multiplier, simulate_patient, simulate_pressure

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import validate_method as vm  # noqa: E402


def test_options_off_leave_existing_seeds_unchanged():
    a = simulate_patient(11, report_date=date(2026, 3, 1))
    b = simulate_patient(11, report_date=date(2026, 3, 1), pressure_seasonality=0.0,
                         graded=False, spells=None)
    assert a.attacks == b.attacks and np.array_equal(a.pressure_hpa, b.pressure_hpa)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert np.array_equal(simulate_pressure(start, 500, 3),
                          simulate_pressure(start, 500, 3, seasonality=0.0))


def test_seasonal_pressure_has_more_falls_in_winter():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    p = simulate_pressure(start, 24 * 365, 5, seasonality=0.45)
    w = day_weather(start, p, "UTC", date(2025, 1, 3), date(2025, 12, 31)).window == 1
    winter = np.r_[w[:57], w[-31:]].mean()  # January, February, December
    summer = w[150:240].mean()  # June to August
    assert winter > 2 * summer


def test_spells_keep_the_mean_rate_and_cluster():
    m = Spells(factor=2.0, share=0.25, mean_days=10).multipliers(200_000,
                                                                  np.random.default_rng(0))
    assert m.mean() == pytest.approx(1.0, abs=0.02)
    high = m > 1
    assert np.mean(high[1:] & high[:-1]) / high.mean() > 0.85  # spells last about 10 days
    with pytest.raises(ValueError):
        Spells(factor=5.0, share=0.25).multipliers(10, np.random.default_rng(0))


def test_graded_risk_rises_with_the_fall():
    m = graded_multiplier(np.array([0.0, 3.0, 0.0, 7.0, np.nan, 20.0]), 3.0)
    assert m[0] == 1.0 and 1.0 < m[1] < 3.0
    assert m[2] == m[1]  # the day after a fall keeps its risk (lag 1)
    assert m[3] == pytest.approx(3.0) and m[4] == m[3] and m[5] == pytest.approx(5.0)
    sp = simulate_patient(3, report_date=date(2026, 3, 1), graded=True, sensitivity=3.0)
    assert sp.hazard.shape == sp.window.shape and sp.hazard.max() <= 1.0
    analyze(sp.to_series())


@pytest.mark.slow
def test_pooled_coverage_and_false_flags_within_monte_carlo_limits():
    """300 cohorts of 10 from 300 seeded full diaries, no change, tau 0 (clustered attacks)."""
    n = 300
    spec = vm.PoolSpec("clustered", 0.0, 2.5, 1.0)
    pool = vm.simulate_pool(spec, 300, seed=1)
    rng = np.random.default_rng(2)
    res = np.array([vm.cohort_outcome(pool["counts"][rng.integers(0, 300, 10)], 0.0)
                    for _ in range(n)], dtype=float)
    se = math.sqrt(0.05 * 0.95 / n)
    assert res[:, 0].mean() >= 0.95 - 3 * se
    assert res[:, 1].mean() + res[:, 2].mean() <= 0.05 + 3 * se
    assert pool["verdict"].mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 300)


def test_ideal_power_matches_the_normal_formula_and_grows_with_the_cohort():
    """Identical patients: power = Phi(|g| sqrt(k / (v + tau^2)) - z) + the other tail."""
    hazard = np.tile([6.0, 12.0, 6.0, 12.0], (40, 1))
    days = np.tile([0, 0, 20.0, 80.0, 0, 0, 20.0, 80.0], (40, 1))
    pool = {"hazard": hazard, "counts": days}
    v = 2 * ((1 - 6 / 20) / 6 + (1 - 12 / 80) / 12)
    z = 1.959963984540054
    for k, tau in ((10, 0.0), (20, 0.5)):
        members = np.arange(40).reshape(-1, k)[:2]
        se = math.sqrt((v + tau * tau) / k)
        g = math.log(0.5)
        want = (vm.st.norm.cdf(abs(g) / se - z) + vm.st.norm.cdf(-abs(g) / se - z))
        assert vm.ideal_power(pool, members, tau, g) == pytest.approx(want, rel=1e-12)
    small = vm.ideal_power(pool, np.arange(40).reshape(-1, 5), 0.5, math.log(0.5))
    large = vm.ideal_power(pool, np.arange(40).reshape(-1, 20), 0.5, math.log(0.5))
    assert small < large
    assert math.isnan(vm.ideal_power(pool, np.arange(40).reshape(-1, 5), 0.0, 0.0))
