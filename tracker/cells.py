"""Which grid cells the patients' locations use, and from which day each cell needs pressure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select, true, tuple_
from sqlalchemy.orm import Session

from tracker.models import Attack, CheckIn, LocationPeriod, PatientProfile, TreatmentCourse
from weather.grid import cell_key, get_or_create_cell
from weather.models import GridCell

#: Days before a diary's first day that pressure is also needed: the day before (the first
#: 24-hour falls) and a local day that starts on the previous UTC day.
LEAD_DAYS = 2


def _cells_at(
    session: Session, points: Iterable[tuple[float, float]], grid_degrees: float
) -> dict[tuple[float, float], GridCell]:
    """Return (creating if needed) the cell of each point, created in cell-centre order: two
    jobs creating the same new cells at once then wait for each other, never deadlock."""
    unique = sorted({(float(lat), float(lon)) for lat, lon in points},
                    key=lambda p: (cell_key(p[0], p[1], grid_degrees), p))
    return {p: get_or_create_cell(session, p[0], p[1], grid_degrees) for p in unique}


def cells_in_use(session: Session, grid_degrees: float) -> list[GridCell]:
    """Return (creating if needed) the cell of every distinct location period, by id."""
    points = session.execute(
        select(LocationPeriod.latitude, LocationPeriod.longitude).distinct()
    ).all()
    cells = {cell.id: cell for cell in _cells_at(session, points, grid_degrees).values()}
    return [cells[k] for k in sorted(cells)]


def patient_cell_ids(session: Session, patient_id: int, grid_degrees: float) -> list[int]:
    """Return the ids of the stored cells of a patient's location periods (no insert)."""
    return cells_of_patients(session, [patient_id], grid_degrees)[patient_id]


def cells_of_patients(
    session: Session, patient_ids: Iterable[int], grid_degrees: float
) -> dict[int, list[int]]:
    """The stored cell ids of each patient's location periods, in two queries (no insert)."""
    ids = list(patient_ids)
    if not ids:
        return {}
    points = session.execute(
        select(LocationPeriod.patient_id, LocationPeriod.latitude, LocationPeriod.longitude)
        .where(LocationPeriod.patient_id.in_(ids)).distinct()
    ).all()
    keys = {(pid, cell_key(lat, lon, grid_degrees)) for pid, lat, lon in points}
    centres = sorted({k for _, k in keys})
    rows = session.execute(
        select(GridCell.lat_e4, GridCell.lon_e4, GridCell.id)
        .where(tuple_(GridCell.lat_e4, GridCell.lon_e4).in_(centres))
    ).all() if centres else []
    cells = {(lat, lon): cell_id for lat, lon, cell_id in rows}
    out: dict[int, list[int]] = {pid: [] for pid in ids}
    for pid, key in keys:
        if key in cells:
            out[pid].append(cells[key])
    return {pid: sorted(set(v)) for pid, v in out.items()}


def years_before(day: date, years: int) -> date:
    """Return the same calendar day ``years`` earlier (28 February for a 29 February)."""
    year = max(1, day.year - years)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _only(column: ColumnElement[int], patients: Collection[int] | None
          ) -> ColumnElement[bool]:
    """A where-clause keeping ``patients`` (everything when None)."""
    return true() if patients is None else column.in_(list(patients))


def _first_diary_days(session: Session, patients: Collection[int] | None = None
                      ) -> dict[int, list[date]]:
    """Return each patient's first days of tracking, attack (UTC) and check-in, if any."""
    firsts: dict[int, list[date]] = defaultdict(list)
    rows = session.execute(
        select(PatientProfile.user_id, PatientProfile.tracking_started_on)
        .where(PatientProfile.tracking_started_on.is_not(None),
               _only(PatientProfile.user_id, patients))
    ).all()
    rows += session.execute(
        select(CheckIn.patient_id, func.min(CheckIn.day))
        .where(_only(CheckIn.patient_id, patients)).group_by(CheckIn.patient_id)
    ).all()
    for patient_id, day in rows:
        firsts[patient_id].append(day)
    attacks = session.execute(
        select(Attack.patient_id, func.min(Attack.started_at))
        .where(_only(Attack.patient_id, patients)).group_by(Attack.patient_id)
    ).all()
    for patient_id, started in attacks:
        firsts[patient_id].append(started.date())
    return firsts


def _horizons(session: Session, horizon_years: int,
              patients: Collection[int] | None = None) -> dict[int, date]:
    """Return, for each patient with a course, the first day the horizon allows."""
    courses = session.execute(
        select(TreatmentCourse.patient_id, func.min(TreatmentCourse.started_on))
        .where(_only(TreatmentCourse.patient_id, patients))
        .group_by(TreatmentCourse.patient_id)
    ).all()
    return {patient_id: years_before(first, horizon_years) for patient_id, first in courses}


def cells_needed_since(
    session: Session, grid_degrees: float, *, horizon_years: int, today: date,
    patients: Collection[int] | None = None,
) -> list[tuple[GridCell, date]]:
    """Return (creating if needed) every cell in use with the first day its patients need.

    A patient needs pressure from ``LEAD_DAYS`` before their first diary day (tracking
    start, first location period, first attack or check-in), but never from more than
    ``horizon_years`` before their first treatment course (before ``today`` without one),
    so one mistyped old date cannot send every cell back a century. Their first location
    period's cell needs it from that day (the first period also covers the days before it);
    a later period's cell from ``LEAD_DAYS`` before the period starts, within the horizon.
    With ``patients``, only their needs count (the history job's quick fill).
    """
    periods = session.execute(
        select(LocationPeriod.patient_id, LocationPeriod.starts_on,
               LocationPeriod.latitude, LocationPeriod.longitude)
        .where(_only(LocationPeriod.patient_id, patients))
        .order_by(LocationPeriod.patient_id, LocationPeriod.starts_on)
    ).all()
    firsts = _first_diary_days(session, patients)
    horizons = _horizons(session, horizon_years, patients)
    no_course_floor = years_before(today, horizon_years)
    at = _cells_at(session, ((lat, lon) for _, _, lat, lon in periods), grid_degrees)
    lead = timedelta(days=LEAD_DAYS)
    cells: dict[int, GridCell] = {}
    since: dict[int, date] = {}
    previous: int | None = None
    for patient_id, starts_on, lat, lon in periods:
        floor = horizons.get(patient_id, no_course_floor)
        if patient_id != previous:  # the patient's first period
            starts_on = min([starts_on, *firsts.get(patient_id, [])])
            previous = patient_id
        cell = at[(lat, lon)]
        cells[cell.id] = cell
        day = max(starts_on - lead, floor)
        since[cell.id] = min(day, since.get(cell.id, day))
    return [(cells[k], since[k]) for k in sorted(cells)]
