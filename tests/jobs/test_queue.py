"""Queue mode on PostgreSQL: the scheduler enqueues, worker processes run the tasks (issue #17).

Every test here runs real processes (``migraine-weather scheduler`` and ``worker``) against a
migrated PostgreSQL schema and the fake Open-Meteo server; without TEST_DATABASE_URL they are
skipped.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from jobs.context import JobContext, build_context, install
from jobs.models import JobRun, JobRunTask
from jobs.queue import enqueue_job, task_counts
from migrations.runner import upgrade
from tests.conftest import PG_URL
from tests.jobs.conftest import (
    SITES,
    Processes,
    SlowFakeOpenMeteo,
    _SlowHandler,
    add_patient,
    day_start,
    missing_hours,
    wait_for,
)
from tracker.database import make_engine, make_writer_session_factory
from tracker.models import TreatmentCourse
from tracker.settings import load_settings
from weather.models import PressureObservation

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="queue mode needs PostgreSQL (TEST_DATABASE_URL)"),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def qengine(db_url):
    """The test schema brought up by the migrations (Procrastinate's tables included)."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def queue_toml(fake: SlowFakeOpenMeteo, calls: int = 100_000, **jobs: object) -> str:
    """A config for the fake in queue mode: one cell per request, 3 days back, fast beats,
    ``calls`` a minute."""
    values = {"executor": "queue", "backfill_days": 3, "task_cells": 2, "task_patients": 2,
              "worker_heartbeat_seconds": 1, "task_attempts": 3, **jobs}
    lines = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in values.items())
    return fake.config_toml(batch_size=1, max_retries=0, max_calls_per_minute=calls) + \
        "[jobs]\n" + lines


@pytest.fixture
def queue_config(fake, tmp_path, db_url):
    """Write the queue-mode config; return its path (tests may rewrite it before starting)."""
    path = tmp_path / "config.toml"
    path.write_text(queue_toml(fake))
    return path


@pytest.fixture
def procs(db_url, qengine, queue_config) -> Iterator[Processes]:
    """Child processes on the migrated schema with the queue-mode config."""
    running = Processes(db_url, queue_config)
    yield running
    running.cleanup()


@pytest.fixture
def qctx(db_url, qengine, queue_config) -> Iterator[JobContext]:
    """A job context (the scheduler's side) with the same settings as the children."""
    settings = load_settings(queue_config, environ={"DATABASE_URL": db_url})
    context = build_context(settings, qengine)
    yield context
    install(None)
    context.close()


def add_patients(engine, sites, *, course: bool = True) -> list[int]:
    """Patients at ``sites`` (one cell each), tracking for a week, with a PRT course."""
    factory = make_writer_session_factory(engine)
    created = datetime.now(UTC) - timedelta(days=7)
    ids = []
    with factory.begin() as session:
        for i, (lat, lon) in enumerate(sites):
            user = add_patient(session, f"q{i}@example.org", lat, lon, created=created)
            if course:
                start = date.today() - timedelta(days=3)
                session.add(TreatmentCourse(patient_id=user.id, kind="PRT", started_on=start,
                                            ended_on=start + timedelta(days=1), sessions=1,
                                            created_at=created))
            ids.append(user.id)
    return ids


def runs(engine, job: str) -> list[JobRun]:
    """The runs of ``job``, oldest first."""
    with make_writer_session_factory(engine)() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job)
                                    .order_by(JobRun.id)))


def settled(engine, job: str) -> JobRun | None:
    """The newest run of ``job`` once it is no longer running."""
    found = runs(engine, job)
    return found[-1] if found and found[-1].status != "running" else None


def stored_hours(engine) -> tuple[int, int]:
    """(rows, distinct (cell, hour) pairs) of the stored observations."""
    with engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(PressureObservation))
        pairs = conn.execute(text("SELECT count(*) FROM (SELECT DISTINCT cell_id, observed_at "
                                  "FROM pressure_observations) AS d")).scalar()
    return rows, pairs


