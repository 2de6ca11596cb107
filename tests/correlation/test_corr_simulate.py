import time
from datetime import date, timedelta

import numpy as np
import pytest

from correlation import analyze
from correlation.pressure import day_weather
from correlation.simulate import DEMO_PATIENTS, simulate_patient, simulate_pressure


def test_pressure_is_realistic_and_seeded():
    from datetime import UTC, datetime

    start = datetime(2026, 1, 1, tzinfo=UTC)
    p = simulate_pressure(start, 24 * 365, 3)
    assert p.dtype == np.float64 and p.shape == (24 * 365,)
    assert np.array_equal(p, simulate_pressure(start, 24 * 365, 3))
    assert 990 < p.mean() < 1010 and 3 < p.std() < 12
    assert np.abs(np.diff(p)).max() < 4  # hourly steps stay small
    dw = day_weather(start, p, "UTC", date(2026, 1, 3), date(2026, 12, 31))
    share = (dw.exposure == 1).mean()
    assert 0.1 < share < 0.4  # pressure-fall days a few times a month
    assert np.nanmax(dw.max_fall_hpa) < 30


def test_patient_is_seeded_and_consistent():
    a = simulate_patient(5, report_date=date(2026, 5, 1))
    b = simulate_patient(5, report_date=date(2026, 5, 1))
    assert a.attacks == b.attacks
    s = a.to_series()
    assert s.tracking_start == date(2026, 5, 1) - timedelta(days=269)
    assert a.course.ended_on + timedelta(days=84) == date(2026, 5, 1)
    assert (a.course.ended_on - a.course.started_on).days == 55
    r = analyze(s)
    assert np.array_equal(r.days.window, a.window)
    assert r.periods["baseline"].covered_days == 84
    assert r.periods["followup"].covered_days == 84
    kinds = {x.kind for x in a.attacks}
    assert "migraine" in kinds
    for x in a.attacks:
        hours = (x.ended_at - x.started_at).total_seconds() / 3600
        assert 1.9 < hours <= 72.1


def test_checkins_and_shared_pressure():
    base = simulate_patient(1, report_date=date(2026, 5, 1))
    sp = simulate_patient(2, report_date=date(2026, 5, 1), pressure=base.pressure_hpa,
                          pressure_start=base.pressure_start, checkin_share=0.8)
    assert np.array_equal(sp.window, base.window)
    assert sp.checkin_days is not None and 150 < len(sp.checkin_days) < 250
    analyze(sp.to_series())
    with pytest.raises(ValueError):
        simulate_patient(2, report_date=date(2026, 5, 1), pressure=base.pressure_hpa)


@pytest.mark.parametrize("offset", [0, 37, 101, 190, 250, 333])
def test_demo_patients_show_their_pattern(offset):
    report_date = date(2025, 11, 3) + timedelta(days=offset)
    verdicts = [analyze(dp.simulate(report_date).to_series()).verdict for dp in DEMO_PATIENTS]
    assert verdicts == [dp.expected_verdict for dp in DEMO_PATIENTS]
    assert verdicts == ["weather_link_weakened", "weather_link_not_settled",
                        "weather_link_not_settled"]
    overall = [analyze(dp.simulate(report_date).to_series()).comparison.rate_ratio["all"]
               for dp in DEMO_PATIENTS]
    # patient 2: fewer migraine days on all days alike; patient 3: no change at all
    assert overall[1].ci_high < 1 and not overall[2].ci_high < 1


def test_simulation_speed_is_reasonable():
    t0 = time.perf_counter()
    for seed in range(50):
        analyze(simulate_patient(seed, report_date=date(2026, 5, 1)).to_series())
    assert time.perf_counter() - t0 < 10  # generous: informational, not a benchmark
