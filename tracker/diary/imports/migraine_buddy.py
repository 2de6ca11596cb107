"""Migraine Buddy's CSV export as an import plan (layout: docs/data-formats.md).

The file holds up to two tables, each with its own header, separated by a blank line: the
ongoing attacks (``Date, Time Period, Description, Notes``) and the attack table
(``#, Started, Lasted, Start UTC Offset (min), ...``). Line numbers count every physical
line of the file, the first table included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput, validate_attack
from tracker.diary.attacks_csv import check_file_overlaps, localize_wall_time
from tracker.diary.imports.detect import (
    MB_ATTACK_HEADER_START,
    MB_ONGOING_HEADER,
    csv_records,
    is_mb_attack_header,
    is_mb_ongoing_header,
)
from tracker.diary.imports.locations import (
    Sighting,
    place_of,
    propose_locations,
)
from tracker.diary.imports.plan import ImportPlan, LineError, PlannedAttack, planned, zone_label
from tracker.diary.imports.values import (
    fit_text,
    kind_from_text,
    mentions_aura,
    note_line,
    parse_duration,
    parse_offset,
    scale_intensity,
)
from tracker.diary.medication_names import AttackWithMedications, TakenByName
from tracker.diary.validation import check_day
from tracker.errors import TrackerError, ValidationError
from weather.grid import DEFAULT_GRID_DEGREES

#: How each kind of medication helped, in the export's words; None: not known.
MEDICATION_COLUMNS = (
    ("Helpful Medication", "helpful", True),
    ("Somewhat Helpful Medication", "somewhat helpful", True),
    ("Unhelpful Medication", "unhelpful", False),
    ("Unsure Medication", "unsure", None),
)
#: Columns with no field of ours: kept in the notes as "Column: value" lines, in this order.
NOTE_COLUMNS = (
    "Attack Location", "Affected Activities", "Potential Triggers", "Symptoms",
    "Most Bothersome Symptom", "Premonitory Symptoms", "Pain Positions",
    "Helpful Non Drug Relief Methods", "Somewhat Helpful Non Drug Relief Methods",
    "Unhelpful Non Drug Relief Methods", "Unsure Non Drug Relief Methods",
)
START_OFFSET, END_OFFSET = "Start UTC Offset (min)", "End UTC Offset (min)"
#: The attack table's columns, as the export writes them.
ATTACK_COLUMNS = (
    "#", "Started", "Lasted", START_OFFSET, END_OFFSET, "Geohash", "Attack Types",
    "Attack Location", "Pain Level", "Affected Activities", "Potential Triggers", "Symptoms",
    "Most Bothersome Symptom", "Premonitory Symptoms", "Pain Positions",
    *(name for name, _, _ in MEDICATION_COLUMNS), *NOTE_COLUMNS[-4:], "Notes",
)
REQUIRED = ("Started", "Lasted")
#: The first cells of the two tables' headers.
_HEADER_STARTS = (MB_ATTACK_HEADER_START[0], MB_ONGOING_HEADER[0])
#: Our field -> the export's column that problems about it name (attack table).
FIELD_COLUMNS = {"started_at": "Started", "ended_at": "Lasted", "kind": "Attack Types",
                 "aura": "Attack Types", "intensity": "Pain Level",
                 "medication": "Helpful Medication", "notes": "Notes"}
#: ``Started`` (and the ongoing table's ``Date``): local time as %m/%d/%y %H:%M.
_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2})(?:\s+(\d{1,2}):(\d{2}))?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
#: Migraine Buddy's pain scale is 0-10.
PAIN_MAX = 10


def read_local_time(text: str, field: str, fallback_clock: str = "") -> datetime:
    """Read ``03/14/24 08:30`` (month/day/two-digit year, 24-hour clock) as a wall time.

    Two-digit years follow :func:`time.strptime`'s ``%y``: 69-99 are 1969-1999, 00-68 are
    2000-2068. A date without a time takes the first ``HH:MM`` of ``fallback_clock``.
    """
    raw = text.strip()
    match = _TIME.fullmatch(raw)
    clock = _CLOCK.search(fallback_clock) if match and match[4] is None else None
    if match is None or (match[4] is None and clock is None):
        shape = "has no time of day" if match else "is not a date and time"
        raise ValidationError(f"{raw!r} {shape} like 03/14/24 08:30 (month/day/year "
                              "hour:minute)", field)
    month, day, yy = int(match[1]), int(match[2]), int(match[3])
    hour, minute = (int(match[4]), int(match[5])) if clock is None else map(int, clock.groups())
    try:
        value = datetime(yy + (1900 if yy >= 69 else 2000), month, day, hour, minute)
    except ValueError as exc:
        raise ValidationError(f"{raw!r} is not a date and time ({exc})", field) from None
    check_day(value.date(), field)
    return value


def _medication(cells: dict[str, str]) -> tuple[str, bool | None, str]:
    """Return (our medication text, whether it helped, the notes line or "") of a row."""
    get = cells.get
    return _medication_of(get("Helpful Medication", "").strip(),
                          get("Somewhat Helpful Medication", "").strip(),
                          get("Unhelpful Medication", "").strip(),
                          get("Unsure Medication", "").strip())


@lru_cache(maxsize=4096)
def _medication_of(*values: str) -> tuple[str, bool | None, str]:
    """The medication of the four medication cells (in MEDICATION_COLUMNS' order).

    Helped: yes if anything was helpful or somewhat helpful, no if only unhelpful ones,
    unknown if only unsure ones. The notes keep each drug's verdict unless the medication
    field says it all (every drug in one of Helpful / Unhelpful) and nothing was cut.
    """
    names: list[str] = []
    verdicts: set[bool | None] = set()
    parts, used = [], []
    for (column, words, verdict), value in zip(MEDICATION_COLUMNS, values, strict=True):
        if not value:
            continue
        for name in (v.strip() for v in value.split(",")):
            if name and name not in names:
                names.append(name)
        verdicts.add(verdict)
        parts.append(f"{words}: {value}")
        used.append(column)
    if not names:
        return "", None, ""
    text, cut = fit_text(", ".join(names), "medication")
    helped = True if True in verdicts else (False if False in verdicts else None)
    says_all = used in (["Helpful Medication"], ["Unhelpful Medication"]) and not cut
    return text, helped, "" if says_all else note_line("Medication", "; ".join(parts))


#: "Did it help?" of each medication column, for the medication list (issue #16).
HELPED_OF = {"Helpful Medication": "yes", "Somewhat Helpful Medication": "partly",
             "Unhelpful Medication": "no", "Unsure Medication": None}


def _taken(cells: dict[str, str]) -> list[TakenByName]:
    """The drugs of the four medication columns as list entries by name (class guessed on
    import, tracker.diary.medication_names); a drug named twice keeps its first column."""
    out: list[TakenByName] = []
    seen: set[str] = set()
    for column, _, _ in MEDICATION_COLUMNS:
        for raw in cells.get(column, "").split(","):
            name = " ".join(re.sub(r"[;|]", " ", raw).split())[:100].strip()
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                out.append(TakenByName(name, None, None, HELPED_OF[column]))
    return out


@dataclass
class _Reader:
    """The state of one file's reading: where we are and what was found."""

    zone: ZoneInfo
    now: datetime
    grid_degrees: float
    plan: ImportPlan
    extra_columns: list[str] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    ongoing: list[PlannedAttack] = field(default_factory=list)

    def attack_row(self, line: int, cells: dict[str, str]) -> PlannedAttack:
        """Parse one row of the attack table (raises TrackerError naming the column)."""
        naive = read_local_time(cells["Started"], "Started")
        start_tz = parse_offset(cells.get(START_OFFSET, ""), START_OFFSET)
        start = self._instant(naive, start_tz, "Started")
        end = None
        if lasted := cells.get("Lasted", "").strip():
            end_naive = naive + parse_duration(lasted, "Lasted")
            check_day(end_naive.date(), "Lasted")
            end_tz = parse_offset(cells.get(END_OFFSET, ""), END_OFFSET) or start_tz
            end = self._instant(end_naive, end_tz, "Lasted")
        types = cells.get("Attack Types", "").strip()
        kind, plain = kind_from_text(types)
        medication, helped, medication_note = _medication(cells)
        notes = [cells.get("Notes", "").strip()]
        notes.append("" if plain else note_line("Attack Types", types))
        for column in NOTE_COLUMNS:
            if value := cells.get(column, "").strip():
                notes.append(note_line(column, value))
        notes.append(medication_note)
        for column in self.extra_columns:
            if value := cells[column].strip():
                notes.append(note_line(column, value))
        attack = AttackWithMedications(
            started_at=start, ended_at=end, kind=kind, medications=_taken(cells),
            intensity=scale_intensity(cells.get("Pain Level", ""), "Pain Level", PAIN_MAX),
            aura=mentions_aura(types, cells.get("Symptoms", "")),
            medication=medication, medication_helped=helped, notes="\n".join(n for n in notes if n))
        self._validate(attack, FIELD_COLUMNS)
        if geohash := cells.get("Geohash", "").strip():
            self.sightings.append(Sighting(line, start, *place_of(geohash, self.grid_degrees)))
        zone = zone_label(start) if start_tz else self.zone.key
        return planned(line, attack, zone, cells.get("Potential Triggers", "").strip())

    def ongoing_row(self, line: int, cells: dict[str, str]) -> PlannedAttack:
        """Parse one row of the ongoing attacks: no end, a local time without an offset."""
        period = cells.get("Time Period", "").strip()
        start = localize_wall_time(read_local_time(cells["Date"], "Date", period), self.zone,
                                   "Date")
        description = cells.get("Description", "").strip()
        notes = [cells.get("Notes", "").strip(), note_line("Time Period", period) if period else "",
                 note_line("Description", description) if description else ""]
        attack = AttackInput(started_at=start, kind=kind_from_text(description)[0],
                             notes="\n".join(n for n in notes if n))
        self._validate(attack, {"started_at": "Date", "notes": "Notes"})
        return planned(line, attack, self.zone.key)

    def _instant(self, naive: datetime, offset: tzinfo | None, column: str) -> datetime:
        """A wall time with its offset; without one, local to the zone (gaps/folds refused)."""
        if offset is not None:
            return naive.replace(tzinfo=offset)
        return localize_wall_time(naive, self.zone, column)

    def _validate(self, attack: AttackInput, columns: dict[str, str]) -> None:
        try:
            validate_attack(attack, self.now)
        except TrackerError as exc:
            name = columns.get(exc.field or "", exc.field)
            extra = " (with the other columns kept in them)" if exc.field == "notes" else ""
            raise ValidationError(exc.message + extra, name) from None


def _header_problem(cells: list[str]) -> str | None:
    """What is wrong with the attack table's header, if anything."""
    missing = [c for c in REQUIRED if c not in cells]
    repeated = sorted({c for c in cells if c and cells.count(c) > 1}, key=cells.index)
    msg = []
    if missing:
        msg.append(f"missing column(s): {', '.join(missing)}")
    if repeated:
        msg.append(f"column(s) given more than once: {', '.join(repeated)}")
    if "" in cells:
        msg.append(f"column(s) without a name: number {cells.index('') + 1}")
    return "; ".join(msg) or None


def parse_migraine_buddy(
    text: str, timezone: str, now: datetime | None = None, *, encoding: str = "UTF-8",
    grid_degrees: float = DEFAULT_GRID_DEGREES,
    zone_at: Callable[[float, float], str | None] | None = None,
) -> ImportPlan:
    """Parse a Migraine Buddy export into a plan; never writes.

    Each row's UTC offsets settle its instants (so clock changes need no guess); a time
    without an offset (the ongoing table, or an empty offset cell) is local to ``timezone``
    and refused in a clock change's gap or fold. Geohashes propose location periods.
    """
    plan = ImportPlan("migraine-buddy", timezone, encoding, start_field="Started")
    reader = _Reader(ZoneInfo(timezone), now or utcnow(), grid_degrees, plan)
    section: str | None = None
    header: list[str] = []
    for line, row in csv_records(text, plan.problems):
        first = row[0].strip() if row else ""
        if not first and not any(c.strip() for c in row):
            continue
        if first in _HEADER_STARTS:
            cells = [c.strip() for c in row]
            if is_mb_ongoing_header(cells) or is_mb_attack_header(cells):
                section, header = _start_table(reader, line, cells)
                continue
        if section is None:
            plan.problems.append(LineError(line, None, "a row before any table's header"))
            continue
        if section == "broken":
            continue
        if len(row) > len(header):
            plan.problems.append(LineError(line, None, "more cells than columns"))
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        values = dict(zip(header, row, strict=True))
        try:
            if section == "ongoing":
                reader.ongoing.append(reader.ongoing_row(line, values))
            else:
                plan.attacks.append(reader.attack_row(line, values))
        except TrackerError as exc:
            plan.problems.append(LineError(line, exc.field, exc.message))
    if section is None and not plan.problems:
        plan.problems.append(LineError(1, None, "no attack table (a header starting with "
                                                "#,Started) and no table of ongoing attacks"))
    _finish(reader, timezone, zone_at)
    return plan


def _start_table(reader: _Reader, line: int, cells: list[str]) -> tuple[str, list[str]]:
    """Begin a table at its header; return (section, header)."""
    if is_mb_ongoing_header(cells):
        return "ongoing", cells
    problem = _header_problem(cells)
    if problem:
        reader.plan.problems.append(LineError(line, None, problem))
        return "broken", cells
    known = set(ATTACK_COLUMNS)
    reader.extra_columns = [c for c in cells if c not in known]
    if reader.extra_columns:
        reader.plan.warnings.append(
            f"line {line}: column(s) {', '.join(reader.extra_columns)} are not in Migraine "
            "Buddy's layout as we know it; their values are kept in the notes")
    return "attacks", cells


def _finish(reader: _Reader, timezone: str, zone_at: Callable | None) -> None:
    """Merge the ongoing attacks, check overlaps in the file, propose places, sort problems."""
    plan = reader.plan
    starts = {p.started_at for p in plan.attacks}
    for p in reader.ongoing:
        if p.started_at in starts:
            plan.warnings.append(f"line {p.line}: the ongoing attack is also in the attack "
                                 "table; it is imported once, from the attack table")
        else:
            plan.attacks.append(p)
    plan.attacks.sort(key=lambda p: p.line)
    ongoing_lines = {p.line for p in reader.ongoing}
    overlaps: list[LineError] = []
    check_file_overlaps([(p.line, p) for p in plan.attacks], overlaps, "Started")
    plan.problems.extend(
        LineError(e.line, "Date", e.message) if e.line in ongoing_lines else e for e in overlaps)
    plan.problems.sort(key=lambda e: e.line)
    plan.locations = propose_locations(reader.sightings, timezone, zone_at)
