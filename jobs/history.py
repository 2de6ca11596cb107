"""fill-history: fetch at once the pressure a patient's new diary history needs (issue #14).

The nightly back-fill fills every cell in use; a patient who has just imported two years
of diary should not wait for it. Every ``[jobs] history_poll_seconds`` the scheduler asks
which patients' diaries (attacks, check-ins, courses, places) changed since the last
successful fill, plans the missing hours of those patients' cells only, and fetches them
with the back-fill's own chunks and budget. Nothing to fetch: no run is logged. After a
failed run it waits ``history_retry_minutes`` before trying again, so an unreachable
provider is not asked every minute (the dashboard says when the next try is).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.context import JobContext, current
from jobs.models import JobRun
from jobs.names import BACKFILL, FILL_HISTORY
from tracker.cells import cells_needed_since
from tracker.models import PatientProfile
from weather.backfill import backfill_groups
from weather.fetching import BatchRequest
from weather.models import GridCell

if TYPE_CHECKING:
    from jobs.tasks import RunResult

Plan = list[tuple[BatchRequest, list[GridCell]]]


def _last_run(session: Session, jobs: tuple[str, ...], ok: bool) -> JobRun | None:
    """The newest finished run of ``jobs`` (ended ok, or not ok)."""
    status = JobRun.status == "ok" if ok else JobRun.status != "ok"
    return session.scalars(
        select(JobRun).where(JobRun.job.in_(jobs), JobRun.finished_at.is_not(None), status)
        .order_by(JobRun.started_at.desc()).limit(1)
    ).first()


def changed_since(session: Session) -> datetime | None:
    """Start of the newest successful fill-history or back-fill run (None: never)."""
    run = _last_run(session, (FILL_HISTORY, BACKFILL), ok=True)
    return None if run is None else run.started_at


def waiting_after_failure(session: Session, now: datetime, retry_minutes: int) -> bool:
    """True while a failed fill-history run is newer than the retry interval and than the
    newest successful one."""
    failed = _last_run(session, (FILL_HISTORY,), ok=False)
    if failed is None or failed.finished_at is None:
        return False
    good = _last_run(session, (FILL_HISTORY, BACKFILL), ok=True)
    if good is not None and good.started_at > failed.started_at:
        return False
    return now < failed.finished_at + timedelta(minutes=retry_minutes)


def changed_patients(session: Session, since: datetime | None) -> list[int]:
    """Patients whose diary changed after ``since`` (every patient with a diary if None)."""
    stamp = PatientProfile.diary_changed_at
    query = select(PatientProfile.user_id).where(stamp.is_not(None))
    if since is not None:
        query = query.where(stamp > since)
    return list(session.scalars(query.order_by(PatientProfile.user_id)))


def plan_history(ctx: JobContext, now: datetime) -> Plan:
    """The archive chunks missing for the changed patients' cells (empty: nothing to do)."""
    weather, jobs = ctx.settings.weather, ctx.settings.jobs
    with ctx.reader() as session:
        if waiting_after_failure(session, now, jobs.history_retry_minutes):
            return []
        patients = changed_patients(session, changed_since(session))
    if not patients:
        return []
    with ctx.session_factory.begin() as session:  # may create a new place's cell
        needed = cells_needed_since(session, weather.grid_degrees, patients=patients,
                                    horizon_years=jobs.backfill_horizon_years,
                                    today=now.astimezone(UTC).date())
    with ctx.reader() as session:
        return backfill_groups(session, needed, now,
                               archive_lag_days=weather.open_meteo.archive_lag_days)


def fill_history(ctx: JobContext, now: datetime) -> RunResult:
    """Fetch the planned chunks (the back-fill's budget and failure rules); counts are cells."""
    from jobs.tasks import RunResult, _run_chunks, _settle

    result = RunResult(FILL_HISTORY)
    groups = plan_history(ctx, now)
    cells = {c.id for _, members in groups for c in members}
    failed, left = _run_chunks(ctx, result, groups, now)
    result.count_cells(len(cells), failed, left)
    _settle(result)
    return result


def scheduled_fill_history() -> None:
    """Scheduler entry: log a fill-history run only when there is something to fetch."""
    from jobs.tasks import run_job

    ctx = current()
    now = datetime.now(UTC)
    if plan_history(ctx, now):
        run_job(ctx, FILL_HISTORY, now)
