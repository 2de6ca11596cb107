"""The scheduler process: APScheduler 3 with its job store in the app's database.

Jobs (fixed ids, times in UTC from ``[jobs]``): ``pull-recent`` every hour at
``pull_recent_minute``, ``backfill`` daily at ``backfill_hour``:00, ``refresh-reports``
nightly at ``refresh_reports_hour``:00. Every job has ``coalesce=True`` (a backlog of missed
slots runs once), ``max_instances=1`` and ``misfire_grace_time=misfire_grace_seconds``.

Two executors, one worker thread each: ``default`` runs ``pull-recent``; ``backfill`` runs
``backfill`` and ``refresh-reports`` one after the other. So a long backfill never holds up
the hourly pull. They share the client's rate limit, and each stores its batches in short
``BEGIN IMMEDIATE`` transactions with the HTTP calls outside, so on SQLite they only wait
for each other's brief writes (busy timeout), never for a provider reply.

On start the jobs are (re)added with ``replace_existing=True`` so a changed ``[jobs]`` time
takes effect. ``replace_existing`` alone would also recompute the next run time from now and
silently drop a run missed while the process was down, so a stored next run time that lies
in the past is kept: the scheduler then runs that job once (coalesced) if the latest missed
slot is within the misfire grace time. On a database whose job store does not know a job
yet (a first start), the job runs at once, so a fresh installation fills its cells without
waiting for the night. Before that, runs left ``running`` by a process that is gone are
marked ``interrupted`` (a live ``jobs run`` is left alone), and an interrupted
``backfill`` or ``refresh-reports`` is queued to run at once instead of at its next time.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, Float, String, column, inspect, select, table

from jobs.context import JobContext, install
from jobs.lock import SchedulerLock, acquire_scheduler_lock
from jobs.queue import scheduled_reference
from jobs.tasks import (
    BACKFILL,
    FILL_HISTORY,
    JOB_NAMES,
    PULL_RECENT,
    REFRESH_REPORTS,
    SEND_REMINDERS,
    kv,
    mark_interrupted,
)
from tracker.settings import Settings

#: APScheduler's table (created by the job store; Alembic ignores it).
JOBSTORE_TABLE = "apscheduler_jobs"
#: Seconds between checks that the scheduler lock is still held.
LOCK_CHECK_SECONDS = 30.0

log = logging.getLogger("migraine_weather.jobs")

#: The executor of each job: the hourly pull never waits behind a long backfill.
EXECUTORS = {PULL_RECENT: "default", BACKFILL: "backfill", REFRESH_REPORTS: "backfill",
             FILL_HISTORY: "backfill", SEND_REMINDERS: "default"}
#: Jobs queued to run at once when the scheduler finds one of their runs interrupted.
RERUN_WHEN_INTERRUPTED = (BACKFILL, REFRESH_REPORTS)

_JOBSTORE = table(JOBSTORE_TABLE, column("id", String), column("next_run_time", Float))


def job_triggers(settings: Settings) -> dict[str, BaseTrigger]:
    """Return the trigger of each job from the ``[jobs]`` settings (UTC)."""
    jobs = settings.jobs
    return {
        "pull-recent": CronTrigger(minute=jobs.pull_recent_minute, timezone=UTC),
        "backfill": CronTrigger(hour=jobs.backfill_hour, minute=0, timezone=UTC),
        "refresh-reports": CronTrigger(hour=jobs.refresh_reports_hour, minute=0, timezone=UTC),
        FILL_HISTORY: IntervalTrigger(seconds=jobs.history_poll_seconds, timezone=UTC),
        SEND_REMINDERS: IntervalTrigger(minutes=settings.mail.reminder_every_minutes,
                                        timezone=UTC),
    }


def stored_next_run_times(engine: Engine) -> dict[str, datetime | None]:
    """Return each stored job's next run time (UTC; None if paused), read-only; {} if the
    job store's table does not exist yet."""
    if not inspect(engine).has_table(JOBSTORE_TABLE):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(_JOBSTORE.c.id, _JOBSTORE.c.next_run_time)).all()
    return {
        job_id: datetime.fromtimestamp(ts, UTC) if ts is not None else None
        for job_id, ts in rows
    }


def _on_event(event: Any) -> None:
    """Log scheduler events that the run log cannot see, as structured lines."""
    if not isinstance(event, JobEvent):
        return
    if event.code == EVENT_JOB_ERROR:
        log.error(kv(event="job_crashed", job=event.job_id,
                     error=f"{type(event.exception).__name__}: {event.exception}"))
    elif event.code == EVENT_JOB_MISSED:
        log.warning(kv(event="job_missed", job=event.job_id,
                       scheduled=event.scheduled_run_time.isoformat()))
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning(kv(event="job_skipped_still_running", job=event.job_id))


