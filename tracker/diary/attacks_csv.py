"""The attack CSV of DESIGN.md: parsing (all-or-nothing, line-numbered errors) and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from tracker.clock import utcnow
from tracker.csvfmt import NotTextError, decode_text, unescape_cell, write_csv
from tracker.diary.attack_input import ATTACK_FIELDS, ATTACK_RULES, AttackInput, validate_attack
from tracker.diary.attack_overlap import SpanIndex, overlaps_within, span
from tracker.diary.medication_names import (
    MEDICATIONS_COLUMN,
    AttackWithMedications,
    parse_medications_cell,
)
from tracker.diary.trigger_tags import TRIGGERS_COLUMN, parse_triggers_cell, triggers_cell
from tracker.diary.validation import check_day
from tracker.errors import TrackerError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.models import Attack, User

#: The columns are the attack's fields, with their rules (tracker.diary.attack_input), and the
#: medications taken (list entries, tracker.diary.medication_names' compact cell); notes stay
#: last (the longest cell).
COLUMNS = (*(n for n in ATTACK_RULES if n != "notes"), MEDICATIONS_COLUMN, TRIGGERS_COLUMN,
           "notes")
REQUIRED = tuple(name for name, rule in ATTACK_RULES.items() if rule.required)
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
#: Rows per INSERT statement of an import (bounds the memory of one batch).
INSERT_BATCH = 5000


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


def _offset(value: datetime) -> str:
    """Return the UTC offset of an aware datetime as +HH:MM."""
    minutes = int((value.utcoffset() or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def localize_wall_time(naive: datetime, zone: ZoneInfo, field: str) -> datetime:
    """Attach ``zone`` to a wall time; refuse one the clocks skip or show twice (names field)."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.isoformat(timespec="minutes")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise TrackerError(
            f"{shown} does not exist in {zone.key} (the clocks went forward); "
            "give the time with its UTC offset", field)
    raise TrackerError(
        f"{shown} happens twice in {zone.key} (the clocks went back); add the UTC offset: "
        f"{shown}{_offset(first)} for the first, {shown}{_offset(second)} for the second",
        field)


def parse_iso_instant(text: str, zone: ZoneInfo, field: str) -> datetime:
    """Read an ISO 8601 date and time; one without an offset is local to ``zone`` (raises)."""
    raw = text.strip()
    if len(raw) <= 10:  # every date and time is longer (the shortest: 20260301T08)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            raise TrackerError(
                f"{raw!r} has no time of day (write e.g. {day.isoformat()}T08:00)", field)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise TrackerError(f"{raw!r} is not an ISO 8601 date and time", field) from exc
    check_day(value.date(), field)  # before any arithmetic that could overflow
    return localize_wall_time(value, zone, field) if value.tzinfo is None else value


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
    return AttackWithMedications(
        started_at=parse_iso_instant(cell("started_at"), zone, "started_at"),
        ended_at=parse_iso_instant(ended, zone, "ended_at") if ended else None,
        kind=cell("kind").strip().lower() or ATTACK_RULES["kind"].default,
        intensity=_parse_int(cell("intensity"), "intensity"),
        aura=bool(_parse_bool(cell("aura"), "aura", allow_empty=True)),
        medication=unescape_cell(cell("medication")),
        medication_helped=_parse_bool(cell("medication_helped"), "medication_helped", True),
        threat=_parse_int(cell("threat"), "threat"),
        expected_weather=_parse_bool(cell("expected_weather"), "expected_weather", True),
        notes=unescape_cell(cell("notes")),
        function=cell("function").strip().lower() or None,
        medications=parse_medications_cell(unescape_cell(cell(MEDICATIONS_COLUMN))),
        triggers=parse_triggers_cell(cell(TRIGGERS_COLUMN)),
    )


