"""Whole UTC hours: checks, conversions between datetimes and unix seconds, hour ranges.

Instants are aware datetimes in UTC, or int64 unix seconds where numpy arrays are used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

#: Seconds in one hour.
HOUR = 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_hour(instant: datetime) -> datetime:
    """Return the aware UTC hour at or before ``instant``."""
    check_aware(instant, "instant")
    utc = instant.astimezone(UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def check_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless ``value`` is an aware datetime."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value!r} must be a timezone-aware datetime")


def midnight(day: date) -> datetime:
    """Return the UTC midnight that starts ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def hour_seconds(value: datetime, name: str) -> int:
    """Return an aware datetime on the UTC hour as unix seconds, else raise ValueError."""
    check_aware(value, name)
    delta = value.astimezone(UTC) - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    if delta.microseconds or seconds % HOUR:
        raise ValueError(f"{name}: {value.isoformat()} is not on the hour (UTC)")
    return seconds


def hour_range(start_utc: datetime, end_utc: datetime) -> tuple[int, int]:
    """Check a half-open range of whole UTC hours and return it as unix seconds."""
    start = hour_seconds(start_utc, "start_utc")
    end = hour_seconds(end_utc, "end_utc")
    if end < start:
        raise ValueError(f"end_utc: {end_utc.isoformat()} is before {start_utc.isoformat()}")
    return start, end


def to_unix_hours(hours_utc: Any) -> np.ndarray:
    """Return hours (unix s int64 array, datetime64 array, or aware datetimes) as int64 s."""
    if isinstance(hours_utc, np.ndarray):
        if np.issubdtype(hours_utc.dtype, np.datetime64):
            seconds = hours_utc.astype("datetime64[s]").astype(np.int64)
        elif np.issubdtype(hours_utc.dtype, np.integer):
            seconds = hours_utc.astype(np.int64, copy=False)
        elif hours_utc.dtype == object:
            seconds = np.array([hour_seconds(h, "hours_utc") for h in hours_utc], dtype=np.int64)
        else:
            raise ValueError(f"hours_utc: unsupported array dtype {hours_utc.dtype}")
    else:
        seconds = np.array([hour_seconds(h, "hours_utc") for h in hours_utc], dtype=np.int64)
    if seconds.ndim != 1:
        raise ValueError("hours_utc: expected a one-dimensional sequence")
    if seconds.size and np.any(seconds % HOUR):
        raise ValueError("hours_utc: every time must be on the UTC hour")
    return seconds


def seconds_to_datetimes(seconds: np.ndarray) -> list[datetime]:
    """Return unix seconds as aware UTC datetimes."""
    naive = seconds.astype("datetime64[s]").tolist()
    return [d.replace(tzinfo=UTC) for d in naive]


def hour_runs(mask: np.ndarray, start_utc: datetime) -> list[tuple[datetime, datetime]]:
    """Turn an hourly mask from ``start_utc`` into its runs of True as [start, end) pairs."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
    base = start_utc.astimezone(UTC)
    return [
        (base + timedelta(hours=int(s)), base + timedelta(hours=int(e)))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
    ]


def nearest_on_hours(
    times: np.ndarray, values: np.ndarray, window_seconds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Place readings (unix s) on UTC hours: for each hour the reading nearest to it within
    ``window_seconds`` either side; ties go to the earlier reading, then the earlier index.
    NaN values are skipped. Return the hours (int64 s) that got a reading, and their values."""
    ok = ~np.isnan(values)
    times, values = times[ok], values[ok]
    order = np.arange(times.size)
    below = (times // HOUR) * HOUR
    above = below + HOUR
    cand_hour = np.concatenate([below, above])
    cand_time = np.concatenate([times, times])
    cand_order = np.concatenate([order, order])
    distance = np.abs(cand_time - cand_hour)
    keep = distance <= window_seconds
    cand_hour, cand_time, cand_order, distance = (
        cand_hour[keep],
        cand_time[keep],
        cand_order[keep],
        distance[keep],
    )
    # Sort by hour, then distance, then time (earlier wins), then line order.
    idx = np.lexsort((cand_order, cand_time, distance, cand_hour))
    hours = cand_hour[idx]
    first = np.ones(hours.size, dtype=bool)
    first[1:] = hours[1:] != hours[:-1]
    chosen = idx[first]
    return cand_hour[chosen], values[cand_order[chosen]]
