"""What an import would do: the parsed attacks, every problem, duplicates, proposed places.

An :class:`ImportPlan` is the common result of every format's parser (``ours``,
``migraine-buddy``, ``mapped``). Building one never writes; :func:`apply_plan
<tracker.diary.imports.apply.apply_plan>` stores it, all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks_csv import CSVImportError, LineError

#: One problem of a file: 1-based line number, field (the file's column name) and message.
Problem = LineError

#: The formats an import reads, in the order detection tries them (``mapped`` is never
#: detected: it needs the patient's column choices).
FORMATS = ("ours", "migraine-buddy", "mapped")

#: How a format is named to a person.
FORMAT_LABELS = {
    "ours": "migraine-weather attack CSV",
    "migraine-buddy": "Migraine Buddy CSV export",
    "mapped": "another CSV, read through a column mapping",
}


@dataclass(slots=True)
class PlannedAttack:
    """One attack of the file: its line, the attack (instants in UTC), the zone used.

    ``zone`` names how the local time was read: an IANA name, or a fixed offset such as
    ``UTC+02:00`` when the file gave one. ``triggers`` repeats the file's triggers for a
    preview; they are also in ``attack.notes`` (the diary has no triggers field).
    """

    line: int
    attack: AttackInput
    zone: str
    triggers: str = ""

    @property
    def started_at(self) -> datetime:
        """The start, an aware UTC datetime."""
        return self.attack.started_at

    @property
    def ended_at(self) -> datetime | None:
        """The end, an aware UTC datetime, or None while ongoing."""
        return self.attack.ended_at

    def to_dict(self) -> dict[str, Any]:
        """Return the attack as JSON-ready values (instants ISO 8601 UTC) for a preview."""
        a = self.attack
        return {
            "line": self.line, "started_at": a.started_at.isoformat(),
            "ended_at": a.ended_at.isoformat() if a.ended_at else None, "zone": self.zone,
            "kind": a.kind, "intensity": a.intensity, "aura": a.aura,
            "medication": a.medication, "medication_helped": a.medication_helped,
            "threat": a.threat, "expected_weather": a.expected_weather, "notes": a.notes,
            "triggers": self.triggers,
        }


def planned(line: int, attack: AttackInput, zone: str, triggers: str = "") -> PlannedAttack:
    """Return a PlannedAttack with the attack's instants converted to UTC."""
    attack.started_at = attack.started_at.astimezone(UTC)
    if attack.ended_at is not None:
        attack.ended_at = attack.ended_at.astimezone(UTC)
    return PlannedAttack(line, attack, zone, triggers)


def zone_label(value: datetime) -> str:
    """Return the zone of an aware datetime: its IANA name, else ``UTC+HH:MM``."""
    if isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    return _offset_label(value.utcoffset())


@lru_cache(maxsize=256)
def _offset_label(offset: timedelta | None) -> str:
    minutes = int(offset.total_seconds()) // 60 if offset else 0
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True, slots=True)
class ProposedLocation:
    """A location period the file suggests, for the patient to confirm before it is added.

    ``latitude``/``longitude`` are the centre of the weather grid cell (so no finer place
    is stored than the weather needs); ``starts_on`` is the local date (in ``timezone``) of
    the first attack seen there; ``line`` is that attack's line and ``attacks`` how many
    attacks in a row were there.
    """

    starts_on: date
    latitude: float
    longitude: float
    timezone: str
    line: int
    attacks: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Return the proposal as JSON-ready values."""
        return {"starts_on": self.starts_on.isoformat(), "latitude": self.latitude,
                "longitude": self.longitude, "timezone": self.timezone, "line": self.line,
                "attacks": self.attacks}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProposedLocation:
        """Rebuild a proposal from :meth:`to_dict`'s values (e.g. the ones a person confirmed)."""
        return cls(date.fromisoformat(data["starts_on"]), float(data["latitude"]),
                   float(data["longitude"]), str(data["timezone"]), int(data["line"]),
                   int(data.get("attacks", 1)))


@dataclass
class ImportPlan:
    """The result of parsing a file: what would be stored, and why not if it cannot be.

    ``attacks`` holds every readable attack in file order; ``problems`` every line-numbered
    problem of the file itself. Comparing with the patient's diary
    (:func:`tracker.diary.imports.stored.check_against_stored`, run by ``plan_import`` and
    again by ``apply_plan`` under the diary lock) fills ``duplicates`` (attacks whose start
    instant equals a stored attack's: skipped and counted), ``conflicts`` (overlaps with
    stored attacks, days marked headache-free) and drops proposed ``locations`` the diary
    already has. Any problem or conflict stops the import. ``start_field`` is the file's
    name of the start column (problems about overlaps name it).
    """

    format: str
    timezone: str
    encoding: str = "UTF-8"
    start_field: str = "started_at"
    attacks: list[PlannedAttack] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[PlannedAttack] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    locations: list[ProposedLocation] = field(default_factory=list)
    checked_against_stored: bool = False
    #: The date format a mapped file was read with (a key of DATE_FORMATS), else None.
    date_format: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the plan can be applied (no problems, no conflicts)."""
        return not self.problems and not self.conflicts

    @property
    def all_problems(self) -> list[Problem]:
        """Problems and conflicts together, by line."""
        return sorted([*self.problems, *self.conflicts], key=lambda e: e.line)

    @property
    def new_attacks(self) -> list[PlannedAttack]:
        """The attacks that would be stored: all but the duplicates, in file order."""
        if not self.duplicates:
            return list(self.attacks)
        skipped = {id(p) for p in self.duplicates}
        return [p for p in self.attacks if id(p) not in skipped]

    @property
    def date_range(self) -> tuple[date, date] | None:
        """The first and last local day (in ``timezone``) the file's attacks touch."""
        if not self.attacks:
            return None
        zone = ZoneInfo(self.timezone)
        first = min(p.started_at for p in self.attacks)
        last = max(p.ended_at or p.started_at for p in self.attacks)
        return first.astimezone(zone).date(), last.astimezone(zone).date()

    def raise_problems(self) -> None:
        """Raise CSVImportError listing every problem and conflict, if there is any."""
        if not self.ok:
            raise CSVImportError(self.all_problems)

    def summary(self, rows: int = 20) -> dict[str, Any]:
        """Return the preview as JSON-ready values: counts, range, the first ``rows`` attacks."""
        span = self.date_range
        return {
            "format": self.format, "format_label": FORMAT_LABELS[self.format],
            "encoding": self.encoding, "timezone": self.timezone,
            "date_format": self.date_format,
            "attacks": len(self.attacks), "new": len(self.new_attacks),
            "duplicates": len(self.duplicates),
            "checked_against_stored": self.checked_against_stored,
            "first_day": span[0].isoformat() if span else None,
            "last_day": span[1].isoformat() if span else None,
            "problems": [{"line": p.line, "field": p.field, "message": p.message}
                         for p in self.all_problems],
            "warnings": list(self.warnings),
            "locations": [loc.to_dict() for loc in self.locations],
            "rows": [p.to_dict() for p in self.attacks[:rows]],
        }
