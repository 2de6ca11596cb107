"""Server-side login sessions, and what a password change or reset revokes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.accounts.audit import events_for_patient
from tracker.accounts.sessions import (
    check_session,
    create_session,
    end_all,
    end_session,
    needs_touch,
    touch,
)
from tracker.accounts.tokens import authenticate_token, create_token
from tracker.accounts.users import change_password, create_user, set_password

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
LIMITS = {"idle": timedelta(hours=12), "remember_idle": timedelta(days=14)}


def _user(session, email="a@example.org"):
    return create_user(session, email=email, password="first password", role="patient")


def test_a_session_lives_until_ended_or_idle(session):
    user = _user(session)
    raw, row = create_session(session, user, user_agent="x" * 500, now=NOW)
    assert len(row.user_agent) == 200 and row.token_hash not in raw
    assert check_session(session, raw, now=NOW + timedelta(hours=11), **LIMITS) == (row, user)
    assert check_session(session, raw, now=NOW + timedelta(hours=12), **LIMITS) is None
    assert check_session(session, "mws_unknown", now=NOW, **LIMITS) is None
    assert check_session(session, f"{user.id}:abc", now=NOW, **LIMITS) is None  # old format
    # Touching keeps it alive; it is written at most every few minutes.
    assert not needs_touch(row, NOW + timedelta(minutes=1))
    assert needs_touch(row, NOW + timedelta(hours=11))
    touch(session, row.id, NOW + timedelta(hours=11))
    session.expire_all()
    assert check_session(session, raw, now=NOW + timedelta(hours=20), **LIMITS) is not None
    end_session(session, raw, now=NOW + timedelta(hours=21))
    assert check_session(session, raw, now=NOW + timedelta(hours=21), **LIMITS) is None


def test_a_remembered_session_has_the_longer_timeout(session):
    user = _user(session)
    raw, _ = create_session(session, user, remember=True, now=NOW)
    assert check_session(session, raw, now=NOW + timedelta(days=13), **LIMITS) is not None
    assert check_session(session, raw, now=NOW + timedelta(days=14), **LIMITS) is None


def test_end_all_and_inactive_users(session):
    a, b = _user(session), _user(session, "b@example.org")
    raws = [create_session(session, a, now=NOW)[0] for _ in range(3)]
    other, _ = create_session(session, b, now=NOW)
    assert end_all(session, a, now=NOW) == 3
    assert all(check_session(session, r, now=NOW, **LIMITS) is None for r in raws)
    assert check_session(session, other, now=NOW, **LIMITS) is not None
    b.is_active = False
    session.flush()
    assert check_session(session, other, now=NOW, **LIMITS) is None


def test_a_password_change_revokes_tokens_ends_sessions_and_is_audited(session):
    user = _user(session)
    token, _ = create_token(session, user, "phone")
    raw, _ = create_session(session, user)
    change_password(session, user, "first password", "second password")
    assert authenticate_token(session, token) is None
    assert check_session(session, raw, **LIMITS) is None
    event = events_for_patient(session, user)[0]
    assert (event.action, event.actor_id) == ("password_changed", user.id)
    assert "1 API token(s) revoked, 1 session(s) ended" in event.detail


def test_an_operator_reset_revokes_tokens_too(session):
    user = _user(session)
    token, _ = create_token(session, user, "script")
    set_password(session, user, "reset password")
    assert authenticate_token(session, token) is None
    event = events_for_patient(session, user)[0]
    assert (event.action, event.actor_id) == ("password_reset", None)


def test_the_cli_reset_revokes_tokens(runner, session_factory):
    with session_factory.begin() as s:
        user = _user(s)
        token, _ = create_token(s, user, "script")
    result = runner.invoke("users", "reset-password", "--email", "a@example.org",
                           "--password", "reset password")
    assert result.exit_code == 0, result.output
    assert "API tokens are revoked" in result.output
    with session_factory() as s:
        assert authenticate_token(s, token) is None
