"""Stored report snapshots, and the one rule that says when a stored report is fresh.

A snapshot is the report JSON (``report.to_dict(include_days=True)``) with its summary (no
days) and the settings it was computed with. It is **fresh** (:func:`is_fresh`) when

- it has the current report contract (``REPORT_SCHEMA``; a stored v1 report lacks
  ``clinical``),
- it was computed on the patient's current local day (a report is never served for a past day),
- with the same method settings and grid (:class:`~tracker.reports.settings.ReportSettings`),
- after the last change to the diary (the profile's ``diary_changed_at``, stamped on every
  diary write by ``tracker.models``), and
- after the last pressure that arrived for the patient's cells for hours before the start of
  the local day. Today's hours are left out on purpose: the hourly pull adds them all day, and
  counting them would make every snapshot stale within the hour.

The list pages, the report views and the nightly refresh job all use this rule; when it says
stale, the report is computed and stored again. Functions flush, never commit; the caller (a
job or a request) owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from correlation import REPORT_SCHEMA, PatientSeries
from tracker.cells import cells_of_patients
from tracker.diary.profile import require_patient
from tracker.models import (
    ReportSnapshot,
    TreatmentCourse,
    User,
)
from tracker.reports.compute import compute_snapshot
from tracker.reports.series import local_midnight_utc, patient_series
from tracker.reports.settings import ReportSettings
from weather.models import PressureObservation

#: Names what the ``fingerprint`` column holds (the settings and day a report was made for).
FINGERPRINT_VERSION = "migraine-weather/snapshot/v2"


def _stamp(value: Any) -> Any:
    """Return a JSON-safe form of a date, datetime or plain value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _fingerprint(settings: ReportSettings, today: date) -> str:
    """SHA-256 (hex) of the settings and the local report date a snapshot was made for."""
    payload = {"version": FINGERPRINT_VERSION, "report_date": today.isoformat(),
               "settings": settings.to_dict()}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _local_midnight(patient: User, now: datetime) -> datetime:
    """The start of the patient's current local day, in UTC."""
    zone = ZoneInfo(require_patient(patient).timezone)
    return local_midnight_utc(now.astimezone(zone).date(), zone)


def latest_pressure_arrivals(
    session: Session, patients: Sequence[User], settings: ReportSettings, now: datetime
) -> dict[int, datetime | None]:
    """Per patient, when pressure last arrived today for their cells' hours before today.

    One bound serves all: the earliest of the patients' local midnights, so no patient's own
    today counts (for one patient it is exactly their midnight). Arrivals before that bound
    are left out (None): a fresh snapshot was computed on the patient's local today, so after
    them anyway; the (cell, fetched_at) index then reads only today's arrivals (3 queries).
    """
    if not patients:
        return {}
    cells = cells_of_patients(session, [p.id for p in patients], settings.grid_degrees)
    all_cells = sorted({c for ids in cells.values() for c in ids})
    bound = min(_local_midnight(p, now) for p in patients)
    latest = dict(session.execute(
        select(PressureObservation.cell_id, func.max(PressureObservation.fetched_at))
        .where(PressureObservation.cell_id.in_(all_cells),
               PressureObservation.fetched_at >= bound,
               PressureObservation.observed_at < bound)
        .group_by(PressureObservation.cell_id)
    ).all()) if all_cells else {}
    return {p.id: max((latest[c] for c in cells[p.id] if c in latest), default=None)
            for p in patients}


def is_fresh(
    stored: ReportSnapshot | Any,
    patient: User,
    settings: ReportSettings,
    pressure_arrived: datetime | None,
    now: datetime,
) -> bool:
    """The one freshness rule of a stored report (see the module docstring)."""
    if stored is None or stored.summary is None:
        return False
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    return (
        stored.summary.get("schema") == REPORT_SCHEMA  # an older contract is recomputed
        and stored.computed_at.astimezone(zone).date() == now.astimezone(zone).date()
        and stored.config == settings.to_dict()
        and stored.diary_changed_at == profile.diary_changed_at
        and (pressure_arrived is None or pressure_arrived <= stored.computed_at)
    )


def _is_fresh_now(session: Session, stored: ReportSnapshot | None, patient: User,
                  settings: ReportSettings, now: datetime) -> bool:
    """:func:`is_fresh` for one patient, looking up when their pressure last arrived."""
    if stored is None:
        return False
    arrived = latest_pressure_arrivals(session, [patient], settings, now)[patient.id]
    return is_fresh(stored, patient, settings, arrived, now)


def refresh_snapshot(
    session: Session,
    patient: User,
    settings: ReportSettings,
    now: datetime,
) -> bool:
    """Recompute and store the patient's snapshot unless it is fresh; True if recomputed.

    A patient without a treatment course has no report: a stored snapshot is then removed
    (and True returned if there was one to remove).
    """
    stored = session.get(ReportSnapshot, patient.id)
    if _is_fresh_now(session, stored, patient, settings, now):
        return False
    return store_snapshot(session, patient, settings, now, stored)


