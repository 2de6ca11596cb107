"""One rule of amendment A1: a local day with an attack is never also a headache-free day.

An attack is active on the local days of ``[started_at, ended_at)`` in the patient's timezone
(its start day alone when it has no end), as the analysis counts them (correlation.diary).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tracker.errors import ConflictError
from tracker.models import Attack, CheckIn, User

#: The smallest step of a datetime: [start, end) ends on the local day of end - this.
_LAST_INSTANT = timedelta(microseconds=1)


class CheckinClashError(ConflictError):
    """A new attack falls on days that have headache-free check-ins (the page asks first)."""

    def __init__(self, message: str, field: str | None, days: list[date]) -> None:
        super().__init__(message, field)
        self.days = days


def local_span(started_at: datetime, ended_at: datetime | None, zone: ZoneInfo
               ) -> tuple[date, date]:
    """Return the first and last local day (inclusive) an attack is active on."""
    first = started_at.astimezone(zone).date()
    if ended_at is None or ended_at <= started_at:
        return first, first
    return first, (ended_at - _LAST_INSTANT).astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the instant a local day begins."""
    return datetime.combine(day, time(0), zone)


def day_label(day: date) -> str:
    """Return a day in words, e.g. "Tue 3 Dec 2024"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def instant_label(instant: datetime, zone: ZoneInfo) -> str:
    """Return an instant in the patient's local time, e.g. "Tue 3 Dec 2024 14:05"."""
    local = instant.astimezone(zone)
    return f"{day_label(local.date())} {local:%H:%M}"


def attacks_on_days(session: Session, patient: User, first: date, last: date,
                    zone: ZoneInfo) -> list[Attack]:
    """Return the patient's attacks (any kind) active on local days first..last, oldest first."""
    lo = local_midnight(first, zone)
    hi = local_midnight(last + timedelta(days=1), zone)
    stmt = select(Attack).where(
        Attack.patient_id == patient.id,
        Attack.started_at < hi,
        or_(Attack.started_at >= lo, and_(Attack.ended_at.is_not(None), Attack.ended_at > lo)),
    )
    return list(session.scalars(stmt.order_by(Attack.started_at, Attack.id)))


def headache_free_checkins(session: Session, patient: User, first: date, last: date
                           ) -> list[CheckIn]:
    """Return the patient's headache-free check-ins on days first..last, oldest first."""
    stmt = select(CheckIn).where(
        CheckIn.patient_id == patient.id, CheckIn.headache_free.is_(True),
        CheckIn.day >= first, CheckIn.day <= last,
    )
    return list(session.scalars(stmt.order_by(CheckIn.day)))


def refuse_headache_free_day(session: Session, patient: User, day: date) -> None:
    """Raise ConflictError (field ``headache_free``) if an attack is active on ``day``."""
    zone = ZoneInfo(patient.profile.timezone)
    found = attacks_on_days(session, patient, day, day, zone)
    if found:
        when = instant_label(found[0].started_at, zone)
        raise ConflictError(
            f"{day_label(day)} has an attack (started {when}, your local time); "
            "a day with an attack cannot be marked headache-free", "headache_free")


def settle_checkin_clash(session: Session, patient: User, started_at: datetime,
                         ended_at: datetime | None, *, replace: bool,
                         before: Attack | None = None) -> list[CheckIn]:
    """Check an attack's days against headache-free check-ins.

    Without ``replace`` raise :class:`CheckinClashError` (field ``started_at``) naming the
    days; with it, turn those check-ins into check-ins that are not headache-free (the day
    keeps its check-in and note) and return them. When an attack is edited (``before``),
    only the days it did not cover before count, so older diaries stay editable.
    """
    zone = ZoneInfo(patient.profile.timezone)
    first, last = local_span(started_at, ended_at, zone)
    clashing = headache_free_checkins(session, patient, first, last)
    if before is not None:
        old_first, old_last = local_span(before.started_at, before.ended_at, zone)
        clashing = [c for c in clashing if not old_first <= c.day <= old_last]
    if clashing and not replace:
        days = [c.day for c in clashing]
        listed = ", ".join(day_label(d) for d in days)
        raise CheckinClashError(
            f"you marked {listed} as headache-free; change or delete that check-in first",
            "started_at", days)
    for checkin in clashing:
        checkin.headache_free = False
    return clashing
