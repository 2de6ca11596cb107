"""A real APScheduler (BackgroundScheduler, same jobs and job store as the process)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from jobs import tasks
from jobs.context import install
from jobs.models import JobRun
from jobs.names import FILL_HISTORY, LOGGED_EACH_TIME
from jobs.scheduler import JOBSTORE_TABLE, build_scheduler, stored_next_run_times
from tests.jobs.conftest import wait_for, with_jobs

FAR = IntervalTrigger(hours=12)


def _statuses(session_factory, job: str) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(
            select(JobRun.status).where(JobRun.job == job).order_by(JobRun.id)))


def _finished(session_factory, jobs) -> bool:
    """Every job has run at least once and none is still running."""
    runs = [_statuses(session_factory, j) for j in jobs]
    return all(runs) and not any("running" in r for r in runs)


@pytest.fixture
def started(ctx):
    """Start a BackgroundScheduler built like the real one; shut it down afterwards."""
    schedulers = []

    def start(triggers=None, context=None):
        context = context or ctx
        install(context)
        scheduler = build_scheduler(context, scheduler_class=BackgroundScheduler,
                                    triggers=triggers)
        scheduler.start()
        schedulers.append(scheduler)
        return scheduler

    yield start
    for scheduler in schedulers:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def test_an_exception_inside_a_job_never_stops_the_scheduler(
    started, patients, session_factory, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="migraine_weather.jobs")
    real_task, real_run_job = tasks.TASKS["pull-recent"], tasks.run_job
    calls = {"task": 0, "run": 0}

    def flaky_task(ctx, now):
        calls["task"] += 1
        if calls["task"] == 1:
            raise RuntimeError("provider client bug")
        return real_task(ctx, now)

    def flaky_run_job(ctx, name, now=None):
        calls["run"] += name == "pull-recent"
        if name == "pull-recent" and calls["run"] == 2:
            raise ConnectionError("database went away")  # escapes into APScheduler
        return real_run_job(ctx, name, now)

    monkeypatch.setitem(tasks.TASKS, "pull-recent", flaky_task)
    monkeypatch.setattr(tasks, "run_job", flaky_run_job)
    scheduler = started({"pull-recent": IntervalTrigger(seconds=0.3), "backfill": FAR,
                         "refresh-reports": FAR})
    wait_for(lambda: _statuses(session_factory, "pull-recent").count("ok") >= 2)
    assert scheduler.running
    statuses = _statuses(session_factory, "pull-recent")
    assert statuses[0] == "error" and statuses[1:3] == ["ok", "ok"]
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "event=job_crashed job=pull-recent error=\"ConnectionError: database went away\"" \
        in messages
    assert "RuntimeError: provider client bug" in messages


def test_a_first_start_runs_every_job_once_and_fills_every_cell(
    started, patients, session_factory, engine
):
    scheduler = started()
    wait_for(lambda: _finished(session_factory, LOGGED_EACH_TIME))
    assert [_statuses(session_factory, j) for j in LOGGED_EACH_TIME] == [["ok"]] * 3
    # the polling jobs (fill-history, send-reminders) run once at first start too, after these
    wait_for(lambda: all(t > datetime.now(UTC) for t in stored_next_run_times(engine).values()))
    assert _statuses(session_factory, FILL_HISTORY) == []  # the back-fill left it nothing
    now = datetime.now(UTC)
    stored = stored_next_run_times(engine)
    assert set(stored) == set(tasks.JOB_NAMES)
    assert all(now < t <= now + timedelta(days=1) for t in stored.values())
    assert stored["pull-recent"].minute == 7 and stored["backfill"].hour == 3
    assert stored["refresh-reports"].hour == 4
    job = scheduler.get_job("pull-recent")
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)


def test_a_restart_after_downtime_runs_each_missed_job_once(
    ctx, job_settings, started, patients, session_factory, engine
):
    from jobs.context import build_context

    # A scheduler ran before (jobs in the store), then the machine was down for three days:
    # 72 hourly pulls, 3 backfills and 3 report refreshes were missed.
    context = build_context(with_jobs(job_settings, misfire_grace_seconds=86_400), engine)
    first = build_scheduler(context, scheduler_class=BackgroundScheduler)
    first.start(paused=True)
    first.shutdown(wait=True)
    long_ago = datetime.now(UTC) - timedelta(days=3)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(first, "default")
    for job in store.get_all_jobs():
        job._modify(next_run_time=long_ago)
        store.update_job(job)
    stored = stored_next_run_times(engine).values()
    assert all(abs(t - long_ago) < timedelta(milliseconds=1) for t in stored), stored

    started(context=context)
    wait_for(lambda: _finished(session_factory, LOGGED_EACH_TIME))
    wait_for(lambda: all(t > datetime.now(UTC) for t in stored_next_run_times(engine).values()))
    time.sleep(0.5)  # room for any extra (wrong) catch-up runs
    assert [_statuses(session_factory, j) for j in LOGGED_EACH_TIME] == [["ok"]] * 3
    context.close()


def test_changed_times_in_config_replace_the_stored_schedule(
    ctx, job_settings, patients, engine
):
    from jobs.context import build_context

    first = build_scheduler(ctx, scheduler_class=BackgroundScheduler)
    first.start(paused=True)
    first.shutdown(wait=False)
    # The first start stored "run now"; nothing is missed, so the new hour applies.
    later = datetime.now(UTC) - timedelta(seconds=30)
    context = build_context(with_jobs(job_settings, backfill_hour=5), engine)
    second = build_scheduler(context, scheduler_class=BackgroundScheduler, now=later)
    second.start(paused=True)
    job = second.get_job("backfill")
    second.shutdown(wait=False)
    assert "hour='5'" in str(job.trigger)
    context.close()
