from datetime import UTC, date, datetime, timedelta

import numpy as np

from correlation import Attack, Course, MethodConfig, analyze

TZ = "Europe/London"
D = date(2026, 1, 10)


def _flags(report, key: str, first: date, n: int) -> list:
    rows = report.days.rows()
    k = (first - date(2026, 1, 1)).days
    return [r[key] for r in rows[k:k + n]]


def test_attack_across_midnight_two_migraine_days_one_onset(h):
    a = Attack(h.local(TZ, 2026, 1, 10, 22), h.local(TZ, 2026, 1, 11, 6), "migraine")
    r = analyze(h.series([a]))
    assert _flags(r, "migraine_day", D, 4) == [True, True, False, False]
    assert _flags(r, "onset", D, 4) == [True, False, False, False]
    assert _flags(r, "at_risk", D, 4) == [True, False, False, True]


def test_attack_without_end_or_ending_at_start_counts_start_day_only(h):
    for end in (None, h.local(TZ, 2026, 1, 10, 22)):
        a = Attack(h.local(TZ, 2026, 1, 10, 22), end, "migraine")
        r = analyze(h.series([a]))
        assert _flags(r, "migraine_day", D, 2) == [True, False]


def test_attack_ending_at_midnight_does_not_reach_next_day(h):
    a = Attack(h.local(TZ, 2026, 1, 10, 20), h.local(TZ, 2026, 1, 11, 0), "migraine")
    r = analyze(h.series([a]))
    assert _flags(r, "migraine_day", D, 2) == [True, False]


def test_multi_day_attack_and_at_risk(h):
    a = Attack(h.local(TZ, 2026, 1, 10, 8), h.local(TZ, 2026, 1, 12, 10), "migraine")
    r = analyze(h.series([a]))
    assert _flags(r, "migraine_day", D, 5) == [True, True, True, False, False]
    assert _flags(r, "at_risk", D, 5) == [True, False, False, False, True]
    assert _flags(r, "onset", D, 5) == [True, False, False, False, False]


def test_headache_kind_is_headache_day_not_migraine_day(h):
    a = Attack(h.local(TZ, 2026, 1, 10, 8), h.local(TZ, 2026, 1, 10, 12), "headache")
    r = analyze(h.series([a]))
    row = h.day_row(r, D)
    assert row["headache_day"] and not row["migraine_day"] and not row["onset"]
    assert _flags(r, "at_risk", D, 2) == [True, True]
    # configurable migraine kinds
    r = analyze(h.series([a]), MethodConfig(migraine_kinds=("migraine", "headache")))
    assert h.day_row(r, D)["migraine_day"]


def test_local_day_of_a_non_utc_zone(h):
    tz = "America/New_York"
    a = Attack(datetime(2026, 1, 11, 4, tzinfo=UTC), None, "migraine")  # 23:00 Jan 10 local
    r = analyze(h.series([a], tz=tz))
    assert h.day_row(r, D)["onset"] and not h.day_row(r, D + timedelta(days=1))["onset"]


def test_attack_across_dst_night(h):
    # starts 23:30 on the short day 2026-03-29 (BST), ends 01:30 local next day
    a = Attack(h.local(TZ, 2026, 3, 29, 23, 30), h.local(TZ, 2026, 3, 30, 1, 30), "migraine")
    s = h.series([a], tracking_start=date(2026, 3, 20), report_date=date(2026, 4, 5),
               pressure_start=datetime(2026, 3, 15, tzinfo=UTC))
    r = analyze(s)
    assert h.day_row(r, date(2026, 3, 29))["migraine_day"]
    assert h.day_row(r, date(2026, 3, 30))["migraine_day"]
    assert h.day_row(r, date(2026, 3, 29))["onset"]


def test_covered_days_with_and_without_checkins(h):
    a = Attack(h.local(TZ, 2026, 1, 10, 8), h.local(TZ, 2026, 1, 11, 3), "headache")
    r = analyze(h.series([a]))
    assert r.days.covered.all()
    assert any(w.code == "assumed_completeness" for w in r.warnings)
    checkins = frozenset({date(2026, 1, 5), date(2026, 1, 6), date(2025, 12, 1)})
    r = analyze(h.series([a], checkin_days=checkins))
    covered = [str(d) for d, c in zip(r.days.dates, r.days.covered, strict=True) if c]
    assert covered == ["2026-01-05", "2026-01-06", "2026-01-10", "2026-01-11"]
    assert not any(w.code == "assumed_completeness" for w in r.warnings)
    # at-risk needs coverage
    assert not h.day_row(r, date(2026, 1, 7))["at_risk"]