def _check_header(header: list[str]) -> LineError | None:
    """Return the line-1 error for missing, unknown, unnamed or repeated columns, if any."""
    msg = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        msg.append(f"missing column(s): {', '.join(missing)}")
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        msg.append(f"unknown column(s): {', '.join(unknown)}")
    unnamed = [str(i) for i, c in enumerate(header, 1) if not c]
    if unnamed:
        msg.append(f"column(s) without a name: number {', '.join(unnamed)}")
    repeated = sorted({c for c in header if c and header.count(c) > 1}, key=header.index)
    if repeated:
        msg.append(f"column(s) given more than once: {', '.join(repeated)}")
    return LineError(1, None, "; ".join(msg)) if msg else None


def _rows(reader: csv.DictReader, errors: list[LineError]) -> Iterator[tuple[int, dict]]:
    """Yield (line, row) of the data rows; a CSV syntax error ends the file with an error."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.reader.line_num  # DictReader's own count lags on an error
            errors.append(LineError(line, None, f"not readable as CSV ({exc})"))
            return
        yield reader.line_num, row


class HasInstants(Protocol):
    """Anything with an attack's start and optional end (AttackInput, a planned attack)."""

    @property
    def started_at(self) -> datetime: ...

    @property
    def ended_at(self) -> datetime | None: ...


def check_file_overlaps(
    parsed: Sequence[tuple[int, HasInstants]], errors: list[LineError], field: str = "started_at"
) -> None:
    """Add an error (naming ``field``) for every attack that overlaps another in the file."""
    spans = [span(a.started_at, a.ended_at) for _, a in parsed]
    for i, j in overlaps_within(spans):
        errors.append(LineError(parsed[i][0], field,
                                f"it overlaps the attack on line {parsed[j][0]} of the file"))


def decode_attacks_file(data: bytes) -> tuple[str, str]:
    """Decode an attack file's bytes: (text, how it was read), or raise CSVImportError."""
    try:
        return decode_text(data)
    except NotTextError as exc:
        raise CSVImportError([LineError(exc.line, None, exc.message)]) from None


def read_attacks_csv(
    text: str, timezone: str, now: datetime | None = None
) -> tuple[list[tuple[int, AttackInput]], list[LineError]]:
    """Parse and validate attack CSV text: the good (line, attack) pairs and every error.

    Never raises for the file's content: a bad header is one error on line 1 (and no
    attacks); bad lines and attacks of the file that overlap each other are listed, sorted by
    line. A time without an offset is local to ``timezone``.
    """
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    bad_header = _check_header(header)
    if bad_header is not None:
        return [], [bad_header]
    reader.fieldnames = header
    errors: list[LineError] = []
    parsed: list[tuple[int, AttackInput]] = []
    for line, row in _rows(reader, errors):
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
    check_file_overlaps(parsed, errors)
    return parsed, sorted(errors, key=lambda e: e.line)


def parse_attacks_csv(
    text: str | bytes, timezone: str, now: datetime | None = None
) -> list[tuple[int, AttackInput]]:
    """Parse and validate attack CSV text; return (line, attack) pairs or raise CSVImportError.

    Bytes are decoded by :func:`decode_attacks_file`. A time without an offset is local to
    ``timezone``. Every bad line is reported, and attacks in the file that overlap each other
    are reported too.
    """
    if isinstance(text, bytes):
        text, _ = decode_attacks_file(text)
    parsed, errors = read_attacks_csv(text, timezone, now)
    if errors:
        raise CSVImportError(errors)
    return parsed


def _check_stored_overlaps(
    session: Session, patient: User, parsed: list[tuple[int, AttackInput]]
) -> None:
    """Raise CSVImportError if attacks of the file overlap the patient's stored attacks."""
    from sqlalchemy import select

    from tracker.models import Attack

    stored = session.execute(
        select(Attack.started_at, Attack.ended_at).where(Attack.patient_id == patient.id)
    )
    index = SpanIndex(span(start, end) for start, end in stored)
    errors: list[LineError] = []
    for line, data in parsed if len(index) else ():
        other = index.find_clash(span(data.started_at, data.ended_at))
        if other is not None:
            when = other.start.isoformat(timespec="minutes")
            message = f"it overlaps the attack that started {when}"
            errors.append(LineError(line, "started_at", message))
    if errors:
        raise CSVImportError(errors)


