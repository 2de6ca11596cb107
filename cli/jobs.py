"""``migraine-weather scheduler`` and ``migraine-weather jobs list|run``.

Only :mod:`jobs.names` (plain strings) is imported at module level; the rest of ``jobs`` is
loaded inside each command, so ``analyze`` stays free of database drivers and ``scheduler``
free of Flask.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

import click

from cli.context import State, pass_state
from jobs.names import JOB_NAMES

#: Exit code of a scheduler that found another one running against the same database.
LOCKED_EXIT_CODE = 3


def _configure_logging(level: int) -> None:
    """Send log lines (key=value) to standard error."""
    logging.basicConfig(
        level=level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _context(state: State):
    from jobs.context import build_context

    return build_context(state.settings, state.engine)


@click.command()
@pass_state
def scheduler(state: State) -> None:
    """Run the scheduler process: pull-recent hourly, backfill daily, refresh-reports nightly.

    Run exactly one per database (never inside web workers); a second one exits with code 3.
    SIGTERM or Ctrl-C stops it after the running job's current batch.
    """
    from jobs.lock import SchedulerLockHeld
    from jobs.scheduler import run_scheduler

    _configure_logging(logging.INFO)
    if state.settings.jobs.executor == "queue":
        _check_queue(state)
    ctx = _context(state)
    try:
        code = run_scheduler(ctx)
    except SchedulerLockHeld as exc:
        click.echo(f"scheduler: {exc}", err=True)
        sys.exit(LOCKED_EXIT_CODE)
    finally:
        ctx.close()
    if code:
        sys.exit(code)


def _check_queue(state: State) -> None:
    """Exit with code 2 unless the task queue can run on this database."""
    from jobs.queue_app import QueueNotReady
    from jobs.worker import check_ready

    try:
        check_ready(state.engine)
    except QueueNotReady as exc:
        click.echo(f"scheduler: {exc}", err=True)
        sys.exit(2)


@click.group()
def jobs() -> None:
    """Scheduled jobs: each job's next run and last result, or run one now."""


def _when(value: str | None) -> str:
    if value is None:
        return "-"
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _describe_run(run: dict | None) -> str:
    if run is None:
        return "never ran"
    text = f"{run['status']} (started {_when(run['started_at'])}"
    if run["duration_seconds"] is not None:
        text += f", {run['duration_seconds']:.1f} s"
    text += (f"): {run['cells_done']} done, {run['cells_failed']} failed, "
             f"{run['rows_written']} row(s)")
    if run.get("tasks"):
        tasks = run["tasks"]
        text += (f"; tasks: {tasks['queued']} queued, {tasks['running']} running, "
                 f"{tasks['done']} done, {tasks['failed']} failed")
    if run["error"]:
        error = run["error"] if len(run["error"]) <= 200 else run["error"][:200] + "..."
        text += f"; error: {error}"
    return text


def _add_task_counts(state: State, runs: dict) -> None:
    """Add each queue run's tasks queued / running / done / failed to its row."""
    from jobs.queue import task_counts

    with state.transaction() as session:
        counts = task_counts(session, [run["run_id"] for run in runs.values()])
    for run in runs.values():
        if run["run_id"] in counts:
            run["tasks"] = counts[run["run_id"]]


@jobs.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_state
def list_jobs(state: State, fmt: str) -> None:
    """Show each job's next run and last result, and every cell's last pull and gaps."""
    from jobs.scheduler import stored_next_run_times
    from tracker.status import operator_status

    now = datetime.now(UTC)
    next_runs = stored_next_run_times(state.engine)
    with state.transaction() as session:
        status = operator_status(session, state.settings.weather.grid_degrees, now)
    runs = status["jobs"]
    _add_task_counts(state, runs)
    rows = []
    for name in JOB_NAMES:
        nxt = next_runs.get(name)
        rows.append({
            "job": name,
            "scheduled": name in next_runs,
            "next_run_at": nxt.isoformat() if nxt is not None else None,
            "last_run": runs.get(name),
        })
    if fmt == "json":
        click.echo(json.dumps({"jobs": rows, "status": status}, indent=2))
        return
    for row in rows:
        if not row["scheduled"]:
            nxt = "not scheduled (start `migraine-weather scheduler`)"
        else:
            nxt = _when(row["next_run_at"]) if row["next_run_at"] else "paused"
        click.echo(f"{row['job']:<16} next: {nxt}")
        click.echo(f"{'':<16} last: {_describe_run(row['last_run'])}")
    gaps = status["cells_with_gaps"]
    click.echo(f"\ncells in use: {status['cells_in_use']}; with gaps in the last 7 days: "
               f"{len(gaps)}")
    for cell in status["cells"]:
        ident = cell["cell_id"] if cell["cell_id"] is not None else "(not created yet)"
        line = (f"  cell {ident} ({cell['latitude']:.4f}, {cell['longitude']:.4f}): "
                f"last pull {_when(cell['last_pull_at'])}, "
                f"{cell['missing_hours_7d']} missing hour(s)")
        if cell["last_error"]:
            line += f"; last error {_when(cell['last_error_at'])}: {cell['last_error']}"
        click.echo(line)


@jobs.command("run")
@click.argument("name", type=click.Choice(JOB_NAMES))
@pass_state
def run(state: State, name: str) -> None:
    """Run one job now (logged like a scheduled run); exit code 1 unless it ended ok."""
    from jobs.tasks import run_job

    _configure_logging(logging.WARNING)
    ctx = _context(state)
    try:
        result = run_job(ctx, name)
    finally:
        ctx.close()
    unit = "patient(s)" if name == "refresh-reports" else "cell(s)"
    rows = "snapshot(s) recomputed" if name == "refresh-reports" else "row(s) written"
    click.echo(f"{name}: {result.status}: {result.cells_done} {unit} done, "
               f"{result.cells_failed} failed, {result.rows_written} {rows} "
               f"in {result.duration_seconds or 0:.1f} s")
    for error in result.errors[:50]:
        click.echo(f"  error: {error}", err=True)
    if result.failed:
        sys.exit(1)


COMMANDS = [scheduler, jobs]
