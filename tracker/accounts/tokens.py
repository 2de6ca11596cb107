"""Personal access tokens for the JSON API: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.validation import check_text, is_row_id
from tracker.errors import NotFoundError, ValidationError
from tracker.models import ApiToken, User

#: Every token starts with this, so a leaked one is easy to recognise (and to scan for).
TOKEN_PREFIX = "mwt_"
#: At most this many active tokens per account.
MAX_ACTIVE_TOKENS = 20


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 of a raw token (what the database keeps)."""
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def create_token(
    session: Session, user: User, name: str, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a token for ``user``; return the raw token (shown once) and its record."""
    now = now or utcnow()
    name = check_text(name, "name", 80).strip()
    if not name:
        raise ValidationError("give the token a name, e.g. the app that will use it", "name")
    if len(list_tokens(session, user)) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"at most {MAX_ACTIVE_TOKENS} active tokens; revoke one first", "name"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), created_at=now)
    session.add(token)
    session.flush()
    return raw, token


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """Return the user's active (not revoked) tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(
    session: Session, user: User, token_id: int, now: datetime | None = None
) -> None:
    """Revoke one of the user's tokens; it stops working at once."""
    token = session.get(ApiToken, token_id) if is_row_id(token_id) else None
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFoundError(f"no active token {token_id}", "id")
    token.revoked_at = now or utcnow()
    session.flush()


def revoke_all_tokens(session: Session, user: User, now: datetime | None = None) -> int:
    """Revoke every active token of ``user`` (e.g. after a password change); return how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def authenticate_token(session: Session, raw: str, now: datetime | None = None) -> User | None:
    """Return the active user owning the active token ``raw`` (noting its use), or None."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    token.last_used_at = now or utcnow()
    session.flush()
    return user
