"""Server-side login sessions: the browser holds a random token, the database its hash.

A session ends on logout, on a password change, on "log out everywhere", or after it has
been idle for longer than its timeout. A copied cookie therefore stops working as soon as
its row is ended, however long the cookie itself would live.

A "keep me logged in" session also changes its token as it is used (:func:`rotate`): at most
once per :data:`ROTATE_EVERY`, the row gets a new token and keeps the replaced one's hash,
accepted for :data:`ROTATION_GRACE` more (requests and tabs already on their way with the old
cookie); after that, a copy of the old cookie is refused.

Times default to :func:`tracker.clock.utcnow` (looked up on each call, so tests can pin it).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tracker import clock
from tracker.accounts.tokens import hash_token
from tracker.models import User, UserSession

#: Every session token starts with this (API tokens start with ``mwt_``).
SESSION_PREFIX = "mws_"
#: ``last_seen_at`` is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=5)
#: A remembered session's token is replaced at most this often, while it is used.
ROTATE_EVERY = timedelta(minutes=15)
#: How long the replaced token is still accepted after a rotation.
ROTATION_GRACE = timedelta(minutes=2)


def _now(now: datetime | None) -> datetime:
    return now or clock.utcnow()


def create_session(
    session: Session, user: User, *, remember: bool = False, user_agent: str = "",
    now: datetime | None = None,
) -> tuple[str, UserSession]:
    """Start a session for ``user``; return the raw token (for the cookie) and its row."""
    now = _now(now)
    raw = SESSION_PREFIX + secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id, token_hash=hash_token(raw), remember=bool(remember),
        user_agent=(user_agent or "")[:200], created_at=now, last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return raw, row


def find_session(session: Session, raw: str, now: datetime | None = None) -> UserSession | None:
    """Return the session row of the raw token ``raw`` (live or not), or None.

    A token replaced by :func:`rotate` still finds its row until ``previous_valid_until``.
    """
    if not isinstance(raw, str) or not raw.startswith(SESSION_PREFIX) or len(raw) > 200:
        return None
    digest = hash_token(raw)
    return session.scalar(select(UserSession).where(or_(
        UserSession.token_hash == digest,
        (UserSession.previous_token_hash == digest)
        & (UserSession.previous_valid_until > _now(now)),
    )))


def is_current(row: UserSession, raw: str) -> bool:
    """Whether ``raw`` is the row's current token (not the one replaced by a rotation)."""
    return row.token_hash == hash_token(raw)


def check_session(
    session: Session, raw: str, *, idle: timedelta, remember_idle: timedelta,
    now: datetime | None = None,
) -> tuple[UserSession, User] | None:
    """Return the live session of ``raw`` and its active user, or None.

    Live means not ended and seen within ``idle`` (``remember_idle`` for a session started
    with "keep me logged in").
    """
    now = _now(now)
    row = find_session(session, raw, now)
    if row is None or row.ended_at is not None:
        return None
    limit = remember_idle if row.remember else idle
    if row.last_seen_at + limit <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    """Whether ``last_seen_at`` is old enough to be written again."""
    return row.last_seen_at + TOUCH_EVERY <= _now(now)


def touch(session: Session, session_id: int, now: datetime | None = None) -> None:
    """Note that the session was used now (one UPDATE; the caller commits)."""
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(last_seen_at=_now(now))
        .execution_options(synchronize_session="fetch")
    )


def needs_rotation(row: UserSession, now: datetime | None = None) -> bool:
    """Whether a remembered session's token is old enough to be replaced.

    Only "keep me logged in" sessions rotate: their remember cookie carries the token
    across browser restarts, and it is the one that lives long enough to be worth stealing.
    """
    changed = row.rotated_at or row.created_at
    return bool(row.remember) and changed + ROTATE_EVERY <= _now(now)


def rotate(session: Session, row: UserSession, raw: str, now: datetime | None = None) -> str | None:
    """Give the session of ``raw`` a new token and return it (the caller commits).

    The replaced token stays valid for :data:`ROTATION_GRACE`. One UPDATE that matches the
    current hash: of two requests rotating at once, one wins and the other gets None (its
    token is then the previous one, still accepted during the grace).
    """
    now = _now(now)
    fresh = SESSION_PREFIX + secrets.token_urlsafe(32)
    result = session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.token_hash == hash_token(raw),
               UserSession.ended_at.is_(None))
        .values(token_hash=hash_token(fresh), previous_token_hash=hash_token(raw),
                previous_valid_until=now + ROTATION_GRACE, rotated_at=now, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return fresh if result.rowcount == 1 else None


def end_session(session: Session, raw: str, now: datetime | None = None) -> None:
    """End the session of ``raw`` (logout), whichever of its tokens it is; unknown or ended
    tokens are ignored."""
    row = find_session(session, raw, now)
    if row is None:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
        .values(ended_at=_now(now))
        .execution_options(synchronize_session="fetch")
    )


def end_all(session: Session, user: User, now: datetime | None = None) -> int:
    """End every live session of ``user``; return how many were ended."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=_now(now))
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0
