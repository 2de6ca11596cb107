from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from correlation import MethodConfig
from correlation.pressure import (
    day_pressure,
    day_weather,
    exposure_days,
    falls,
    local_midnights_utc,
    weather_window,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_falls_definition():
    p = np.array([1010.0] * 24 + [1004.0, np.nan])
    f = falls(p, 24)
    assert np.isnan(f[:24]).all()
    assert f[24] == pytest.approx(6.0)
    assert np.isnan(f[25])


def _step(days: int, drop_at: int, before: float, after: float) -> np.ndarray:
    p = np.full(days * 24, before)
    p[drop_at:] = after
    return p


def test_fall_of_exactly_the_threshold_is_exposure():
    p = _step(5, 48, 1010.0, 1005.0)
    dp = day_pressure(START, p, "UTC", date(2026, 1, 1), 5)
    assert dp.max_fall_hpa[2] == 5.0
    assert np.isnan(dp.max_fall_hpa[0])
    assert dp.coverage.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    exp = exposure_days(dp.max_fall_hpa, dp.coverage)
    assert exp.tolist() == [-1, 0, 1, 0, 0]


def test_threshold_with_decimal_readings_and_just_below():
    p = _step(4, 48, 1013.3, 1008.3)  # 5.0 on paper, 4.999999999999886 in binary
    dw = day_weather(START, p, "UTC", date(2026, 1, 3), date(2026, 1, 3))
    assert dw.exposure.tolist() == [1]
    p = _step(4, 48, 1013.3, 1008.32)
    dw = day_weather(START, p, "UTC", date(2026, 1, 3), date(2026, 1, 3))
    assert dw.exposure.tolist() == [0]


def test_gaps_and_coverage():
    p = np.full(5 * 24, 1010.0)
    p[24:31] = np.nan  # 7 missing hours on Jan 2: falls on Jan 2 and Jan 3 miss 7 hours
    dp = day_pressure(START, p, "UTC", date(2026, 1, 2), 2)
    assert dp.coverage.tolist() == [17 / 24, 17 / 24]
    assert exposure_days(dp.max_fall_hpa, dp.coverage).tolist() == [-1, -1]
    p[30] = 1010.0  # 6 missing hours: coverage exactly 0.75 -> known non-exposure
    dp = day_pressure(START, p, "UTC", date(2026, 1, 2), 2)
    assert dp.coverage.tolist() == [0.75, 0.75]
    assert exposure_days(dp.max_fall_hpa, dp.coverage).tolist() == [0, 0]


def test_known_fall_counts_whatever_the_coverage():
    p = np.full(3 * 24, np.nan)
    p[10] = 1012.0
    p[34] = 1006.0  # one pair only on Jan 2: fall 6 hPa, coverage 1/24
    dp = day_pressure(START, p, "UTC", date(2026, 1, 2), 1)
    assert dp.coverage[0] == pytest.approx(1 / 24)
    assert dp.max_fall_hpa[0] == 6.0
    assert exposure_days(dp.max_fall_hpa, dp.coverage).tolist() == [1]


def test_days_outside_the_series_have_no_coverage():
    p = np.full(2 * 24, 1010.0)
    dp = day_pressure(START, p, "UTC", date(2025, 12, 30), 6)
    assert dp.coverage.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert np.isnan(dp.max_fall_hpa[[0, 1, 2, 4, 5]]).all()
    assert exposure_days(dp.max_fall_hpa, dp.coverage).tolist() == [-1, -1, -1, 0, -1, -1]


def test_window_lag_and_unknowns():
    exp = np.array([0, 1, 0, 0, -1, 0, 0], dtype=np.int8)
    assert weather_window(exp, 1).tolist() == [-1, 1, 1, 0, -1, -1, 0]
    assert weather_window(exp, 0).tolist() == exp.tolist()
    assert weather_window(exp, 2).tolist() == [-1, 1, 1, 1, -1, -1, -1]
    # unknown previous day but known exposure today -> true
    assert weather_window(np.array([-1, 1], dtype=np.int8), 1).tolist() == [-1, 1]


def test_location_change_day_is_unknown():
    exp = np.array([0, 1, 0, 0, 0], dtype=np.int8)
    change = np.array([False, True, False, False, False])
    # the change day's own fall is travel: unknown exposure, so the next day is unknown too
    assert weather_window(exp, 1, change).tolist() == [-1, -1, -1, 0, 0]


def test_day_weather_location_change_and_lag():
    p = _step(8, 72, 1010.0, 1004.0)  # exposure on Jan 4
    cfg = MethodConfig()
    dw = day_weather(START, p, "UTC", date(2026, 1, 3), date(2026, 1, 6), cfg)
    assert dw.exposure.tolist() == [0, 1, 0, 0]
    assert dw.window.tolist() == [0, 1, 1, 0]
    dw = day_weather(START, p, "UTC", date(2026, 1, 3), date(2026, 1, 6), cfg,
                     location_change_days={date(2026, 1, 4)})
    assert dw.exposure.tolist() == [0, -1, 0, 0]
    assert dw.window.tolist() == [0, -1, -1, 0]
    lag0 = MethodConfig(lag_days=0)
    dw = day_weather(START, p, "UTC", date(2026, 1, 3), date(2026, 1, 6), lag0)
    assert dw.window.tolist() == [0, 1, 0, 0]


def test_window_hours_config():
    p = _step(6, 60, 1010.0, 1004.0)  # a 6 hPa step at Jan 3 12:00
    cfg = MethodConfig(window_hours=12)
    dp = day_pressure(START, p, "UTC", date(2026, 1, 3), 2, cfg.window_hours)
    assert dp.max_fall_hpa.tolist() == [6.0, 0.0]


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        ("Europe/London", date(2026, 3, 29), 23),
        ("Europe/London", date(2026, 10, 25), 25),
        ("Australia/Adelaide", date(2026, 4, 5), 25),
        ("Australia/Adelaide", date(2026, 10, 4), 23),
        ("Asia/Kolkata", date(2026, 3, 29), 24),
        ("America/New_York", date(2026, 3, 8), 23),
    ],
)
def test_dst_and_half_hour_day_lengths(tz, day, hours):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    p = np.full(400 * 24, 1010.0)
    dp = day_pressure(start, p, tz, day - timedelta(days=1), 3)
    assert dp.hours.tolist() == [24, hours, 24]
    assert dp.coverage.tolist() == [1.0, 1.0, 1.0]


