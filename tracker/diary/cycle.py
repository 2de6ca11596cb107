"""Optional cycle tracking (issue #16 point 4): days of menstrual bleeding, one row a day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import CycleDay
from tracker.clock import utcnow
from tracker.diary.fields import FUTURE_DAY, FieldRule
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import local_today, require_patient
from tracker.diary.validation import check_day
from tracker.errors import NotFoundError, ValidationError
from tracker.models import User

#: The one rule of a period day that JSON Schema cannot state (the API documents it).
CYCLE_RULES = {"day": FieldRule("day", "day", "Day (leave empty for today)", nullable=True,
                                beyond_schema=FUTURE_DAY)}

def mark_cycle_day(session: Session, patient: User, day: date, *,
                   now: datetime | None = None) -> CycleDay:
    """Mark a local day as a period day (marking it twice keeps one row)."""
    profile = require_patient(patient)
    now = now or utcnow()
    check_day(day, "day")
    if day > local_today(profile.timezone, now):
        raise ValidationError("the day is in the future", "day")
    lock_patient_diary(session, patient.id)
    row = session.scalar(select(CycleDay).where(CycleDay.patient_id == patient.id,
                                                CycleDay.day == day))
    if row is None:
        row = CycleDay(patient_id=patient.id, day=day)
        session.add(row)
        profile.diary_changed_at = now  # the report's cycle count changes
        session.flush()
    return row


def unmark_cycle_day(session: Session, patient: User, day: date) -> None:
    """Remove a period day (NotFoundError when it was not marked)."""
    profile = require_patient(patient)
    row = session.scalar(select(CycleDay).where(CycleDay.patient_id == patient.id,
                                                CycleDay.day == day))
    if row is None:
        raise NotFoundError(f"{day.isoformat()} is not marked", "day")
    session.delete(row)
    profile.diary_changed_at = utcnow()
    session.flush()


def list_cycle_days(session: Session, patient: User) -> list[date]:
    """The patient's period days, oldest first."""
    return list(session.scalars(select(CycleDay.day).where(CycleDay.patient_id == patient.id)
                                .order_by(CycleDay.day)))
