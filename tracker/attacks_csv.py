"""The attack CSV of DESIGN.md: parsing (all-or-nothing, line-numbered errors) and export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tracker.attack_input import AttackInput, validate_attack
from tracker.clock import utcnow
from tracker.csvfmt import unescape_cell, write_csv
from tracker.errors import TrackerError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.models import Attack, User

COLUMNS = (
    "started_at",
    "ended_at",
    "kind",
    "intensity",
    "aura",
    "medication",
    "medication_helped",
    "threat",
    "expected_weather",
    "notes",
)
REQUIRED = ("started_at",)
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class LineError:
    """One problem in a CSV file: the 1-based line number, the column, and what is wrong."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"line {self.line}: {field}{self.message}"


class CSVImportError(TrackerError):
    """A CSV file has bad lines; ``errors`` lists every one of them. Nothing was stored."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        shown = "\n".join(str(e) for e in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} bad line(s); nothing was imported\n{shown}{more}")

    def __str__(self) -> str:
        return self.message


def _parse_instant(text: str, zone: ZoneInfo, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise TrackerError(f"{text!r} is not an ISO 8601 date and time", field) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _parse_bool(text: str, field: str, allow_empty: bool) -> bool | None:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    if low == "" and allow_empty:
        return None
    raise TrackerError(f"{text!r} is not yes/no/true/false", field)


def _parse_int(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError as exc:
        raise TrackerError(f"{text!r} is not a whole number", field) from exc


def _parse_row(row: dict[str, str], zone: ZoneInfo) -> AttackInput:
    def cell(name: str) -> str:
        return row.get(name) or ""

    ended = cell("ended_at").strip()
    return AttackInput(
        started_at=_parse_instant(cell("started_at"), zone, "started_at"),
        ended_at=_parse_instant(ended, zone, "ended_at") if ended else None,
        kind=cell("kind").strip().lower() or "migraine",
        intensity=_parse_int(cell("intensity"), "intensity"),
        aura=bool(_parse_bool(cell("aura"), "aura", allow_empty=True)),
        medication=unescape_cell(cell("medication")),
        medication_helped=_parse_bool(cell("medication_helped"), "medication_helped", True),
        threat=_parse_int(cell("threat"), "threat"),
        expected_weather=_parse_bool(cell("expected_weather"), "expected_weather", True),
        notes=unescape_cell(cell("notes")),
    )


def parse_attacks_csv(
    text: str, timezone: str, now: datetime | None = None
) -> list[tuple[int, AttackInput]]:
    """Parse and validate attack CSV text; return (line, attack) pairs or raise CSVImportError.

    A time without an offset is local to ``timezone``. Every bad line is reported, and
    attacks in the file that overlap each other are reported too.
    """
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    errors: list[LineError] = []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        msg = []
        if missing:
            msg.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            msg.append(f"unknown column(s): {', '.join(unknown)}")
        raise CSVImportError([LineError(1, None, "; ".join(msg))])
    parsed: list[tuple[int, AttackInput]] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(LineError(line, None, "more cells than columns"))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        try:
            data = _parse_row(row, zone)
            validate_attack(data, now)
        except TrackerError as exc:
            errors.append(LineError(line, exc.field, exc.message))
            continue
        parsed.append((line, data))
    ordered = sorted(parsed, key=lambda item: item[1].started_at)
    for (_, prev), (line, cur) in zip(ordered, ordered[1:], strict=False):
        prev_end = prev.ended_at or prev.started_at
        if cur.started_at < prev_end or cur.started_at == prev.started_at:
            errors.append(LineError(line, "started_at", "overlaps another attack in the file"))
    if errors:
        raise CSVImportError(sorted(errors, key=lambda e: e.line))
    return parsed


def import_attacks(
    session: Session, patient: User, text: str, now: datetime | None = None
) -> list[Attack]:
    """Import an attack CSV for ``patient``: every line is stored, or none (raises)."""
    from tracker.diary import check_overlap, record_attack
    from tracker.profile import require_patient

    profile = require_patient(patient)
    now = now or utcnow()
    parsed = parse_attacks_csv(text, profile.timezone, now)
    errors: list[LineError] = []
    for line, data in parsed:
        try:
            check_overlap(session, patient, data, None)
        except TrackerError as exc:
            errors.append(LineError(line, exc.field, exc.message))
    if errors:
        raise CSVImportError(errors)
    return [record_attack(session, patient, data, source="import", now=now) for _, data in parsed]


def attack_rows(attacks: list[Attack]) -> list[dict[str, object]]:
    """Return one export row per attack, instants in ISO 8601 UTC."""
    rows = []
    for a in attacks:
        row: dict[str, object] = {name: getattr(a, name) for name in COLUMNS}
        row["started_at"] = a.started_at.isoformat()
        row["ended_at"] = a.ended_at.isoformat() if a.ended_at else None
        rows.append(row)
    return rows


def export_attacks_csv(attacks: list[Attack]) -> str:
    """Return attacks as formula-escaped CSV text that imports back unchanged."""
    return write_csv(COLUMNS, attack_rows(attacks))
