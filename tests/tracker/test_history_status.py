"""How far an imported history's pressure has arrived (issue #14 point 4, the dashboard line)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from tracker.models import Attack, LocationPeriod, PatientProfile, User
from tracker.reports.history_status import history_pressure
from weather.grid import get_or_create_cell
from weather.models import FetchLog
from weather.observations import upsert_observations

NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
GRID = 0.1
HOME = (59.91, 10.75)
AWAY = (48.14, 11.58)


def _patient(session, registered: date | None = None) -> User:
    user = User(email="p@example.org", password_hash="-", role="patient", name="",
                is_active=True, created_at=NOW, failed_logins=0)
    user.profile = PatientProfile(timezone="UTC", pressure_unit="hPa", checkins_in_use=False)
    session.add(user)
    session.flush()
    _place(session, user, registered or NOW.date(), HOME)
    return user


def _place(session, user: User, starts_on: date, where: tuple[float, float]) -> None:
    session.add(LocationPeriod(patient_id=user.id, starts_on=starts_on, latitude=where[0],
                               longitude=where[1], timezone="UTC", label=""))
    session.flush()


def _attack(session, user: User, day: date) -> None:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
    session.add(Attack(patient_id=user.id, started_at=start, ended_at=start + timedelta(hours=4),
                       kind="migraine", source="import", created_at=NOW, updated_at=NOW))
    session.flush()


def _fill(session, where: tuple[float, float], first: date, last: date) -> int:
    """Store hourly pressure for the cell of ``where`` over [first, last) (UTC days)."""
    cell = get_or_create_cell(session, *where, GRID)
    start = int(datetime.combine(first, datetime.min.time(), UTC).timestamp())
    hours = start + 3600 * np.arange((last - first).days * 24, dtype=np.int64)
    upsert_observations(session, cell.id, hours, np.full(len(hours), 1000.0),
                        np.full(len(hours), 1010.0), "archive", NOW)
    return cell.id


def _status(session, user, **kwargs):
    return history_pressure(session, user, GRID, NOW, 15, **kwargs)


def test_nothing_to_say_without_history(session):
    user = _patient(session)
    assert _status(session, user) is None  # registered today, no diary before
    _attack(session, user, NOW.date() - timedelta(days=1))
    assert _status(session, user) is None  # a day back is the recent pull's business


def test_fetching_share_then_complete(session):
    user = _patient(session)
    first = date(2025, 3, 3)
    _attack(session, user, first)
    status = _status(session, user)
    assert status is not None and status.percent == 0 and not status.unreachable
    assert (status.first_day, status.last_day) == (first, date(2025, 5, 31))
    assert status.to_dict()["first_day"] == "2025-03-03"

    needed_from = first - timedelta(days=2)  # the lead days before the first diary day
    half = needed_from + (NOW.date() - needed_from) / 2
    _fill(session, HOME, needed_from, half)
    assert 49 <= _status(session, user).percent <= 50
    _fill(session, HOME, half, NOW.date())
    assert _status(session, user) is None


def test_a_later_place_needs_pressure_only_from_its_own_day(session):
    # The draft counted every cell over the whole history, so a patient who moved never
    # reached 99% and the dashboard said "fetching" for ever.
    user = _patient(session, registered=date(2025, 1, 1))
    moved = date(2025, 5, 1)
    _place(session, user, moved, AWAY)
    _fill(session, HOME, date(2024, 12, 30), NOW.date())
    status = _status(session, user)
    assert status is not None and status.percent < 90  # the new place has nothing yet
    _fill(session, AWAY, moved - timedelta(days=2), NOW.date())
    assert _status(session, user) is None


def test_history_beyond_the_horizon_is_not_waited_for(session):
    user = _patient(session)
    _attack(session, user, date(2015, 1, 1))  # ten years back; the jobs fetch five
    _fill(session, HOME, date(2020, 6, 1), NOW.date())
    assert _status(session, user, horizon_years=5) is None
    assert _status(session, user, horizon_years=20).first_day == date(2015, 1, 1)


def test_an_unreachable_provider_says_when_it_tries_again(session):
    user = _patient(session)
    _attack(session, user, date(2025, 3, 3))
    cell = _fill(session, HOME, date(2025, 5, 1), date(2025, 5, 2))
    failed_at = NOW - timedelta(minutes=5)
    session.add(FetchLog(started_at=failed_at - timedelta(seconds=3), finished_at=failed_at,
                         provider="open-meteo", endpoint="archive", cell_ids=f"99,{cell}",
                         status="error", error="ConnectionError"))
    session.flush()
    status = _status(session, user)
    assert status.unreachable and status.next_try == failed_at + timedelta(minutes=15)
    session.add(FetchLog(started_at=NOW - timedelta(minutes=1), finished_at=NOW,
                         provider="open-meteo", endpoint="archive", cell_ids=str(cell),
                         status="ok"))
    session.flush()
    status = _status(session, user)
    assert not status.unreachable and status.next_try is None
