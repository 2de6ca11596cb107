"""The real processes: `migraine-weather scheduler` and `jobs run`, killed and restarted."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from jobs.models import JobRun
from tests.jobs.conftest import ROOT, SITES, add_patient, count, day_start, missing_hours, wait_for
from tracker.models import Attack
from weather.models import FetchLog, PressureObservation


def _statuses(session_factory, job: str) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(
            select(JobRun.status).where(JobRun.job == job).order_by(JobRun.id)))


def test_one_scheduler_at_a_time_fills_a_fresh_database_and_a_new_one_takes_over(
    processes, patients, session_factory
):
    first = processes.start("scheduler")
    processes.wait_for_line(first, "event=scheduler_started")
    # pull-recent runs on its own executor, beside backfill and refresh-reports: wait for all
    wait_for(lambda: all(_statuses(session_factory, j) and "running" not in
                         _statuses(session_factory, j)
                         for j in ("pull-recent", "backfill", "refresh-reports")))
    assert [_statuses(session_factory, j) for j in ("pull-recent", "backfill")] == [["ok"]] * 2
    now = datetime.now(UTC)
    gaps = missing_hours(session_factory, now - timedelta(days=3), now)
    assert len(gaps) == 3 and set(gaps.values()) == {0}

    second = processes.run("scheduler", timeout=30)
    assert second.returncode == 3
    assert "another scheduler is running against this database" in second.stderr
    assert first.poll() is None  # the first one is unaffected

    first.send_signal(signal.SIGKILL)
    first.wait(10)
    third = processes.start("scheduler")
    line = processes.wait_for_line(third, "event=scheduler_started")
    assert "interrupted_runs=0" in line

    listing = processes.run("jobs", "list")
    assert listing.returncode == 0, listing.stderr
    for job in ("pull-recent", "backfill", "refresh-reports"):
        block = listing.stdout.split(job, 1)[1]
        assert "next: 20" in block.splitlines()[0]  # a date: scheduled in the job store
        assert "last: ok" in block
    assert "cells in use: 3; with gaps in the last 7 days: 0" in listing.stdout

    third.send_signal(signal.SIGTERM)
    assert third.wait(15) == 0
    processes.wait_for_line(third, "event=scheduler_stopped")


def test_a_run_killed_mid_way_leaves_the_database_consistent_and_the_next_run_completes(
    processes, fake, session_factory, engine
):
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        started = now - timedelta(days=12)  # backfill reaches back to 14 days ago
        for i, (lat, lon) in enumerate(SITES):  # in every cell: each cell plans its own
            patient = add_patient(session, f"k{i}@example.org", lat, lon)
            session.add(Attack(patient_id=patient.id, started_at=started, ended_at=None,
                               kind="migraine", aura=False, medication="", notes="",
                               source="import", created_at=now, updated_at=now))
    fake.delay = 0.15  # 6 cells x (archive + forecast) = 12 slow requests, one cell each
    run = processes.start("jobs", "run", "backfill")
    wait_for(lambda: count(session_factory, FetchLog, FetchLog.status == "ok") >= 3, timeout=20)
    run.send_signal(signal.SIGKILL)
    run.wait(10)
    assert run.returncode == -signal.SIGKILL

    # Consistent: the run log says it never finished; every stored batch is complete (its
    # fetch_log row and its rows were committed together); nothing else was written.
    with session_factory() as session:
        [killed] = session.execute(select(JobRun.status, JobRun.finished_at)).all()
        assert killed == ("running", None)
        logs = session.scalars(select(FetchLog)).all()
        assert logs and {log.status for log in logs} == {"ok"}
        for log in logs:
            stored = session.scalar(
                select(func.count()).select_from(PressureObservation).where(
                    PressureObservation.cell_id == int(log.cell_ids),
                    PressureObservation.observed_at >= log.range_start,
                    PressureObservation.observed_at < log.range_end,
                )
            )
            assert stored == log.rows_written > 0
        assert sum(log.rows_written for log in logs) == session.scalar(
            select(func.count()).select_from(PressureObservation))
        if engine.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    done = len(logs)
    assert done < 12

    time.sleep(fake.delay + 0.2)  # the request in flight when the run was killed lands
    fake.delay = 0.0
    asked = len(fake.requests)
    again = processes.run("jobs", "run", "backfill")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "backfill: ok: 6 cell(s) done, 0 failed" in again.stdout
    # Nothing already stored was asked for again.
    assert len(fake.requests) - asked == 12 - done
    since = day_start(started.date() - timedelta(days=2))
    assert set(missing_hours(session_factory, since, datetime.now(UTC)).values()) == {0}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_scheduler_process_never_loads_flask(processes, patients):
    code = (
        "import os, signal, sys, threading, time\n"
        "from cli.main import main\n"
        "def check():\n"
        "    while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:\n"
        "        time.sleep(0.05)\n"
        "    time.sleep(0.3)\n"
        "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'web'))\n"
        "    print('LOADED', loaded, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "threading.Thread(target=check, daemon=True).start()\n"
        "main(['scheduler'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=processes.env, cwd=ROOT,
                            text=True, capture_output=True, timeout=30)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
    assert "event=scheduler_started" in result.stderr
    assert "event=scheduler_stopped" in result.stderr
    assert result.returncode == 0
