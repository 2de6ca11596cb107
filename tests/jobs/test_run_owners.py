"""Runs know their owner: a scheduler starting up leaves a live `jobs run` alone, marks the
runs of a dead process interrupted, and runs an interrupted backfill again at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from jobs.models import JobRun
from jobs.scheduler import build_scheduler
from jobs.tasks import JOB_NAMES, mark_interrupted, run_job
from tests.jobs.conftest import wait_for


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(10)
    return proc.pid


def _add_run(session_factory, job: str, pid: int | None, *, host: str | None = None,
             age: timedelta = timedelta(minutes=1)) -> int:
    with session_factory.begin() as session:
        run = JobRun(job=job, started_at=datetime.now(UTC) - age, status="running",
                     cells_done=0, cells_failed=0, rows_written=0, owner_pid=pid,
                     owner_host=socket.gethostname() if host is None else host)
        session.add(run)
        session.flush()
        return run.id


def _status(session_factory, run_id: int) -> str:
    with session_factory() as session:
        return session.get(JobRun, run_id).status


def _statuses(session_factory, job: str) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(
            select(JobRun.status).where(JobRun.job == job).order_by(JobRun.id)))


def _schedule_all_later(ctx) -> None:
    """Store the three jobs with next run times hours away (a scheduler ran before)."""
    first = build_scheduler(ctx, scheduler_class=BackgroundScheduler,
                            now=datetime.now(UTC) + timedelta(hours=6))
    first.start(paused=True)
    first.shutdown(wait=True)


def test_a_run_records_its_owner(ctx, session_factory):
    result = run_job(ctx, "pull-recent")
    with session_factory() as session:
        run = session.get(JobRun, result.run_id)
    assert (run.owner_pid, run.owner_host) == (os.getpid(), socket.gethostname())


def test_only_runs_whose_owner_is_gone_are_marked_interrupted(session_factory):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live_here = _add_run(session_factory, "backfill", os.getpid(), age=timedelta(0))
        live_child = _add_run(session_factory, "backfill", sleeper.pid,
                              age=timedelta(seconds=-1))
        dead = _add_run(session_factory, "backfill", _dead_pid())
        reused = _add_run(session_factory, "refresh-reports", sleeper.pid,
                          age=timedelta(hours=1))  # the pid now belongs to a later process
        elsewhere = _add_run(session_factory, "backfill", 1, host="other-host")
        elsewhere_old = _add_run(session_factory, "pull-recent", 1, host="other-host",
                                 age=timedelta(days=2))
        unknown = _add_run(session_factory, "pull-recent", None, host="")
        with session_factory.begin() as session:
            session.get(JobRun, unknown).owner_host = None
        with session_factory.begin() as session:
            jobs = mark_interrupted(session, datetime.now(UTC))
        assert jobs == ["backfill", "refresh-reports", "pull-recent", "pull-recent"]
        statuses = {run_id: _status(session_factory, run_id) for run_id in
                    (live_here, live_child, dead, reused, elsewhere, elsewhere_old, unknown)}
        assert statuses == {live_here: "running", live_child: "running", dead: "interrupted",
                            reused: "interrupted", elsewhere: "running",
                            elsewhere_old: "interrupted", unknown: "interrupted"}
        with session_factory() as session:
            error = session.get(JobRun, dead).error
        assert error.startswith("the process running it (pid ") and "ended before" in error
    finally:
        sleeper.kill()
        sleeper.wait(10)


def test_start_up_requeues_an_interrupted_backfill_and_leaves_a_live_one(
    ctx, session_factory
):
    from jobs.scheduler import prepare_scheduler

    _schedule_all_later(ctx)
    dead = _add_run(session_factory, "backfill", _dead_pid(), age=timedelta(minutes=10))
    live = _add_run(session_factory, "refresh-reports", os.getpid(), age=timedelta(0))
    now = datetime.now(UTC)
    far = {job: IntervalTrigger(hours=12) for job in JOB_NAMES}
    scheduler, interrupted = prepare_scheduler(ctx, scheduler_class=BackgroundScheduler,
                                               triggers=far, now=now)
    scheduler.start(paused=True)
    try:
        times = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert interrupted == ["backfill"]
    assert (_status(session_factory, dead), _status(session_factory, live)) == (
        "interrupted", "running")
    assert abs(times["backfill"] - now) < timedelta(seconds=1)  # at once
    assert times["refresh-reports"] > now + timedelta(hours=1)  # its run is live: as set
    assert times["pull-recent"] > now + timedelta(hours=1)


def test_the_scheduler_process_redoes_a_killed_backfill_and_spares_a_live_cli_run(
    ctx, processes, patients, session_factory
):
    _schedule_all_later(ctx)
    dead = _add_run(session_factory, "backfill", _dead_pid(), age=timedelta(minutes=10))
    # This test process, alive and started before the run: a `jobs run` still working.
    live = _add_run(session_factory, "refresh-reports", os.getpid(), age=timedelta(0))
    proc = processes.start("scheduler")
    line = processes.wait_for_line(proc, "event=scheduler_started")
    assert "interrupted_runs=1" in line
    wait_for(lambda: _statuses(session_factory, "backfill") == ["interrupted", "ok"])
    assert _status(session_factory, live) == "running"
    assert _status(session_factory, dead) == "interrupted"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
