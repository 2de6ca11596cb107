"""Login lockout under parallel attempts, and failures that all look and cost the same."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from tests.threads import run_in_threads
from tracker.accounts import users as accounts
from tracker.accounts.users import authenticate, create_user
from tracker.database import make_writer_session_factory
from tracker.errors import AuthenticationError

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class CountingHasher(PasswordHasher):
    """The real Argon2 hasher, counting verifications (per stored hash) and new hashes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.hashes = 0
        self.lock = threading.Lock()

    def hash(self, password, *, salt=None) -> str:
        with self.lock:
            self.hashes += 1
        return super().hash(password, salt=salt)

    def verify(self, hash, password) -> bool:  # noqa: A002 (argon2's own parameter name)
        with self.lock:
            self.calls.append(hash)
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_HASHER", counting)
    return counting


def test_parallel_wrong_passwords_check_at_most_the_limit(engine, session_factory, hasher):
    with session_factory.begin() as s:
        user = create_user(s, email="a@example.org", password="right password", role="patient")
        stored = user.password_hash
    writers = make_writer_session_factory(engine)  # what the web uses for a POST
    threads, per_thread, limit = 8, 3, 5
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with writers() as s:
                    try:
                        authenticate(s, "a@example.org", f"wrong {n}-{i}", max_failures=limit,
                                     lockout_minutes=15, now=NOW)
                    except AuthenticationError:
                        s.commit()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    run_in_threads(attempt, threads)
    assert not errors, errors
    checked = sum(1 for h in hasher.calls if h == stored)
    assert checked <= limit, f"{checked} wrong passwords were checked, the limit is {limit}"
    # The account is locked now: even the right password is refused.
    with session_factory() as s, pytest.raises(AuthenticationError):
        authenticate(s, "a@example.org", "right password", max_failures=limit, now=NOW)


def test_unknown_locked_and_wrong_password_look_and_cost_the_same(session, hasher):
    create_user(session, email="a@example.org", password="right password", role="patient")
    create_user(session, email="b@example.org", password="right password", role="patient")
    session.commit()
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            authenticate(session, "b@example.org", "wrong", max_failures=3, now=NOW)
    answers = {}
    for case, email, password in (("unknown", "nobody@example.org", "whatever"),
                                  ("wrong", "a@example.org", "wrong"),
                                  ("locked", "b@example.org", "right password")):
        hasher.calls.clear()
        with pytest.raises(AuthenticationError) as info:
            authenticate(session, email, password, max_failures=3, now=NOW)
        answers[case] = (info.value.message, info.value.field, len(hasher.calls))
    assert answers["unknown"] == answers["wrong"] == answers["locked"], answers
    assert answers["wrong"][2] == 1
