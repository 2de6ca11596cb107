"""Which grid cells the patients' locations use, and how far back their diaries reach."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import Attack, LocationPeriod, PatientProfile
from weather.grid import find_cell_id, get_or_create_cell
from weather.models import GridCell


def cells_in_use(session: Session, grid_degrees: float) -> list[GridCell]:
    """Return (creating if needed) the cell of every distinct location period, by id."""
    points = session.execute(
        select(LocationPeriod.latitude, LocationPeriod.longitude).distinct()
    ).all()
    cells = {
        cell.id: cell
        for cell in (get_or_create_cell(session, lat, lon, grid_degrees) for lat, lon in points)
    }
    return [cells[k] for k in sorted(cells)]


def patient_cell_ids(session: Session, patient_id: int, grid_degrees: float) -> list[int]:
    """Return the ids of the stored cells of a patient's location periods (no insert)."""
    points = session.execute(
        select(LocationPeriod.latitude, LocationPeriod.longitude)
        .where(LocationPeriod.patient_id == patient_id)
        .distinct()
    ).all()
    ids = {find_cell_id(session, lat, lon, grid_degrees) for lat, lon in points}
    return sorted(i for i in ids if i is not None)


def earliest_needed_day(session: Session) -> date | None:
    """Return the earliest local day any diary needs pressure for (tracking start or attack)."""
    candidates = [
        session.scalar(select(func.min(PatientProfile.tracking_started_on))),
        session.scalar(select(func.min(LocationPeriod.starts_on))),
    ]
    first_attack = session.scalar(select(func.min(Attack.started_at)))
    if first_attack is not None:
        candidates.append(first_attack.date())
    known = [c for c in candidates if c is not None]
    return min(known) if known else None
