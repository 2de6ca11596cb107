"""Input dataclasses of the analysis: attacks, the course and a patient's series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np


def _aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.tzinfo.utcoffset(value) is not None


@dataclass(frozen=True)
class Attack:
    """One logged attack; instants are timezone-aware (DESIGN method 4)."""

    started_at: datetime
    ended_at: datetime | None
    kind: str

    def __post_init__(self) -> None:
        if not isinstance(self.started_at, datetime) or not _aware(self.started_at):
            raise ValueError("started_at must be a timezone-aware datetime")
        if self.ended_at is not None and (
            not isinstance(self.ended_at, datetime) or not _aware(self.ended_at)
        ):
            raise ValueError("ended_at must be a timezone-aware datetime or None")
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError("kind must be a non-empty string")


@dataclass(frozen=True)
class Course:
    """A treatment course, inclusive local dates (DESIGN method 7)."""

    kind: str
    started_on: date
    ended_on: date

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError("kind must be a non-empty string")
        for name in ("started_on", "ended_on"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"{name} must be a date")
        if self.ended_on < self.started_on:
            raise ValueError("ended_on must not be before started_on")


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


@dataclass(frozen=True)
class PatientSeries:
    """Everything the analysis needs about one patient (DESIGN method 1-7)."""

    timezone: str
    pressure_start: datetime
    pressure_hpa: np.ndarray
    attacks: Sequence[Attack]
    tracking_start: date
    report_date: date
    course: Course
    checkin_days: frozenset[date] | None = None
    location_change_days: frozenset[date] = field(default_factory=frozenset)
    #: First day of check-in mode (amendment A1): before it every day from tracking start is
    #: covered under assumed completeness; from it on, a day needs a check-in or an attack.
    #: None: the first check-in day (no check-ins: no check-in mode, every day assumed).
    checkins_from: date | None = None
    #: The clinical diary's sections (correlation.clinical.ClinicalPart), loaded by tracker.
    clinical: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"timezone is not a known IANA zone: {self.timezone!r}") from exc
        if not isinstance(self.pressure_start, datetime) or not _aware(self.pressure_start):
            raise ValueError("pressure_start must be a timezone-aware datetime")
        start = self.pressure_start.astimezone(UTC)
        if start.minute or start.second or start.microsecond:
            raise ValueError("pressure_start must be on the hour")
        object.__setattr__(self, "pressure_start", start)
        arr = np.asarray(self.pressure_hpa, dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError("pressure_hpa must be a 1-D array of hourly values")
        object.__setattr__(self, "pressure_hpa", arr)
        for name in ("tracking_start", "report_date"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ValueError(f"{name} must be a date")
        if self.report_date < self.tracking_start:
            raise ValueError("report_date must not be before tracking_start")
        if not isinstance(self.course, Course):
            raise ValueError("course must be a Course")
        attacks = tuple(self.attacks)
        if not all(isinstance(a, Attack) for a in attacks):
            raise ValueError("attacks must be Attack objects")
        object.__setattr__(self, "attacks", attacks)
        if self.checkin_days is not None:
            object.__setattr__(self, "checkin_days", frozenset(self.checkin_days))
        self._settle_checkins_from()
        object.__setattr__(self, "location_change_days", frozenset(self.location_change_days))

    def _settle_checkins_from(self) -> None:
        """Default check-in mode's start to the first check-in (amendment A1)."""
        start = self.checkins_from
        if start is not None and not _is_day(start):
            raise ValueError("checkins_from must be a date")
        if start is None and self.checkin_days:
            start = min(self.checkin_days)
        if start is not None and self.checkin_days is None:
            object.__setattr__(self, "checkin_days", frozenset())
        object.__setattr__(self, "checkins_from", start)

    def assumed_days(self, first: date, last: date | None) -> int:
        """Days of first..last (inclusive, within tracking) covered by assumed completeness."""
        if last is None:
            return 0
        lo = max(first, self.tracking_start)
        hi = min(last, self.report_date)
        if self.checkins_from is not None:
            hi = min(hi, self.checkins_from - timedelta(days=1))
        return max(0, (hi - lo).days + 1)

