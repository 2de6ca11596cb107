"""Whole UTC hours: flooring, range checks, conversions and mask runs (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from weather.hours import (
    floor_hour,
    hour_range,
    hour_runs,
    midnight,
    seconds_to_datetimes,
    to_unix_hours,
)

T0 = datetime(2024, 3, 30, 0, tzinfo=UTC)


def test_floor_hour():
    ist = timezone(timedelta(hours=5, minutes=30))
    assert floor_hour(datetime(2024, 1, 1, 0, 0, tzinfo=ist)) == datetime(
        2023, 12, 31, 18, tzinfo=UTC
    )


def test_floor_hour_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="instant: .* must be a timezone-aware datetime"):
        floor_hour(datetime(2024, 1, 1, 0, 30))


def test_hour_range_checks_bounds_and_order():
    start, end = hour_range(T0, T0 + timedelta(hours=2))
    assert end - start == 7200
    with pytest.raises(ValueError, match="start_utc: .* is not on the hour"):
        hour_range(T0 + timedelta(minutes=1), T0 + timedelta(hours=2))
    with pytest.raises(ValueError, match="end_utc: .* is before"):
        hour_range(T0 + timedelta(hours=2), T0)


def test_to_unix_hours_accepts_three_forms_and_round_trips():
    seconds = int(T0.timestamp()) + 3600 * np.arange(3, dtype=np.int64)
    as_datetimes = seconds_to_datetimes(seconds)
    assert as_datetimes[0] == T0
    for form in (seconds, seconds.astype("datetime64[s]"), as_datetimes):
        assert to_unix_hours(form).tolist() == seconds.tolist()
    with pytest.raises(ValueError, match="hours_utc: every time must be on the UTC hour"):
        to_unix_hours(seconds + 60)


def test_hour_runs_turns_a_mask_into_half_open_ranges():
    mask = np.array([True, True, False, False, True, False, True])
    assert hour_runs(mask, T0) == [
        (T0, T0 + timedelta(hours=2)),
        (T0 + timedelta(hours=4), T0 + timedelta(hours=5)),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=7)),
    ]
    assert hour_runs(np.zeros(3, dtype=bool), T0) == []


def test_midnight_is_the_utc_start_of_the_day():
    assert midnight(date(2024, 3, 30)) == T0
