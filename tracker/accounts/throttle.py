"""Fixed-window attempt limits (e.g. share-code redemptions per account and per address).

Each attempt is counted with ONE atomic upsert that returns the new count, so parallel
requests cannot all read the same old count and slip past the limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.errors import TrackerError
from tracker.models import RateBucket

WINDOW = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ThrottledError(TrackerError):
    """Too many attempts in the current window; try again later (HTTP 429)."""


def window_start(now: datetime, window: timedelta = WINDOW) -> datetime:
    """Return the start of the fixed window ``now`` falls in (aligned to the Unix epoch)."""
    return now - ((now - _EPOCH) % window)


def count_attempt(
    session: Session, scope: str, key: str, *, window: timedelta = WINDOW,
    now: datetime | None = None,
) -> int:
    """Count one attempt of ``key`` in ``scope``; return the attempts in this window so far.

    The caller commits (before anything that might roll back, so the count is kept).
    """
    start = window_start(now or utcnow(), window)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = RateBucket.__table__
    stmt = insert(table).values(scope=scope, key=key[:200], window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key, table.c.window_start],
        set_={"count": table.c.count + 1},
    ).returning(table.c.count)
    return int(session.execute(stmt).scalar_one())


def check_attempts(
    session: Session, limits: Iterable[tuple[str, str, int]], *, window: timedelta = WINDOW,
    now: datetime | None = None,
) -> None:
    """Count one attempt in each (scope, key, limit); raise ThrottledError if any is over.

    Every bucket is counted, even when an earlier one is already over its limit.
    """
    now = now or utcnow()
    over = [limit for scope, key, limit in limits
            if count_attempt(session, scope, key, window=window, now=now) > limit]
    if over:
        limit = over[0]
        minutes = int(window.total_seconds() // 60)
        raise ThrottledError(
            f"too many attempts (at most {limit} in {minutes} minutes); please try again later"
        )
