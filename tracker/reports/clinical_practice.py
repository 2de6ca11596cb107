"""Loaders of the report's ``practice``, ``triggers`` and ``cycle`` sections (issue #16,
points 4-5): the patient's rows as plain values for :mod:`correlation.clinical_practice`.

Registered in :data:`tracker.reports.clinical.SECTIONS`; each loader has the registry's
signature ``(session, patient, zone)``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from correlation.clinical_practice import (
    CycleData,
    PracticeData,
    PracticeEntry,
    TaggedAttack,
    TriggerData,
)
from tracker.clinical_models import CycleDay, PracticeDay
from tracker.diary.clinical_terms import TRIGGER_TAGS
from tracker.diary.profile import require_patient
from tracker.models import Attack, User


def practice_entries(session: Session, patient: User) -> tuple[PracticeEntry, ...]:
    """The patient's practice entries as plain values, oldest first."""
    rows = session.execute(
        select(PracticeDay.day, PracticeDay.somatic_tracking_minutes,
               PracticeDay.reappraisal_minutes, PracticeDay.other_minutes,
               PracticeDay.weather_worry)
        .where(PracticeDay.patient_id == patient.id).order_by(PracticeDay.day))
    return tuple(PracticeEntry(day, s or 0, r or 0, o or 0, w) for day, s, r, o, w in rows)


def load_practice(session: Session, patient: User, zone: ZoneInfo) -> PracticeData:
    """The ``practice`` section's data."""
    return PracticeData(practice_entries(session, patient))


def load_triggers(session: Session, patient: User, zone: ZoneInfo) -> TriggerData:
    """The ``triggers`` section's data: every attack's local onset day and its tags."""
    tracked = bool(require_patient(patient).tracks_triggers)
    if not tracked:
        return TriggerData(False, ())
    rows = session.execute(select(Attack.started_at, Attack.triggers)
                           .where(Attack.patient_id == patient.id)
                           .order_by(Attack.started_at, Attack.id))
    return TriggerData(True, tuple(
        TaggedAttack(started.astimezone(zone).date(),
                     None if tags is None else tuple(tags)) for started, tags in rows))


def load_cycle(session: Session, patient: User, zone: ZoneInfo) -> CycleData:
    """The ``cycle`` section's data: the period days recorded."""
    tracked = bool(require_patient(patient).tracks_cycle)
    if not tracked:
        return CycleData(False, ())
    return CycleData(True, tuple(session.scalars(
        select(CycleDay.day).where(CycleDay.patient_id == patient.id).order_by(CycleDay.day))))


#: Columns the daily export adds after the report's day keys (docs/method.md, data dictionary).
DAILY_COLUMNS = ("practice_minutes", "weather_worry", "cycle_day", "triggers")


def daily_clinical(session: Session, patient: User) -> dict[str, dict[str, Any]]:
    """Per local day (ISO date) with an entry: practice minutes, weather worry, whether it
    was a marked period day, and the trigger tags of attacks that began on it (";"-joined)."""
    zone = ZoneInfo(require_patient(patient).timezone)
    out: dict[str, dict[str, Any]] = {}

    def row(day: date) -> dict[str, Any]:
        return out.setdefault(day.isoformat(), dict.fromkeys(DAILY_COLUMNS))

    for e in practice_entries(session, patient):
        row(e.day).update(practice_minutes=e.minutes, weather_worry=e.weather_worry)
    for day in session.scalars(select(CycleDay.day).where(CycleDay.patient_id == patient.id)):
        row(day)["cycle_day"] = True
    tags: dict[date, set[str]] = {}
    for started, given in session.execute(
            select(Attack.started_at, Attack.triggers)
            .where(Attack.patient_id == patient.id, Attack.triggers.is_not(None))):
        tags.setdefault(started.astimezone(zone).date(), set()).update(given or ())
    for day, found in tags.items():
        row(day)["triggers"] = ";".join(t for t in TRIGGER_TAGS if t in found)
    return out
