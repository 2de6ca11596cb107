"""Queue mode, the scheduler's side: when a job fires, plan it and enqueue its tasks.

With ``[jobs] executor = "queue"`` the one scheduler (still holding its lock) keeps the clock
and the planning, and the work goes to the task queue (:mod:`jobs.queue_app`) that
``migraine-weather worker`` processes drain:

- pull-recent, backfill, fill-history: the planned chunks (the inline job's own planning) are
  shared out into tasks of at most ``[jobs] task_cells`` cells, cells that need the same
  chunks together, so one request still serves a whole batch;
- refresh-reports: one task per ``[jobs] task_patients`` patients with a course.

The run's ``job_runs`` row is written first (``running``, owned by the scheduler); then ONE
transaction inserts a ``job_run_tasks`` row per task, defers the tasks on the same database
connection (Procrastinate accepts the caller's connection) and records ``tasks_total``: the
tasks are queued and counted together or not at all. A scheduler killed before that commit
leaves a run without tasks, which the next scheduler marks ``interrupted`` as before; a run
with its tasks queued belongs to the workers, and the last task to finish settles it.

A job whose previous queue run is still unfinished is not enqueued again when it fires
(logged ``event=job_skipped_still_queued``), like ``max_instances=1`` inline.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, cast, column, func, inspect, literal, select, table, update
from sqlalchemy.orm import Session

from jobs.context import JobContext, current
from jobs.history import Plan, plan_history
from jobs.models import JobRun, JobRunTask
from jobs.names import BACKFILL, FILL_HISTORY, PULL_RECENT, REFRESH_REPORTS
from jobs.owners import this_host
from jobs.queue_tasks import chunk_args, settle_if_complete
from jobs.tasks import SCHEDULED, kv, plan_backfill
from tracker.cells import cells_in_use
from tracker.reports.snapshots import patients_with_reports
from tracker.settings import Settings
from weather.fetching import recent_request

log = logging.getLogger("migraine_weather.jobs")

#: Procrastinate's jobs table, as far as the run log's task counts need it.
QUEUE_JOBS = table("procrastinate_jobs", column("id", Integer), column("status", String))
#: A queue job's status as text (the column is an enum type of Procrastinate's).
QUEUE_STATUS = cast(QUEUE_JOBS.c.status, String)

#: Task arguments and the cells (or patients) each one carries.
Tasks = list[tuple[dict[str, Any], int]]


def split_cells(groups: Plan, size: int) -> list[Plan]:
    """Share the planned chunks' cells out into tasks of at most ``size`` cells; cells that
    need the same chunks go together, and each task keeps the chunks' order."""
    needs: dict[int, list[int]] = defaultdict(list)
    for index, (_, members) in enumerate(groups):
        for cell in members:
            needs[cell.id].append(index)
    order = sorted(needs, key=lambda cell_id: (needs[cell_id], cell_id))
    tasks = []
    for lo in range(0, len(order), size):
        ids = set(order[lo : lo + size])
        tasks.append([(request, [c for c in members if c.id in ids])
                      for request, members in groups if any(c.id in ids for c in members)])
    return tasks


def _pressure_plan(ctx: JobContext, name: str, now: datetime, plan: Plan | None
                   ) -> tuple[int, Plan]:
    """The chunks a pressure job needs, and how many cells need nothing (counted done)."""
    if plan is not None:
        return 0, plan
    if name == PULL_RECENT:
        with ctx.session_factory.begin() as session:
            cells = cells_in_use(session, ctx.settings.weather.grid_degrees)
        past_days = ctx.settings.weather.open_meteo.past_days
        return 0, [(recent_request(past_days, now), cells)] if cells else []
    if name == BACKFILL:
        needed, groups = plan_backfill(ctx, now)
        busy = {c.id for _, members in groups for c in members}
        return len({c.id for c, _ in needed} - busy), groups
    return 0, plan_history(ctx, now)


def plan_tasks(ctx: JobContext, name: str, now: datetime, plan: Plan | None = None
               ) -> tuple[int, Tasks]:
    """The tasks of one run (arguments without run id and number, and their sizes), and how
    many cells (or patients) need nothing."""
    stamp = now.isoformat()
    if name == REFRESH_REPORTS:
        with ctx.session_factory.begin() as session:
            patients = patients_with_reports(session)
        size = ctx.settings.jobs.task_patients
        return 0, [({"now": stamp, "patients": patients[lo : lo + size]},
                    len(patients[lo : lo + size])) for lo in range(0, len(patients), size)]
    idle, groups = _pressure_plan(ctx, name, now, plan)
    tasks: Tasks = []
    for part in split_cells(groups, ctx.settings.jobs.task_cells):
        cells = {c.id for _, members in part for c in members}
        tasks.append(({"job": name, "now": stamp, "chunks": chunk_args(part, now)}, len(cells)))
    return idle, tasks


def unfinished_run(session: Session, name: str) -> int | None:
    """The id of a queue run of ``name`` whose tasks are not all finished, if any."""
    return session.scalar(select(JobRun.id).where(
        JobRun.job == name, JobRun.status == "running", JobRun.tasks_total.is_not(None)))


def _start_run(ctx: JobContext, name: str, started: datetime) -> int:
    """Write the run's ``running`` row (owned by this process until its tasks are queued)."""
    with ctx.session_factory.begin() as session:
        run = JobRun(job=name, started_at=started, status="running", cells_done=0,
                     cells_failed=0, rows_written=0, owner_pid=os.getpid(),
                     owner_host=this_host())
        session.add(run)
        session.flush()
        return run.id


