"""Build the analysis input from files (the researcher's path: no database needed)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import numpy as np

from correlation import Attack, Course, MethodConfig, PatientSeries
from tracker.diary.attacks_csv import CSVImportError, LineError, parse_attacks_csv
from tracker.diary.validation import check_timezone
from tracker.errors import ValidationError
from weather.station_csv import StationCSVError, parse_station_csv

HOUR = 3600
TINY = timedelta(microseconds=1)


def hourly_array(hours_utc: np.ndarray, values: np.ndarray) -> tuple[datetime, np.ndarray]:
    """Return (first hour, contiguous hourly float64 array with NaN gaps) from sparse hours."""
    if len(hours_utc) == 0:
        raise ValidationError("the pressure file has no readings", "pressure")
    hours = np.asarray(hours_utc, dtype=np.int64)
    first = int(hours.min())
    out = np.full((int(hours.max()) - first) // HOUR + 1, np.nan)
    out[(hours - first) // HOUR] = np.asarray(values, dtype=np.float64)
    return datetime.fromtimestamp(first, UTC), out


def parse_checkins_csv(text: str) -> frozenset[date]:
    """Return the local days listed in a check-in CSV (a ``day`` column, ISO dates)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in reader.fieldnames or []]
    if "day" not in fields:
        raise CSVImportError([LineError(1, None, "missing column: day")])
    reader.fieldnames = fields
    days, errors = set(), []
    for row in reader:
        raw = (row.get("day") or "").strip()
        try:
            days.add(date.fromisoformat(raw))
        except ValueError:
            errors.append(LineError(reader.line_num, "day", f"{raw!r} is not a date"))
    if errors:
        raise CSVImportError(errors)
    return frozenset(days)


def series_from_files(
    *,
    attacks_text: str | bytes,
    pressure_text: str,
    timezone: str,
    course_start: date,
    course_end: date,
    course_kind: str = "PRT",
    tracking_start: date | None = None,
    report_date: date | None = None,
    checkins_text: str | None = None,
    config: MethodConfig | None = None,
) -> PatientSeries:
    """Build a PatientSeries from an attack CSV and an hourly UTC pressure CSV (hPa).

    Tracking start defaults to the first local day (in ``timezone``) that the pressure file
    covers completely, the report date to the last one. ``attacks_text`` may be the file's
    bytes (decoded as :func:`tracker.attacks_csv.decode_attacks_file` says).
    """
    config = config or MethodConfig()
    zone = check_timezone(timezone)
    try:
        readings = parse_station_csv(pressure_text, default_timezone="UTC", allow_empty=True)
    except StationCSVError as exc:
        raise ValidationError(str(exc), "pressure") from exc
    variable = (
        readings.msl_hpa if config.pressure_variable == "pressure_msl"
        else readings.surface_pressure_hpa
    )
    start, pressure = hourly_array(readings.hours_utc, variable)
    end = datetime.fromtimestamp(int(readings.hours_utc.max()), UTC) + timedelta(hours=1)
    # Defaults: the first and the last local day that the file covers completely.
    first_day = tracking_start or (start - TINY).astimezone(zone).date() + timedelta(days=1)
    last_day = report_date or end.astimezone(zone).date() - timedelta(days=1)
    if last_day < first_day:
        raise ValidationError("the pressure file does not cover a whole local day", "pressure")
    if course_end < course_start:
        raise ValidationError("the course ends before it starts", "course_end")
    attacks = [
        Attack(started_at=a.started_at, ended_at=a.ended_at, kind=a.kind)
        for _, a in parse_attacks_csv(attacks_text, timezone, now=datetime.now(UTC))
    ]
    checkins = parse_checkins_csv(checkins_text) if checkins_text is not None else None
    return PatientSeries(
        timezone=timezone,
        pressure_start=start,
        pressure_hpa=pressure,
        attacks=attacks,
        tracking_start=first_day,
        report_date=last_day,
        course=Course(kind=course_kind, started_on=course_start, ended_on=course_end),
        checkin_days=checkins,
    )
