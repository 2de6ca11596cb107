"""Diary check-ins: one per local day ("no headache today"), recorded and deleted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.day_clash import refuse_headache_free_day
from tracker.diary.fields import CHECKIN_RULES
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import local_today, require_patient
from tracker.diary.validation import check_day, is_row_id
from tracker.errors import NotFoundError, ValidationError
from tracker.models import CheckIn, User


def record_checkin(
    session: Session,
    patient: User,
    day: date,
    *,
    headache_free: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> CheckIn:
    """Record (or replace) the check-in of a local day; switches the diary to check-in mode.

    A headache-free check-in on a day with an attack is refused (ConflictError naming
    ``headache_free``, amendment A1).
    """
    profile = require_patient(patient)
    now = now or utcnow()
    check_day(day, "day")
    CHECKIN_RULES["note"].check(note)
    if day > local_today(profile.timezone, now):
        raise ValidationError("the day is in the future", "day")
    lock_patient_diary(session, patient.id)  # one check-in a day: select, then insert
    if headache_free:
        refuse_headache_free_day(session, patient, day)  # amendment A1
    checkin = session.scalar(
        select(CheckIn).where(CheckIn.patient_id == patient.id, CheckIn.day == day)
    )
    if checkin is None:
        checkin = CheckIn(patient_id=patient.id, day=day, created_at=now)
        session.add(checkin)
    checkin.headache_free = bool(headache_free)
    checkin.note = note or ""
    profile.checkins_in_use = True
    session.flush()
    return checkin


def delete_checkin(session: Session, patient: User, checkin_id: int) -> None:
    """Delete one of the patient's check-ins; with none left, completeness is assumed again."""
    profile = require_patient(patient)
    lock_patient_diary(session, patient.id)  # checkins_in_use follows the remaining rows
    checkin = session.get(CheckIn, checkin_id) if is_row_id(checkin_id) else None
    if checkin is None or checkin.patient_id != patient.id:
        raise NotFoundError(f"no check-in {checkin_id}", "id")
    session.delete(checkin)
    session.flush()
    remaining = session.scalar(select(CheckIn.id).where(CheckIn.patient_id == patient.id).limit(1))
    profile.checkins_in_use = remaining is not None
    session.flush()


def list_checkins(session: Session, patient: User) -> list[CheckIn]:
    """Return the patient's check-ins, oldest first."""
    return list(
        session.scalars(
            select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.day)
        )
    )

