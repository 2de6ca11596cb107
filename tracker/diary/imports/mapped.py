"""Any other CSV, read through a column mapping: which column holds what, and the date format.

The person picks the start column (required), optionally a separate time-of-day column, an
end or a duration column, and columns for intensity (with the top of its scale), kind,
medication and notes; the date format from :data:`DATE_FORMATS` (or none, to take the only
one that reads every start); the timezone. Columns not mapped go into the notes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput, validate_attack
from tracker.diary.attacks_csv import check_file_overlaps
from tracker.diary.imports.date_formats import (
    DATE_FORMATS,
    disagreement,
    guess_date_formats,
    label,
    read_instant,
)
from tracker.diary.imports.detect import csv_records
from tracker.diary.imports.plan import ImportPlan, LineError, planned, zone_label
from tracker.diary.imports.values import (
    fit_text,
    kind_from_text,
    mentions_aura,
    note_line,
    parse_duration,
    scale_intensity,
)
from tracker.errors import TrackerError, ValidationError

#: The top of an intensity scale a mapping may declare (0..intensity_max).
MAX_SCALE = 100


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file holds what (header names), and how dates are written.

    ``start`` is required; ``start_time`` is a separate time-of-day column joined to it
    (``2024-03-14`` + ``08:30``); ``end`` and ``duration`` exclude each other;
    ``intensity_max`` is the top of the file's intensity scale (0..intensity_max, mapped
    onto ours); ``date_format`` is a key of DATE_FORMATS or None (the only one that reads
    every start); ``keep_other_columns`` puts the unmapped columns into the notes.
    """

    start: str
    start_time: str | None = None
    end: str | None = None
    duration: str | None = None
    intensity: str | None = None
    intensity_max: int = 10
    kind: str | None = None
    medication: str | None = None
    notes: str | None = None
    date_format: str | None = None
    keep_other_columns: bool = True

    def columns(self) -> dict[str, str]:
        """The mapped columns: mapping field -> the file's column name."""
        names = ("start", "start_time", "end", "duration", "intensity", "kind", "medication",
                 "notes")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def problems(self, header: list[str]) -> list[LineError]:
        """What is wrong with this mapping for a file with ``header`` (each on line 1)."""
        found = []
        for name, column in self.columns().items():
            if column not in header:
                found.append(LineError(1, name, f"the file has no column {column!r} "
                                                f"(its columns: {', '.join(header)})"))
        used = list(self.columns().values())
        for column in sorted({c for c in used if used.count(c) > 1}):
            found.append(LineError(1, None, f"column {column!r} is chosen for two fields"))
        if self.end and self.duration:
            found.append(LineError(1, "duration", "choose an end column or a duration "
                                                  "column, not both"))
        if self.date_format is not None and self.date_format not in DATE_FORMATS:
            found.append(LineError(1, "date_format", f"{self.date_format!r} is not one of "
                                                     f"{', '.join(DATE_FORMATS)}"))
        if isinstance(self.intensity_max, bool) or not isinstance(self.intensity_max, int) \
                or not 1 <= self.intensity_max <= MAX_SCALE:
            found.append(LineError(1, "intensity_max", f"{self.intensity_max!r} is not a whole "
                                                       f"number 1..{MAX_SCALE}"))
        repeated = sorted({c for c in header if c and header.count(c) > 1}, key=header.index)
        if repeated:
            found.append(LineError(1, None, f"column(s) given more than once: "
                                            f"{', '.join(repeated)}"))
        return found

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnMapping:
        """Rebuild a mapping from :meth:`to_dict`'s values (unknown keys are refused)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(f"unknown mapping field(s): {', '.join(unknown)}", "mapping")
        return cls(**data)


def read_columns(text: str, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """Return the header (first non-blank record) and up to ``rows`` records after it."""
    header: list[str] = []
    sample: list[list[str]] = []
    for _, row in csv_records(text, []):
        if not any(c.strip() for c in row):
            continue
        if not header:
            header = [c.strip() for c in row]
        elif len(sample) < rows:
            sample.append(row)
        else:
            break
    return header, sample


@dataclass
class _Rows:
    """The file's data records: (line, cells by column), and the header."""

    header: list[str]
    records: list[tuple[int, dict[str, str]]]


def _read(text: str, problems: list[LineError]) -> _Rows:
    header: list[str] = []
    records = []
    for line, row in csv_records(text, problems):
        if not any(c.strip() for c in row):
            continue
        if not header:
            header = [c.strip() or f"column {i}" for i, c in enumerate(row, 1)]
            continue
        if len(row) > len(header):
            problems.append(LineError(line, None, "more cells than columns"))
            continue
        records.append((line, {c: row[i] if i < len(row) else "" for i, c in enumerate(header)}))
    return _Rows(header, records)


def _start_text(cells: dict[str, str], m: ColumnMapping) -> str:
    start = cells[m.start].strip()
    return f"{start} {cells[m.start_time].strip()}" if m.start_time else start


