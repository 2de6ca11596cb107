"""How a provider client paces its HTTP requests: a sliding-window rate limit and the backoff
between retries of a transient fault (:attr:`weather.errors.ProviderError.transient`).

Sleep, clock and random source are injected, so tests run on fake time.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable

from weather.errors import ProviderError

#: Upper bound of one backoff sleep in seconds.
MAX_BACKOFF_SECONDS = 60.0
#: Length of the rate limiter's sliding window in seconds.
WINDOW_SECONDS = 60.0


def should_retry(exc: ProviderError, attempt: int, max_retries: int) -> bool:
    """Return whether a request that failed with ``exc`` on try ``attempt`` (1, 2, ...) is
    tried again: only transient faults, at most ``max_retries`` times."""
    return exc.transient and attempt <= max_retries


def retry_after_seconds(header: str | None) -> float | None:
    """Return a ``Retry-After`` header given in seconds as a number, else None (an HTTP date
    or a malformed value is ignored)."""
    text = (header or "").strip()
    return float(text) if text.isascii() and text.isdigit() else None


def backoff_delay(attempt: int, backoff_seconds: float, rng: random.Random) -> float:
    """Return the seconds to wait before retry ``attempt`` (1, 2, ...): full jitter,
    ``uniform(0, min(60, backoff_seconds * 2**(attempt - 1)))``."""
    ceiling = min(MAX_BACKOFF_SECONDS, backoff_seconds * 2 ** (attempt - 1))
    return rng.uniform(0.0, ceiling)


class RateLimiter:
    """Sliding one-minute window of weighted calls; waits with the injected sleep/clock."""

    def __init__(
        self, max_calls: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.max_calls = float(max_calls)
        self._sleep = sleep
        self._clock = clock
        self._calls: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()

    def _used(self, now: float) -> float:
        """Drop calls older than the window and return the weight still inside it."""
        while self._calls and self._calls[0][0] <= now - WINDOW_SECONDS:
            self._calls.popleft()
        return sum(weight for _, weight in self._calls)

    def used(self) -> float:
        """Return the weighted calls charged within the last minute."""
        with self._lock:
            return self._used(self._clock())

    def acquire(self, weight: float = 1.0) -> float:
        """Wait until ``weight`` calls fit in the last minute, record them, return seconds slept."""
        weight = min(float(weight), self.max_calls)  # a huge call waits for an empty window
        slept = 0.0
        with self._lock:
            now = self._clock()
            while self._used(now) + weight > self.max_calls:
                # Wait until enough of the oldest calls leave the window.
                needed = self._used(now) + weight - self.max_calls
                freed = 0.0
                until = now
                for at, w in self._calls:
                    freed += w
                    until = at + WINDOW_SECONDS
                    if freed >= needed - 1e-9:
                        break
                wait = max(until - now, 0.0)
                self._sleep(wait)
                slept += wait
                # Trust the sleep even if the clock did not move (e.g. a fake sleep).
                now = max(self._clock(), now + wait)
            self._calls.append((now, weight))
        return slept
