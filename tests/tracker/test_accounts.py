"""Accounts: creation, hashing, throttled login, password changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.accounts.users import (
    authenticate,
    change_password,
    create_user,
    get_user_by_email,
    set_password,
)
from tracker.diary.profile import list_location_periods
from tracker.errors import AuthenticationError, ConflictError, ValidationError

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_patient_gets_profile_and_home_location(session):
    user = create_user(
        session, email=" Ana@Example.ORG ", password="long enough", role="patient",
        timezone="Europe/Oslo", latitude=63.43, longitude=10.4, now=NOW,
    )
    session.commit()
    assert user.email == "ana@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert "long enough" not in user.password_hash
    assert user.profile.timezone == "Europe/Oslo"
    (home,) = list_location_periods(session, user)
    assert (home.latitude, home.longitude, home.label) == (63.43, 10.4, "home")
    assert home.starts_on.isoformat() == "2026-05-01"
    assert user.created_at == NOW


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 0.0, "longitude": -181.0}, "longitude"),
        ({"latitude": 10.0}, "latitude"),
    ],
)
def test_bad_input_names_the_field(session, kwargs, field):
    args = {"email": "a@example.org", "password": "long enough", "role": "patient"}
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        create_user(session, **args)
    assert info.value.field == field


def test_duplicate_email_is_a_conflict(session):
    create_user(session, email="a@example.org", password="long enough", role="clinician")
    with pytest.raises(ConflictError):
        create_user(session, email="A@example.org", password="long enough", role="patient")


def test_login_is_throttled_after_repeated_failures(session):
    create_user(session, email="a@example.org", password="right password", role="patient")
    session.commit()
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            authenticate(session, "a@example.org", "wrong", max_failures=3, now=NOW)
    # Locked now, even with the right password ...
    with pytest.raises(AuthenticationError, match="too many"):
        authenticate(session, "a@example.org", "right password", max_failures=3, now=NOW)
    # ... until the lock expires.
    later = NOW + timedelta(minutes=16)
    user = authenticate(session, "a@example.org", "right password", max_failures=3, now=later)
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_email_and_inactive_users_cannot_log_in(session):
    user = create_user(session, email="a@example.org", password="right password", role="admin")
    with pytest.raises(AuthenticationError):
        authenticate(session, "nobody@example.org", "right password")
    user.is_active = False
    with pytest.raises(AuthenticationError):
        authenticate(session, "a@example.org", "right password")


def test_change_and_reset_password(session):
    user = create_user(session, email="a@example.org", password="first password", role="patient")
    with pytest.raises(ValidationError) as info:
        change_password(session, user, "wrong", "second password")
    assert info.value.field == "current_password"
    change_password(session, user, "first password", "second password")
    assert authenticate(session, "a@example.org", "second password") is user
    set_password(session, user, "third password")
    session.commit()
    assert get_user_by_email(session, "a@example.org").password_hash == user.password_hash
    assert authenticate(session, "a@example.org", "third password") is user
