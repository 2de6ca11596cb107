"""Report snapshots: refresh-reports recomputes only changed patients; operator status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import select

from jobs.tasks import run_job
from tests.jobs.conftest import SITES, add_patient, day_start
from tracker.models import Attack, ReportSnapshot, TreatmentCourse, User
from tracker.reports.settings import ReportSettings
from tracker.reports.snapshots import get_fresh_snapshot, refresh_snapshot
from tracker.status import operator_status
from weather.grid import get_or_create_cell
from weather.observations import upsert_observations

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
FIRST = date(2025, 1, 1)


def _hours(first: datetime, last: datetime) -> np.ndarray:
    start, end = int(first.timestamp()), int(last.timestamp())
    return np.arange(start, end, 3600, dtype=np.int64)


def _pressure(hours: np.ndarray, phase: float) -> np.ndarray:
    return 1010.0 + 9.0 * np.sin(hours / 200_000.0 + phase)


def _store(session, cell_id: int, first: datetime, last: datetime, source: str, phase: float,
           fetched_at: datetime) -> None:
    hours = _hours(first, last)
    values = _pressure(hours, phase)
    upsert_observations(session, cell_id, hours, values, values + 6, source, fetched_at)


def _setup(session_factory, grid: float) -> tuple[list[int], list[int]]:
    """Three patients with a PRT course, attacks, and pressure through yesterday."""
    ids, cells = [], []
    created = day_start(FIRST)
    with session_factory.begin() as session:
        for i, (lat, lon) in enumerate(SITES[:3]):
            patient = add_patient(session, f"r{i}@example.org", lat, lon, created=created)
            session.add(TreatmentCourse(patient_id=patient.id, kind="PRT",
                                        started_on=date(2025, 3, 1), ended_on=date(2025, 3, 20),
                                        notes="", created_at=created))
            for day in range(2, 150, 9):
                start = created + timedelta(days=day, hours=8 + i)
                session.add(Attack(patient_id=patient.id, started_at=start,
                                   ended_at=start + timedelta(hours=5), kind="migraine",
                                   aura=False, medication="", notes="", source="import",
                                   created_at=created, updated_at=created))
            cell = get_or_create_cell(session, lat, lon, grid)
            _store(session, cell.id, created - timedelta(days=2), day_start(TODAY), "archive",
                   float(i), created)
            ids.append(patient.id)
            cells.append(cell.id)
    return ids, cells


def _computed(session_factory) -> dict[int, datetime]:
    with session_factory() as session:
        return dict(session.execute(select(ReportSnapshot.patient_id,
                                           ReportSnapshot.computed_at)).all())


def test_refresh_reports_recomputes_only_patients_whose_diary_or_pressure_changed(
    ctx, session_factory
):
    grid = ctx.settings.weather.grid_degrees
    config = ctx.settings.analysis
    settings = ReportSettings(config, grid)
    ids, cells = _setup(session_factory, grid)

    first = run_job(ctx, "refresh-reports", now=NOW)
    assert (first.status, first.cells_done, first.rows_written) == ("ok", 3, 3)
    stamps = _computed(session_factory)
    assert set(stamps) == set(ids)
    with session_factory() as session:
        snap = session.get(ReportSnapshot, ids[0])
        assert snap.config == settings.to_dict()
        assert snap.report["schema"] == "migraine-weather/report/v2"
        assert snap.report["days"] and snap.report["config"]["drop_threshold_hpa"] == 5.0

    later = NOW + timedelta(hours=3)
    nothing = run_job(ctx, "refresh-reports", now=later)
    assert (nothing.cells_done, nothing.rows_written) == (3, 0)
    assert _computed(session_factory) == stamps

    with session_factory.begin() as session:
        # Patient 0 logs an attack; patient 1's cell gets a measured hour (outranks archive);
        # patient 2's cell only gains today's hours (the hourly pull), which is not a change.
        start = NOW - timedelta(days=2)
        session.add(Attack(patient_id=ids[0], started_at=start, ended_at=None,
                           kind="migraine", aura=False, medication="", notes="", source="web",
                           created_at=later, updated_at=later))
        old_hour = day_start(date(2025, 2, 10))
        _store(session, cells[1], old_hour, old_hour + timedelta(hours=1), "measured", 5.0,
               later)
        _store(session, cells[2], day_start(TODAY), later, "forecast", 2.0, later)

    with session_factory() as session:
        fresh = [get_fresh_snapshot(session, session.get(User, i), settings, later)
                 for i in ids]
    assert fresh[0] is None and fresh[1] is None
    assert fresh[2] is not None and fresh[2]["schema"] == "migraine-weather/report/v2"

    changed = run_job(ctx, "refresh-reports", now=later)
    assert (changed.status, changed.cells_done, changed.rows_written) == ("ok", 3, 2)
    after = _computed(session_factory)
    assert after[ids[0]] == later and after[ids[1]] == later
    assert after[ids[2]] == stamps[ids[2]]

    # A new local day, a changed course or another method config each make a snapshot stale.
    with session_factory.begin() as session:
        patient = session.get(User, ids[2])
        assert get_fresh_snapshot(session, patient, settings, later) is not None
        assert get_fresh_snapshot(session, patient, settings,
                                  NOW + timedelta(days=1)) is None
        other = type(config)(drop_threshold_hpa=6.0)
        assert get_fresh_snapshot(session, patient, ReportSettings(other, grid), later) is None
        course = session.scalars(select(TreatmentCourse)
                                 .where(TreatmentCourse.patient_id == ids[2])).one()
        course.ended_on = date(2025, 3, 25)
        session.flush()
        assert get_fresh_snapshot(session, patient, settings, later) is None
        assert refresh_snapshot(session, patient, settings, later) is True
        assert get_fresh_snapshot(session, patient, settings, later)["course"][
            "ended_on"] == "2025-03-25"


def test_a_patient_without_a_course_has_no_snapshot(ctx, session_factory):
    grid = ctx.settings.weather.grid_degrees
    with session_factory.begin() as session:
        patient = add_patient(session, "n@example.org", *SITES[0], created=day_start(FIRST))
        settings = ReportSettings(ctx.settings.analysis, grid)
        assert refresh_snapshot(session, patient, settings, NOW) is False
        assert get_fresh_snapshot(session, patient, settings, NOW) is None
    result = run_job(ctx, "refresh-reports", now=NOW)
    assert (result.status, result.cells_done, result.rows_written) == ("ok", 0, 0)


def test_operator_status_tells_pulls_gaps_and_job_runs(ctx, patients, fake, session_factory):
    grid = ctx.settings.weather.grid_degrees
    now = datetime.now(UTC)
    with session_factory() as session:
        before = operator_status(session, grid, now)
    assert before["cells_in_use"] == 3 and before["jobs"] == {}
    assert all(c["cell_id"] is None and c["last_pull_at"] is None for c in before["cells"])
    assert [c["missing_hours_7d"] for c in before["cells_with_gaps"]] == [168] * 3

    fake.script = ["400"]
    run_job(ctx, "pull-recent")
    with session_factory() as session:
        status = operator_status(session, grid, datetime.now(UTC))
    assert status["jobs"]["pull-recent"]["status"] == "partial"
    assert status["jobs"]["pull-recent"]["last_ok_at"] is None
    [failed] = status["cells_with_gaps"]
    failed_cell = next(c for c in status["cells"] if c["cell_id"] == failed["cell_id"])
    assert failed_cell["last_pull_at"] is None and "Latitude" in failed_cell["last_error"]
    assert sum(c["last_pull_at"] is not None for c in status["cells"]) == 2

    run_job(ctx, "pull-recent")
    with session_factory() as session:
        status = operator_status(session, grid, datetime.now(UTC))
    assert status["cells_with_gaps"] == []
    assert all(c["last_pull_at"] and c["last_error"] is None for c in status["cells"])
    assert status["jobs"]["pull-recent"]["status"] == "ok"
    assert status["jobs"]["pull-recent"]["last_ok_at"] is not None