def _exposure_pressure(exposure_day: date) -> tuple[datetime, np.ndarray]:
    start = datetime(2025, 12, 25, tzinfo=UTC)
    p = np.full(60 * 24, 1010.0)
    k = (exposure_day - start.date()).days * 24
    p[k:] = 1004.0
    return start, p


def test_attack_and_day_classification(h):
    start, p = _exposure_pressure(D)  # exposure on Jan 10: window Jan 10 and Jan 11
    p[(date(2026, 1, 20) - start.date()).days * 24:] = np.nan  # unknown from Jan 20 (+ lag)
    attacks = [
        Attack(h.local(TZ, 2026, 1, 11, 9), h.local(TZ, 2026, 1, 12, 10), "migraine"),  # linked
        Attack(h.local(TZ, 2026, 1, 12, 12), h.local(TZ, 2026, 1, 13, 5), "migraine"),  # non
        Attack(h.local(TZ, 2026, 1, 15, 12), None, "migraine"),  # non-weather
        Attack(h.local(TZ, 2026, 1, 22, 12), None, "migraine"),  # unknown window
        Attack(h.local(TZ, 2026, 1, 16, 12), None, "headache"),
    ]
    r = analyze(h.series(attacks, pressure=p, pressure_start=start))
    assert _flags(r, "window", D, 4) == [True, True, False, False]
    got = dict(zip(r.days.dates.astype(str).tolist(), r.days.classification.tolist(),
                   strict=True))
    assert got["2026-01-11"] == "weather_linked"
    assert got["2026-01-12"] == "weather_linked"  # a linked attack is active on it
    assert got["2026-01-13"] == "non_weather"
    assert got["2026-01-15"] == "non_weather"
    assert got["2026-01-16"] is None  # headache only
    assert got["2026-01-22"] == "unclassified"
    assert h.day_row(r, date(2026, 1, 22))["window"] is None


def test_travel_day_window_unknown(h):
    start, p = _exposure_pressure(D)
    s = h.series([], pressure=p, pressure_start=start,
               location_change_days=frozenset({date(2026, 1, 10)}))
    r = analyze(s)
    assert _flags(r, "window", D, 3) == [None, None, False]
    assert _flags(r, "exposure", D, 1) == [None]


def test_day_table_spans_tracking_start_to_report_date(h):
    r = analyze(h.series([], tracking_start=date(2026, 1, 5), report_date=date(2026, 1, 9)))
    assert r.days.dates.astype(str).tolist() == [
        "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
    assert len(r.daily_rows()) == 5


def test_period_bounds_and_report_date_cut(h):
    course = Course("PRT", date(2026, 3, 1), date(2026, 3, 28))
    s = h.series([], tracking_start=date(2025, 12, 20), report_date=date(2026, 4, 30),
               course=course)
    r = analyze(s)
    b, t, f = (r.periods[k] for k in ("baseline", "treatment", "followup"))
    assert (b.start, b.end) == (date(2025, 12, 7), date(2026, 2, 28))
    assert b.covered_days == (date(2026, 2, 28) - date(2025, 12, 20)).days + 1
    assert (t.start, t.end, t.covered_days) == (date(2026, 3, 1), date(2026, 3, 28), 28)
    assert (f.start, f.end, f.covered_days) == (date(2026, 3, 29), date(2026, 4, 30), 33)
    assert any(w.code == "followup_incomplete" for w in r.warnings)
    assert any(w.code == "late_tracking_start" for w in r.warnings)
    periods = r.days.period.tolist()
    assert periods[0] == "baseline" and periods[-1] == "followup"
    # report date before the follow-up: no follow-up days, stats null, insufficient data
    s = h.series([], tracking_start=date(2025, 12, 1), report_date=date(2026, 3, 20),
               course=course)
    r = analyze(s)
    f = r.periods["followup"]
    assert f.covered_days == 0 and f.end is None and f.mmd is None
    assert f.pressure_coverage is None
    assert r.verdict == "insufficient_data"
    assert r.to_dict()["periods"]["followup"]["end"] is None
    assert r.periods["treatment"].covered_days == 20
    assert r.days.period.tolist()[0] is None  # before the baseline
