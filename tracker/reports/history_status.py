"""How far the pressure for a patient's diary history has arrived (issue #14, point 4).

After an import the dashboard says "Pressure for 14 Mar 2024 to 2 Jan 2025: fetching (40%)"
until the hours the patient's places need are stored, then shows the analysis; when the
last fetch for those cells failed it says the weather service could not be reached and when
the next try is (the fill-history job's retry interval). Read-only: nothing here creates
cells, so a GET page can ask.

Which hours are needed follows :func:`tracker.cells.cells_needed_since` (what the jobs fetch):
the first place's cell from ``LEAD_DAYS`` before the first diary day, a later place's cell
from ``LEAD_DAYS`` before it starts, never beyond the back-fill horizon, up to the start of
today (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from tracker.cells import LEAD_DAYS, years_before
from tracker.models import Attack, CheckIn, LocationPeriod, TreatmentCourse, User
from weather.grid import cell_key
from weather.models import FetchLog, GridCell, PressureObservation

#: Below this share of stored hours the history counts as still arriving (the provider
#: itself lacks a few hours now and then, so 100% is not required).
COMPLETE_SHARE = 0.99
#: Histories shorter than this are the recent pull's business, not an import's.
MIN_DAYS = 3
#: How far back a failed fetch still says "could not be reached".
FAILURE_MEMORY = timedelta(days=2)


@dataclass(frozen=True)
class HistoryPressure:
    """The pressure still missing for a patient's diary history, for the dashboard."""

    first_day: date
    last_day: date
    share: float
    unreachable: bool
    next_try: datetime | None

    @property
    def percent(self) -> int:
        """Stored share of the history's hours, rounded down (so 99.6% is not "100%")."""
        return int(self.share * 100)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form (the dashboard's API twin)."""
        return {"first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(),
                "percent": self.percent, "unreachable": self.unreachable,
                "next_try": None if self.next_try is None else self.next_try.isoformat()}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _first_days(session: Session, patient: User) -> list[date]:
    """The patient's first days of tracking, check-in and attack (UTC), where there are."""
    profile = patient.profile
    found = [profile.tracking_started_on] if profile and profile.tracking_started_on else []
    checkin = session.scalar(select(func.min(CheckIn.day))
                             .where(CheckIn.patient_id == patient.id))
    attack = session.scalar(select(func.min(Attack.started_at))
                            .where(Attack.patient_id == patient.id))
    return found + ([checkin] if checkin else []) + (
        [attack.astimezone(UTC).date()] if attack else [])


def needed_cells(session: Session, patient: User, grid_degrees: float, today: date,
                 horizon_years: int) -> tuple[date | None, dict[tuple[int, int], date]]:
    """The patient's first diary day and, per cell centre, the first UTC day it needs."""
    periods = session.execute(
        select(LocationPeriod.starts_on, LocationPeriod.latitude, LocationPeriod.longitude)
        .where(LocationPeriod.patient_id == patient.id).order_by(LocationPeriod.starts_on)
    ).all()
    if not periods:
        return None, {}
    first_day = min([periods[0][0], *_first_days(session, patient)])
    course = session.scalar(select(func.min(TreatmentCourse.started_on))
                            .where(TreatmentCourse.patient_id == patient.id))
    floor = years_before(course or today, horizon_years)
    lead = timedelta(days=LEAD_DAYS)
    since: dict[tuple[int, int], date] = {}
    for index, (starts_on, lat, lon) in enumerate(periods):
        day = max((first_day if index == 0 else starts_on) - lead, floor)
        key = cell_key(lat, lon, grid_degrees)
        since[key] = min(day, since.get(key, day))
    return first_day, since


def _stored_hours(session: Session, cells: dict[int, date], end: datetime) -> int:
    """Hours with a surface pressure stored, each cell from its own first day to ``end``."""
    obs = PressureObservation
    total = 0
    for cell_id, day in cells.items():
        total += int(session.scalar(
            select(func.count()).select_from(obs)
            .where(obs.cell_id == cell_id, obs.observed_at >= _midnight(day),
                   obs.observed_at < end, obs.surface_pressure_hpa.is_not(None))) or 0)
    return total


def _last_fetch_failed(session: Session, cell_ids: list[int], since: datetime
                       ) -> datetime | None:
    """When the newest fetch for these cells since ``since`` failed (None: it did not)."""
    wanted = {str(c) for c in cell_ids}
    rows = session.execute(
        select(FetchLog.cell_ids, FetchLog.status, FetchLog.finished_at)
        .where(FetchLog.started_at >= since, FetchLog.status.in_(("ok", "error")))
        .order_by(FetchLog.started_at.desc(), FetchLog.id.desc()).limit(200))
    for ids, status, finished in rows:
        if wanted & {x.strip() for x in ids.split(",")}:
            return finished if status == "error" else None
    return None


def history_pressure(session: Session, patient: User, grid_degrees: float, now: datetime,
                     retry_minutes: int, *, horizon_years: int = 5) -> HistoryPressure | None:
    """The history's pressure while it is still arriving; None once complete (or none due).

    ``horizon_years`` is ``[jobs] backfill_horizon_years`` (hours the jobs never fetch are
    not waited for).
    """
    today = now.astimezone(UTC).date()
    first_day, since = needed_cells(session, patient, grid_degrees, today, horizon_years)
    if first_day is None or first_day > today - timedelta(days=MIN_DAYS):
        return None
    end = _midnight(today)
    due = sum(max(0, (end - _midnight(day)) // timedelta(hours=1)) for day in since.values())
    if due == 0:
        return None
    rows = session.execute(
        select(GridCell.lat_e4, GridCell.lon_e4, GridCell.id)
        .where(tuple_(GridCell.lat_e4, GridCell.lon_e4).in_(list(since)))).all()
    cells = {cell_id: since[(lat, lon)] for lat, lon, cell_id in rows}
    share = _stored_hours(session, cells, end) / due
    if share >= COMPLETE_SHARE:
        return None
    failed = _last_fetch_failed(session, list(cells), now - FAILURE_MEMORY) if cells else None
    next_try = None if failed is None else failed + timedelta(minutes=retry_minutes)
    return HistoryPressure(first_day=first_day, last_day=today - timedelta(days=1),
                           share=min(share, 1.0), unreachable=failed is not None,
                           next_try=next_try)
