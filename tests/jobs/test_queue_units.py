"""Queue mode's parts that need no worker: settings, the tasks' arguments, how cells are
shared out, counting a task once, and the shared call budget (issue #17)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jobs.models import JobRun, JobRunTask
from jobs.queue import QUEUED, scheduled_reference, split_cells
from jobs.queue_tasks import TaskRef, build_request, finish_task, request_spec
from jobs.tasks import SCHEDULED, RunResult
from tests.conftest import PG_URL
from tracker.settings import ConfigError, load_settings
from weather.fetching import archive_request, recent_request
from weather.models import GridCell

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)


def test_executor_is_inline_by_default_and_queue_needs_postgresql(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[jobs]\nexecutor = "queue"\n')
    assert load_settings(None, environ={}).jobs.executor == "inline"
    with pytest.raises(ConfigError, match='jobs.executor: "queue" needs PostgreSQL'):
        load_settings(config, environ={})
    pg = load_settings(config, environ={"DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert pg.jobs.executor == "queue"
    config.write_text('[jobs]\nexecutor = "celery"\n')
    with pytest.raises(ConfigError, match="jobs.executor: 'celery' is not one of inline, queue"):
        load_settings(config, environ={})
    config.write_text("[jobs]\ntask_cells = 0\n")
    with pytest.raises(ConfigError, match="jobs.task_cells"):
        load_settings(config, environ={})


def test_the_scheduler_enqueues_only_in_queue_mode(tmp_path):
    inline = load_settings(None, environ={})
    config = tmp_path / "c.toml"
    config.write_text('[jobs]\nexecutor = "queue"\n')
    queue = load_settings(config, environ={"DATABASE_URL": "postgresql://u@h/db"})
    for job, reference in SCHEDULED.items():
        assert scheduled_reference(inline, job) == reference
        assert scheduled_reference(queue, job) == QUEUED.get(job, reference)
    assert scheduled_reference(queue, "send-reminders") == SCHEDULED["send-reminders"]
    assert set(QUEUED) == {"pull-recent", "backfill", "refresh-reports", "fill-history"}


@pytest.mark.parametrize("request_", [
    archive_request(date(2024, 1, 1), date(2024, 12, 31)),
    recent_request(7, NOW),
    recent_request(40, NOW, include_future=True),
], ids=["archive", "forecast", "forecast-with-future"])
def test_a_planned_request_survives_the_tasks_json(request_):
    rebuilt = build_request(request_spec(request_, NOW), NOW)
    for name in ("endpoint", "source", "range_start", "range_end", "keep_until"):
        assert getattr(rebuilt, name) == getattr(request_, name), name


def _cell(cell_id: int) -> GridCell:
    return GridCell(id=cell_id, lat_e4=cell_id * 1000, lon_e4=0, grid_degrees=0.1)


def test_cells_needing_the_same_chunks_share_a_task():
    a, b, c = (archive_request(date(y, 1, 1), date(y, 12, 31)) for y in (2022, 2023, 2024))
    cells = {i: _cell(i) for i in range(1, 8)}
    # cells 1, 3, 5 need 2022-2024; 2, 4 need only 2024; 6, 7 need 2023-2024
    groups = [(a, [cells[1], cells[3], cells[5]]),
              (b, [cells[1], cells[3], cells[5], cells[6], cells[7]]),
              (c, list(cells.values()))]
    tasks = split_cells(groups, 3)
    members = [sorted({x.id for _, m in task for x in m}) for task in tasks]
    assert members == [[1, 3, 5], [2, 6, 7], [4]]
    assert [[r for r, _ in task] for task in tasks] == [[a, b, c], [b, c], [c]]
    every = sorted((r.range_start, x.id) for task in tasks for r, m in task for x in m)
    assert every == sorted((r.range_start, x.id) for r, m in groups for x in m)


def test_a_task_is_counted_once_and_the_last_settles_its_run(session_factory, ctx):
    with session_factory.begin() as session:
        run = JobRun(job="backfill", started_at=NOW, status="running", cells_done=1,
                     cells_failed=0, rows_written=0, tasks_total=2, tasks_done=0,
                     tasks_failed=0)
        session.add(run)
        session.flush()
        run_id = run.id
        session.add_all(JobRunTask(run_id=run_id, task_no=n, state="queued", size=2,
                                   cells_done=0, cells_failed=0, rows_written=0)
                        for n in (1, 2))
    first = RunResult("backfill", cells_done=2, rows_written=48)
    assert finish_task(ctx, TaskRef("backfill", run_id, 1, NOW), first) == "done"
    assert finish_task(ctx, TaskRef("backfill", run_id, 1, NOW), first) == "done"  # again
    with session_factory() as session:
        run = session.get(JobRun, run_id)
        assert (run.status, run.tasks_done, run.cells_done, run.rows_written) == (
            "running", 1, 3, 48)
    second = RunResult("backfill", cells_done=1, cells_failed=1, errors=["cells 9: HTTP 400"])
    assert finish_task(ctx, TaskRef("backfill", run_id, 2, NOW), second) == "failed"
    with session_factory() as session:
        run = session.get(JobRun, run_id)
        assert (run.status, run.tasks_done, run.tasks_failed, run.cells_done,
                run.cells_failed) == ("partial", 1, 1, 4, 1)
        assert run.finished_at is not None and "HTTP 400" in run.error
        states = session.scalars(select(JobRunTask.state).where(JobRunTask.run_id == run_id)
                                 .order_by(JobRunTask.task_no)).all()
        assert states == ["done", "failed"]


@pytest.mark.skipif(not PG_URL, reason="the shared budget lives in PostgreSQL")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_shared_budget_spaces_calls_across_threads(engine):
    from jobs.budget import SharedCallBudget

    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        budget = SharedCallBudget(engine, "open-meteo", 60, sleep=lambda s: None)  # 6 burst
        wait = budget.reserve(1.0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    waits.sort()
    assert waits[:6] == [0.0] * 6  # the burst
    for k, wait in enumerate(waits[6:], start=1):  # then one per 1/0.9 s, in order
        assert wait == pytest.approx(k / 0.9, abs=0.5)
    assert SharedCallBudget(engine, "open-meteo", 60).used() > 6


def test_a_worker_refuses_to_run_inline(runner):
    result = runner.invoke("worker")
    assert result.exit_code == 2
    assert 'executor is "inline"' in result.output


def test_an_inline_run_has_no_task_counts(engine, session_factory):
    from jobs.queue import task_counts

    with session_factory.begin() as session:
        run = JobRun(job="pull-recent", started_at=NOW, finished_at=NOW + timedelta(seconds=1),
                     status="ok", cells_done=3, cells_failed=0, rows_written=9)
        session.add(run)
        session.flush()
        assert task_counts(session, [run.id]) == {}
