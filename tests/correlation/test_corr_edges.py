import dataclasses
import json
from datetime import UTC, date, datetime

import numpy as np
import pytest

from correlation import Attack, Course, PatientSeries, analyze
from correlation.simulate import simulate_patient


@pytest.mark.parametrize("pressure", [np.zeros(0), np.full(5, np.nan)])
def test_empty_or_tiny_pressure_series(h, pressure):
    r = analyze(h.series([], pressure=pressure))
    d = r.to_dict(include_days=True)
    json.dumps(d, allow_nan=False)
    assert all(row["pressure_coverage"] == 0.0 and row["window"] is None for row in d["days"])


def test_single_day_and_empty_checkins(h):
    day = date(2026, 1, 5)
    series = h.series([], tracking_start=day, report_date=day, checkin_days=frozenset())
    # A1: no check-in yet means check-in mode has not begun: the day is assumed recorded
    assert analyze(series).days.covered.all()
    r = analyze(dataclasses.replace(series, checkins_from=day))
    assert len(r.days) == 1 and not r.days.covered.any()
    assert r.verdict == "insufficient_data"
    json.dumps(r.to_dict(include_days=True), allow_nan=False)


def test_course_outside_tracking(h):
    course = Course("PRT", date(2020, 1, 1), date(2020, 2, 1))
    r = analyze(h.series([], course=course))
    assert all(r.periods[k].covered_days == 0 for k in r.periods)
    json.dumps(r.to_dict(), allow_nan=False)


@pytest.mark.parametrize("tz", ["Australia/Adelaide", "Asia/Kolkata", "America/St_Johns"])
def test_full_analysis_in_other_zones(tz):
    r = analyze(simulate_patient(3, report_date=date(2026, 4, 20), timezone=tz).to_series())
    assert r.periods["baseline"].covered_days == 84
    assert r.periods["baseline"].pressure_coverage == 1.0
    json.dumps(r.to_dict(include_days=True), allow_nan=False)


def test_input_validation():
    good = dict(timezone="UTC", pressure_start=datetime(2026, 1, 1, tzinfo=UTC),
                pressure_hpa=np.zeros(3), attacks=[], tracking_start=date(2026, 1, 1),
                report_date=date(2026, 1, 2), course=Course("PRT", date(2026, 1, 1),
                                                            date(2026, 1, 2)))
    PatientSeries(**good)
    for key, value in (("timezone", "Mars/Olympus"),
                       ("pressure_start", datetime(2026, 1, 1)),
                       ("pressure_start", datetime(2026, 1, 1, 0, 30, tzinfo=UTC)),
                       ("report_date", date(2025, 12, 1)),
                       ("pressure_hpa", np.zeros((2, 2)))):
        with pytest.raises(ValueError, match=key.split("_")[0]):
            PatientSeries(**{**good, key: value})
    with pytest.raises(ValueError):
        Attack(datetime(2026, 1, 1), None, "migraine")
    with pytest.raises(ValueError):
        Attack(datetime(2026, 1, 1, tzinfo=UTC), None, "")
    with pytest.raises(ValueError):
        Course("PRT", date(2026, 2, 1), date(2026, 1, 1))
    # an end before the start is treated like a missing end: start day only
    a = Attack(datetime(2026, 1, 10, 12, tzinfo=UTC), datetime(2026, 1, 9, tzinfo=UTC),
               "migraine")
    s = PatientSeries(**{**good, "attacks": [a], "report_date": date(2026, 1, 12)})
    r = analyze(s)
    assert r.days.migraine_day.tolist() == [False] * 9 + [True, False, False]
