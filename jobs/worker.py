"""``migraine-weather worker``: a process that runs queued tasks (queue mode).

Run any number of them, on any machines, against the same PostgreSQL. Each one is a
Procrastinate worker running ``concurrency`` tasks at once (threads), sending a heartbeat
every ``[jobs] worker_heartbeat_seconds``; successful jobs are deleted from Procrastinate's
table when they finish (each run's outcome is kept in ``job_runs`` and ``job_run_tasks``),
failed ones are kept for inspection. SIGTERM or Ctrl-C lets the running tasks finish.

Beside the tasks, one worker at a time (whoever holds an advisory lock, freed when it dies)
keeps the queue healthy every heartbeat:

- **stalled tasks**: a task whose worker sent no heartbeat for three heartbeats (killed,
  machine lost) is queued again (Procrastinate's stalled-job recovery); a task that has used
  up its ``task_attempts`` this way is failed instead, so a task that kills its worker every
  time cannot loop forever;
- **tasks the queue gave up on** (failed by an unexpected error, cancelled, deleted by hand)
  are counted ``failed`` in their run, so every run settles.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime

import procrastinate
from procrastinate.jobs import Status
from sqlalchemy import Connection, Engine, create_engine, inspect, or_, select, text
from sqlalchemy.pool import NullPool

from jobs.context import JobContext, install
from jobs.lock import lock_key
from jobs.models import JobRun, JobRunTask
from jobs.owners import this_host
from jobs.queue import QUEUE_JOBS, QUEUE_STATUS
from jobs.queue_app import QueueNotReady, build_app, queue_context
from jobs.queue_tasks import fail_task
from jobs.tasks import kv
from tracker.settings import Settings

log = logging.getLogger("migraine_weather.jobs")

#: A worker silent for this many heartbeats is taken as dead.
STALLED_HEARTBEATS = 3
#: Procrastinate statuses after which a job will never run again on its own.
GIVEN_UP = ("failed", "cancelled", "aborted")


def check_ready(engine: Engine) -> None:
    """Raise QueueNotReady unless ``engine`` is PostgreSQL with the queue's tables."""
    if engine.dialect.name != "postgresql":
        raise QueueNotReady("the task queue needs PostgreSQL; [jobs] executor = \"queue\" "
                            "cannot run on SQLite")
    if not inspect(engine).has_table(QUEUE_JOBS.name):
        raise QueueNotReady("the task queue's tables are missing: run "
                            "`migraine-weather db upgrade` first")


class MaintenanceLeader:
    """Whether this worker is the one keeping the queue healthy: a session-level advisory
    lock on a dedicated autocommit connection (the server frees it when the process dies)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool,
                                     isolation_level="AUTOCOMMIT")
        self._conn: Connection | None = None
        self._held = False

    def holds(self) -> bool:
        """Return True while this process holds the lock (trying to take it if not)."""
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
                self._held = False
            if self._held:
                self._conn.execute(text("SELECT 1"))
                return True
            schema = self._conn.execute(text("SELECT current_schema()")).scalar() or "public"
            self._held = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                                 {"k": lock_key(f"{schema}/queue")}).scalar())
        except Exception:  # the connection broke: so did the lock; try again next time
            self.close()
            return False
        return self._held

    def close(self) -> None:
        """Close the dedicated connection (freeing the lock)."""
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
        self._conn, self._held = None, False


async def recover_stalled(app: procrastinate.App, heartbeat: float, attempts: int) -> int:
    """Queue again the tasks of workers silent for three heartbeats (fail those that used up
    their attempts); return how many were found."""
    stalled = list(await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=STALLED_HEARTBEATS * heartbeat))
    for job in stalled:
        assert job.id is not None
        kwargs = job.task_kwargs
        if job.attempts + 1 >= attempts:
            await app.job_manager.finish_job_by_id_async(job.id, Status.FAILED, False)
            action = "failed"
        else:
            await app.job_manager.retry_job(job)
            action = "requeued"
        log.warning(kv(event="task_stalled", queue_job=job.id, run_id=kwargs.get("run_id"),
                       task=kwargs.get("task_no"), attempts=job.attempts + 1, action=action))
    return len(stalled)


def settle_abandoned(ctx: JobContext) -> int:
    """Count as failed the tasks of queue runs that the queue gave up on; return how many."""
    with ctx.reader() as session:
        rows = session.execute(
            select(JobRunTask, JobRun.job, QUEUE_STATUS)
            .join(JobRun, JobRun.id == JobRunTask.run_id)
            .outerjoin(QUEUE_JOBS, QUEUE_JOBS.c.id == JobRunTask.queue_job_id)
            .where(JobRunTask.state == "queued", JobRunTask.queue_job_id.is_not(None),
                   JobRun.tasks_total.is_not(None),
                   or_(QUEUE_JOBS.c.id.is_(None), QUEUE_STATUS.in_(GIVEN_UP)))
        ).all()
    for task, job, status in rows:
        why = f"the queue gave up on it (job {status})" if status else "its queue job is gone"
        fail_task(ctx, task, job, why)
        log.warning(kv(event="task_abandoned", job=job, run_id=task.run_id, task=task.task_no,
                       queue_job=task.queue_job_id, status=status))
    return len(rows)


async def maintain(app: procrastinate.App, ctx: JobContext, leader: MaintenanceLeader) -> None:
    """Every heartbeat, if this worker leads: recover stalled tasks, settle abandoned ones."""
    jobs = ctx.settings.jobs
    while True:
        await asyncio.sleep(jobs.worker_heartbeat_seconds)
        try:
            if await asyncio.to_thread(leader.holds):
                await recover_stalled(app, jobs.worker_heartbeat_seconds, jobs.task_attempts)
                await asyncio.to_thread(settle_abandoned, ctx)
        except Exception as exc:  # never let upkeep stop the worker
            log.exception(kv(event="queue_upkeep_failed", error=f"{type(exc).__name__}: {exc}"))


async def _serve(app: procrastinate.App, ctx: JobContext, concurrency: int,
                 queues: Sequence[str]) -> None:
    """Run the Procrastinate worker and the upkeep beside it until the worker stops."""
    heartbeat = ctx.settings.jobs.worker_heartbeat_seconds
    leader = MaintenanceLeader(ctx.engine)
    async with app.open_async():
        upkeep = asyncio.create_task(maintain(app, ctx, leader))
        try:
            await app.run_worker_async(
                concurrency=concurrency, queues=list(queues) or None,
                name=f"{this_host()}:{os.getpid()}", delete_jobs="successful",
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=STALLED_HEARTBEATS * heartbeat,
            )
        finally:
            upkeep.cancel()
            leader.close()


def run_worker(settings: Settings, engine: Engine | None = None, *, concurrency: int = 1,
               queues: Sequence[str] = ()) -> None:
    """Run a worker until SIGTERM/SIGINT (running tasks finish first); raise QueueNotReady
    when the queue cannot run here."""
    if settings.jobs.executor != "queue":
        raise QueueNotReady('[jobs] executor is "inline": the scheduler does the work itself '
                            'and enqueues nothing; set executor = "queue" to use workers')
    ctx = queue_context(settings, engine)
    try:
        check_ready(ctx.engine)
        install(ctx)
        app = build_app(settings)
        log.info(kv(event="worker_started", pid=os.getpid(), concurrency=concurrency,
                    queues=",".join(queues) or "all", at=datetime.now(UTC).isoformat()))
        asyncio.run(_serve(app, ctx, concurrency, queues))
        log.info(kv(event="worker_stopped", pid=os.getpid()))
    finally:
        install(None)
        ctx.close()
