"""The provider's rate limit shared by every worker process: a token bucket row in PostgreSQL.

Each worker process has its own client, and a per-process limit would let K workers make K
times the calls. In queue mode the client's limiter is :class:`SharedCallBudget` instead: one
row of ``provider_budgets`` per provider, updated by ONE atomic ``UPDATE ... RETURNING`` per
provider call (the row lock orders concurrent callers), on the database's clock, so workers
on machines whose clocks differ still share one budget.

The bucket holds at most ``burst`` calls (a tenth of the limit) and refills at the rest of the
limit per minute. A caller takes its weight at once, even into debt, and then waits until the
debt is paid off: callers are served in the order they asked, and a heavy call makes the
following ones wait instead of failing. For calls no heavier than ``burst``, any 60 seconds
then hold at most ``burst + refill per minute = max_calls_per_minute`` weighted calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from weather.http_policy import WINDOW_SECONDS, RateLimiter

#: Share of the per-minute limit that may go out at once after a quiet spell.
BURST_SHARE = 0.1

_TAKE = text(
    "WITH clock AS (SELECT clock_timestamp() AS t)"
    " UPDATE provider_budgets AS b"
    " SET tokens = LEAST(CAST(:burst AS double precision), b.tokens"
    "   + CAST(:rate AS double precision)"
    "   * CAST(EXTRACT(EPOCH FROM (clock.t - b.updated_at)) AS double precision))"
    "   - CAST(:weight AS double precision),"
    " updated_at = clock.t"
    " FROM clock WHERE b.provider = :provider"
    " RETURNING b.tokens"
)
_CREATE = text(
    "INSERT INTO provider_budgets (provider, tokens, updated_at)"
    " VALUES (:provider, CAST(:burst AS double precision), clock_timestamp())"
    " ON CONFLICT (provider) DO NOTHING"
)
_LEVEL = text(
    "SELECT LEAST(CAST(:burst AS double precision), tokens + CAST(:rate AS double precision)"
    " * CAST(EXTRACT(EPOCH FROM (clock_timestamp() - updated_at)) AS double precision))"
    " FROM provider_budgets WHERE provider = :provider"
)


class SharedCallBudget(RateLimiter):
    """A :class:`~weather.http_policy.RateLimiter` whose calls are counted in PostgreSQL, so
    every process using the same database shares ``max_calls`` weighted calls a minute."""

    def __init__(
        self, engine: Engine, provider: str, max_calls: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("a shared call budget needs PostgreSQL")
        super().__init__(max_calls, sleep, time.monotonic)
        self.engine = engine
        self.provider = provider
        self.burst = self.max_calls * BURST_SHARE
        #: weighted calls per second
        self.rate = (self.max_calls - self.burst) / WINDOW_SECONDS

    def _params(self, weight: float = 0.0) -> dict[str, object]:
        return {"provider": self.provider, "burst": self.burst, "rate": self.rate,
                "weight": weight}

    def reserve(self, weight: float) -> float:
        """Take ``weight`` calls from the shared bucket; return the seconds to wait first."""
        with self.engine.begin() as conn:
            tokens = conn.execute(_TAKE, self._params(weight)).scalar()
            if tokens is None:  # first use on this database
                conn.execute(_CREATE, self._params())
                tokens = conn.execute(_TAKE, self._params(weight)).scalar_one()
        return max(0.0, -float(tokens) / self.rate)

    def acquire(self, weight: float = 1.0) -> float:
        """Wait until ``weight`` calls fit in the shared budget; return the seconds slept."""
        wait = self.reserve(float(weight))
        if wait > 0:
            self._sleep(wait)
        return wait

    def used(self) -> float:
        """Return the calls the bucket is short of full (0 when it is full or unused)."""
        with self.engine.connect() as conn:
            level = conn.execute(_LEVEL, self._params()).scalar()
        return 0.0 if level is None else max(0.0, self.burst - float(level))
