"""Provider-neutral errors of a weather data request.

A provider client (e.g. :mod:`weather.open_meteo`) raises subclasses of these; the fetching
code (:mod:`weather.fetching`) catches only :class:`ProviderError`, so it never needs to know
which provider answered.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider request failed: ``reason`` (provider text), ``status`` (HTTP code or None),
    ``attempts`` (requests made), ``retry_after`` (seconds the provider asked to wait, or None).
    """

    #: Whether asking again later may succeed (the client retries these).
    transient = False

    def __init__(
        self,
        reason: str,
        status: int | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason if status is None else f"HTTP {status}: {reason}")
        self.reason = reason
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after


class ProviderUnreachableError(ProviderError):
    """The server could not be reached or did not answer in time."""

    transient = True


class ProviderRateLimitError(ProviderError):
    """The provider refused the request for now: a request limit was exceeded (HTTP 429)."""

    transient = True


class ProviderServerError(ProviderError):
    """The provider's server failed (HTTP 5xx)."""

    transient = True


class ProviderRequestError(ProviderError):
    """The request itself is wrong (HTTP 4xx other than 429); asking again cannot help."""


class ProviderResponseError(ProviderError):
    """The reply is not what was asked for: malformed, wrong shape, count or length."""
