"""Trigger tags of an attack and the per-patient switches of the optional diary parts
(issue #16 point 4): triggers and cycle tracking are off by default."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.attacks import get_attack
from tracker.diary.profile import require_patient
from tracker.diary.trigger_tags import check_triggers
from tracker.models import Attack, User


def set_triggers(session: Session, patient: User, attack_id: int,
                 tags: Iterable[str] | None) -> Attack:
    """Set an attack's trigger tags (None: not given); the attack must be the patient's."""
    attack = get_attack(session, patient, attack_id)
    attack.triggers = check_triggers(tags)
    session.flush()
    return attack


def set_tracking(session: Session, patient: User, *, triggers: bool | None = None,
                 cycle: bool | None = None, now: datetime | None = None) -> None:
    """Turn trigger or cycle tracking on or off (the report's sections follow)."""
    profile = require_patient(patient)
    changed = False
    if triggers is not None and bool(triggers) != bool(profile.tracks_triggers):
        profile.tracks_triggers, changed = bool(triggers), True
    if cycle is not None and bool(cycle) != bool(profile.tracks_cycle):
        profile.tracks_cycle, changed = bool(cycle), True
    if changed:
        profile.diary_changed_at = now or utcnow()
    session.flush()
