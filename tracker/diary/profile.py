"""A patient's profile: timezone, preferred pressure unit and location periods."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.fields import LOCATION_RULES, RECORDS_FROM
from tracker.diary.locks import lock_patient_diary
from tracker.diary.validation import (
    check_day,
    check_latitude,
    check_longitude,
    check_timezone,
    is_row_id,
)
from tracker.errors import NotFoundError, ValidationError
from tracker.models import PRESSURE_UNITS, LocationPeriod, PatientProfile, User


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Return today's date in ``timezone``."""
    return (now or utcnow()).astimezone(check_timezone(timezone)).date()


def check_unit(unit: str) -> str:
    """Return a pressure unit from PRESSURE_UNITS or raise (field ``pressure_unit``)."""
    if unit not in PRESSURE_UNITS:
        raise ValidationError(
            f"{unit!r} is not one of {', '.join(PRESSURE_UNITS)}", "pressure_unit"
        )
    return unit


def require_patient(user: User) -> PatientProfile:
    """Return the patient's profile, or raise if ``user`` is not a patient."""
    if user.role != "patient" or user.profile is None:
        raise ValidationError(f"{user.email} is not a patient", "patient")
    return user.profile


def set_timezone(session: Session, patient: User, timezone: str) -> None:
    """Set the IANA timezone the patient's local days are counted in."""
    check_timezone(timezone)
    require_patient(patient).timezone = timezone
    session.flush()


def set_pressure_unit(session: Session, patient: User, unit: str) -> None:
    """Set the unit pressure is shown in (hPa, inHg, mmHg or kPa)."""
    require_patient(patient).pressure_unit = check_unit(unit)
    session.flush()


def set_records_every_day_from(
    session: Session, patient: User, day: date | None, now: datetime | None = None
) -> None:
    """Set (or clear, with None) the day from which the patient records every day (A1)."""
    profile = require_patient(patient)
    field = RECORDS_FROM.name
    if day is not None:
        check_day(day, field)
        if day > local_today(profile.timezone, now):
            raise ValidationError("the day is in the future", field)
    profile.records_every_day_from = day
    session.flush()


def add_location_period(
    session: Session,
    patient: User,
    *,
    starts_on: date,
    latitude: float,
    longitude: float,
    timezone: str,
    label: str = "",
) -> LocationPeriod:
    """Record where the patient is from ``starts_on`` (local date) on; replaces a same-day one."""
    require_patient(patient)
    check_day(starts_on, "starts_on")
    check_latitude(latitude)
    check_longitude(longitude)
    check_timezone(timezone)
    LOCATION_RULES["label"].check(label)
    lock_patient_diary(session, patient.id)  # one period a day: select, then insert
    existing = session.scalar(
        select(LocationPeriod).where(
            LocationPeriod.patient_id == patient.id, LocationPeriod.starts_on == starts_on
        )
    )
    period = existing or LocationPeriod(patient_id=patient.id, starts_on=starts_on)
    period.latitude = float(latitude)
    period.longitude = float(longitude)
    period.timezone = timezone
    period.label = (label or "").strip()
    session.add(period)
    session.flush()
    return period


def list_location_periods(session: Session, patient: User) -> list[LocationPeriod]:
    """Return the patient's location periods, oldest first."""
    return list(
        session.scalars(
            select(LocationPeriod)
            .where(LocationPeriod.patient_id == patient.id)
            .order_by(LocationPeriod.starts_on)
        )
    )


def delete_location_period(session: Session, patient: User, period_id: int) -> None:
    """Delete one of the patient's location periods."""
    period = session.get(LocationPeriod, period_id) if is_row_id(period_id) else None
    if period is None or period.patient_id != patient.id:
        raise NotFoundError(f"no location period {period_id}", "id")
    session.delete(period)
    session.flush()
