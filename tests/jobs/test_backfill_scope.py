"""How far back and for how long a backfill run reaches: per cell, within the horizon, within
the time budget, and not asking again for a cell whose chunk failed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from jobs.models import JobRun
from jobs.tasks import run_job
from tests.jobs.conftest import SITES, add_patient, missing_hours, with_jobs
from tracker.models import Attack, LocationPeriod, TreatmentCourse
from weather.grid import cell_key, find_cell_id


def _attack(session, patient_id: int, started: datetime) -> None:
    now = datetime.now(UTC)
    session.add(Attack(patient_id=patient_id, started_at=started, ended_at=None,
                       kind="migraine", aura=False, medication="", notes="", source="import",
                       created_at=now, updated_at=now))


def _course(session, patient_id: int, started_on: date) -> None:
    session.add(TreatmentCourse(patient_id=patient_id, kind="PRT", started_on=started_on,
                                created_at=datetime.now(UTC)))


def _archive_starts(fake, site) -> list[date]:
    """The start days of the archive requests made for a site's cell, in order."""
    lat, lon = site
    key = cell_key(lat, lon, 0.1)
    return [
        date.fromisoformat(query["start_date"]) for path, query in fake.requests
        if path.endswith("/archive")
        and cell_key(float(query["latitude"]), float(query["longitude"]), 0.1) == key
    ]


def _requests_for(fake, site) -> int:
    key = cell_key(*site, 0.1)
    return sum(cell_key(float(q["latitude"]), float(q["longitude"]), 0.1) == key
               for _, q in fake.requests)


def test_an_attack_in_1900_sends_back_only_its_own_cell_and_only_to_the_horizon(
    ctx, fake, session_factory
):
    now = datetime.now(UTC)
    today = now.date()
    with session_factory.begin() as session:
        a = add_patient(session, "a@example.org", *SITES[0])
        _attack(session, a.id, datetime(1900, 6, 1, 12, tzinfo=UTC))  # a typo, most likely
        _course(session, a.id, date(2024, 3, 10))
        add_patient(session, "b@example.org", *SITES[1])

    result = run_job(ctx, "backfill", now)
    assert result.status == "ok", result.errors
    # A: from max(1940-01-01, first course - 5 years), never from 1900.
    assert min(_archive_starts(fake, SITES[0])) == date(2019, 3, 10)
    # B: its own three days (backfill_days = 3), all from the forecast API: no archive.
    assert _archive_starts(fake, SITES[1]) == []
    assert _requests_for(fake, SITES[1]) == 1
    with session_factory() as session:
        a_cell = find_cell_id(session, *SITES[0], 0.1)
    gaps = missing_hours(session_factory, datetime(2019, 3, 10, tzinfo=UTC), now)
    assert gaps[a_cell] == 0

    from tracker.cells import cells_needed_since

    with session_factory.begin() as session:
        needed = cells_needed_since(session, 0.1, horizon_years=5, today=today)
    assert sorted(since for _, since in needed) == [date(2019, 3, 10), today - timedelta(days=2)]


