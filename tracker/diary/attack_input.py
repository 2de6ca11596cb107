"""An attack as a patient enters it, and its validation (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from tracker.clock import utcnow
from tracker.diary.clinical_terms import FUNCTION_LEVELS
from tracker.diary.fields import FieldRule, rules_by_name
from tracker.diary.validation import check_aware
from tracker.errors import ValidationError

ATTACK_KINDS = ("migraine", "headache")

#: How far in the future a start may lie (clock skew between a phone and the server).
FUTURE_TOLERANCE = timedelta(minutes=5)

_FUTURE = (f"in the future (up to {int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes of "
           "clock skew are accepted)")

#: The rules of an attack's fields, declared once: validate_attack, the API's schemas (and so
#: the OpenAPI document), the attack form and the CSV import read them.
ATTACK_RULES = rules_by_name(
    FieldRule("started_at", "instant", "Started", required=True,
              beyond_schema=f"Not {_FUTURE}."),
    FieldRule("ended_at", "instant", "Ended (leave empty if ongoing)", "Empty while ongoing.",
              nullable=True, beyond_schema=f"Not before started_at, and not {_FUTURE}."),
    FieldRule("kind", "choice", "Kind", default="migraine", choices=ATTACK_KINDS),
    FieldRule("intensity", "int", "Peak intensity", "Peak intensity.", nullable=True,
              minimum=0, maximum=10),
    FieldRule("aura", "bool", "Aura", default=False),
    FieldRule("medication", "text", "Acute medication", default="", max_length=200),
    FieldRule("medication_helped", "bool", "Did it help?", nullable=True),
    FieldRule("threat", "int", "How threatening did it feel?", "How threatening it felt.",
              nullable=True, minimum=0, maximum=10),
    FieldRule("expected_weather", "bool", "Did you expect it because of the weather?",
              "Did the patient expect it because of the weather?", nullable=True),
    FieldRule("function", "choice", "What could you do?",
              "Function during the attack: normal, reduced or unable (to do usual activities).",
              nullable=True, choices=FUNCTION_LEVELS),
    FieldRule("notes", "text", "Notes", default="", max_length=5000),
)


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
    function: str | None = None
    notes: str = ""


ATTACK_FIELDS = tuple(f.name for f in fields(AttackInput))
assert ATTACK_FIELDS == tuple(ATTACK_RULES), "one rule per attack field, in order"


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
    kinds = ATTACK_RULES["kind"].choices
    if data.kind not in kinds:
        raise ValidationError(f"{data.kind!r} is not one of {', '.join(kinds)}", "kind")
    ATTACK_RULES["intensity"].check(data.intensity)
    ATTACK_RULES["threat"].check(data.threat)
    for name in ("aura",):
        if not isinstance(getattr(data, name), bool):
            raise ValidationError("expected yes or no", name)
    for name in ("medication_helped", "expected_weather"):
        if getattr(data, name) not in (None, True, False):
            raise ValidationError("expected yes, no or empty", name)
    ATTACK_RULES["medication"].check(data.medication)
    ATTACK_RULES["notes"].check(data.notes)
    levels = ATTACK_RULES["function"].choices
    if data.function is not None and data.function not in levels:
        raise ValidationError(f"{data.function!r} is not one of {', '.join(levels)}", "function")
    return data