def store_snapshot(
    session: Session,
    patient: User,
    settings: ReportSettings,
    now: datetime,
    stored: ReportSnapshot | None,
) -> bool:
    """Compute the patient's report now and store it in ``stored`` (or a new row); the
    caller has decided that ``stored`` is not fresh. False only when there is no course and
    nothing was stored (a stale row of a patient without a course is removed: True)."""
    todo = _input(patient, settings, now, patient_series(session, patient, settings=settings,
                                                         now=now))
    computed = None if todo.series is None else compute_snapshot(todo.series, settings, now)
    return _write(session, stored, todo, settings, now, computed)


@dataclass(frozen=True)
class SnapshotInput:
    """What a stale snapshot is recomputed from, read in one transaction: the plain series
    (None without a course: the stored snapshot is then removed), the diary stamp it was
    read at and the settings and day it is for (the snapshot's fingerprint)."""

    patient_id: int
    series: PatientSeries | None
    diary_changed_at: datetime | None
    fingerprint: str


def _input(patient: User, settings: ReportSettings, now: datetime,
           series: PatientSeries | None) -> SnapshotInput:
    """The SnapshotInput of ``patient`` for ``series`` (read just now)."""
    profile = require_patient(patient)
    today = now.astimezone(ZoneInfo(profile.timezone)).date()
    return SnapshotInput(patient.id, series, profile.diary_changed_at,
                         _fingerprint(settings, today))


def snapshot_input(
    session: Session, patient: User, settings: ReportSettings, now: datetime
) -> SnapshotInput | None:
    """What refreshing the patient's snapshot needs, or None when the stored one is fresh."""
    if _is_fresh_now(session, session.get(ReportSnapshot, patient.id), patient, settings, now):
        return None
    return _input(patient, settings, now,
                  patient_series(session, patient, settings=settings, now=now))


def write_snapshot(
    session: Session,
    todo: SnapshotInput,
    settings: ReportSettings,
    now: datetime,
    computed: tuple[dict[str, Any], dict[str, Any]] | None,
) -> bool:
    """Store a snapshot computed from ``todo`` (``computed`` None: remove the stored one);
    True if a row was written or removed. The diary stamp is the one the series was read
    at, so a diary change made meanwhile leaves the snapshot stale, as it should."""
    if session.get(User, todo.patient_id) is None:  # deleted meanwhile
        return False
    return _write(session, session.get(ReportSnapshot, todo.patient_id), todo, settings, now,
                  computed)


def _write(session: Session, stored: ReportSnapshot | None, todo: SnapshotInput,
           settings: ReportSettings, now: datetime,
           computed: tuple[dict[str, Any], dict[str, Any]] | None) -> bool:
    """Store ``computed`` in ``stored`` (or a new row), or remove ``stored`` when None."""
    if computed is None:
        if stored is None:
            return False
        session.delete(stored)
        session.flush()
        return True
    if stored is None:
        stored = ReportSnapshot(patient_id=todo.patient_id)
        session.add(stored)
    stored.computed_at = now
    stored.fingerprint = todo.fingerprint
    stored.diary_changed_at = todo.diary_changed_at
    stored.config = settings.to_dict()
    stored.report, stored.summary = computed
    session.flush()
    return True


def get_fresh_snapshot(
    session: Session,
    patient: User,
    settings: ReportSettings,
    now: datetime,
) -> dict[str, Any] | None:
    """Return the stored report dict if it is fresh at ``now``, else None.

    On None the caller computes the report on demand (``series.patient_report``).
    """
    stored = session.get(ReportSnapshot, patient.id)
    return stored.report if _is_fresh_now(session, stored, patient, settings, now) else None


def patients_with_reports(session: Session) -> list[int]:
    """Return the ids of active patients who have a treatment course (so a report), by id."""
    return list(
        session.scalars(
            select(User.id)
            .where(
                User.role == "patient",
                User.is_active.is_(True),
                select(TreatmentCourse.id).where(TreatmentCourse.patient_id == User.id).exists(),
            )
            .order_by(User.id)
        )
    )


def current_summaries(
    session: Session,
    patients: Sequence[User],
    settings: ReportSettings,
    now: datetime,
) -> dict[int, dict[str, Any] | None]:
    """Report summaries (no days) for a list page: stored ones where :func:`is_fresh` says
    so (a few queries for all patients), the others computed now and stored."""
    ids = [p.id for p in patients]
    stored = {
        row.patient_id: row
        for row in session.execute(
            select(ReportSnapshot.patient_id, ReportSnapshot.computed_at,
                   ReportSnapshot.diary_changed_at, ReportSnapshot.config,
                   ReportSnapshot.summary)
            .where(ReportSnapshot.patient_id.in_(ids))
        )
    } if ids else {}
    arrivals = latest_pressure_arrivals(session, patients, settings, now)
    out: dict[int, dict[str, Any] | None] = {}
    for patient in patients:
        row = stored.get(patient.id)
        if is_fresh(row, patient, settings, arrivals[patient.id], now):
            out[patient.id] = row.summary
            continue
        # is_fresh said stale: compute at once, without asking the freshness queries again
        store_snapshot(session, patient, settings, now, session.get(ReportSnapshot, patient.id))
        fresh = session.get(ReportSnapshot, patient.id)  # the identity map: no query
        out[patient.id] = fresh.summary if fresh is not None else None
    return out
