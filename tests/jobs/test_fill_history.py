"""fill-history: new diary history gets its pressure at once, not at the nightly back-fill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from jobs.context import install
from jobs.history import scheduled_fill_history
from jobs.models import JobRun
from jobs.tasks import run_job
from tests.jobs.conftest import SITES, add_patient, day_start, missing_hours
from tracker.models import Attack, LocationPeriod


def _runs(session_factory, job: str = "fill-history") -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(JobRun.status).where(JobRun.job == job)
                                    .order_by(JobRun.id)))


def _import_history(session_factory, patient_id: int, days_back: int) -> None:
    """What an import does: old attacks, and the home place moved back to the first one."""
    first = datetime.now(UTC) - timedelta(days=days_back)
    with session_factory.begin() as session:
        for d in range(0, days_back - 10, 20):
            start = first + timedelta(days=d)
            session.add(Attack(patient_id=patient_id, started_at=start,
                               ended_at=start + timedelta(hours=5), kind="migraine",
                               source="import", created_at=start, updated_at=start))
        session.execute(update(LocationPeriod).where(LocationPeriod.patient_id == patient_id)
                        .values(starts_on=first.date()))


def _archive_asks(fake) -> list[dict[str, str]]:
    return [q for path, q in fake.requests if path == "/v1/archive"]


def test_imported_history_is_filled_by_the_next_poll_and_only_once(ctx, fake,
                                                                     session_factory):
    with session_factory.begin() as session:
        patient = add_patient(session, "new@example.org", *SITES[0]).id
        add_patient(session, "other@example.org", *SITES[1])
    assert run_job(ctx, "backfill").status == "ok"  # the nightly run: 3 days back
    install(ctx)
    scheduled_fill_history()
    assert _runs(session_factory) == []  # nothing changed since: no run, no request
    asked = len(fake.requests)

    _import_history(session_factory, patient, days_back=90)
    scheduled_fill_history()
    assert _runs(session_factory) == ["ok"]
    archive = _archive_asks(fake)
    assert archive and len({(q["latitude"], q["longitude"]) for q in archive}) == 1
    now = datetime.now(UTC)
    gaps = missing_hours(session_factory, day_start((now - timedelta(days=90)).date()),
                         now - timedelta(days=6))
    assert sorted(gaps.values())[0] == 0  # the importer's cell is complete
    assert max(gaps.values()) > 0  # the other patient's cell was not asked back 90 days

    more = len(fake.requests)
    assert more > asked
    scheduled_fill_history()  # nothing new: no run, no request
    assert _runs(session_factory) == ["ok"] and len(fake.requests) == more


def test_an_unreachable_provider_is_asked_again_only_after_the_retry_interval(
        ctx, fake, session_factory):
    with session_factory.begin() as session:
        patient = add_patient(session, "new@example.org", *SITES[0]).id
    assert run_job(ctx, "backfill").status == "ok"
    _import_history(session_factory, patient, days_back=60)
    install(ctx)
    fake.script = ["500"] * 50
    scheduled_fill_history()
    assert _runs(session_factory) in (["error"], ["partial"])
    asked = len(fake.requests)
    scheduled_fill_history()  # within history_retry_minutes: not asked again
    assert len(fake.requests) == asked and len(_runs(session_factory)) == 1

    fake.script = []
    retry = ctx.settings.jobs.history_retry_minutes
    with session_factory.begin() as session:  # the retry interval has passed
        session.execute(update(JobRun).where(JobRun.job == "fill-history").values(
            finished_at=datetime.now(UTC) - timedelta(minutes=retry + 1)))
    scheduled_fill_history()
    assert _runs(session_factory)[-1] == "ok" and len(fake.requests) > asked
