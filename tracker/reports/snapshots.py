"""Stored report snapshots: recompute a patient's report only when its inputs changed.

A snapshot is the report JSON (``report.to_dict(include_days=True)``) with the fingerprint of
the inputs it was computed from. The fingerprint is a SHA-256 over:

- the diary: attack count and latest ``created_at``/``updated_at``; check-in count, latest
  ``created_at`` and headache-free count; the treatment courses and location periods row by
  row (few rows, and they have no ``updated_at``); the profile fields the report reads;
- the pressure of the patient's grid cells over the report's range, from the day before the
  first day of tracking up to the start of the report date (local): row count and latest
  ``fetched_at``. Today's hours are left out on purpose: the hourly pull adds them all day,
  and counting them would make every snapshot stale within the hour;
- the report date (local), so a snapshot is never served for a past day;
- the method configuration (every field), the grid size and the report schema.

Functions flush, never commit; the caller (a job or a request) owns the transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from correlation import MethodConfig
from tracker.cells import patient_cell_ids
from tracker.diary.profile import require_patient
from tracker.models import (
    Attack,
    CheckIn,
    LocationPeriod,
    ReportSnapshot,
    TreatmentCourse,
    User,
)
from tracker.reports.series import local_midnight_utc, patient_report, tracking_start
from weather.models import PressureObservation

#: Bump when the fingerprint's inputs or the stored report's shape change.
FINGERPRINT_VERSION = "migraine-weather/snapshot/v1"


def _stamp(value: Any) -> Any:
    """Return a JSON-safe form of a date, datetime or plain value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def config_dict(config: MethodConfig) -> dict[str, Any]:
    """Return every field of the method configuration as a JSON-safe dict."""
    values = dataclasses.asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _diary_part(session: Session, patient: User) -> dict[str, Any]:
    """Return the diary's counts, stamps and small tables for the fingerprint."""
    profile = require_patient(patient)
    attacks = session.execute(
        select(func.count(), func.max(Attack.created_at), func.max(Attack.updated_at)).where(
            Attack.patient_id == patient.id
        )
    ).one()
    checkins = session.execute(
        select(
            func.count(),
            func.max(CheckIn.created_at),
            func.count().filter(CheckIn.headache_free.is_(True)),
        ).where(CheckIn.patient_id == patient.id)
    ).one()
    courses = session.execute(
        select(
            TreatmentCourse.id,
            TreatmentCourse.kind,
            TreatmentCourse.started_on,
            TreatmentCourse.ended_on,
            TreatmentCourse.created_at,
        )
        .where(TreatmentCourse.patient_id == patient.id)
        .order_by(TreatmentCourse.id)
    ).all()
    periods = session.execute(
        select(
            LocationPeriod.starts_on,
            LocationPeriod.latitude,
            LocationPeriod.longitude,
            LocationPeriod.timezone,
        )
        .where(LocationPeriod.patient_id == patient.id)
        .order_by(LocationPeriod.starts_on)
    ).all()
    return {
        "profile": [
            profile.timezone,
            _stamp(profile.tracking_started_on),
            bool(profile.checkins_in_use),
            _stamp(patient.created_at),
        ],
        "attacks": [_stamp(v) for v in attacks],
        "checkins": [_stamp(v) for v in checkins],
        "courses": [[_stamp(v) for v in row] for row in courses],
        "locations": [[_stamp(v) for v in row] for row in periods],
    }


def _pressure_part(
    session: Session, cell_ids: list[int], start: datetime, end: datetime
) -> list[Any]:
    """Return per cell the row count and latest ``fetched_at`` in [start, end)."""
    if not cell_ids:
        return []
    rows = session.execute(
        select(
            PressureObservation.cell_id,
            func.count(),
            func.max(PressureObservation.fetched_at),
        )
        .where(
            PressureObservation.cell_id.in_(cell_ids),
            PressureObservation.observed_at >= start,
            PressureObservation.observed_at < end,
        )
        .group_by(PressureObservation.cell_id)
        .order_by(PressureObservation.cell_id)
    ).all()
    return [[cell_id, count, _stamp(latest)] for cell_id, count, latest in rows]


def report_fingerprint(
    session: Session,
    patient: User,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime,
) -> str:
    """Return the SHA-256 (hex) of everything the patient's report at ``now`` depends on."""
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    today = now.astimezone(zone).date()
    first = tracking_start(session, patient, today)
    start = local_midnight_utc(first - timedelta(days=1), zone)
    end = local_midnight_utc(today, zone)
    cell_ids = patient_cell_ids(session, patient.id, grid_degrees)
    payload = {
        "version": FINGERPRINT_VERSION,
        "report_date": today.isoformat(),
        "config": config_dict(config),
        "grid_degrees": float(grid_degrees),
        "diary": _diary_part(session, patient),
        "pressure": _pressure_part(session, cell_ids, start, end),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def refresh_snapshot(
    session: Session,
    patient: User,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime,
) -> bool:
    """Recompute and store the patient's snapshot if its inputs changed; True if recomputed.

    A patient without a treatment course has no report: a stored snapshot is then removed
    (and True returned if there was one to remove).
    """
    fingerprint = report_fingerprint(session, patient, config, grid_degrees, now)
    stored = session.get(ReportSnapshot, patient.id)
    if stored is not None and stored.fingerprint == fingerprint:
        return False
    report = patient_report(session, patient, config=config, grid_degrees=grid_degrees, now=now)
    if report is None:
        if stored is None:
            return False
        session.delete(stored)
        session.flush()
        return True
    if stored is None:
        stored = ReportSnapshot(patient_id=patient.id)
        session.add(stored)
    stored.computed_at = now
    stored.fingerprint = fingerprint
    stored.diary_changed_at = require_patient(patient).diary_changed_at
    stored.config = {**config_dict(config), "grid_degrees": float(grid_degrees)}
    stored.report = report.to_dict(include_days=True)
    stored.summary = report.to_dict(include_days=False)
    session.flush()
    return True


def get_fresh_snapshot(
    session: Session,
    patient: User,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime,
) -> dict[str, Any] | None:
    """Return the stored report dict if its inputs are unchanged at ``now``, else None.

    On None the caller computes the report on demand (``tracker.report.patient_report``).
    """
    stored = session.get(ReportSnapshot, patient.id)
    if stored is None:
        return None
    if stored.fingerprint != report_fingerprint(session, patient, config, grid_degrees, now):
        return None
    return stored.report


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
    config: MethodConfig,
    grid_degrees: float,
    now: datetime,
) -> dict[int, dict[str, Any] | None]:
    """Report summaries (no days) for a list page, one query for all patients.

    A stored summary is used when it was computed on the patient's current local day, after
    the last change to their diary, with the same method settings; other patients' reports
    are computed now and stored. Pressure that arrives later in the day shows after the
    nightly refresh-reports job (or the next diary change).
    """
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
    wanted_config = {**config_dict(config), "grid_degrees": float(grid_degrees)}
    out: dict[int, dict[str, Any] | None] = {}
    for patient in patients:
        profile = require_patient(patient)
        zone = ZoneInfo(profile.timezone)
        row = stored.get(patient.id)
        if (
            row is not None
            and row.summary is not None
            and row.diary_changed_at == profile.diary_changed_at
            and row.config == wanted_config
            and row.computed_at.astimezone(zone).date() == now.astimezone(zone).date()
        ):
            out[patient.id] = row.summary
            continue
        refresh_snapshot(session, patient, config, grid_degrees, now)
        fresh = session.get(ReportSnapshot, patient.id)
        out[patient.id] = fresh.summary if fresh is not None else None
    return out
