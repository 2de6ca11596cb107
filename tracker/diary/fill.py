"""'No headache on the days since my last entry': up to 14 check-ins in one tap (A1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.day_clash import attacks_on_days, local_span
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import local_today, require_patient
from tracker.errors import ConflictError, ValidationError
from tracker.models import Attack, CheckIn, User

#: At most this many days are filled in one tap.
MAX_FILL_DAYS = 14


@dataclass(frozen=True)
class FillPreview:
    """The days one tap would mark headache-free, and how many older unrecorded days stay."""

    days: list[date]
    left_out: int = 0


def last_entry_day(session: Session, patient: User, zone: ZoneInfo) -> date | None:
    """Return the last local day with a check-in or an active attack, or None without any."""
    found: list[date] = []
    last_checkin = session.scalar(
        select(func.max(CheckIn.day)).where(CheckIn.patient_id == patient.id))
    if last_checkin is not None:
        found.append(last_checkin)
    latest = session.scalars(
        select(Attack).where(Attack.patient_id == patient.id)
        .order_by(Attack.started_at.desc()).limit(1)).first()
    if latest is not None:
        found.append(local_span(latest.started_at, latest.ended_at, zone)[1])
    longest = session.scalars(
        select(Attack).where(Attack.patient_id == patient.id, Attack.ended_at.is_not(None))
        .order_by(Attack.ended_at.desc()).limit(1)).first()
    if longest is not None:
        found.append(local_span(longest.started_at, longest.ended_at, zone)[1])
    return max(found) if found else None


def fill_preview(session: Session, patient: User, now: datetime | None = None) -> FillPreview:
    """Return the local days after the last diary entry up to today (the latest 14 at most).

    Days with an attack or a check-in are never among them; without any diary entry there
    is nothing to fill.
    """
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    last = last_entry_day(session, patient, zone)
    today = local_today(profile.timezone, now)
    if last is None or last >= today:
        return FillPreview([])
    first = last + timedelta(days=1)
    gap = (today - first).days + 1
    start = max(first, today - timedelta(days=MAX_FILL_DAYS - 1))
    taken = {c.day for c in session.scalars(select(CheckIn).where(
        CheckIn.patient_id == patient.id, CheckIn.day >= start, CheckIn.day <= today))}
    for attack in attacks_on_days(session, patient, start, today, zone):
        lo, hi = local_span(attack.started_at, attack.ended_at, zone)
        taken.update(lo + timedelta(days=i) for i in range((hi - lo).days + 1))
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    return FillPreview([d for d in days if d not in taken], gap - len(days))


def fill_headache_free_days(
    session: Session, patient: User, expected: list[date] | None = None,
    now: datetime | None = None,
) -> list[CheckIn]:
    """Record a headache-free check-in on every day of :func:`fill_preview`, in one go.

    ``expected`` is the list the patient was shown; if the diary changed since, nothing is
    written and ConflictError (field ``days``) asks to look at the new list.
    """
    require_patient(patient)
    now = now or utcnow()
    lock_patient_diary(session, patient.id)
    days = fill_preview(session, patient, now).days
    if expected is not None and sorted(expected) != days:
        raise ConflictError("the days without an entry changed since the list was shown; "
                            "check the new list", "days")
    if not days:
        raise ValidationError("there are no days without an entry to fill", "days")
    added = [CheckIn(patient_id=patient.id, day=d, headache_free=True, note="",
                     created_at=now) for d in days]
    session.add_all(added)
    patient.profile.checkins_in_use = True
    session.flush()
    return added
