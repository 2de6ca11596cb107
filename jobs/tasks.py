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
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from jobs.context import JobContext, current
from jobs.models import JobRun
from tracker.cells import cells_in_use, earliest_needed_day
from tracker.models import User
from tracker.snapshots import patients_with_reports, refresh_snapshot
from weather.backfill import backfill_groups
from weather.models import GridCell
from weather.store import (
    BatchRequest,
    fetch_batch,
    recent_request,
    store_batch,
)

PULL_RECENT = "pull-recent"
BACKFILL = "backfill"
REFRESH_REPORTS = "refresh-reports"
#: The jobs, in the order a fresh scheduler first runs them.
JOB_NAMES = (PULL_RECENT, BACKFILL, REFRESH_REPORTS)
#: Longest error text stored in a run's row.
MAX_ERROR_CHARS = 4000
#: Days before the earliest needed day that backfill also fills (the first 24-hour falls).
LEAD_DAYS = 2

log = logging.getLogger("migraine_weather.jobs")


def kv(**fields: Any) -> str:
    """Format a structured log line as ``key=value`` pairs (values with spaces are quoted)."""
    parts = []
    for key, value in fields.items():
        if value is None:
            text = "-"
        elif isinstance(value, float):
            text = f"{value:.3f}"
        else:
            text = str(value)
            if not text or any(c.isspace() or c in '"=' for c in text):
                text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


@dataclass
class RunResult:
    """The outcome of one job run (counts are cells, or patients for refresh-reports)."""

    job: str
    status: str = "ok"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cells_done: int = 0
    cells_failed: int = 0
    rows_written: int = 0
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to end, once finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def failed(self) -> bool:
        """True unless the run ended ``ok``."""
        return self.status != "ok"

    def error_text(self) -> str | None:
        """Return the errors as one bounded text for the run log, or None."""
        if not self.errors:
            return None
        text = "; ".join(self.errors)
        if len(text) > MAX_ERROR_CHARS:
            text = text[: MAX_ERROR_CHARS - 40] + f" ... ({len(self.errors)} error(s) in all)"
        return text


def _settle(result: RunResult) -> None:
    """Set the status from the counts: ok, partial or error."""
    if result.cells_failed == 0 and not result.errors:
        result.status = "ok"
    elif result.cells_done == 0 and result.cells_failed > 0:
        result.status = "error"
    else:
        result.status = "partial"


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
    """Fill every missing hour of every cell in use, back to the earliest day a diary needs
    (and at least ``jobs.backfill_days``): archive chunks, the last days from the forecast."""
    result = RunResult(BACKFILL)
    weather = ctx.settings.weather
    today = now.astimezone(UTC).date()
    with ctx.session_factory.begin() as session:
        first = earliest_needed_day(session)
        if first is None:
            return result
        since = min(first - timedelta(days=LEAD_DAYS),
                    today - timedelta(days=ctx.settings.jobs.backfill_days))
        cells = cells_in_use(session, weather.grid_degrees)
        groups = backfill_groups(session, cells, since, now,
                                 archive_lag_days=weather.open_meteo.archive_lag_days)
    failed: set[int] = set()
    for request, members in groups:
        failed |= _run_batches(ctx, result, members, request, now)
    result.cells_failed = len(failed)
    result.cells_done = len(cells) - len(failed)
    _settle(result)
    return result


def refresh_reports(ctx: JobContext, now: datetime) -> RunResult:
    """Recompute the stored report of each patient whose diary or pressure changed; counts
    are patients (done = checked, failed = errors) and rows are snapshots recomputed."""
    result = RunResult(REFRESH_REPORTS)
    config = ctx.settings.analysis
    grid = ctx.settings.weather.grid_degrees
    with ctx.session_factory.begin() as session:
        patient_ids = patients_with_reports(session)
    for patient_id in patient_ids:
        if ctx.stop.is_set():
            result.errors.append("stopped before every patient was checked")
            break
        try:
            with ctx.session_factory.begin() as session:
                patient = session.get(User, patient_id)
                if patient is None:  # deleted meanwhile
                    continue
                if refresh_snapshot(session, patient, config, grid, now):
                    result.rows_written += 1
        except Exception as exc:
            result.cells_failed += 1
            result.errors.append(f"patient {patient_id}: {type(exc).__name__}: {exc}")
            log.warning(kv(event="report_failed", job=REFRESH_REPORTS, patient=patient_id,
                           error=f"{type(exc).__name__}: {exc}"))
        else:
            result.cells_done += 1
    _settle(result)
    return result


TASKS: dict[str, Callable[[JobContext, datetime], RunResult]] = {
    PULL_RECENT: pull_recent,
    BACKFILL: backfill,
    REFRESH_REPORTS: refresh_reports,
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
                     cells_failed=0, rows_written=0)
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


def mark_interrupted(session: Session, now: datetime) -> int:
    """Mark runs still ``running`` (their process died) as ``interrupted``; return how many."""
    outcome = session.execute(
        update(JobRun)
        .where(JobRun.status == "running")
        .values(status="interrupted", finished_at=now,
                error="the process running it ended before it finished")
    )
    session.flush()
    return int(outcome.rowcount or 0)


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
}