def test_autumn_extra_hour_belongs_to_the_long_day():
    # London 2026-10-25 runs from 2026-10-24T23:00Z (BST midnight) to 2026-10-26T00:00Z.
    start = datetime(2026, 10, 20, tzinfo=UTC)
    p = np.full(10 * 24, 1010.0)
    first_hour = int((datetime(2026, 10, 24, 23, tzinfo=UTC) - start).total_seconds() // 3600)
    p[first_hour] = 1003.0  # single-hour dip: falls at this hour only (recovers next hour)
    dw = day_weather(start, p, "Europe/London", date(2026, 10, 24), date(2026, 10, 26))
    assert dw.max_fall_hpa.tolist() == [0.0, 7.0, 0.0]  # the rebound is a rise
    assert dw.exposure.tolist() == [0, 1, 0]
    last_hour = int((datetime(2026, 10, 25, 23, tzinfo=UTC) - start).total_seconds() // 3600)
    p = np.full(10 * 24, 1010.0)
    p[last_hour] = 1003.0  # 23:00 GMT on Oct 25: the 25th hour of the local day
    dw = day_weather(start, p, "Europe/London", date(2026, 10, 24), date(2026, 10, 26))
    assert dw.exposure.tolist() == [0, 1, 0]


def test_spring_short_day():
    start = datetime(2026, 3, 25, tzinfo=UTC)
    p = np.full(10 * 24, 1010.0)
    # 2026-03-29 local runs 00:00Z .. 23:00Z (23 hours); 23:00Z is already Mar 30 local
    p[int((datetime(2026, 3, 29, 23, tzinfo=UTC) - start).total_seconds() // 3600)] = 1003.0
    dw = day_weather(start, p, "Europe/London", date(2026, 3, 29), date(2026, 3, 30))
    assert dw.exposure.tolist() == [0, 1]


def test_half_hour_zone_boundaries():
    # Asia/Kolkata is UTC+5:30: local Jan 2 runs from Jan 1 18:30Z; its first grid hour 19:00Z
    start = datetime(2026, 1, 1, tzinfo=UTC)
    p = np.full(6 * 24, 1010.0)
    p[18 + 24] = 1003.0  # Jan 2 18:00Z = 23:30 local Jan 2
    p[19 + 24] = 1002.0  # Jan 2 19:00Z = 00:30 local Jan 3
    dw = day_weather(start, p, "Asia/Kolkata", date(2026, 1, 2), date(2026, 1, 4))
    assert dw.max_fall_hpa.tolist() == [7.0, 8.0, 0.0]
    bounds = local_midnights_utc(date(2026, 1, 2), 1, "Asia/Kolkata")
    assert bounds[0] == int(datetime(2026, 1, 1, 18, 30, tzinfo=UTC).timestamp())


def test_local_midnights_match_zoneinfo_over_years():
    from zoneinfo import ZoneInfo

    for tz in ("Europe/London", "Australia/Adelaide", "Africa/Casablanca", "America/Santiago"):
        first = date(2018, 1, 1)
        got = local_midnights_utc(first, 3000, tz)
        want = [
            int(datetime.combine(first + timedelta(days=k), datetime.min.time(),
                                 tzinfo=ZoneInfo(tz)).timestamp())
            for k in range(3001)
        ]
        assert got.tolist() == want, tz
