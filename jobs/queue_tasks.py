"""What a queue task does in a worker, and how its outcome is counted in its run (queue mode).

A task carries its job run's id, its number within the run, the instant the run planned for
(``now``) and its share of the work: for the pressure jobs the planned chunks (a request and
the ids of at most ``[jobs] task_cells`` cells), for refresh-reports at most
``[jobs] task_patients`` patient ids. The work itself is the inline job's own code:
:func:`jobs.tasks._run_chunks` (batches, fetch outside any transaction, one short transaction
per batch, later chunks of a failed cell skipped) and :func:`jobs.reports.refresh_in_process`.

Re-running a task is harmless (the observation upserts and the snapshot refresh are
idempotent), and its outcome is counted once: :func:`finish_task` locks the run's row, moves
the task's ``job_run_tasks`` row from ``queued`` to ``done`` or ``failed`` only if it is still
``queued``, adds its counts to the run, and settles the run (``ok``, ``partial`` or ``error``,
as :func:`jobs.tasks._settle` decides for inline runs) when its last task is counted.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from jobs.context import JobContext
from jobs.models import JobRun, JobRunTask
from jobs.names import REFRESH_REPORTS
from jobs.reports import refresh_in_process
from jobs.runs import MAX_ERROR_CHARS, RunResult, kv
from jobs.runs import settle as _settle
from jobs.tasks import _run_chunks
from weather.errors import ProviderError, ProviderRequestError
from weather.fetching import BatchRequest, archive_request, recent_request
from weather.models import GridCell

log = logging.getLogger("migraine_weather.jobs")

Chunks = list[tuple[BatchRequest, list[GridCell]]]


class RetryLater(Exception):
    """A task's provider calls failed in a way a later run may not: the queue runs it again."""


# -- the work's description in a task's arguments (JSON) ---------------------------------------


def request_spec(request: BatchRequest, now: datetime) -> dict[str, Any]:
    """Describe a planned provider request as JSON (:func:`build_request` rebuilds it)."""
    if request.endpoint == "archive":
        return {"endpoint": "archive", "start": request.range_start.date().isoformat(),
                "end": (request.range_end.date() - timedelta(days=1)).isoformat()}
    today = now.astimezone(UTC).date()
    return {"endpoint": "forecast", "past_days": (today - request.range_start.date()).days,
            "future": request.keep_until is None}


def build_request(spec: dict[str, Any], now: datetime) -> BatchRequest:
    """Rebuild the request :func:`request_spec` described."""
    if spec["endpoint"] == "archive":
        return archive_request(date.fromisoformat(spec["start"]), date.fromisoformat(spec["end"]))
    return recent_request(int(spec["past_days"]), now, include_future=bool(spec["future"]))


def chunk_args(groups: Chunks, now: datetime) -> list[list[Any]]:
    """The planned chunks as JSON: ``[[request spec, [cell ids]], ...]``, in order."""
    return [[request_spec(request, now), [c.id for c in cells]] for request, cells in groups]


def load_chunks(ctx: JobContext, chunks: Sequence[Sequence[Any]], now: datetime) -> Chunks:
    """The chunks of a task's arguments with their cells (a cell deleted meanwhile drops out)."""
    ids = {cell_id for _, members in chunks for cell_id in members}
    with ctx.reader() as session:
        cells = {c.id: c for c in session.scalars(select(GridCell).where(GridCell.id.in_(ids)))}
    return [(build_request(spec, now), [cells[i] for i in members if i in cells])
            for spec, members in chunks]


# -- provider errors seen by a task ----------------------------------------------------------


class _WatchedClient:
    """The context's client, keeping the provider errors it raised (a batch's fetch keeps
    its error in the reply, so the task learns here whether a later run may succeed)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.provider = getattr(client, "provider", "unknown")
        self.errors: list[ProviderError] = []

    @property
    def last_attempts(self) -> int:
        """HTTP requests the last call made."""
        return self._client.last_attempts

    def _watch(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except ProviderError as exc:
            self.errors.append(exc)
            raise

    def get_recent(self, locations: Any, past_days: int) -> Any:
        """The client's ``get_recent``, watched."""
        return self._watch(self._client.get_recent, locations, past_days)

    def get_archive(self, locations: Any, start_date: date, end_date: date) -> Any:
        """The client's ``get_archive``, watched."""
        return self._watch(self._client.get_archive, locations, start_date, end_date)

    def worth_retrying(self) -> bool:
        """True if a provider error other than a refused request (HTTP 4xx) was raised."""
        return any(not isinstance(exc, ProviderRequestError) for exc in self.errors)


# -- the tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRef:
    """Which task of which run, and the instant its run planned for."""

    job: str
    run_id: int
    task_no: int
    now: datetime

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> TaskRef:
        """Read the reference from a task's arguments."""
        return cls(args["job"], int(args["run_id"]), int(args["task_no"]),
                   datetime.fromisoformat(args["now"]))