def build_scheduler(
    ctx: JobContext,
    *,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    triggers: Mapping[str, BaseTrigger] | None = None,
    now: datetime | None = None,
    rerun: Collection[str] = (),
) -> BaseScheduler:
    """Return a scheduler (not started) with the three jobs in a SQLAlchemy job store on
    ``ctx.engine``; ``triggers`` replaces the configured ones (tests use short intervals)
    and the jobs in ``rerun`` run at once (their last run was interrupted)."""
    grace = ctx.settings.jobs.misfire_grace_seconds
    chosen = dict(job_triggers(ctx.settings))
    chosen.update(triggers or {})
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=ctx.engine, tablename=JOBSTORE_TABLE)},
        executors={name: ThreadPoolExecutor(max_workers=1) for name in set(EXECUTORS.values())},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=UTC,
    )
    stored = stored_next_run_times(ctx.engine)
    now = now or datetime.now(UTC)
    for order, job_id in enumerate(JOB_NAMES):
        extra: dict[str, Any] = {}
        if job_id not in stored or job_id in rerun:
            # First start on this database, or interrupted: run now, in this order (FIFO
            # within an executor, so refresh-reports follows backfill).
            extra["next_run_time"] = now + timedelta(milliseconds=10 * order)
        elif stored[job_id] is None or stored[job_id] <= now:
            extra["next_run_time"] = stored[job_id]  # missed while down (or paused): keep
        scheduler.add_job(
            scheduled_reference(ctx.settings, job_id),
            trigger=chosen[job_id],
            id=job_id,
            name=job_id,
            executor=EXECUTORS[job_id],
            replace_existing=True,
            **extra,  # coalesce, max_instances and the grace time come from job_defaults
        )
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def prepare_scheduler(
    ctx: JobContext,
    *,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    triggers: Mapping[str, BaseTrigger] | None = None,
    now: datetime | None = None,
) -> tuple[BaseScheduler, list[str]]:
    """Mark the runs whose owner is gone ``interrupted``, then build the scheduler with an
    interrupted backfill or refresh-reports queued to run at once; return it and the jobs
    of the interrupted runs."""
    now = now or datetime.now(UTC)
    with ctx.session_factory.begin() as session:
        interrupted = mark_interrupted(session, now)
    rerun = [job for job in RERUN_WHEN_INTERRUPTED if job in interrupted]
    for job in rerun:
        log.info(kv(event="job_requeued", job=job, reason="its last run was interrupted"))
    scheduler = build_scheduler(ctx, scheduler_class=scheduler_class, triggers=triggers,
                                now=now, rerun=rerun)
    return scheduler, interrupted


def _watch_lock(lock: SchedulerLock, scheduler: BaseScheduler, ctx: JobContext,
                lost: threading.Event, interval: float) -> None:
    """Stop the scheduler if the lock is lost (e.g. the database connection dropped)."""
    while not ctx.stop.wait(interval):
        if not lock.is_held():
            log.critical(kv(event="scheduler_lock_lost", lock=lock.description))
            lost.set()
            ctx.stop.set()
            try:
                scheduler.shutdown(wait=False)
            except Exception:  # already stopping
                pass
            return


def run_scheduler(ctx: JobContext, *, lock_check_seconds: float = LOCK_CHECK_SECONDS) -> int:
    """Take the one-scheduler lock, then run the jobs until SIGTERM/SIGINT; return the exit
    code (0 on a requested stop, 1 if the lock was lost). Raises SchedulerLockHeld."""
    lock = acquire_scheduler_lock(ctx.engine)
    lost = threading.Event()
    try:
        scheduler, interrupted = prepare_scheduler(ctx)
        install(ctx)

        def started(_event: Any) -> None:
            runs = ", ".join(
                f"{job.id}@{job.next_run_time.isoformat() if job.next_run_time else 'paused'}"
                for job in scheduler.get_jobs()
            )
            log.info(kv(event="scheduler_started", pid=os.getpid(), lock=lock.description,
                        interrupted_runs=len(interrupted), next_runs=runs))

        def stop(signum: int, _frame: Any) -> None:
            log.info(kv(event="scheduler_stopping", signal=signal.Signals(signum).name))
            ctx.stop.set()  # a running job ends after its current batch
            try:
                scheduler.shutdown(wait=True)
            except SchedulerNotRunningError:  # a second signal while stopping
                pass

        scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        watcher = threading.Thread(
            target=_watch_lock, args=(lock, scheduler, ctx, lost, lock_check_seconds),
            name="scheduler-lock-watch", daemon=True,
        )
        watcher.start()
        try:
            scheduler.start()  # blocks until shutdown
        finally:
            ctx.stop.set()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            install(None)
        log.info(kv(event="scheduler_stopped", pid=os.getpid()))
    finally:
        lock.release()
    return 1 if lost.is_set() else 0
