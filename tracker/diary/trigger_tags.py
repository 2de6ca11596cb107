"""Trigger tags as values and as a CSV cell (no database: the attack CSV reader uses them in
``migraine-weather analyze``, which loads no SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.diary.clinical_terms import TRIGGER_TAGS
from tracker.errors import ValidationError

#: The attack CSV's column of trigger tags.
TRIGGERS_COLUMN = "triggers"
#: Between the tags of one cell.
SEPARATOR = ";"
TRIGGER_LABELS = {"weather": "Weather", "stress": "Stress", "sleep": "Sleep",
                  "menstruation": "Menstruation", "alcohol": "Alcohol", "food": "Food",
                  "screen": "Screen time", "other": "Other"}


def check_triggers(tags: Iterable[str] | None) -> list[str] | None:
    """Known tags in the vocabulary's order without repeats (None stays None: not given)."""
    if tags is None:
        return None
    given = list(tags)
    unknown = [t for t in given if t not in TRIGGER_TAGS]
    if unknown:
        raise ValidationError(f"unknown trigger {unknown[0]!r}; one of {', '.join(TRIGGER_TAGS)}",
                              TRIGGERS_COLUMN)
    return [t for t in TRIGGER_TAGS if t in given]


def parse_triggers_cell(text: str) -> list[str] | None:
    """``weather; stress`` as tags (case ignored); an empty cell is None (not given)."""
    parts = [p.strip().lower() for p in (text or "").split(SEPARATOR)]
    parts = [p for p in parts if p]
    return check_triggers(parts) if parts else None


def triggers_cell(tags: Iterable[str] | None) -> str:
    """Tags as one cell (empty for none or not given)."""
    return SEPARATOR.join(tags or ())
