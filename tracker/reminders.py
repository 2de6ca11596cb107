"""Reminder e-mails: a patient's choices, which reminders are due, and the at-most-once log.

Both reminders are off until the patient turns them on. The daily one goes out at the chosen
local time on a day that has no diary entry yet; the weekly one on the chosen weekday, at the
same time, when the last four weeks have days the report cannot count (no check-in and no
attack, from the day check-in mode began). Times are wall-clock times in the patient's
timezone, so a reminder follows daylight saving time: a time the clocks skip when they go
forward is read with the offset before the change (01:30 becomes 02:30), and a time that
occurs twice when they go back is sent at the first of them.

Each (patient, kind, local day) is claimed in ``sent_messages`` by one atomic insert before
anything is sent, so two schedulers, a restart, or a run by hand can never send the same
reminder twice; a message the SMTP server refused is tried again a few times, a claim whose
outcome is unknown (the process died while sending) is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from correlation import Attack as MethodAttack
from correlation.diary import attack_days, covered_days, mark_spans
from tracker.clock import utcnow
from tracker.diary.day_clash import attacks_on_days
from tracker.diary.fields import FieldRule, rules_by_name
from tracker.diary.profile import require_patient
from tracker.errors import ValidationError
from tracker.models import CheckIn, PatientProfile, User
from tracker.reminder_models import REMINDER_KINDS, ReminderPreference, SentMessage
from tracker.reports.series import tracking_start

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The times a reminder can be set to (local wall-clock time, every quarter of an hour).
TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 15, 30, 45))
#: The weekly message counts the days without an entry among this many days before today.
LOOKBACK_DAYS = 28

#: The reminder choices, declared once (the settings form and the API schema read them).
REMINDER_RULES = rules_by_name(
    FieldRule("daily", "bool", "Daily check-in reminder",
              "An e-mail at the time below on each day that has no diary entry yet.",
              default=False),
    FieldRule("weekly", "bool", "Weekly diary summary",
              "An e-mail on the day below when days of the last four weeks have no entry "
              "(counted from the day you began recording every day).", default=False),
    FieldRule("time", "choice", "Time (your local time)",
              "HH:MM in your timezone, every quarter of an hour; both reminders use it.",
              default="20:00", choices=TIMES),
    FieldRule("weekday", "choice", "Weekly summary on", "The weekday of the weekly summary.",
              default="sunday", choices=WEEKDAYS),
)


@dataclass(frozen=True)
class Preferences:
    """A patient's reminder choices (the defaults when nothing is stored: all off)."""

    daily: bool = False
    weekly: bool = False
    time: str = REMINDER_RULES["time"].default
    weekday: str = REMINDER_RULES["weekday"].default

    def as_dict(self) -> dict[str, object]:
        """Return the choices by field name (the API's members)."""
        return {"daily": self.daily, "weekly": self.weekly, "time": self.time,
                "weekday": self.weekday}


def get_preferences(session: Session, patient: User) -> Preferences:
    """Return the patient's reminder choices (all off if never saved)."""
    require_patient(patient)
    row = session.get(ReminderPreference, patient.id)
    if row is None:
        return Preferences()
    return Preferences(row.daily, row.weekly, row.send_at.strftime("%H:%M"),
                       WEEKDAYS[row.weekday])


def _choice(rule: FieldRule, value: object) -> str:
    if value not in rule.choices:
        raise ValidationError(f"{value!r} is not one of the choices", rule.name)
    return str(value)


def save_preferences(
    session: Session, patient: User, prefs: Preferences, now: datetime | None = None
) -> Preferences:
    """Store the patient's reminder choices (checked against :data:`REMINDER_RULES`)."""
    require_patient(patient)
    for name in ("daily", "weekly"):
        if not isinstance(getattr(prefs, name), bool):
            raise ValidationError("expected true or false", name)
    send_at = time.fromisoformat(_choice(REMINDER_RULES["time"], prefs.time))
    weekday = WEEKDAYS.index(_choice(REMINDER_RULES["weekday"], prefs.weekday))
    row = session.get(ReminderPreference, patient.id)
    if row is None:
        row = ReminderPreference(patient_id=patient.id)
        session.add(row)
    row.daily, row.weekly, row.send_at, row.weekday = prefs.daily, prefs.weekly, send_at, weekday
    row.updated_at = now or utcnow()
    session.flush()
    return get_preferences(session, patient)


def turn_off(session: Session, patient_id: int, kind: str, now: datetime | None = None) -> bool:
    """Turn one kind of reminder off (the unsubscribe link); return whether it was on."""
    if kind not in REMINDER_KINDS:
        raise ValidationError(f"{kind!r} is not a kind of reminder", "kind")
    column = getattr(ReminderPreference, kind)
    result = session.execute(
        update(ReminderPreference)
        .where(ReminderPreference.patient_id == patient_id, column.is_(True))
        .values({kind: False, "updated_at": now or utcnow()})
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)


# -- when ------------------------------------------------------------------------------------


