"""The scheduled jobs: pull recent pressure, backfill gaps, refresh report snapshots.

Every run is logged in ``job_runs`` in its own transaction (a ``running`` row first, the
outcome at the end), so the log survives a failed or killed run. The work itself happens in
short transactions, one per provider batch (or per patient for ``refresh-reports``):

- the HTTP call is made *outside* any transaction, so no database lock is held while waiting
  for the provider (SQLite allows one writer; the web app must not wait for Open-Meteo);
- the reply is then stored, with its ``fetch_log`` row, in one transaction: a batch lands
  completely or not at all, and a SIGKILL loses at most the batch in flight;
- a failed batch is recorded (``fetch_log`` and the run's error) and the others still run;
  the next run finds the hours still missing and asks for them again.

Status of a run: ``ok`` (nothing failed), ``partial`` (some batches or patients failed),
``error`` (everything failed, or the job raised), ``running`` while it runs, and
``interrupted`` when a scheduler found it still ``running`` from a process that died.
Each row records its owner (pid and host), so a scheduler starting up leaves a run that a
live ``jobs run`` process is working on alone (see :mod:`jobs.owners`).

A backfill run starts no new chunk once ``jobs.backfill_budget_minutes`` have passed (the
rest waits for the next run, and the run's log says so), and it skips the later chunks of a
cell whose chunk failed, instead of asking for them again and again within one run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jobs.context import JobContext, current
from jobs.history import Plan, fill_history
from jobs.models import JobRun
from jobs.names import BACKFILL, FILL_HISTORY, JOB_NAMES, PULL_RECENT, REFRESH_REPORTS
from jobs.owners import FOREIGN_RUN_STALE_AFTER, run_is_live, this_host
from jobs.reminders import SEND_REMINDERS, send_reminders
from jobs.reports import pool_size, refresh_in_pool, refresh_in_process
from jobs.runs import RunResult, kv
from jobs.runs import settle as _settle
from tracker.cells import cells_in_use, cells_needed_since
from tracker.reports.snapshots import patients_with_reports
from weather.backfill import backfill_groups
from weather.fetching import (
    BatchRequest,
    fetch_batch,
    recent_request,
    store_batch,
)
from weather.models import GridCell

log = logging.getLogger("migraine_weather.jobs")


# -- provider batches ------------------------------------------------------------------------


def _run_batches(
    ctx: JobContext, result: RunResult, cells: Sequence[GridCell], request: BatchRequest,
    now: datetime,
) -> set[int]:
    """Fetch each batch outside any transaction, then store it (with its fetch-log row) in a
    short transaction of its own; return the ids of cells in failed batches."""
    size = ctx.settings.weather.open_meteo.batch_size
    provider = getattr(ctx.client, "provider", "unknown")
    failed: set[int] = set()
    for lo in range(0, len(cells), size):
        batch = list(cells[lo : lo + size])
        ids = ",".join(str(c.id) for c in batch)
        if ctx.stop.is_set():
            failed.update(c.id for c in batch)
            result.errors.append(f"cells {ids}: not fetched, the process is stopping")
            continue
        try:
            reply = fetch_batch(ctx.client, request, batch)
            with ctx.session_factory.begin() as session:
                summary = store_batch(session, provider, request, batch, reply, now)
        except Exception as exc:  # never let one batch stop the job
            failed.update(c.id for c in batch)
            result.errors.append(f"cells {ids}: {type(exc).__name__}: {exc}")
            log.warning(kv(event="batch_failed", job=result.job, cells=ids,
                           error=f"{type(exc).__name__}: {exc}"))
            continue
        result.rows_written += summary.rows_written
        result.errors.extend(summary.errors)
        if summary.cells_failed:
            failed.update(c.id for c in batch)
            for error in summary.errors:
                log.warning(kv(event="batch_failed", job=result.job, cells=ids, error=error))
    return failed


# -- the jobs --------------------------------------------------------------------------------


def pull_recent(ctx: JobContext, now: datetime) -> RunResult:
    """Fetch the last ``past_days`` days for every cell in use (forecast API, batched)."""
    result = RunResult(PULL_RECENT)
    settings = ctx.settings.weather
    past_days = settings.open_meteo.past_days
    with ctx.session_factory.begin() as session:
        cells = cells_in_use(session, settings.grid_degrees)
    failed = _run_batches(ctx, result, cells, recent_request(past_days, now), now)
    result.cells_failed = len(failed)
    result.cells_done = len(cells) - len(failed)
    _settle(result)
    return result


def backfill(ctx: JobContext, now: datetime) -> RunResult:
    """Fill every missing hour of every cell in use from the first day its patients need
    (within ``jobs.backfill_horizon_years``; at least ``jobs.backfill_days`` back): archive
    chunks, the last days from the forecast, within ``jobs.backfill_budget_minutes``."""
    result = RunResult(BACKFILL)
    needed, groups = plan_backfill(ctx, now)
    failed, left = _run_chunks(ctx, result, groups, now)
    result.count_cells(len(needed), failed, left)
    _settle(result)
    return result


def plan_backfill(ctx: JobContext, now: datetime) -> tuple[list[tuple[GridCell, date]], Plan]:
    """Every cell in use with the first day it needs, and the chunks still missing."""
    weather, jobs = ctx.settings.weather, ctx.settings.jobs
    today = now.astimezone(UTC).date()
    at_least = today - timedelta(days=jobs.backfill_days)
    with ctx.session_factory.begin() as session:  # creates missing cells: a short write
        needed = cells_needed_since(session, weather.grid_degrees,
                                    horizon_years=jobs.backfill_horizon_years, today=today)
    needed = [(cell, min(since, at_least)) for cell, since in needed]
    with ctx.reader() as session:  # planning only reads: no write lock held meanwhile
        return needed, backfill_groups(session, needed, now,
                                       archive_lag_days=weather.open_meteo.archive_lag_days)


def _run_chunks(
    ctx: JobContext, result: RunResult, groups: Sequence[tuple[BatchRequest, list[GridCell]]],
    now: datetime,
) -> tuple[set[int], set[int]]:
    """Run the planned chunks oldest first, batch by batch, until the time budget is used;
    skip the later chunks of a cell that failed. Return the ids of failed cells and of
    cells left for the next run."""
    size = ctx.settings.weather.open_meteo.batch_size
    budget = ctx.settings.jobs.backfill_budget_minutes
    deadline = ctx.clock() + budget * 60.0
    failed: set[int] = set()
    skipped: dict[int, int] = {}
    for index, (request, members) in enumerate(groups):
        for cell in members:
            if cell.id in failed:
                skipped[cell.id] = skipped.get(cell.id, 0) + 1
        todo = [c for c in members if c.id not in failed]
        for lo in range(0, len(todo), size):
            if ctx.stop.is_set() or ctx.clock() >= deadline:
                left = {c.id for c in todo[lo:]}
                left |= {c.id for _, rest in groups[index + 1:] for c in rest} - failed
                _note_left(result, len(left), budget, ctx.stop.is_set())
                _note_skipped(result, skipped)
                return failed, left
            failed |= _run_batches(ctx, result, todo[lo : lo + size], request, now)
    _note_skipped(result, skipped)
    return failed, set()


def _note_left(result: RunResult, cells: int, budget: int, stopping: bool) -> None:
    """Record (run log and log line) that a backfill stopped with cells still to fetch."""
    why = "the process is stopping" if stopping else f"time budget of {budget} min used up"
    result.errors.append(f"{why}: {cells} cell(s) left for the next run")
    log.info(kv(event="backfill_stopped_early", job=BACKFILL, reason=why, cells_left=cells))


def _note_skipped(result: RunResult, skipped: dict[int, int]) -> None:
    """Record the later chunks skipped for cells whose earlier chunk failed in this run."""
    if skipped:
        ids = ",".join(str(i) for i in sorted(skipped))
        result.errors.append(f"cells {ids}: {sum(skipped.values())} later chunk(s) skipped "
                             "for this run after a failed chunk; the next run asks again")


def refresh_reports(ctx: JobContext, now: datetime) -> RunResult:
    """Recompute the stored report of each patient whose diary or pressure changed, with
    ``jobs.processes`` processes (jobs.reports); counts are patients (done = checked,
    failed = errors) and rows are snapshots recomputed."""
    result = RunResult(REFRESH_REPORTS)
    with ctx.session_factory.begin() as session:
        patient_ids = patients_with_reports(session)
    processes = pool_size(ctx.settings.jobs.processes, len(patient_ids))
    outcomes = (refresh_in_pool(ctx, patient_ids, now, processes) if processes > 1
                else refresh_in_process(ctx, patient_ids, now))
    seen = 0
    for outcome in outcomes:
        seen += 1
        result.count_patient(outcome)
        if outcome.error is not None:
            log.warning(kv(event="report_failed", job=REFRESH_REPORTS,
                           patient=outcome.patient_id, error=outcome.error))
    if seen < len(patient_ids):
        result.errors.append("stopped before every patient was checked")
    _settle(result)
    return result


TASKS: dict[str, Callable[[JobContext, datetime], RunResult]] = {
    PULL_RECENT: pull_recent,
    BACKFILL: backfill,
    REFRESH_REPORTS: refresh_reports,
    FILL_HISTORY: fill_history,
    SEND_REMINDERS: send_reminders,
}


# -- the run log -----------------------------------------------------------------------------


def _utcnow() -> datetime:
    """Return the current instant (UTC)."""
    return datetime.now(UTC)


def run_job(ctx: JobContext, name: str, now: datetime | None = None) -> RunResult:
    """Run one job now and log it in ``job_runs``; a failure inside the job is recorded as
    status ``error`` and returned, never raised (a failure to write the log is raised)."""
    if name not in TASKS:
        raise ValueError(f"unknown job {name!r}; jobs: {', '.join(JOB_NAMES)}")
    started = _utcnow()
    with ctx.session_factory.begin() as session:
        run = JobRun(job=name, started_at=started, status="running", cells_done=0,
                     cells_failed=0, rows_written=0, owner_pid=os.getpid(),
                     owner_host=this_host())
        session.add(run)
        session.flush()
        run_id = run.id
    log.info(kv(event="job_started", job=name, run_id=run_id))
    clock = time.monotonic()
    try:
        result = TASKS[name](ctx, now or started)
    except Exception as exc:
        log.exception(kv(event="job_raised", job=name, run_id=run_id,
                         error=f"{type(exc).__name__}: {exc}"))
        result = RunResult(name, status="error", errors=[f"{type(exc).__name__}: {exc}"])
    result.run_id = run_id
    result.started_at = started
    result.finished_at = started + timedelta(seconds=time.monotonic() - clock)
    with ctx.session_factory.begin() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                finished_at=result.finished_at,
                status=result.status,
                cells_done=result.cells_done,
                cells_failed=result.cells_failed,
                rows_written=result.rows_written,
                error=result.error_text(),
            )
        )
    line = kv(
        event="job_finished", job=name, run_id=run_id, status=result.status,
        cells_done=result.cells_done, cells_failed=result.cells_failed,
        rows_written=result.rows_written, duration_s=result.duration_seconds,
        errors=len(result.errors), error=result.errors[0] if result.errors else None,
    )
    log.log(logging.INFO if result.status == "ok" else logging.WARNING, line)
    return result


def mark_interrupted(
    session: Session, now: datetime, *, host: str | None = None,
    foreign_after: timedelta = FOREIGN_RUN_STALE_AFTER,
) -> list[str]:
    """Mark as ``interrupted`` the runs still ``running`` whose owner is gone: on this host
    a process that no longer runs (or a later one with its pid), on another host a run
    older than ``foreign_after``, or an unknown owner. Return their job names, by run id."""
    host = host or this_host()
    rows = session.execute(
        select(JobRun.id, JobRun.job, JobRun.started_at, JobRun.owner_pid, JobRun.owner_host)
        .where(JobRun.status == "running", JobRun.tasks_total.is_(None))  # queued: the workers'
        .order_by(JobRun.id)
    ).all()
    gone = [row for row in rows
            if not run_is_live(row.owner_pid, row.owner_host, row.started_at, now, host,
                               foreign_after)]
    for row in gone:
        owner = (f"pid {row.owner_pid} on {row.owner_host}" if row.owner_host
                 else "an unrecorded process")
        session.execute(
            update(JobRun)
            .where(JobRun.id == row.id, JobRun.status == "running")
            .values(status="interrupted", finished_at=now,
                    error=f"the process running it ({owner}) ended before it finished")
        )
    session.flush()
    return [row.job for row in gone]


# -- what the scheduler calls (textual references, no arguments: they pickle) -----------


def scheduled_pull_recent() -> None:
    """Scheduler entry: run pull-recent with the installed context."""
    run_job(current(), PULL_RECENT)


def scheduled_backfill() -> None:
    """Scheduler entry: run backfill with the installed context."""
    run_job(current(), BACKFILL)


def scheduled_refresh_reports() -> None:
    """Scheduler entry: run refresh-reports with the installed context."""
    run_job(current(), REFRESH_REPORTS)


#: Job id -> textual reference stored in the job store.
SCHEDULED: dict[str, str] = {
    PULL_RECENT: "jobs.tasks:scheduled_pull_recent",
    BACKFILL: "jobs.tasks:scheduled_backfill",
    REFRESH_REPORTS: "jobs.tasks:scheduled_refresh_reports",
    FILL_HISTORY: "jobs.history:scheduled_fill_history",
    SEND_REMINDERS: "jobs.reminders:scheduled_send_reminders",
}
