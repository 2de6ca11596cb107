"""refresh-reports with worker processes ([jobs] processes): the same snapshots as in one
process, written by this process with the diary stamp the series was read at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

import jobs.tasks as tasks
from jobs.context import build_context
from jobs.reports import PATIENTS_PER_PROCESS, pool_size
from jobs.tasks import run_job
from tests.jobs.conftest import with_jobs
from tests.jobs.test_snapshots import NOW, _setup
from tracker.models import Attack, ReportSnapshot, TreatmentCourse, User
from tracker.reports.compute import compute_snapshot
from tracker.reports.settings import ReportSettings
from tracker.reports.snapshots import get_fresh_snapshot, snapshot_input, write_snapshot
from tracker.settings import ConfigError, load_settings

COLUMNS = ("patient_id", "computed_at", "fingerprint", "diary_changed_at", "config", "report",
           "summary")


def _snapshots(session_factory) -> dict[int, tuple]:
    with session_factory() as session:
        return {row.patient_id: tuple(getattr(row, c) for c in COLUMNS)
                for row in session.scalars(select(ReportSnapshot))}


@pytest.fixture
def pooled(job_settings, engine, monkeypatch):
    """Run refresh-reports with ``processes`` processes; record which path ran."""
    paths: list[str] = []
    real = tasks.refresh_in_pool

    def spy(ctx, patient_ids, now, processes):
        paths.append(f"pool of {processes}")
        yield from real(ctx, patient_ids, now, processes)

    monkeypatch.setattr(tasks, "refresh_in_pool", spy)

    def run(processes: int, now=NOW):
        context = build_context(with_jobs(job_settings, processes=processes), engine)
        try:
            return run_job(context, "refresh-reports", now=now)
        finally:
            context.close()

    run.paths = paths
    return run


def test_two_processes_store_the_same_snapshots_as_one(pooled, session_factory, job_settings):
    ids, _cells = _setup(session_factory, job_settings.weather.grid_degrees)

    one = pooled(1)
    assert (one.status, one.cells_done, one.rows_written) == ("ok", 3, 3)
    assert pooled.paths == []
    alone = _snapshots(session_factory)
    with session_factory.begin() as session:
        session.execute(delete(ReportSnapshot))

    two = pooled(2)
    assert (two.status, two.cells_done, two.rows_written) == ("ok", 3, 3)
    assert pooled.paths == ["pool of 2"]
    assert _snapshots(session_factory) == alone

    # only a changed patient is computed again; fresh snapshots are left alone
    with session_factory.begin() as session:
        session.add(TreatmentCourse(patient_id=ids[0], kind="PRT", started_on=NOW.date(),
                                    ended_on=None, notes="", created_at=NOW))
    later = pooled(2, NOW + timedelta(hours=1))
    assert (later.status, later.cells_done, later.rows_written) == ("ok", 3, 1)
    after = _snapshots(session_factory)
    assert after[ids[1]] == alone[ids[1]] and after[ids[2]] == alone[ids[2]]
    assert after[ids[0]][1] == NOW + timedelta(hours=1)
    assert after[ids[0]][5]["course"]["started_on"] == NOW.date().isoformat()


def test_a_diary_change_while_the_report_is_computed_leaves_it_stale(ctx, session_factory):
    ids, _cells = _setup(session_factory, ctx.settings.weather.grid_degrees)
    settings = ReportSettings(ctx.settings.analysis, ctx.settings.weather.grid_degrees)
    with ctx.reader() as session:
        todo = snapshot_input(session, session.get(User, ids[0]), settings, NOW)
    with session_factory.begin() as session:  # the patient logs an attack meanwhile
        session.add(Attack(patient_id=ids[0], started_at=NOW - timedelta(hours=5),
                           ended_at=None, kind="migraine", aura=False, medication="",
                           notes="", source="web", created_at=NOW, updated_at=NOW))
    with session_factory.begin() as session:
        assert write_snapshot(session, todo, settings, NOW,
                              compute_snapshot(todo.series, settings, NOW)) is True
    with session_factory() as session:
        assert session.get(ReportSnapshot, ids[0]) is not None
        assert get_fresh_snapshot(session, session.get(User, ids[0]), settings, NOW) is None


def test_a_stopping_scheduler_leaves_the_rest(pooled, session_factory, job_settings, engine):
    _setup(session_factory, job_settings.weather.grid_degrees)
    context = build_context(with_jobs(job_settings, processes=2), engine)
    context.stop.set()
    try:
        result = run_job(context, "refresh-reports", now=NOW)
    finally:
        context.close()
    assert result.status == "partial"
    assert "stopped before every patient was checked" in (result.error_text() or "")
    assert _snapshots(session_factory) == {}


def test_the_processes_setting(tmp_path):
    assert pool_size(3) == 3 and pool_size(1) == 1 and pool_size(0) >= 1
    assert pool_size(3, patients=2) == 2  # an explicit size, never more than the patients
    # the default: no pool for a small clinic (starting one costs more than it saves)
    assert pool_size(0, patients=PATIENTS_PER_PROCESS * 2 - 1) == 1
    assert pool_size(0, patients=PATIENTS_PER_PROCESS * 64) == pool_size(0)
    config = tmp_path / "c.toml"
    config.write_text("[jobs]\nprocesses = 4\n")
    assert load_settings(config, {}).jobs.processes == 4
    assert load_settings(None, {}).jobs.processes == 0
    config.write_text("[jobs]\nprocesses = -1\n")
    with pytest.raises(ConfigError, match="jobs.processes"):
        load_settings(config, {})
