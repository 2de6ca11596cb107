"""Planning archive and forecast requests that cover the gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from weather.backfill import backfill_plan, past_days_for

TODAY = date(2024, 6, 20)


def _day(d: date, hour: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def test_old_gap_comes_from_the_archive_in_year_chunks():
    gaps = [(_day(date(2021, 1, 1)), _day(date(2023, 6, 1)))]
    assert backfill_plan(gaps, TODAY) == [
        ("archive", date(2021, 1, 1), date(2021, 12, 31)),
        ("archive", date(2022, 1, 1), date(2022, 12, 31)),
        ("archive", date(2023, 1, 1), date(2023, 5, 31)),  # the end is exclusive
    ]


def test_recent_days_come_from_the_forecast_api():
    gaps = [(_day(date(2024, 6, 1), 5), _day(TODAY, 9))]
    plan = backfill_plan(gaps, TODAY, archive_lag_days=5)
    assert plan == [
        ("archive", date(2024, 6, 1), date(2024, 6, 15)),
        ("forecast", date(2024, 6, 16), TODAY),
    ]
    assert past_days_for(plan[-1][1], TODAY) == 4


def test_only_recent_gap():
    gaps = [(_day(TODAY - timedelta(days=1), 3), _day(TODAY - timedelta(days=1), 4))]
    assert backfill_plan(gaps, TODAY) == [("forecast", TODAY - timedelta(days=1), TODAY)]


def test_nearby_gaps_share_a_request_and_far_ones_do_not():
    gaps = [
        (_day(date(2024, 1, 1), 3), _day(date(2024, 1, 1), 4)),
        (_day(date(2024, 1, 10), 3), _day(date(2024, 1, 11), 2)),
        (_day(date(2024, 3, 1)), _day(date(2024, 3, 2))),
    ]
    assert backfill_plan(gaps, TODAY) == [
        ("archive", date(2024, 1, 1), date(2024, 1, 11)),
        ("archive", date(2024, 3, 1), date(2024, 3, 1)),
    ]


def test_future_hours_and_empty_gaps_are_ignored():
    assert backfill_plan([], TODAY) == []
    gaps = [(_day(TODAY + timedelta(days=3)), _day(TODAY + timedelta(days=4)))]
    assert backfill_plan(gaps, TODAY) == []


def test_small_chunks_and_zero_lag():
    gaps = [(_day(date(2024, 6, 10)), _day(date(2024, 6, 21)))]
    assert backfill_plan(gaps, TODAY, archive_lag_days=0, max_chunk_days=5) == [
        ("archive", date(2024, 6, 10), date(2024, 6, 14)),
        ("archive", date(2024, 6, 15), date(2024, 6, 19)),
        ("archive", date(2024, 6, 20), date(2024, 6, 20)),
    ]
    with pytest.raises(ValueError, match="max_chunk_days"):
        backfill_plan(gaps, TODAY, max_chunk_days=0)
