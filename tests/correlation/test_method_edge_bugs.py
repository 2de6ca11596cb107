"""Issue 12's edge bugs, each checked against an independent computation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from correlation import Attack, Course, analyze
from correlation.pressure import local_midnights_utc
from correlation.stats import woolf_ratio_of_ratios

ZONES = sorted(available_timezones())
DST_ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "America/Havana",
             "America/Santiago", "Asia/Beirut", "Africa/Cairo", "Pacific/Chatham"]


def brute_force_midnights(first: date, n: int, tz: str) -> list[int]:
    """Epoch seconds of each local day's first instant, one zoneinfo call per day."""
    zone = ZoneInfo(tz)
    return [int(datetime.combine(first + timedelta(days=k), time(0), zone).timestamp())
            for k in range(n + 1)]


def test_london_block_before_dst_change():
    """The example from the audit: Oct 23-27 were an hour off."""
    first, last = date(2024, 6, 3), date(2024, 10, 29)
    n = (last - first).days
    assert local_midnights_utc(first, n, "Europe/London").tolist() == brute_force_midnights(
        first, n, "Europe/London")


@settings(max_examples=400, deadline=None)
@given(
    zone=st.one_of(st.sampled_from(DST_ZONES), st.sampled_from(ZONES)),
    first=st.dates(min_value=date(1940, 1, 1), max_value=date(2099, 1, 1)),
    n=st.integers(min_value=0, max_value=800),
)
def test_every_day_bound_matches_zoneinfo(zone, first, n):
    assert local_midnights_utc(first, n, zone).tolist() == brute_force_midnights(first, n, zone)


def _flat_series(h, attacks, tz, tracking_start, report_date, pressure_start):
    days = (report_date - pressure_start.date()).days + 3
    return h.series(attacks, tz=tz, tracking_start=tracking_start, report_date=report_date,
                    pressure_start=pressure_start, pressure=np.full(days * 24, 1010.0))


def test_attack_ending_when_a_dst_day_begins_at_0100(h):
    """Santiago, 2024-09-08: clocks jump from 00:00 to 01:00; the day begins at 01:00."""
    tz = "America/Santiago"
    zone = ZoneInfo(tz)
    day_start = datetime(2024, 9, 8, 4, 0, tzinfo=UTC)  # 00:00 -04 == 01:00 -03
    assert day_start.astimezone(zone).hour == 1
    attack = Attack(datetime(2024, 9, 7, 20, 0, tzinfo=zone), day_start, "migraine")
    r = analyze(_flat_series(h, [attack], tz, date(2024, 9, 1), date(2024, 9, 12),
                             datetime(2024, 8, 25, tzinfo=UTC)))
    assert h.day_row(r, date(2024, 9, 7))["migraine_day"] is True
    assert h.day_row(r, date(2024, 9, 8))["migraine_day"] is False


def test_woolf_period_without_events_adds_a_half():
    """Point 9: 0.5 is added; null only for a zero denominator."""
    res = woolf_ratio_of_ratios(0, 10, 0, 10, 3, 10, 4, 10)
    expected = (0.5 / 10) / (0.5 / 10) / ((3.5 / 10) / (4.5 / 10))
    assert res.estimate is not None and abs(res.estimate - expected) < 1e-12
    assert res.ci_low is not None and res.ci_high is not None and res.p_value is not None
    assert woolf_ratio_of_ratios(0, 10, 0, 0, 3, 10, 4, 10).estimate is None


def test_migraine_free_followup_keeps_its_ratio_of_rate_ratios(h):
    tz = "Europe/London"
    course = Course("PRT", date(2026, 3, 1), date(2026, 3, 14))
    start = datetime(2025, 11, 20, tzinfo=UTC)
    hours = (date(2026, 6, 12) - start.date()).days * 24
    t = np.arange(hours)
    pressure = 1010 + 8 * np.sin(2 * np.pi * t / (24 * 9))  # regular falls of over 5 hPa
    attacks = [Attack(datetime(2025, 12, 1, 9, tzinfo=UTC) + timedelta(days=5 * k),
                      datetime(2025, 12, 1, 15, tzinfo=UTC) + timedelta(days=5 * k), "migraine")
               for k in range(17)]
    r = analyze(h.series(attacks, tz=tz, tracking_start=date(2025, 12, 1),
                         report_date=date(2026, 6, 10), course=course, pressure=pressure,
                         pressure_start=start))
    assert r.periods["followup"].migraine_days == 0
    assert r.comparison.ratio_of_rate_ratios.estimate is not None


def test_attack_begun_before_tracking_is_classified_by_its_onset_day(h):
    tz = "Europe/London"
    start = datetime(2025, 12, 20, tzinfo=UTC)
    pressure = np.full(30 * 24, 1010.0)
    # a fall of 8 hPa during Dec 30 (the onset day): exposure day, window true
    k = (datetime(2025, 12, 30, 12, tzinfo=UTC) - start) // timedelta(hours=1)
    pressure[k:] = 1002.0
    attack = Attack(datetime(2025, 12, 31, 20, tzinfo=UTC), datetime(2026, 1, 1, 10, tzinfo=UTC),
                    "migraine")
    r = analyze(h.series([attack], tz=tz, tracking_start=date(2026, 1, 1),
                         report_date=date(2026, 1, 10), pressure=pressure, pressure_start=start))
    assert h.day_row(r, date(2026, 1, 1))["classification"] == "weather_linked"
