"""The hourly pull has its own executor: a long backfill never holds it up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from jobs.context import install
from jobs.models import JobRun
from jobs.scheduler import build_scheduler
from tests.jobs.conftest import SITES, _SlowHandler, add_patient, wait_for


class _GatedHandler(_SlowHandler):
    """Archive requests wait until the test opens the gate (a backfill that takes long)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if "/archive" in self.path:
            self.server.gate.wait(30)
        super().do_GET()


@pytest.fixture
def gated(fake):
    fake.gate = threading.Event()
    fake.RequestHandlerClass = _GatedHandler
    yield fake
    fake.gate.set()


def _statuses(session_factory, job: str) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(
            select(JobRun.status).where(JobRun.job == job).order_by(JobRun.id)))


def test_pull_recent_runs_while_a_backfill_is_running(ctx, gated, session_factory):
    created = datetime.now(UTC) - timedelta(days=60)  # the backfill needs the archive
    with session_factory.begin() as session:
        for i, site in enumerate(SITES[:2]):
            add_patient(session, f"p{i}@example.org", *site, created=created)
    install(ctx)
    far = IntervalTrigger(hours=12)
    scheduler = build_scheduler(ctx, scheduler_class=BackgroundScheduler, triggers={
        "pull-recent": IntervalTrigger(seconds=0.3), "backfill": far, "refresh-reports": far})
    assert {job.id: job.executor for job in scheduler.get_jobs()} == {
        "pull-recent": "default", "backfill": "backfill", "refresh-reports": "backfill",
        "fill-history": "backfill", "send-reminders": "default"}
    scheduler.start()
    try:
        wait_for(lambda: _statuses(session_factory, "backfill") == ["running"])
        # The backfill waits for the provider; the hourly pull runs, again and again.
        wait_for(lambda: _statuses(session_factory, "pull-recent").count("ok") >= 2)
        assert _statuses(session_factory, "backfill") == ["running"]
        assert _statuses(session_factory, "refresh-reports") == []  # queued behind backfill
        gated.gate.set()
        wait_for(lambda: _statuses(session_factory, "backfill") == ["ok"])
        wait_for(lambda: _statuses(session_factory, "refresh-reports") == ["ok"])
    finally:
        gated.gate.set()
        ctx.stop.set()
        scheduler.shutdown(wait=True)