def test_enqueue_then_two_workers_fill_every_cell(qengine, qctx, procs):
    add_patients(qengine, SITES[:5])
    run_id = enqueue_job(qctx, "backfill")
    with qctx.reader() as session:
        run = session.get(JobRun, run_id)
        tasks = list(session.scalars(select(JobRunTask).where(JobRunTask.run_id == run_id)))
        queued = session.execute(text(
            "SELECT id, task_name, queue_name, priority, args FROM procrastinate_jobs ORDER BY id"
        )).all()
    assert run.status == "running" and run.tasks_total == 3  # 5 cells, 2 a task
    assert [t.state for t in tasks] == ["queued"] * 3 and sum(t.size for t in tasks) == 5
    assert sorted(t.queue_job_id for t in tasks) == [q.id for q in queued]
    assert all(q.task_name == "migraine_weather.pressure" and q.queue_name == "pressure"
               and q.args["run_id"] == run_id for q in queued)
    workers = [procs.start("worker", "--concurrency", "2") for _ in range(2)]
    done = wait_for(lambda: settled(qengine, "backfill"), timeout=60)
    assert done.status == "ok", done.error
    assert (done.tasks_total, done.tasks_done, done.tasks_failed) == (3, 3, 0)
    assert done.cells_done == 5 and done.cells_failed == 0 and done.rows_written > 0
    today = datetime.now(UTC).date()
    gaps = missing_hours(make_writer_session_factory(qengine), day_start(today - timedelta(days=3)),
                         datetime.now(UTC) - timedelta(hours=1))
    assert len(gaps) == 5 and set(gaps.values()) == {0}
    rows, pairs = stored_hours(qengine)
    assert rows == pairs
    with qctx.reader() as session:
        assert task_counts(session, [run_id]) == {
            run_id: {"queued": 0, "running": 0, "done": 3, "failed": 0}}
    for worker in workers:
        assert worker.poll() is None  # still serving


def snapshot_patients(engine) -> set[int]:
    """Patients with a stored report snapshot."""
    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT patient_id FROM report_snapshots")))


def test_scheduler_and_two_workers_fill_cells_and_refresh_reports(qengine, procs):
    patients = add_patients(qengine, SITES[:5])
    scheduler = procs.start("scheduler")
    procs.wait_for_line(scheduler, "event=scheduler_started", timeout=30)
    for _ in range(2):
        procs.start("worker", "--concurrency", "2")
    finished = {job: wait_for(lambda job=job: settled(qengine, job), timeout=90)
                for job in ("pull-recent", "backfill", "refresh-reports")}
    for job, run in finished.items():
        assert run.status == "ok", (job, run.error)
        assert run.tasks_done == run.tasks_total and run.tasks_failed == 0
    assert finished["pull-recent"].cells_done == 5 and finished["backfill"].cells_done == 5
    assert finished["refresh-reports"].cells_done == len(patients)
    assert finished["refresh-reports"].tasks_total == 3  # 5 patients, 2 a task
    gaps = missing_hours(make_writer_session_factory(qengine),
                         day_start(datetime.now(UTC).date() - timedelta(days=3)),
                         datetime.now(UTC) - timedelta(hours=1))
    assert len(gaps) == 5 and set(gaps.values()) == {0}
    assert snapshot_patients(qengine) == set(patients)
    listing = procs.run("jobs", "list")
    assert listing.returncode == 0, listing.stderr
    assert "tasks: 0 queued, 0 running, 3 done, 0 failed" in listing.stdout
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(30) == 0


def doing_jobs(engine) -> list[tuple[int, int]]:
    """(id, attempts) of the queue jobs a worker is running."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, attempts FROM procrastinate_jobs WHERE status = 'doing'"))]


def test_a_worker_killed_mid_task_leaves_it_to_another(qengine, qctx, procs, fake):
    patients = add_patients(qengine, SITES[:6])
    fake.delay = 0.5  # every request takes half a second: the kill lands inside a task
    run_id = enqueue_job(qctx, "backfill")
    first = procs.start("worker")
    wait_for(lambda: doing_jobs(qengine), timeout=30)
    wait_for(lambda: len(fake.requests) >= 1, timeout=10)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    [(killed_job, _)] = doing_jobs(qengine)  # the task it held stays "doing"
    second = procs.start("worker", "--concurrency", "2")
    line = procs.wait_for_line(second, "event=task_stalled", timeout=30)
    assert f"queue_job={killed_job} " in line and "action=requeued" in line
    done = wait_for(lambda: settled(qengine, "backfill"), timeout=90)
    assert done.id == run_id and done.status == "ok", done.error
    assert (done.tasks_done, done.tasks_failed, done.cells_done) == (done.tasks_total, 0, 6)
    with qctx.reader() as session:
        task = session.scalars(select(JobRunTask).where(JobRunTask.queue_job_id == killed_job)
                               ).one()
        assert task.state == "done"
    rows, pairs = stored_hours(qengine)
    assert rows == pairs  # no hour stored twice
    gaps = missing_hours(make_writer_session_factory(qengine),
                         day_start(datetime.now(UTC).date() - timedelta(days=3)),
                         datetime.now(UTC) - timedelta(hours=1))
    assert len(gaps) == 6 and set(gaps.values()) == {0}
    # the reports of every patient, by the surviving worker
    enqueue_job(qctx, "refresh-reports")
    reports = wait_for(lambda: settled(qengine, "refresh-reports"), timeout=60)
    assert reports.status == "ok" and reports.cells_done == len(patients)
    assert snapshot_patients(qengine) == set(patients)


class _TimedHandler(_SlowHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        with self.server.lock:
            self.server.times.append(time.monotonic())
        super().do_GET()


class TimedFake(SlowFakeOpenMeteo):
    """The fake, noting when each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.RequestHandlerClass = _TimedHandler
        self.times: list[float] = []