def _insert_rows(data: AttackInput, patient_id: int, now: datetime) -> dict[str, object]:
    """The column values of one imported attack (as record_attack would store them)."""
    row: dict[str, object] = {name: getattr(data, name) for name in ATTACK_FIELDS}
    row["started_at"] = data.started_at.astimezone(UTC)  # cheaper to bind than a local zone
    row["ended_at"] = data.ended_at.astimezone(UTC) if data.ended_at else None
    row["medication"] = (data.medication or "").strip()
    row["notes"] = data.notes or ""
    row["triggers"] = getattr(data, "triggers", None)
    row.update(patient_id=patient_id, source="import", created_at=now, updated_at=now)
    return row


def import_attacks(
    session: Session, patient: User, text: str | bytes, now: datetime | None = None
) -> int:
    """Import an attack CSV for ``patient``: every line is stored, or none (raises).

    Returns the number of attacks stored. The patient's diary is locked first, the file is
    checked against the stored attacks in memory (one sort), and the rows go in as bulk
    inserts; the profile's ``diary_changed_at`` is stamped as a flush would.
    """
    from tracker.diary.locks import lock_patient_diary
    from tracker.diary.profile import require_patient

    profile = require_patient(patient)
    now = now or utcnow()
    parsed = parse_attacks_csv(text, profile.timezone, now)
    lock_patient_diary(session, patient.id)
    _check_stored_overlaps(session, patient, parsed)
    return insert_attacks(session, patient, [a for _, a in parsed], now)


def insert_attacks(
    session: Session, patient: User, attacks: Sequence[AttackInput], now: datetime
) -> int:
    """Bulk-insert checked attacks (source ``import``); return how many were stored.

    The caller has validated them and checked overlaps under :func:`lock_patient_diary`.
    The profile's ``diary_changed_at`` is stamped as a flush would.
    """
    from tracker.models import Attack

    if not attacks:
        return 0
    for first in range(0, len(attacks), INSERT_BATCH):
        batch = attacks[first : first + INSERT_BATCH]
        # A Core executemany in the session's transaction (the ORM bulk path adds ~25%).
        session.execute(Attack.__table__.insert(),
                        [_insert_rows(a, patient.id, now) for a in batch])
    # A bulk insert bypasses the unit of work, so stamp the diary as before_flush would.
    patient.profile.diary_changed_at = datetime.now(UTC)
    session.flush()
    from tracker.diary.medications import link_imported

    link_imported(session, patient, attacks, now)
    return len(attacks)


def attack_rows(attacks: list[Attack], medications: dict[int, str] | None = None
                ) -> list[dict[str, object]]:
    """Return one export row per attack, instants in ISO 8601 UTC; ``medications`` holds the
    ``medications`` cell by attack id (tracker.diary.medications.medications_text)."""
    rows = []
    for a in attacks:
        row: dict[str, object] = {name: getattr(a, name) for name in ATTACK_RULES}
        row[MEDICATIONS_COLUMN] = (medications or {}).get(a.id, "")
        row[TRIGGERS_COLUMN] = triggers_cell(a.triggers)
        row["started_at"] = a.started_at.isoformat()
        row["ended_at"] = a.ended_at.isoformat() if a.ended_at else None
        rows.append(row)
    return rows


def export_attacks_csv(attacks: list[Attack], medications: dict[int, str] | None = None) -> str:
    """Return attacks as formula-escaped CSV text that imports back unchanged."""
    return write_csv(COLUMNS, attack_rows(attacks, medications))
