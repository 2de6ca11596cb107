"""Day-level pressure stage: 24-h falls, coverage, exposure days and weather windows.

Tri-state values (exposure, window) are ``int8`` arrays: 1 = true, 0 = false, -1 = unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from .config import MethodConfig

TRUE: int = 1
FALSE: int = 0
UNKNOWN: int = -1

#: Falls are compared with the threshold with this tolerance (hPa), so that a fall that is the
#: threshold on paper (1013.3 - 1008.3) is not lost to binary floating point.
FALL_TOLERANCE_HPA = 1e-9
_COVERAGE_TOLERANCE = 1e-12
_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _midnight_offset(tz: ZoneInfo, ordinal: int) -> int:
    """UTC offset (seconds) at the start of the local day ``ordinal`` (fold 0 in a gap)."""
    d = date.fromordinal(ordinal)
    return int(datetime(d.year, d.month, d.day, tzinfo=tz).utcoffset().total_seconds())


def local_midnights_utc(first_day: date, n_days: int, timezone: str) -> np.ndarray:
    """UTC epoch seconds of the n+1 local midnights from first_day on (DESIGN method 1, days).

    Offsets only change at transitions, so the offset is probed weekly; a block whose two ends
    differ is resolved day by day, any other block takes its end's offset. Each block is
    exactly the days since the previous probe (issue 12, bug 1: the last, shorter block used
    to reach back into the block before it).
    """
    tz = _zone(timezone)
    first_ord = first_day.toordinal()
    days0 = first_ord - _EPOCH_ORDINAL
    offsets = np.empty(n_days + 1, dtype=np.int64)
    offsets[0] = prev_off = _midnight_offset(tz, first_ord)
    prev_k = 0
    while prev_k < n_days:
        k = min(prev_k + 7, n_days)
        off = _midnight_offset(tz, first_ord + k)
        offsets[k] = off
        if off == prev_off:
            offsets[prev_k + 1:k] = off
        else:
            for j in range(prev_k + 1, k):
                offsets[j] = _midnight_offset(tz, first_ord + j)
        prev_k, prev_off = k, off
    return (days0 + np.arange(n_days + 1, dtype=np.int64)) * 86400 - offsets


def falls(pressure_hpa: np.ndarray, window_hours: int = 24) -> np.ndarray:
    """Fall p(t - window) - p(t) in hPa at every hour, NaN where missing (DESIGN method 1)."""
    p = np.asarray(pressure_hpa, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    if p.size > window_hours:
        out[window_hours:] = p[:-window_hours] - p[window_hours:]
    return out


@dataclass(frozen=True)
class DayPressure:
    """Per local day: max fall (hPa, NaN if none), coverage (share 0-1), hours in the day."""

    max_fall_hpa: np.ndarray
    coverage: np.ndarray
    hours: np.ndarray


def day_pressure(
    pressure_start: datetime,
    pressure_hpa: np.ndarray,
    timezone: str,
    first_day: date,
    n_days: int,
    window_hours: int = 24,
) -> DayPressure:
    """Max 24-h fall (hPa) and pressure coverage (share) per local day (DESIGN method 1)."""
    if pressure_start.tzinfo is None:
        raise ValueError("pressure_start must be timezone-aware")
    p0 = int(pressure_start.astimezone(UTC).timestamp())
    bounds = local_midnights_utc(first_day, n_days, timezone)
    # grid index of the first hour at or after each bound
    idx = -((p0 - bounds) // 3600)
    i0, i1 = idx[:-1], idx[1:]
    hours = (i1 - i0).astype(np.int64)
    fall = falls(pressure_hpa, window_hours)
    n = fall.size
    width = int(hours.max()) if hours.size else 0
    if n_days == 0 or width <= 0:
        empty = np.zeros(n_days)
        return DayPressure(np.full(n_days, np.nan), empty, hours)
    grid = i0[:, None] + np.arange(width)[None, :]
    usable = (np.arange(width)[None, :] < hours[:, None]) & (grid >= 0) & (grid < n)
    vals = np.where(usable, fall[np.clip(grid, 0, max(n - 1, 0))] if n else np.nan, np.nan)
    known = ~np.isnan(vals)
    count = known.sum(axis=1)
    mx = np.where(known, vals, -np.inf).max(axis=1)
    max_fall = np.where(count > 0, mx, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(hours > 0, count / np.maximum(hours, 1), 0.0)
    return DayPressure(max_fall, coverage.astype(np.float64), hours)


def exposure_days(
    max_fall_hpa: np.ndarray,
    coverage: np.ndarray,
    threshold_hpa: float = 5.0,
    min_coverage: float = 0.75,
) -> np.ndarray:
    """Exposure per day as int8 1/0/-1 from max fall (hPa) and coverage (DESIGN method 2)."""
    mf = np.asarray(max_fall_hpa, dtype=np.float64)
    cov = np.asarray(coverage, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        hit = mf >= threshold_hpa - FALL_TOLERANCE_HPA
    known_low = ~np.isnan(mf) & (cov >= min_coverage - _COVERAGE_TOLERANCE)
    return np.where(hit, TRUE, np.where(known_low, FALSE, UNKNOWN)).astype(np.int8)


def weather_window(
    exposure: np.ndarray, lag_days: int = 1, location_change: np.ndarray | None = None
) -> np.ndarray:
    """Weather window per day (int8 1/0/-1) over days d-lag..d (DESIGN method 3).

    ``exposure`` covers consecutive days; days before its start are unknown. Location-change
    days get an unknown exposure and an unknown window.
    """
    e = np.asarray(exposure, dtype=np.int8).copy()
    n = e.size
    if location_change is not None:
        e[np.asarray(location_change, dtype=bool)] = UNKNOWN
    padded = np.concatenate([np.full(lag_days, UNKNOWN, dtype=np.int8), e])
    any_true = np.zeros(n, dtype=bool)
    all_known = np.ones(n, dtype=bool)
    for j in range(lag_days + 1):
        seg = padded[lag_days - j : lag_days - j + n]
        any_true |= seg == TRUE
        all_known &= seg != UNKNOWN
    w = np.where(any_true, TRUE, np.where(all_known, FALSE, UNKNOWN)).astype(np.int8)
    if location_change is not None:
        w[np.asarray(location_change, dtype=bool)] = UNKNOWN
    return w


@dataclass(frozen=True)
class DayWeather:
    """Pressure stage for consecutive local days: fall (hPa), coverage, exposure, window."""

    first_day: date
    max_fall_hpa: np.ndarray
    coverage: np.ndarray
    exposure: np.ndarray
    window: np.ndarray

    def from_day(self, day: date) -> DayWeather:
        """The same days from ``day`` on (``day`` at or after ``first_day``)."""
        k = (day - self.first_day).days
        if k < 0:
            raise ValueError("day is before first_day")
        return DayWeather(day, self.max_fall_hpa[k:], self.coverage[k:], self.exposure[k:],
                          self.window[k:])


def day_weather(
    pressure_start: datetime,
    pressure_hpa: np.ndarray,
    timezone: str,
    first_day: date,
    last_day: date,
    config: MethodConfig | None = None,
    location_change_days: Iterable[date] = (),
) -> DayWeather:
    """Falls (hPa), coverage, exposure and window for first_day..last_day (DESIGN method 1-3)."""
    cfg = config or MethodConfig()
    lag = cfg.lag_days
    n = (last_day - first_day).days + 1
    if n < 0:
        raise ValueError("last_day is before first_day")
    ext_first = first_day - timedelta(days=lag)
    dp = day_pressure(pressure_start, pressure_hpa, timezone, ext_first, n + lag, cfg.window_hours)
    exp = exposure_days(dp.max_fall_hpa, dp.coverage, cfg.drop_threshold_hpa,
                        cfg.min_pressure_coverage)
    change = np.zeros(n + lag, dtype=bool)
    for d in location_change_days:
        k = (d - ext_first).days
        if 0 <= k < n + lag:
            change[k] = True
    win = weather_window(exp, lag, change)
    exp = exp.copy()
    exp[change] = UNKNOWN
    return DayWeather(
        first_day=first_day,
        max_fall_hpa=dp.max_fall_hpa[lag:],
        coverage=dp.coverage[lag:],
        exposure=exp[lag:],
        window=win[lag:],
    )