def _defer(session: Session, settings: Settings, name: str, tasks: Sequence[dict[str, Any]]
           ) -> list[int]:
    """Defer the tasks on the session's own connection (inside its transaction)."""
    from jobs.queue_app import PRIORITY_OF_JOB, TASK_OF_JOB, build_app

    if not tasks:
        return []
    connection = session.connection().connection.driver_connection
    deferrer = build_app(settings).configure_task(
        TASK_OF_JOB[name], priority=PRIORITY_OF_JOB[name], connection=connection)
    return deferrer.batch_defer(*tasks)


def _queue_tasks(ctx: JobContext, name: str, run_id: int, idle: int, tasks: Tasks,
                 now: datetime) -> None:
    """Insert the task rows, defer the tasks and record their number, in one transaction."""
    with ctx.session_factory.begin() as session:
        run = session.scalars(select(JobRun).where(JobRun.id == run_id).with_for_update()).one()
        session.add_all(JobRunTask(run_id=run_id, task_no=no, state="queued", size=size,
                                   cells_done=0, cells_failed=0, rows_written=0)
                        for no, (_, size) in enumerate(tasks, 1))
        session.flush()
        args = [{**task, "run_id": run_id, "task_no": no} for no, (task, _) in enumerate(tasks, 1)]
        ids = _defer(session, ctx.settings, name, args)
        if ids:
            session.execute(update(JobRunTask), [
                {"run_id": run_id, "task_no": no, "queue_job_id": job_id}
                for no, job_id in enumerate(ids, 1)])
        run.cells_done = idle
        run.tasks_total, run.tasks_done, run.tasks_failed = len(tasks), 0, 0
        settle_if_complete(run, now)


def enqueue_job(ctx: JobContext, name: str, now: datetime | None = None,
                plan: Plan | None = None) -> int | None:
    """Plan one run of ``name`` and queue its tasks; return the run id (None: skipped, its
    previous run is still queued). A failure is recorded as the run's ``error``, never raised."""
    now = now or datetime.now(UTC)
    with ctx.reader() as session:
        previous = unfinished_run(session, name)
    if previous is not None:
        log.warning(kv(event="job_skipped_still_queued", job=name, run_id=previous))
        return None
    run_id = _start_run(ctx, name, now)
    log.info(kv(event="job_started", job=name, run_id=run_id, executor="queue"))
    try:
        idle, tasks = plan_tasks(ctx, name, now, plan)
        _queue_tasks(ctx, name, run_id, idle, tasks, now)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception(kv(event="job_raised", job=name, run_id=run_id, error=error))
        with ctx.session_factory.begin() as session:
            session.execute(update(JobRun).where(JobRun.id == run_id).values(
                status="error", finished_at=datetime.now(UTC), error=error[:4000]))
        return run_id
    log.info(kv(event="job_queued", job=name, run_id=run_id, tasks=len(tasks),
                cells=sum(size for _, size in tasks)))
    return run_id


def task_counts(session: Session, run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Tasks queued, running, done and failed of each queue run (running: a worker holds it,
    read from Procrastinate's jobs table)."""
    if not run_ids:
        return {}
    if inspect(session.connection()).has_table(QUEUE_JOBS.name):
        doing = func.coalesce(QUEUE_STATUS == "doing", False)
        source = JobRunTask.__table__.outerjoin(QUEUE_JOBS,
                                                QUEUE_JOBS.c.id == JobRunTask.queue_job_id)
    else:
        doing, source = literal(False), JobRunTask.__table__
    rows = session.execute(
        select(JobRunTask.run_id, JobRunTask.state, doing.label("doing"), func.count())
        .select_from(source).where(JobRunTask.run_id.in_(run_ids))
        .group_by(JobRunTask.run_id, JobRunTask.state, "doing"))
    out: dict[int, dict[str, int]] = {}
    for run_id, state, running, count in rows:
        counts = out.setdefault(run_id, {"queued": 0, "running": 0, "done": 0, "failed": 0})
        counts["running" if state == "queued" and running else state] += count
    return out


# -- what the scheduler calls in queue mode (textual references, no arguments) -------------


def scheduled_enqueue_pull_recent() -> None:
    """Scheduler entry (queue mode): enqueue pull-recent."""
    enqueue_job(current(), PULL_RECENT)


def scheduled_enqueue_backfill() -> None:
    """Scheduler entry (queue mode): enqueue backfill."""
    enqueue_job(current(), BACKFILL)


def scheduled_enqueue_refresh_reports() -> None:
    """Scheduler entry (queue mode): enqueue refresh-reports."""
    enqueue_job(current(), REFRESH_REPORTS)


def scheduled_enqueue_fill_history() -> None:
    """Scheduler entry (queue mode): enqueue fill-history only when there is something to
    fetch and its previous run is finished."""
    ctx = current()
    with ctx.reader() as session:
        if unfinished_run(session, FILL_HISTORY) is not None:
            return
    now = datetime.now(UTC)
    plan = plan_history(ctx, now)
    if plan:
        enqueue_job(ctx, FILL_HISTORY, now, plan)


#: Job id -> the scheduler's textual reference in queue mode (send-reminders stays inline).
QUEUED: dict[str, str] = {
    PULL_RECENT: "jobs.queue:scheduled_enqueue_pull_recent",
    BACKFILL: "jobs.queue:scheduled_enqueue_backfill",
    REFRESH_REPORTS: "jobs.queue:scheduled_enqueue_refresh_reports",
    FILL_HISTORY: "jobs.queue:scheduled_enqueue_fill_history",
}


def scheduled_reference(settings: Settings, job_id: str) -> str:
    """The function the scheduler stores for ``job_id``: enqueue it in queue mode (except
    send-reminders), run it in the scheduler process otherwise."""
    if settings.jobs.executor == "queue":
        return QUEUED.get(job_id, SCHEDULED[job_id])
    return SCHEDULED[job_id]
