"""Attempt limits: one atomic upsert per attempt, on both databases, under parallel threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.threads import run_in_threads
from tracker.accounts.throttle import ThrottledError, check_attempts, count_attempt, window_start
from tracker.database import make_writer_session_factory

NOW = datetime(2026, 3, 1, 12, 34, tzinfo=UTC)


def test_attempts_count_up_per_key_and_window(session):
    assert [count_attempt(session, "s", "k", now=NOW) for _ in range(3)] == [1, 2, 3]
    assert count_attempt(session, "s", "other", now=NOW) == 1
    assert count_attempt(session, "t", "k", now=NOW) == 1
    assert count_attempt(session, "s", "k", now=NOW + timedelta(hours=1)) == 1  # next window
    session.commit()
    assert count_attempt(session, "s", "k", now=NOW + timedelta(minutes=20)) == 4
    assert window_start(NOW) == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_over_the_limit_is_refused_and_every_bucket_counts(session):
    limits = (("account", "7", 2), ("address", "10.0.0.1", 5))
    check_attempts(session, limits, now=NOW)
    check_attempts(session, limits, now=NOW)
    with pytest.raises(ThrottledError, match="too many attempts"):
        check_attempts(session, limits, now=NOW)
    assert count_attempt(session, "address", "10.0.0.1", now=NOW) == 4


def test_parallel_attempts_cannot_slip_past_the_limit(engine):
    writers = make_writer_session_factory(engine)
    threads, limit = 12, 5
    barrier = threading.Barrier(threads)
    counts: list[int] = []
    allowed: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(_index: int) -> None:
        try:
            barrier.wait()
            with writers() as s:
                count = count_attempt(s, "redeem", "clinician-1", now=NOW)
                s.commit()
            with lock:
                counts.append(count)
                allowed.append(count <= limit)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    run_in_threads(attempt, threads)
    assert not errors, errors
    assert sorted(counts) == list(range(1, threads + 1))  # every attempt got its own count
    assert allowed.count(True) == limit