def due_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the instant (UTC) of wall-clock time ``at`` on local ``day``; ``fold=0``: a
    skipped time is read with the offset before the change, a repeated one is the first."""
    return datetime.combine(day, at.replace(fold=0), zone).astimezone(UTC)


@dataclass(frozen=True)
class Due:
    """A reminder that is due: who, which kind, for which local day, since when."""

    patient_id: int
    kind: str
    local_day: date
    due_at: datetime


def due_reminders(session: Session, now: datetime, catch_up: timedelta) -> list[Due]:
    """Return the reminders due at ``now`` and not yet claimed: their local time today has
    passed, by at most ``catch_up``; the weekly one only on its weekday."""
    rows = session.execute(
        select(ReminderPreference, PatientProfile.timezone)
        .join(PatientProfile, PatientProfile.user_id == ReminderPreference.patient_id)
        .join(User, User.id == ReminderPreference.patient_id)
        .where(or_(ReminderPreference.daily.is_(True), ReminderPreference.weekly.is_(True)),
               User.is_active.is_(True), User.role == "patient")
        .order_by(ReminderPreference.patient_id)
    ).all()
    found: list[Due] = []
    for pref, tz_name in rows:
        zone = ZoneInfo(tz_name)
        today = now.astimezone(zone).date()
        due_at = due_instant(today, pref.send_at, zone)
        if not due_at <= now < due_at + catch_up:
            continue
        if pref.daily:
            found.append(Due(pref.patient_id, "daily", today, due_at))
        if pref.weekly and today.weekday() == pref.weekday:
            found.append(Due(pref.patient_id, "weekly", today, due_at))
    if not found:
        return []
    claimed = {tuple(row) for row in session.execute(
        select(SentMessage.patient_id, SentMessage.kind, SentMessage.local_day).where(
            SentMessage.patient_id.in_({d.patient_id for d in found}),
            SentMessage.local_day.in_({d.local_day for d in found}),
            SentMessage.status != "failed"))}
    return [d for d in found if (d.patient_id, d.kind, d.local_day) not in claimed]


# -- what to say -----------------------------------------------------------------------------


def day_has_entry(session: Session, patient: User, day: date) -> bool:
    """Whether local ``day`` has a check-in or an attack active on it."""
    zone = ZoneInfo(require_patient(patient).timezone)
    checkin = session.scalar(select(CheckIn.id).where(CheckIn.patient_id == patient.id,
                                                      CheckIn.day == day).limit(1))
    return checkin is not None or bool(attacks_on_days(session, patient, day, day, zone))


def unrecorded_days(
    session: Session, patient: User, today: date, lookback: int = LOOKBACK_DAYS
) -> list[date]:
    """Return the days of the ``lookback`` days before ``today`` (within tracking) that the
    report does not count: :func:`correlation.diary.covered_days`, the report's own rule
    (check-in mode from the stated day, else from the first check-in, amendment A1)."""
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    first = max(tracking_start(session, patient, today), today - timedelta(days=lookback))
    last = today - timedelta(days=1)
    if last < first:
        return []
    checkins = frozenset(session.scalars(
        select(CheckIn.day).where(CheckIn.patient_id == patient.id)))
    since = profile.records_every_day_from or (min(checkins) if checkins else None)
    n_days = (last - first).days + 1
    attacks = [MethodAttack(started_at=a.started_at, ended_at=a.ended_at, kind=a.kind)
               for a in attacks_on_days(session, patient, first, last, zone)]
    spans = attack_days(attacks, profile.timezone, first, ())
    with_attack = mark_spans(n_days, spans.first, spans.last)
    covered = covered_days(n_days, first, checkins if since else None, with_attack, since)
    return [first + timedelta(days=int(i)) for i in np.flatnonzero(~covered)]


# -- the at-most-once log --------------------------------------------------------------------


def claim(session: Session, due: Due, now: datetime, max_attempts: int) -> bool:
    """Claim a due reminder with one atomic statement; False if it is claimed already (sent,
    skipped, being sent, or refused ``max_attempts`` times). The caller commits at once."""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    table = SentMessage.__table__
    stmt = insert(table).values(
        patient_id=due.patient_id, kind=due.kind, local_day=due.local_day, status="sending",
        attempts=1, claimed_at=now,
    ).on_conflict_do_nothing(
        index_elements=[table.c.patient_id, table.c.kind, table.c.local_day]
    ).returning(table.c.id)
    if session.execute(stmt).first() is not None:
        return True
    retried = session.execute(
        update(SentMessage)
        .where(SentMessage.patient_id == due.patient_id, SentMessage.kind == due.kind,
               SentMessage.local_day == due.local_day, SentMessage.status == "failed",
               SentMessage.attempts < max_attempts)
        .values(status="sending", attempts=SentMessage.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(retried.rowcount)


def settle(session: Session, due: Due, status: str, now: datetime,
           error: str | None = None) -> None:
    """Record how a claimed reminder ended: sent, skipped or failed (with the error)."""
    session.execute(
        update(SentMessage)
        .where(SentMessage.patient_id == due.patient_id, SentMessage.kind == due.kind,
               SentMessage.local_day == due.local_day, SentMessage.status == "sending")
        .values(status=status, sent_at=now if status == "sent" else None,
                error=(error or None) and error[:2000])
        .execution_options(synchronize_session=False)
    )