def most_in_a_minute(times: list[float]) -> int:
    """The most requests that arrived within any 60 seconds."""
    ordered = sorted(times)
    return max((sum(1 for u in ordered[i:] if u < t + 60.0) for i, t in enumerate(ordered)),
               default=0)


def test_two_workers_share_the_providers_rate_limit(qengine, qctx, procs, queue_config, db_url):
    fake = TimedFake().start()
    try:
        queue_config.write_text(queue_toml(fake, calls=20))  # burst 2, then 18 a minute
        settings = load_settings(queue_config, environ={"DATABASE_URL": db_url})
        ctx = dataclasses.replace(qctx, settings=settings)
        add_patients(qengine, [(10.0 + 0.3 * i, 20.0) for i in range(30)], course=False)
        enqueue_job(ctx, "pull-recent")  # 30 cells, 15 tasks of 2
        for _ in range(2):
            procs.start("worker", "--concurrency", "2")
        wait_for(lambda: fake.times, timeout=30)
        time.sleep(15)
        seen = list(fake.times)
    finally:
        fake.stop()
    span = seen[-1] - seen[0]
    # unshared, each worker's own limiter would let all 30 go at once
    assert most_in_a_minute(seen) <= 20
    assert 3 <= len(seen) <= 2 + 18 * (span + 1) / 60 + 1, (len(seen), span)


def test_tasks_the_queue_gave_up_on_are_counted_failed(qengine, qctx):
    from jobs.queue_app import build_app
    from jobs.worker import settle_abandoned

    add_patients(qengine, SITES[:3], course=False)
    run_id = enqueue_job(qctx, "pull-recent")  # 3 cells: tasks of 2 and 1
    with qctx.reader() as session:
        first, second = session.scalars(select(JobRunTask).where(JobRunTask.run_id == run_id)
                                        .order_by(JobRunTask.task_no)).all()
    with build_app(qctx.settings).open() as app:  # an operator cancels one, deletes one
        assert app.job_manager.cancel_job_by_id(first.queue_job_id)
    assert settle_abandoned(qctx) == 1
    assert settled(qengine, "pull-recent") is None
    with qengine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_jobs WHERE id = :i"),
                     {"i": second.queue_job_id})
    assert settle_abandoned(qctx) == 1
    run = settled(qengine, "pull-recent")
    assert (run.status, run.tasks_failed, run.cells_failed) == ("error", 2, 3)
    assert "job cancelled" in run.error and "queue job is gone" in run.error
    assert settle_abandoned(qctx) == 0


def queue_objects(engine) -> int:
    """Procrastinate's tables, functions and types in the test schema."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'procrastinate%'"
            "         AND relnamespace = current_schema()::regnamespace)"
            " + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'"
            "         AND pronamespace = current_schema()::regnamespace)"
            " + (SELECT count(*) FROM pg_type WHERE typname LIKE 'procrastinate%'"
            "         AND typnamespace = current_schema()::regnamespace)")).scalar()


def test_downgrade_drops_the_queue_and_upgrade_restores_it(qengine):
    from alembic import command
    from alembic.script import ScriptDirectory

    from migrations.runner import SCRIPT_LOCATION, alembic_config

    before = queue_objects(qengine)
    assert before > 20
    previous = ScriptDirectory(SCRIPT_LOCATION).get_revision("2928bedba503").down_revision
    command.downgrade(alembic_config(qengine), previous)
    assert queue_objects(qengine) == 0
    upgrade(qengine)
    assert queue_objects(qengine) == before


def test_a_provider_error_runs_the_task_again_a_refusal_fails_it(qengine, qctx, procs, fake):
    add_patients(qengine, SITES[:2], course=False)
    settings = dataclasses.replace(qctx.settings, jobs=dataclasses.replace(
        qctx.settings.jobs, task_cells=1))
    fake.script = ["500", "400"]  # task 1's first request, then task 2's (one worker)
    run_id = enqueue_job(dataclasses.replace(qctx, settings=settings), "pull-recent")
    procs.start("worker")
    run = wait_for(lambda: settled(qengine, "pull-recent"), timeout=60)
    assert run.id == run_id and run.status == "partial"
    assert (run.tasks_done, run.tasks_failed, run.cells_done, run.cells_failed) == (1, 1, 1, 1)
    assert "HTTP 400" in run.error and "HTTP 500" not in run.error
    assert len(fake.requests) == 3  # 500, 400, then task 1 again (after 4 s): 200
    with qengine.connect() as conn:
        failed = conn.execute(text("SELECT attempts FROM procrastinate_jobs "
                                   "WHERE status = 'failed'")).scalars().all()
    assert failed == []  # a refused request is counted failed by the task, not retried
