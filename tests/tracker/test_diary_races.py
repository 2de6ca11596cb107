"""Diary rules under concurrency: real threads, each with its own session and connection.

Every thread waits at a barrier, then writes for the same patient at the same moment. The
rules that are checked before an insert (no two attacks of a patient overlap, one check-in a
day, one location period a day) must hold on SQLite (writer sessions, ``BEGIN IMMEDIATE``)
and on PostgreSQL (the per-patient advisory lock of ``tracker.diary.locks``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.threads import run_in_threads
from tracker.accounts.users import create_user
from tracker.database import make_writer_session_factory
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import end_attack, record_attack, update_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.profile import add_location_period
from tracker.errors import ConflictError
from tracker.models import Attack, CheckIn, LocationPeriod, User

THREADS = 6
START = datetime(2026, 1, 2, 9, tzinfo=UTC)


@pytest.fixture
def writers(engine):
    """Sessions as the web's write requests get them (BEGIN IMMEDIATE on SQLite)."""
    return make_writer_session_factory(engine)


@pytest.fixture
def patient_id(session_factory) -> int:
    """A patient in Europe/Oslo, committed."""
    with session_factory.begin() as s:
        user = create_user(s, email="p@example.org", password="password-1234",
                           role="patient", timezone="Europe/Oslo", latitude=59.9,
                           longitude=10.7)
        return user.id


def race(writers, patient_id: int, writes: list[Callable]) -> list[object]:
    """Run each ``write(session, patient)`` in its own thread, all released at once.

    Each thread commits on success and rolls back on an error; returns what each write
    returned, or the exception it raised.
    """
    barrier = threading.Barrier(len(writes))
    results: list[object] = [None] * len(writes)

    def run(index: int) -> None:
        with writers() as s:
            try:
                # Load the patient first and end that transaction (on SQLite a writer session
                # holds the write lock from its first statement): the race is between the
                # writes only.
                patient = s.get(User, patient_id)
                assert patient is not None and patient.profile is not None
                s.commit()
                barrier.wait(timeout=30)
                results[index] = writes[index](s, patient)
                s.commit()
            except Exception as exc:  # noqa: BLE001 - the test inspects what was raised
                s.rollback()
                results[index] = exc

    run_in_threads(run, len(writes))
    return results


def _count(session_factory, model) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _conflicts(results: list[object]) -> int:
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, ConflictError)]
    assert not unexpected, unexpected
    return sum(isinstance(r, ConflictError) for r in results)


def test_racing_attacks_with_the_same_start_store_one(writers, session_factory, patient_id):
    writes = [lambda s, p: record_attack(s, p, AttackInput(started_at=START))] * THREADS
    results = race(writers, patient_id, writes)
    assert _conflicts(results) == THREADS - 1
    assert _count(session_factory, Attack) == 1


def test_racing_overlapping_attacks_store_one(writers, session_factory, patient_id):
    def write(offset: int) -> Callable:
        start = START + timedelta(minutes=10 * offset)
        return lambda s, p: record_attack(
            s, p, AttackInput(started_at=start, ended_at=start + timedelta(hours=3)))

    results = race(writers, patient_id, [write(i) for i in range(THREADS)])
    assert _conflicts(results) == THREADS - 1
    assert _count(session_factory, Attack) == 1
    for result in results:
        if isinstance(result, ConflictError):
            assert result.field == "started_at"
            assert "overlaps the attack that started" in result.message


def test_racing_edits_into_the_same_slot_keep_attacks_apart(writers, session_factory,
                                                            patient_id):
    """Two attacks moved onto the same hour at once: one move wins, the other is refused."""
    with session_factory.begin() as s:
        patient = s.get(User, patient_id)
        ids = [record_attack(s, patient, AttackInput(started_at=START + timedelta(days=d))).id
               for d in range(1, 3)]
    writes = [
        lambda s, p, i=i: update_attack(s, p, i, AttackInput(started_at=START)) for i in ids
    ]
    results = race(writers, patient_id, writes)
    assert _conflicts(results) == 1
    with session_factory() as s:
        starts = s.scalars(select(Attack.started_at)).all()
    assert len(starts) == 2
    assert len({start.replace(tzinfo=None) for start in starts}) == 2


def test_racing_end_and_new_attack_do_not_overlap(writers, session_factory, patient_id):
    """Ending an ongoing attack while a new one is logged inside its span: one is refused."""
    with session_factory.begin() as s:
        ongoing = record_attack(s, s.get(User, patient_id), AttackInput(started_at=START)).id
    end = START + timedelta(hours=6)
    writes = [
        lambda s, p: end_attack(s, p, ongoing, ended_at=end, now=end + timedelta(days=1)),
        lambda s, p: record_attack(s, p, AttackInput(started_at=START + timedelta(hours=2))),
    ]
    results = race(writers, patient_id, writes)
    assert _conflicts(results) == 1
    with session_factory() as s:
        rows = s.scalars(select(Attack).order_by(Attack.started_at)).all()
    # Either the end won (the new attack inside its span was refused), or the new attack won
    # (an ongoing attack only occupies its start, so the end across it was refused).
    assert (len(rows), rows[0].ended_at is not None) in {(1, True), (2, False)}


def test_racing_checkins_of_one_day_keep_one(writers, session_factory, patient_id):
    """Same-day check-ins replace each other, as they do one after the other: no error."""
    day = date(2026, 1, 3)
    writes = [lambda s, p, i=i: record_checkin(s, p, day, note=f"note {i}")
              for i in range(THREADS)]
    results = race(writers, patient_id, writes)
    assert _conflicts(results) == 0
    assert _count(session_factory, CheckIn) == 1


def test_racing_locations_of_one_day_keep_one(writers, session_factory, patient_id):
    """Same-day location periods replace each other, as they do one after the other."""
    day = date(2026, 2, 1)
    writes = [
        lambda s, p, i=i: add_location_period(s, p, starts_on=day, latitude=50.0 + i,
                                              longitude=8.0, timezone="Europe/Berlin")
        for i in range(THREADS)
    ]
    results = race(writers, patient_id, writes)
    assert _conflicts(results) == 0
    with session_factory() as s:
        count = s.scalar(select(func.count()).select_from(LocationPeriod)
                         .where(LocationPeriod.starts_on == day))
    assert count == 1
