"""Accounts: creating users, hashing and checking passwords, login throttling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.validation import check_latitude, check_longitude, check_text, check_timezone
from tracker.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from tracker.models import ROLES, PatientProfile, User

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password")
#: The one answer to every failed login: unknown email, wrong password, locked or inactive.
LOGIN_FAILED = (
    "wrong email or password (after too many failed attempts, logging in pauses for a few "
    "minutes)"
)


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, or raise ValidationError (field ``email``)."""
    if not isinstance(email, str) or not _EMAIL.match(email.strip()) or len(email) > 254:
        raise ValidationError(f"{email!r} is not an email address", "email")
    check_text(email, "email", 254)
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Return an Argon2id hash of ``password`` after checking its length."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    return _HASHER.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Return whether ``password`` matches; upgrades an outdated hash in place."""
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return True


def get_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this email (case-insensitive), or None."""
    if not isinstance(email, str) or "\x00" in email or len(email) > 254:
        return None
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def require_user(session: Session, email: str) -> User:
    """Return the user with this email or raise NotFoundError."""
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFoundError(f"no user with email {email!r}", "email")
    return user


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    timezone: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    pressure_unit: str = "hPa",
    now: datetime | None = None,
) -> User:
    """Create a user; a patient also gets a profile and, given lat/lon, a home location."""
    from tracker.diary.profile import add_location_period, local_today

    now = now or utcnow()
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError(f"{role!r} is not one of {', '.join(ROLES)}", "role")
    if (latitude is None) != (longitude is None):
        raise ValidationError("give both latitude and longitude, or neither", "latitude")
    if role != "patient" and latitude is not None:
        raise ValidationError("only patients have a location", "latitude")
    tz_name = timezone or "UTC"
    check_timezone(tz_name)
    if latitude is not None:
        check_latitude(latitude)
        check_longitude(longitude)
    name = check_text(name, "name", 120).strip()
    password_hash = hash_password(password)  # before the email check: both cost one hash
    if get_user_by_email(session, email) is not None:
        raise ConflictError(f"an account with email {email} exists already", "email")
    user = User(
        email=email,
        password_hash=password_hash,
        role=role,
        name=name,
        is_active=True,
        created_at=now,
        failed_logins=0,
    )
    session.add(user)
    if role == "patient":
        from tracker.diary.profile import check_unit

        user.profile = PatientProfile(
            timezone=tz_name, pressure_unit=check_unit(pressure_unit), checkins_in_use=False
        )
    session.flush()
    if role == "patient" and latitude is not None:
        add_location_period(
            session,
            user,
            starts_on=local_today(tz_name, now),
            latitude=latitude,
            longitude=longitude,
            timezone=tz_name,
            label="home",
        )
    return user


def register_patient(
    session: Session,
    *,
    email: str,
    password: str,
    name: str = "",
    timezone: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> User | None:
    """Create a patient account; for a taken email change nothing and return None.

    Both cases check every field first and cost one password hash, so a caller can answer
    them alike (registration must not tell whether an email has an account).
    """
    try:
        return create_user(session, email=email, password=password, role="patient", name=name,
                           timezone=timezone, latitude=latitude, longitude=longitude)
    except ConflictError:
        # Hook: once the app can send e-mail, tell the account's owner that someone tried to
        # register with their address (there is no mail setting yet).
        return None


def _claim_attempt(session: Session, email: str, now: datetime) -> tuple[int, int] | None:
    """Count a login attempt in ONE atomic UPDATE; return (user id, attempts) or None.

    None when there is no such active account or it is locked. Parallel attempts each get
    their own count (the row is locked until commit), so none can skip the limit.
    """
    if not isinstance(email, str) or "\x00" in email or len(email) > 254:
        return None
    row = session.execute(
        update(User)
        .where(
            User.email == email.strip().lower(),
            User.is_active.is_(True),
            or_(User.locked_until.is_(None), User.locked_until <= now),
        )
        .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
        .returning(User.id, User.failed_logins)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else (row[0], row[1])


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout_minutes: int = 15,
    now: datetime | None = None,
) -> User:
    """Return the user if the password matches; count failures and lock after too many.

    Every failure (unknown email, wrong password, locked or inactive account) raises the same
    AuthenticationError after the same work (one password hash check). The count is written
    before the error is raised, so the caller should commit in both cases.
    """
    now = now or utcnow()
    claim = _claim_attempt(session, email, now)
    if claim is None or claim[1] > max_failures:
        _HASHER.verify(_DUMMY_HASH, "not a real password")  # same cost as a real check
        raise AuthenticationError(LOGIN_FAILED)
    user_id, attempts = claim
    user = session.get(User, user_id, populate_existing=True)
    assert user is not None  # the UPDATE above just found it
    if not verify_password(user, password):
        if attempts >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
        session.flush()
        raise AuthenticationError(LOGIN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a password after checking the current one (see :func:`set_password`)."""
    if not verify_password(user, current):
        raise ValidationError("the current password is wrong", "current_password")
    set_password(session, user, new, actor=user)


def set_password(
    session: Session, user: User, new: str, *, actor: User | None = None,
    now: datetime | None = None,
) -> None:
    """Set a new password: revoke the API tokens, end every session, lift any login lock.

    ``actor`` is who did it (the user themself, or None for an operator's reset); the
    audit log records the change and what it revoked.
    """
    from tracker.accounts.audit import record_password_change
    from tracker.accounts.sessions import end_all
    from tracker.accounts.tokens import revoke_all_tokens

    now = now or utcnow()
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    tokens = revoke_all_tokens(session, user, now)
    sessions = end_all(session, user, now)
    record_password_change(session, user, actor=actor, tokens=tokens, sessions=sessions,
                           now=now)


def count_users(session: Session, role: str | None = None) -> int:
    """Return how many accounts exist (of one role, if given)."""
    stmt = select(func.count()).select_from(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    return session.scalar(stmt) or 0