def test_the_plan_never_reaches_before_the_archive_and_later_places_start_late(
    session_factory
):
    from tracker.cells import cells_needed_since, years_before
    from weather.backfill import backfill_groups

    today = date(2026, 11, 30)
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with session_factory.begin() as session:
        old = add_patient(session, "old@example.org", *SITES[0],
                          created=datetime(1941, 2, 1, tzinfo=UTC))
        _course(session, old.id, date(1942, 5, 1))  # 5 years before is 1937
        _attack(session, old.id, datetime(1935, 3, 1, tzinfo=UTC))
        mover = add_patient(session, "m@example.org", *SITES[1],
                            created=datetime(2010, 1, 1, tzinfo=UTC))
        _attack(session, mover.id, datetime(1900, 1, 1, tzinfo=UTC))  # no course
        session.add(LocationPeriod(patient_id=mover.id, starts_on=date(2025, 7, 1),
                                   latitude=SITES[2][0], longitude=SITES[2][1],
                                   timezone="UTC", label="moved"))
    with session_factory.begin() as session:
        needed = cells_needed_since(session, 0.1, horizon_years=5, today=today)
        groups = backfill_groups(session, needed, now)
    by_site = {(c.lat_e4, c.lon_e4): d for c, d in needed}
    old_cell, first_cell, later_cell = (cell_key(*site, 0.1) for site in SITES[:3])
    assert by_site == {
        old_cell: date(1937, 5, 1),  # the horizon allows it; the archive does not
        first_cell: years_before(today, 5),  # no course: 5 years before today
        later_cell: date(2025, 6, 29),  # a later place: from its own first days
    }
    first_request = {}
    for request, members in groups:  # oldest first
        for cell in members:
            first_request.setdefault((cell.lat_e4, cell.lon_e4),
                                     (request.endpoint, request.range_start.date()))
    assert first_request == {
        old_cell: ("archive", date(1940, 1, 1)),
        first_cell: ("archive", date(2021, 11, 30)),
        later_cell: ("archive", date(2025, 6, 29)),
    }


def test_a_backfill_stops_starting_chunks_when_its_time_budget_is_used(
    ctx, fake, session_factory
):
    created = datetime.now(UTC) - timedelta(days=60)
    with session_factory.begin() as session:
        for i, site in enumerate(SITES[:3]):
            add_patient(session, f"p{i}@example.org", *site, created=created)
    # Each request to the provider "takes" 20 minutes; the budget is 30 minutes.
    ctx.clock = lambda: len(fake.requests) * 1200.0
    assert ctx.settings.jobs.backfill_budget_minutes == 30
    first = run_job(ctx, "backfill")
    assert len(fake.requests) == 2  # the third batch would start after 40 minutes
    assert (first.status, first.cells_done, first.cells_failed) == ("partial", 0, 0)
    note = "time budget of 30 min used up: 3 cell(s) left for the next run"
    assert first.errors == [note]
    with session_factory() as session:
        [run] = session.scalars(select(JobRun).where(JobRun.job == "backfill")).all()
    assert run.status == "partial" and run.error == note

    ctx.clock = lambda: 0.0
    second = run_job(ctx, "backfill")
    assert (second.status, second.cells_done) == ("ok", 3)
    assert len(fake.requests) == 2 + 4  # the archive of one cell, then three forecasts
    now = datetime.now(UTC)
    assert set(missing_hours(session_factory, created - timedelta(days=2), now).values()) == {0}


def test_a_failed_chunk_is_not_asked_again_for_its_cell_within_the_run(
    ctx, fake, session_factory
):
    created = datetime.now(UTC) - timedelta(days=400)
    with session_factory.begin() as session:
        add_patient(session, "p@example.org", *SITES[0], created=created)
    fake.script = ["400"]  # the first (oldest) chunk fails; HTTP 400 is not retried
    result = run_job(ctx, "backfill")
    assert len(fake.requests) == 1  # not the two later chunks (archive, forecast)
    assert (result.status, result.cells_done, result.cells_failed) == ("error", 0, 1)
    assert "Latitude must be in range" in result.errors[0]
    assert "2 later chunk(s) skipped for this run after a failed chunk" in result.errors[-1]

    again = run_job(ctx, "backfill")  # the next run asks for everything still missing
    assert again.status == "ok" and len(fake.requests) == 1 + 3


def test_the_horizon_setting_is_read_from_the_jobs_settings(
    ctx, job_settings, fake, session_factory
):
    with session_factory.begin() as session:
        a = add_patient(session, "a@example.org", *SITES[0])
        _attack(session, a.id, datetime(1900, 6, 1, tzinfo=UTC))
        _course(session, a.id, date(2024, 3, 10))
    ctx.settings = with_jobs(job_settings, backfill_horizon_years=1)
    assert run_job(ctx, "backfill").status == "ok"
    assert min(_archive_starts(fake, SITES[0])) == date(2023, 3, 10)
