"""Password reset by e-mail: single-use, expiring links; only the token's hash is stored.

Asking for a link gives the same answer whether or not the address has an account (the
caller shows one message for both); a new link replaces the account's earlier unused ones.
Using a link is one atomic update (two tabs cannot both use it), then the usual password
change: every API token is revoked, every session ended, the change audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.accounts.tokens import hash_token
from tracker.accounts.users import get_user_by_email, set_password
from tracker.clock import utcnow
from tracker.errors import ValidationError
from tracker.models import User
from tracker.reminder_models import PasswordReset

#: Every reset token starts with this (API tokens ``mwt_``, sessions ``mws_``).
RESET_PREFIX = "mwr_"
#: The one answer to a link that is unknown, used or expired.
LINK_INVALID = ("this link has expired or has been used already; ask for a new one on the "
                "\"Forgot password?\" page")


def request_reset(
    session: Session, email: str, *, valid_for: timedelta, now: datetime | None = None
) -> tuple[User, str] | None:
    """Make a reset token for the active account with this e-mail; return it and the raw
    token (for the link), or None when there is no such account."""
    now = now or utcnow()
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        return None
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    raw = RESET_PREFIX + secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=hash_token(raw), created_at=now,
                              expires_at=now + valid_for))
    session.flush()
    return user, raw


def _usable(raw: str, now: datetime):
    """The conditions of a reset row that can still be used with token ``raw``."""
    return (PasswordReset.token_hash == hash_token(raw), PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now)


def _is_token(raw: object) -> bool:
    return isinstance(raw, str) and raw.startswith(RESET_PREFIX) and len(raw) <= 200


def check_reset_token(session: Session, raw: str, now: datetime | None = None) -> bool:
    """Whether ``raw`` is a reset token that can still be used (the form is shown)."""
    if not _is_token(raw):
        return False
    found = session.scalar(select(PasswordReset.id).where(*_usable(raw, now or utcnow())))
    return found is not None


def reset_password(
    session: Session, raw: str, new_password: str, now: datetime | None = None
) -> User:
    """Use a reset token to set a new password; raise ValidationError (field ``token``) if
    it is unknown, used or expired, or (field ``password``) if the password is too short.

    The token is used up by one atomic UPDATE; the caller rolls back on an error, so a
    refused password (checked after it) leaves the link usable.
    """
    now = now or utcnow()
    if not _is_token(raw):
        raise ValidationError(LINK_INVALID, "token")
    row = session.execute(
        update(PasswordReset).where(*_usable(raw, now)).values(used_at=now)
        .returning(PasswordReset.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    user = session.get(User, row[0]) if row is not None else None
    if user is None or not user.is_active:
        raise ValidationError(LINK_INVALID, "token")
    set_password(session, user, new_password, actor=user, now=now)
    return user
