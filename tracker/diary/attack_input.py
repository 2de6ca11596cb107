"""An attack as a patient enters it, and its validation (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from tracker.clock import utcnow
from tracker.diary.validation import check_aware, check_scale, check_text
from tracker.errors import ValidationError

ATTACK_KINDS = ("migraine", "headache")

#: How far in the future a start may lie (clock skew between a phone and the server).
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class AttackInput:
    """The fields of an attack as a patient enters them (instants must be aware)."""

    started_at: datetime
    ended_at: datetime | None = None
    kind: str = "migraine"
    intensity: int | None = None
    aura: bool = False
    medication: str = ""
    medication_helped: bool | None = None
    threat: int | None = None
    expected_weather: bool | None = None
    notes: str = ""


ATTACK_FIELDS = tuple(f.name for f in fields(AttackInput))


def validate_attack(data: AttackInput, now: datetime | None = None) -> AttackInput:
    """Check every field of an attack; raise ValidationError naming the first bad field."""
    now = now or utcnow()
    check_aware(data.started_at, "started_at")
    if data.ended_at is not None:
        check_aware(data.ended_at, "ended_at")
        if data.ended_at < data.started_at:
            raise ValidationError("the end is before the start", "ended_at")
        if data.ended_at > now + FUTURE_TOLERANCE:
            raise ValidationError("the end is in the future", "ended_at")
    if data.started_at > now + FUTURE_TOLERANCE:
        raise ValidationError("the start is in the future", "started_at")
    if data.kind not in ATTACK_KINDS:
        raise ValidationError(f"{data.kind!r} is not one of {', '.join(ATTACK_KINDS)}", "kind")
    check_scale(data.intensity, "intensity")
    check_scale(data.threat, "threat")
    for name in ("aura",):
        if not isinstance(getattr(data, name), bool):
            raise ValidationError("expected yes or no", name)
    for name in ("medication_helped", "expected_weather"):
        if getattr(data, name) not in (None, True, False):
            raise ValidationError("expected yes, no or empty", name)
    check_text(data.medication, "medication", 200)
    check_text(data.notes, "notes", 5000)
    return data