def run_pressure_task(ctx: JobContext, args: dict[str, Any], *, last_attempt: bool) -> str:
    """Fetch and store a task's chunks, then count its outcome in its run; raise RetryLater
    (nothing counted) if a provider error failed some cells and this is not the last attempt.
    Return the task's state."""
    ref = TaskRef.from_args(args)
    groups = load_chunks(ctx, args["chunks"], ref.now)
    cells = {c.id for _, members in groups for c in members}
    watched = _WatchedClient(ctx.client)
    result = RunResult(ref.job)
    failed, left = _run_chunks(dataclasses.replace(ctx, client=watched), result, groups, ref.now)
    if failed and watched.worth_retrying() and not last_attempt:
        raise RetryLater(f"{len(failed)} cell(s) failed: {result.errors[0]}")
    result.count_cells(len(cells), failed, left)
    return finish_task(ctx, ref, result)


def run_reports_task(ctx: JobContext, args: dict[str, Any]) -> str:
    """Refresh the snapshots of a task's patients, then count its outcome in its run (counts
    are patients, rows the snapshots recomputed). Return the task's state."""
    ref = TaskRef.from_args({**args, "job": REFRESH_REPORTS})
    result = RunResult(REFRESH_REPORTS)
    for outcome in refresh_in_process(ctx, [int(p) for p in args["patients"]], ref.now):
        result.count_patient(outcome)
    return finish_task(ctx, ref, result)


# -- counting a task's outcome in its run -----------------------------------------------------


def _join_errors(old: str | None, new: list[str]) -> str | None:
    """The run's error text with a task's errors added, bounded like an inline run's."""
    parts = ([old] if old else []) + new
    if not parts:
        return None
    text = "; ".join(parts)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 4] + " ..."


def settle_if_complete(run: JobRun, now: datetime) -> bool:
    """Give a queue run its final status once every task is counted; True if it was settled."""
    if run.status != "running" or run.tasks_total is None:
        return False
    if (run.tasks_done or 0) + (run.tasks_failed or 0) < run.tasks_total:
        return False
    result = RunResult(run.job, cells_done=run.cells_done, cells_failed=run.cells_failed,
                       errors=[run.error] if run.error else [])
    _settle(result)
    run.status = result.status
    run.finished_at = now
    log.log(logging.INFO if result.status == "ok" else logging.WARNING, kv(
        event="job_finished", job=run.job, run_id=run.id, status=run.status,
        tasks=run.tasks_total, tasks_failed=run.tasks_failed, cells_done=run.cells_done,
        cells_failed=run.cells_failed, rows_written=run.rows_written,
        duration_s=(now - run.started_at).total_seconds(),
        error=(run.error or "")[:200] or None))
    return True


def finish_task(ctx: JobContext, ref: TaskRef, result: RunResult) -> str:
    """Count a task's outcome in its run once (under the run row's lock) and settle the run
    if it was the last; return the task's state (``done``, or ``failed`` if anything failed)."""
    state = "failed" if result.cells_failed or result.errors else "done"
    finished = datetime.now(UTC)
    with ctx.session_factory.begin() as session:
        run = session.scalars(select(JobRun).where(JobRun.id == ref.run_id)
                              .with_for_update()).first()
        if run is None:
            return state
        counted = session.execute(
            update(JobRunTask)
            .where(JobRunTask.run_id == ref.run_id, JobRunTask.task_no == ref.task_no,
                   JobRunTask.state == "queued")
            .values(state=state, cells_done=result.cells_done, cells_failed=result.cells_failed,
                    rows_written=result.rows_written, error=_join_errors(None, result.errors),
                    finished_at=finished)
        ).rowcount
        if not counted:  # a second run of the same task (e.g. after a stalled worker)
            return state
        run.cells_done += result.cells_done
        run.cells_failed += result.cells_failed
        run.rows_written += result.rows_written
        if state == "done":
            run.tasks_done = (run.tasks_done or 0) + 1
        else:
            run.tasks_failed = (run.tasks_failed or 0) + 1
        run.error = _join_errors(run.error, result.errors)
        settle_if_complete(run, finished)
    log.log(logging.INFO if state == "done" else logging.WARNING, kv(
        event="task_finished", job=ref.job, run_id=ref.run_id, task=ref.task_no, state=state,
        cells_done=result.cells_done, cells_failed=result.cells_failed,
        rows_written=result.rows_written))
    return state


def fail_task(ctx: JobContext, task: JobRunTask, job: str, why: str) -> str:
    """Count a task the queue gave up on (it never reported) as failed for good: all its
    cells (or patients) failed."""
    ref = TaskRef(job, task.run_id, task.task_no, datetime.now(UTC))
    return finish_task(ctx, ref, RunResult(job, cells_failed=task.size,
                                           errors=[f"task {task.task_no}: {why}"]))
