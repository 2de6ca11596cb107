"""Issue #15 point 3: a remembered session's token rotates as it is used; the replaced token
works for a short grace and then never again; logout and "log out everywhere" end both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.accounts.sessions import (
    ROTATE_EVERY,
    ROTATION_GRACE,
    check_session,
    create_session,
    end_all,
    end_session,
    find_session,
    is_current,
    needs_rotation,
    rotate,
)
from tracker.accounts.users import create_user

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
LIMITS = {"idle": timedelta(hours=12), "remember_idle": timedelta(days=14)}
TURN = NOW + ROTATE_EVERY


def _remembered(session, remember=True):
    user = create_user(session, email="a@example.org", password="first password",
                       role="patient")
    raw, row = create_session(session, user, remember=remember, now=NOW)
    return user, raw, row


def _live(session, raw, at) -> bool:
    session.expire_all()
    return check_session(session, raw, now=at, **LIMITS) is not None


def test_the_token_rotates_once_per_interval_and_the_old_one_has_a_grace(session):
    _, old, row = _remembered(session)
    assert not needs_rotation(row, TURN - timedelta(seconds=1))
    assert needs_rotation(row, TURN)
    new = rotate(session, row, old, now=TURN)
    assert new and new != old and new.startswith("mws_")
    session.expire_all()
    assert row.rotated_at == TURN and row.last_seen_at == TURN
    assert not needs_rotation(row, TURN + ROTATE_EVERY - timedelta(seconds=1))
    assert is_current(find_session(session, new, TURN), new)
    assert not is_current(find_session(session, old, TURN), old)
    # the old token: accepted during the grace (requests on their way), then never
    assert _live(session, old, TURN + ROTATION_GRACE - timedelta(seconds=1))
    assert not _live(session, old, TURN + ROTATION_GRACE)
    assert find_session(session, old, TURN + ROTATION_GRACE) is None
    assert _live(session, new, TURN + ROTATION_GRACE)


def test_a_second_rotation_forgets_the_first_token(session):
    _, first, row = _remembered(session)
    second = rotate(session, row, first, now=TURN)
    third = rotate(session, row, second, now=TURN + ROTATE_EVERY)
    at = TURN + ROTATE_EVERY + timedelta(seconds=1)
    assert not _live(session, first, at)  # even "within a grace": only one old token is kept
    assert _live(session, second, at) and _live(session, third, at)


def test_two_rotations_of_one_token_at_once_make_one_new_token(session):
    _, old, row = _remembered(session)
    winner = rotate(session, row, old, now=TURN)
    assert rotate(session, row, old, now=TURN) is None  # the other request: no new cookie
    assert _live(session, old, TURN) and _live(session, winner, TURN)


def test_a_browser_session_never_rotates(session):
    _, raw, row = _remembered(session, remember=False)
    assert not needs_rotation(row, NOW + timedelta(hours=11))


def test_logout_with_either_token_ends_both(session):
    _, old, row = _remembered(session)
    new = rotate(session, row, old, now=TURN)
    end_session(session, new, now=TURN)
    assert not _live(session, old, TURN) and not _live(session, new, TURN)
    # and logging out with the old one (still in its grace) ends the new one
    user2 = create_user(session, email="b@example.org", password="first password",
                        role="patient")
    old2, row2 = create_session(session, user2, remember=True, now=NOW)
    new2 = rotate(session, row2, old2, now=TURN)
    end_session(session, old2, now=TURN)
    assert not _live(session, new2, TURN)


def test_log_out_everywhere_ends_rotated_sessions(session):
    user, old, row = _remembered(session)
    new = rotate(session, row, old, now=TURN)
    assert end_all(session, user, now=TURN) == 1
    assert not _live(session, old, TURN) and not _live(session, new, TURN)


def test_a_rotated_session_still_expires_when_idle(session):
    _, old, row = _remembered(session)
    new = rotate(session, row, old, now=TURN)
    assert _live(session, new, TURN + timedelta(days=14) - timedelta(seconds=1))
    assert not _live(session, new, TURN + timedelta(days=14))