def _choose_format(rows: _Rows, m: ColumnMapping, plan: ImportPlan) -> str | None:
    """The date format to read with: the chosen one (warning if ambiguous), or the only one."""
    starts = [(line, _start_text(cells, m)) for line, cells in rows.records]
    readers = guess_date_formats([v for _, v in starts])
    if m.date_format is not None:
        for other in readers if m.date_format in readers else ():
            clash = disagreement(starts, [m.date_format, other]) if other != m.date_format \
                else None
            if clash:
                plan.warnings.append(
                    f"line {clash[0]}: {clash[1]!r} also reads as {label(other)}; check "
                    f"that {label(m.date_format)} is right")
                break
        return m.date_format
    clash = disagreement(starts, readers)
    if clash:
        line, value, _ = clash
        plan.problems.append(LineError(1, "date_format", (
            f"the dates can be read in more than one way (line {line}: {value!r} reads as "
            f"{' or as '.join(label(f) for f in readers)}); choose the date format")))
        return None
    if not readers:
        first = next((f"line {n}: {v!r}" for n, v in starts if v.strip()), "no values")
        plan.problems.append(LineError(1, "date_format", (
            f"no date format of the list reads every start ({first}); choose one, and the "
            "lines it cannot read are listed")))
        return None
    return readers[0]


def _notes(cells: dict[str, str], m: ColumnMapping, extra: list[str]) -> list[str]:
    mapped = set(m.columns().values())
    lines = [cells[m.notes].strip()] if m.notes else []
    if m.keep_other_columns:
        lines += [note_line(c, cells[c].strip()) for c in cells
                  if c not in mapped and cells[c].strip()]
    return lines + extra


def _row(cells: dict[str, str], m: ColumnMapping, fmt: str, zone: ZoneInfo,
         now: datetime) -> AttackInput:
    """Parse one record (raises TrackerError naming the file's column)."""
    start = read_instant(_start_text(cells, m), fmt, zone, m.start)
    end = None
    if m.end and cells[m.end].strip():
        end = read_instant(cells[m.end], fmt, zone, m.end)
    elif m.duration and cells[m.duration].strip():
        # Elapsed time: aware + timedelta would add to the wall clock in a ZoneInfo zone.
        end = start.astimezone(UTC) + parse_duration(cells[m.duration], m.duration)
    extra = []
    kind, plain = kind_from_text(cells[m.kind]) if m.kind else ("migraine", True)
    if not plain:
        extra.append(note_line(m.kind or "kind", cells[m.kind or ""].strip()))
    medication, cut = fit_text(cells[m.medication].strip(), "medication") if m.medication \
        else ("", False)
    if cut:
        extra.append(note_line(m.medication or "medication", cells[m.medication or ""].strip()))
    attack = AttackInput(
        started_at=start, ended_at=end, kind=kind, medication=medication,
        aura=mentions_aura(cells[m.kind]) if m.kind else False,
        intensity=scale_intensity(cells[m.intensity], m.intensity, m.intensity_max)
        if m.intensity else None,
        notes="\n".join(n for n in _notes(cells, m, extra) if n))
    try:
        validate_attack(attack, now)
    except TrackerError as exc:
        columns = {"started_at": m.start, "ended_at": m.end or m.duration, "kind": m.kind,
                   "intensity": m.intensity, "medication": m.medication, "notes": m.notes}
        raise ValidationError(exc.message, columns.get(exc.field or "") or exc.field) from None
    return attack


def parse_mapped(
    text: str, timezone: str, mapping: ColumnMapping, now: datetime | None = None, *,
    encoding: str = "UTF-8",
) -> ImportPlan:
    """Parse any CSV with ``mapping`` into a plan; never writes.

    Problems of the mapping itself are on line 1 and name the mapping's field (``start``,
    ``date_format``, ...); problems of a line name the file's column.
    """
    now = now or utcnow()
    plan = ImportPlan("mapped", timezone, encoding, start_field=mapping.start)
    rows = _read(text.lstrip("\ufeff"), plan.problems)
    bad = mapping.problems(rows.header)
    if bad:
        plan.problems[:0] = bad
        return plan
    fmt = _choose_format(rows, mapping, plan)
    if fmt is None:
        return plan
    zone = ZoneInfo(timezone)
    for line, cells in rows.records:
        if not any(v.strip() for v in cells.values()):
            continue
        try:
            attack = _row(cells, mapping, fmt, zone, now)
        except TrackerError as exc:
            plan.problems.append(LineError(line, exc.field, exc.message))
            continue
        plan.attacks.append(planned(line, attack, zone_label(attack.started_at)))
    check_file_overlaps([(p.line, p) for p in plan.attacks], plan.problems, mapping.start)
    plan.problems.sort(key=lambda e: e.line)
    plan.date_format = fmt
    return plan


#: Words that suggest a column for a field, most telling first (lower case, substrings).
_SUGGEST = {
    "start": ("started", "start", "begin", "onset", "date", "when"),
    "end": ("ended", "end", "stop", "finish"),
    "duration": ("duration", "lasted", "length"),
    "intensity": ("intensity", "pain", "severity", "level"),
    "kind": ("kind", "type"),
    "medication": ("medication", "medicine", "drug", "remedy"),
    "notes": ("notes", "note", "comment", "description"),
}


def suggest_mapping(header: list[str]) -> ColumnMapping | None:
    """Guess a mapping from column names (a starting point for the person to check).

    Each field takes the first unused column whose name contains one of its words (a
    "time" column beside a "date" start becomes ``start_time``); None when no column looks
    like a start.
    """
    chosen: dict[str, str] = {}
    for name, words in _SUGGEST.items():
        for word in words:
            column = next((c for c in header if c and word in c.lower()
                           and c not in chosen.values()), None)
            if column is not None:
                chosen[name] = column
                break
    if "start" not in chosen:
        return None
    clock = next((c for c in header if "time" in c.lower() and "date" not in c.lower()
                  and c not in chosen.values()), None)
    if "date" in chosen["start"].lower() and clock is not None:
        chosen["start_time"] = clock
    if "end" in chosen:
        chosen.pop("duration", None)
    return ColumnMapping(**chosen)
