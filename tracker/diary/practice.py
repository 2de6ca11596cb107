"""The PRT practice log (issue #16 point 5): one entry per local day, minutes of each kind of
practice and an optional 0-10 "how worried were you about the weather today?"."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import PracticeDay
from tracker.clock import utcnow
from tracker.diary.clinical_terms import PRACTICE_KINDS, PRACTICE_LABELS
from tracker.diary.fields import FUTURE_DAY, FieldRule, rules_by_name
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import local_today, require_patient
from tracker.diary.validation import check_day, is_row_id
from tracker.errors import NotFoundError, ValidationError
from tracker.models import User

#: Column of each kind of practice (minutes).
MINUTE_COLUMNS = {kind: f"{kind}_minutes" for kind in PRACTICE_KINDS}
WORRY = "weather_worry"

#: The practice entry's fields, declared once (page form, API schema, CSV read them).
PRACTICE_RULES = rules_by_name(
    FieldRule("day", "day", "Day (leave empty for today)",
              "The local date; today when omitted.", beyond_schema=FUTURE_DAY),
    *(FieldRule(column, "int", f"{PRACTICE_LABELS[kind]} (minutes)", default=0,
                minimum=0, maximum=1440) for kind, column in MINUTE_COLUMNS.items()),
    FieldRule(WORRY, "int", "How worried were you about the weather today? (0 not at all, "
              "10 very; optional)", nullable=True, minimum=0, maximum=10),
)


def _touch_diary(patient: User, now: datetime) -> None:
    """Mark the report stale: practice feeds the report's clinical section."""
    require_patient(patient).diary_changed_at = now


def record_practice(
    session: Session,
    patient: User,
    day: date,
    minutes: dict[str, int],
    weather_worry: int | None = None,
    *,
    now: datetime | None = None,
) -> PracticeDay:
    """Record (or replace) one local day's practice entry; the day may not be in the future."""
    profile = require_patient(patient)
    now = now or utcnow()
    check_day(day, "day")
    if day > local_today(profile.timezone, now):
        raise ValidationError("the day is in the future", "day")
    values = {}
    for column in MINUTE_COLUMNS.values():
        values[column] = PRACTICE_RULES[column].check(minutes.get(column, 0) or 0)
    if weather_worry is not None:
        PRACTICE_RULES[WORRY].check(weather_worry)
    lock_patient_diary(session, patient.id)  # one entry a day: select, then insert
    row = session.scalar(select(PracticeDay).where(PracticeDay.patient_id == patient.id,
                                                   PracticeDay.day == day))
    if row is None:
        row = PracticeDay(patient_id=patient.id, day=day, created_at=now)
        session.add(row)
    for column, value in values.items():
        setattr(row, column, value)
    row.weather_worry = weather_worry
    row.updated_at = now
    _touch_diary(patient, now)
    session.flush()
    return row


def get_practice(session: Session, patient: User, day: date) -> PracticeDay | None:
    """The patient's entry of one local day, or None."""
    return session.scalar(select(PracticeDay).where(PracticeDay.patient_id == patient.id,
                                                    PracticeDay.day == day))


def delete_practice(session: Session, patient: User, entry_id: int) -> None:
    """Delete one of the patient's practice entries (NotFoundError for another's or none)."""
    row = session.get(PracticeDay, entry_id) if is_row_id(entry_id) else None
    if row is None or row.patient_id != patient.id:
        raise NotFoundError(f"no practice entry {entry_id}", "id")
    session.delete(row)
    _touch_diary(patient, utcnow())
    session.flush()


def list_practice(session: Session, patient: User, first: date | None = None,
                  last: date | None = None) -> list[PracticeDay]:
    """The patient's practice entries, oldest first (optionally from ``first`` to ``last``)."""
    query = select(PracticeDay).where(PracticeDay.patient_id == patient.id)
    if first is not None:
        query = query.where(PracticeDay.day >= first)
    if last is not None:
        query = query.where(PracticeDay.day <= last)
    return list(session.scalars(query.order_by(PracticeDay.day)))


def total_minutes(row: PracticeDay) -> int:
    """All minutes of one entry."""
    return sum(getattr(row, column) or 0 for column in MINUTE_COLUMNS.values())
