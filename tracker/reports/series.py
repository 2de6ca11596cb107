"""A patient's report from the database: diary + pressure of each location, then the method."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from correlation import Attack as MethodAttack
from correlation import Course, PatientSeries, Report, analyze
from tracker.clock import utcnow
from tracker.diary.courses import list_courses
from tracker.diary.profile import list_location_periods, require_patient
from tracker.models import Attack, CheckIn, LocationPeriod, TreatmentCourse, User
from tracker.reports.clinical import load_clinical
from tracker.reports.settings import ReportSettings
from weather.grid import cell_key, find_cell_id
from weather.observations import load_series

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CellSpan:
    """The cell a patient was in from ``first_day`` to ``last_day`` (local days, inclusive)."""

    cell_id: int | None
    first_day: date
    last_day: date
    latitude: float
    longitude: float


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """Return local midnight of ``day`` in UTC, floored to the hour (half-hour zones)."""
    instant = datetime.combine(day, time(0), zone).astimezone(UTC)
    return instant.replace(minute=0, second=0, microsecond=0)


def cell_spans(
    session: Session,
    periods: list[LocationPeriod],
    first_day: date,
    last_day: date,
    grid_degrees: float,
) -> list[CellSpan]:
    """Split [first_day, last_day] by location period; the first period also covers before."""
    spans: list[CellSpan] = []
    for i, period in enumerate(periods):
        start = first_day if i == 0 else max(period.starts_on, first_day)
        end = last_day if i + 1 == len(periods) else periods[i + 1].starts_on - timedelta(days=1)
        end = min(end, last_day)
        if end < start:
            continue
        cell_id = find_cell_id(session, period.latitude, period.longitude, grid_degrees)
        spans.append(CellSpan(cell_id, start, end, period.latitude, period.longitude))
    return spans


def location_change_days(
    periods: list[LocationPeriod], grid_degrees: float
) -> frozenset[date]:
    """Return the days on which the patient moved to another grid cell (travel days)."""
    days = set()
    for before, after in zip(periods, periods[1:], strict=False):
        if cell_key(before.latitude, before.longitude, grid_degrees) != cell_key(
            after.latitude, after.longitude, grid_degrees
        ):
            days.add(after.starts_on)
    return frozenset(days)


def assemble_pressure(
    session: Session,
    spans: list[CellSpan],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    variable: str,
) -> tuple[datetime, np.ndarray]:
    """Return (first hour, hourly hPa array) from one day before ``first_day`` to the end.

    Each span's hours come from its own cell; the day before the first span (needed for the
    first 24-hour falls) comes from the first cell.
    """
    start = local_midnight_utc(first_day - timedelta(days=1), zone)
    end = local_midnight_utc(last_day + timedelta(days=1), zone)
    out = np.full(int((end - start) / HOUR), np.nan)
    for i, span in enumerate(spans):
        if span.cell_id is None:
            continue
        lo = start if i == 0 else local_midnight_utc(span.first_day, zone)
        hi = local_midnight_utc(span.last_day + timedelta(days=1), zone)
        values = load_series(session, span.cell_id, lo, hi, variable)
        offset = int((lo - start) / HOUR)
        out[offset:offset + len(values)] = values
    return start, out


def current_course(courses: list[TreatmentCourse]) -> TreatmentCourse | None:
    """Return the course the report is about: the latest one that has started."""
    return courses[-1] if courses else None


def tracking_start(session: Session, patient: User, today: date) -> date:
    """Return the first day of tracking: the profile's, else the first diary entry's day
    (or the day the account was made), never after ``today``."""
    profile = require_patient(patient)
    if profile.tracking_started_on is not None:
        return profile.tracking_started_on
    zone = ZoneInfo(profile.timezone)
    candidates = [patient.created_at.astimezone(zone).date(), today]
    first_attack = session.scalar(
        select(func.min(Attack.started_at)).where(Attack.patient_id == patient.id)
    )
    if first_attack is not None:
        candidates.append(first_attack.astimezone(zone).date())
    first_checkin = session.scalar(
        select(func.min(CheckIn.day)).where(CheckIn.patient_id == patient.id)
    )
    if first_checkin is not None:
        candidates.append(first_checkin)
    return min(candidates)


def patient_series(
    session: Session,
    patient: User,
    *,
    settings: ReportSettings,
    now: datetime | None = None,
) -> PatientSeries | None:
    """Assemble a patient's analysis input, or None if no treatment course is recorded."""
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    today = (now or utcnow()).astimezone(zone).date()
    course = current_course(list_courses(session, patient))
    if course is None:
        return None
    first_day = tracking_start(session, patient, today)
    periods = list_location_periods(session, patient)
    spans = cell_spans(session, periods, first_day, today, settings.grid_degrees)
    start, pressure = assemble_pressure(
        session, spans, zone, first_day, today, settings.method.pressure_variable
    )
    # only the columns the method reads: no ORM objects for hundreds of attacks per visit
    attacks = [
        MethodAttack(started_at=started, ended_at=ended, kind=kind)
        for started, ended, kind in session.execute(
            select(Attack.started_at, Attack.ended_at, Attack.kind)
            .where(Attack.patient_id == patient.id).order_by(Attack.started_at, Attack.id))
    ]
    checkins = (
        frozenset(session.scalars(select(CheckIn.day).where(CheckIn.patient_id == patient.id)))
        if profile.checkins_in_use else None
    )
    ended = course.ended_on or max(today, course.started_on)
    return PatientSeries(
        timezone=profile.timezone,
        pressure_start=start,
        pressure_hpa=pressure,
        attacks=attacks,
        tracking_start=first_day,
        report_date=today,
        course=Course(kind=course.kind, started_on=course.started_on, ended_on=ended),
        checkin_days=checkins,
        checkins_from=profile.records_every_day_from,  # None: the first check-in (A1)
        location_change_days=location_change_days(periods, settings.grid_degrees),
        clinical=load_clinical(session, patient),
    )


def patient_report(
    session: Session,
    patient: User,
    *,
    settings: ReportSettings,
    now: datetime | None = None,
) -> Report | None:
    """Compute a patient's report now, or None if no treatment course is recorded."""
    series = patient_series(session, patient, settings=settings, now=now)
    if series is None:
        return None
    return analyze(series, settings.method, generated_at=now or utcnow())
