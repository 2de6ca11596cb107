"""Shared builders for the correlation tests, offered as the fixture `h`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from correlation import Attack, Course, PatientSeries


def local(tz: str, y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


def flat_pressure(start: datetime, days: int, value: float = 1010.0) -> np.ndarray:
    return np.full(days * 24, value, dtype=np.float64)


def hour_index(start: datetime, when: datetime) -> int:
    return int((when.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 3600)


def series(
    attacks: list[Attack],
    *,
    tz: str = "Europe/London",
    tracking_start: date = date(2026, 1, 1),
    report_date: date = date(2026, 1, 31),
    course: Course | None = None,
    pressure: np.ndarray | None = None,
    pressure_start: datetime | None = None,
    checkin_days: frozenset[date] | None = None,
    location_change_days: frozenset[date] = frozenset(),
) -> PatientSeries:
    if pressure_start is None:
        pressure_start = datetime(2025, 12, 25, tzinfo=UTC)
    if pressure is None:
        n_days = (report_date - pressure_start.date()).days + 3
        pressure = flat_pressure(pressure_start, n_days)
    if course is None:
        course = Course("PRT", report_date + timedelta(days=10), report_date + timedelta(days=20))
    return PatientSeries(
        timezone=tz,
        pressure_start=pressure_start,
        pressure_hpa=pressure,
        attacks=attacks,
        tracking_start=tracking_start,
        report_date=report_date,
        course=course,
        checkin_days=checkin_days,
        location_change_days=location_change_days,
    )


def day_row(report, day: date) -> dict:
    k = (day - report.days.dates[0].astype(object)).days
    return report.days.rows()[k]


class _Helpers:
    local = staticmethod(local)
    flat_pressure = staticmethod(flat_pressure)
    hour_index = staticmethod(hour_index)
    series = staticmethod(series)
    day_row = staticmethod(day_row)


@pytest.fixture
def h() -> _Helpers:
    """Builders for small hand-made patients."""
    return _Helpers()
