"""The job functions against the fake Open-Meteo: batch faults, gap filling, the run log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from jobs import tasks
from jobs.models import JobRun
from jobs.tasks import kv, run_job
from tests.jobs.conftest import count, missing_hours
from weather.models import FetchLog


def _runs(session_factory, job: str) -> list[JobRun]:
    with session_factory() as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def test_a_provider_error_for_one_batch_is_recorded_others_run_and_the_next_run_fills_it(
    ctx, patients, fake, session_factory
):
    fake.script = ["400"]  # the first batch (one cell) fails; HTTP 400 is not retried
    result = run_job(ctx, "pull-recent")
    assert (result.status, result.cells_done, result.cells_failed) == ("partial", 2, 1)
    assert "Latitude must be in range" in result.errors[0]

    [run] = _runs(session_factory, "pull-recent")
    assert run.status == "partial" and run.finished_at is not None
    assert (run.cells_done, run.cells_failed, run.rows_written) == (2, 1, result.rows_written)
    assert "Latitude must be in range" in run.error
    assert count(session_factory, FetchLog, FetchLog.status == "error") == 1
    assert count(session_factory, FetchLog, FetchLog.status == "ok") == 2

    now = datetime.now(UTC)
    week = now - timedelta(days=7)
    gaps = missing_hours(session_factory, week, now)
    assert sorted(gaps.values())[:2] == [0, 0] and max(gaps.values()) == 7 * 24

    again = run_job(ctx, "pull-recent")
    assert (again.status, again.cells_done, again.cells_failed) == ("ok", 3, 0)
    assert set(missing_hours(session_factory, week, now).values()) == {0}
    assert [r.status for r in _runs(session_factory, "pull-recent")] == ["partial", "ok"]


def test_backfill_fills_back_to_the_earliest_needed_day_then_asks_for_nothing(
    ctx, patients, fake, session_factory
):
    fake.script = ["500"]  # transient: retried by the client (max_retries = 1)
    first = run_job(ctx, "backfill")
    assert first.status == "ok", first.errors
    now = datetime.now(UTC)
    # backfill_days = 3: at least three days back, archive where the archive has them.
    assert set(missing_hours(session_factory, now - timedelta(days=3), now).values()) == {0}
    asked = len(fake.requests)
    second = run_job(ctx, "backfill")
    assert second.status == "ok" and second.rows_written == 0
    assert len(fake.requests) == asked


def test_an_exception_inside_a_job_is_logged_as_an_error_run_not_raised(
    ctx, patients, session_factory, monkeypatch, caplog
):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "cells_in_use", boom)
    result = run_job(ctx, "pull-recent")
    assert result.status == "error" and result.failed
    [run] = _runs(session_factory, "pull-recent")
    assert run.status == "error" and "RuntimeError: disk on fire" in run.error
    finished = [r.message for r in caplog.records if "event=job_finished" in r.message]
    assert finished and "status=error" in finished[-1] and "job=pull-recent" in finished[-1]


def test_jobs_with_no_patients_succeed_and_ask_nothing(ctx, fake):
    for name in tasks.JOB_NAMES:
        assert run_job(ctx, name).status == "ok"
    assert fake.requests == []


def test_kv_lines_quote_what_needs_quoting():
    line = kv(job="pull-recent", cells_done=3, duration_s=0.5, error='HTTP 400: a "b"', x=None)
    assert line == ('job=pull-recent cells_done=3 duration_s=0.500 '
                    'error="HTTP 400: a \\"b\\"" x=-')


def test_jobs_run_and_list_on_the_command_line(runner, fake, patients, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(fake.config_toml(batch_size=1, max_retries=0))

    def mw(*args):
        return runner.invoke("--config", str(config), *args)

    fake.script = ["400"]
    result = mw("jobs", "run", "pull-recent")
    assert result.exit_code == 1
    assert "pull-recent: partial: 2 cell(s) done, 1 failed" in result.output

    listing = mw("jobs", "list")
    assert listing.exit_code == 0
    assert "not scheduled" in listing.output
    assert "last: partial" in listing.output
    assert "with gaps in the last 7 days: 1" in listing.output
    assert "Latitude must be in range" in listing.output

    result = mw("jobs", "run", "pull-recent")
    assert result.exit_code == 0 and "pull-recent: ok: 3 cell(s) done" in result.output
    listing = mw("jobs", "list", "--format", "json")
    assert '"cells_with_gaps": []' in listing.output
    assert mw("jobs", "run", "nonsense").exit_code == 2
