"""Open-Meteo: hourly surface and sea-level pressure from the forecast and archive APIs.

``OpenMeteoClient.get_recent`` asks the forecast API for the last ``past_days`` days (model
analysis, source ``forecast``); ``OpenMeteoClient.get_archive`` asks the historical archive
(reanalysis, source ``archive``, about 5 days behind). Several locations go into one request
(``latitude=a,b&longitude=c,d``); the reply is then a JSON array in the order asked.

Times are requested as unix seconds in GMT, so every hour is an unambiguous UTC instant.
Base URLs and the API key are arguments: a self-hosted server or the commercial host only
needs other values. Data by Open-Meteo.com is licensed CC BY 4.0. The ``OpenMeteo*Error``
exceptions subclass the provider-neutral ones of :mod:`weather.errors`; the rate limit and
retry backoff are :mod:`weather.http_policy`'s.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import numpy as np
import requests

from weather.errors import (
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderResponseError,
    ProviderServerError,
    ProviderUnreachableError,
)
from weather.http_policy import RateLimiter, backoff_delay, retry_after_seconds, should_retry
from weather.settings import OpenMeteoSettings

#: Forecast API (recent hours through ``past_days``).
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
#: Historical archive API (reanalysis; lags real time by about 5 days).
ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
#: Open-Meteo hourly variable -> field of :class:`HourlyPressure` (both in hPa).
HOURLY_VARIABLES: dict[str, str] = {
    "surface_pressure": "surface_pressure_hpa",
    "pressure_msl": "msl_hpa",
}
#: Unit each hourly variable must be reported in.
HOURLY_UNITS: dict[str, str] = {"surface_pressure": "hPa", "pressure_msl": "hPa"}
#: Provider name written to the fetch log.
PROVIDER = "open-meteo"
#: First day the historical archive (ERA5 reanalysis) holds; nothing earlier can be filled.
ARCHIVE_FIRST_DAY = date(1940, 1, 1)
#: Largest ``past_days`` the forecast API accepts.
MAX_PAST_DAYS = 92
#: Open-Meteo counts a request for more than this many days as several calls.
DAYS_PER_CALL = 14
DEFAULT_USER_AGENT = "migraine-weather/0.1 (open-source; self-hosted)"

_HOUR = 3600


class OpenMeteoError(ProviderError):
    """An Open-Meteo request failed: ``reason`` (provider text), ``status`` (HTTP code or None)."""


class OpenMeteoConnectionError(OpenMeteoError, ProviderUnreachableError):
    """The server could not be reached or did not answer in time (retried)."""


class OpenMeteoRateLimitError(OpenMeteoError, ProviderRateLimitError):
    """HTTP 429: a minutely, hourly or daily request limit was exceeded (retried)."""


class OpenMeteoServerError(OpenMeteoError, ProviderServerError):
    """HTTP 5xx from the server (retried)."""


class OpenMeteoRequestError(OpenMeteoError, ProviderRequestError):
    """HTTP 400 (or another 4xx): the request itself is wrong; never retried."""


class OpenMeteoResponseError(OpenMeteoError, ProviderResponseError):
    """The reply is not the JSON we asked for: malformed, wrong shape, count or length."""


@dataclass(frozen=True, eq=False)
class HourlyPressure:
    """Hourly pressure at one requested location.

    ``hours_utc`` holds unix seconds (int64, each on a UTC hour); the pressure arrays are
    float64 in hPa with NaN where the provider sent null. ``latitude``/``longitude`` are the
    coordinates as requested (degrees); ``elevation_m`` is the provider's model elevation.
    """

    latitude: float
    longitude: float
    hours_utc: np.ndarray
    surface_pressure_hpa: np.ndarray
    msl_hpa: np.ndarray
    elevation_m: float | None = None

    def __len__(self) -> int:
        """Return the number of hours."""
        return int(self.hours_utc.shape[0])


def _float_array(values: Any, name: str, where: str) -> np.ndarray:
    """Return a list of numbers/nulls as float64 hPa with NaN for null, or raise."""
    if not isinstance(values, list):
        raise OpenMeteoResponseError(f"{where}: hourly.{name} is not an array")
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        if value is None:
            out[i] = np.nan
        elif (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ):
            out[i] = value
        else:
            raise OpenMeteoResponseError(f"{where}: hourly.{name}[{i}] is not a number: {value!r}")
    return out


def _time_array(values: Any, where: str) -> np.ndarray:
    """Return hourly unix times (s) as int64, checking they are whole, increasing hours."""
    if not isinstance(values, list):
        raise OpenMeteoResponseError(f"{where}: hourly.time is not an array")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise OpenMeteoResponseError(f"{where}: hourly.time holds a value that is not unix seconds")
    times = np.array(values, dtype=np.int64)
    if times.size and np.any(times % _HOUR):
        raise OpenMeteoResponseError(f"{where}: hourly.time holds a time that is not on the hour")
    if times.size > 1 and np.any(np.diff(times) <= 0):
        raise OpenMeteoResponseError(f"{where}: hourly.time is not strictly increasing")
    return times


def _parse_one(item: Any, location: tuple[float, float], where: str) -> HourlyPressure:
    """Parse one location's reply object."""
    if not isinstance(item, Mapping):
        raise OpenMeteoResponseError(f"{where}: expected a JSON object")
    if item.get("error"):
        raise OpenMeteoResponseError(f"{where}: {item.get('reason', 'error')}")
    hourly = item.get("hourly")
    if not isinstance(hourly, Mapping):
        raise OpenMeteoResponseError(f"{where}: no hourly object")
    units = item.get("hourly_units")
    if isinstance(units, Mapping):
        for name, unit in HOURLY_UNITS.items():
            if name in units and units[name] != unit:
                raise OpenMeteoResponseError(
                    f"{where}: hourly_units.{name} is {units[name]!r}, expected {unit!r}"
                )
        if "time" in units and units["time"] != "unixtime":
            raise OpenMeteoResponseError(
                f"{where}: hourly_units.time is {units['time']!r}, expected 'unixtime'"
            )
    if "time" not in hourly:
        raise OpenMeteoResponseError(f"{where}: hourly.time is missing")
    times = _time_array(hourly["time"], where)
    arrays: dict[str, np.ndarray] = {}
    for name, field in HOURLY_VARIABLES.items():
        if name not in hourly:
            raise OpenMeteoResponseError(f"{where}: hourly.{name} is missing")
        values = _float_array(hourly[name], name, where)
        if values.shape != times.shape:
            raise OpenMeteoResponseError(
                f"{where}: hourly.{name} has {values.size} values for {times.size} times"
            )
        arrays[field] = values
    elevation = item.get("elevation")
    return HourlyPressure(
        latitude=float(location[0]),
        longitude=float(location[1]),
        hours_utc=times,
        surface_pressure_hpa=arrays["surface_pressure_hpa"],
        msl_hpa=arrays["msl_hpa"],
        elevation_m=float(elevation) if isinstance(elevation, int | float) else None,
    )


def parse_reply(payload: Any, locations: Sequence[tuple[float, float]]) -> list[HourlyPressure]:
    """Parse a decoded Open-Meteo reply (hPa, unix s) into one series per location, in order."""
    if not locations:
        raise ValueError("locations: at least one (latitude, longitude) is required")
    if isinstance(payload, list):
        items = payload
    elif isinstance(payload, Mapping):
        items = [payload]
    else:
        raise OpenMeteoResponseError("reply is neither a JSON object nor an array")
    if len(items) != len(locations):
        raise OpenMeteoResponseError(
            f"reply has {len(items)} locations, {len(locations)} were requested"
        )
    return [
        _parse_one(item, loc, f"location {i} ({loc[0]}, {loc[1]})")
        for i, (item, loc) in enumerate(zip(items, locations, strict=True))
    ]


def _format_coord(value: float) -> str:
    """Format a coordinate in degrees compactly and exactly (shortest round-trip repr)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"coordinate {value!r} is not finite")
    return repr(number)


class OpenMeteoClient:
    """A typed client for Open-Meteo's hourly pressure (forecast and archive APIs).

    Transient faults (429, 5xx, timeouts, connection errors) are retried up to
    ``max_retries`` times with exponential backoff and full jitter
    (``uniform(0, min(60, backoff_seconds * 2**n))`` seconds); HTTP 400 is not retried.
    A client-side sliding window keeps the weighted calls per minute at or below
    ``max_calls_per_minute`` (Open-Meteo counts each location, and each started 14 days of
    a location, as one call). A logical call is charged once, before its first attempt:
    its retries are spaced by the backoff instead, so a failing request never waits for a
    fresh rate window per attempt. ``last_attempts`` is the number of HTTP requests the last
    ``get_*`` call made.
    """

    provider = PROVIDER

    def __init__(
        self,
        session: requests.Session,
        *,
        forecast_url: str = FORECAST_URL,
        archive_url: str = ARCHIVE_URL,
        timeout: float = 10.0,
        user_agent: str = DEFAULT_USER_AGENT,
        api_key: str = "",
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        max_calls_per_minute: int = 500,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries: must be >= 0")
        if max_calls_per_minute < 1:
            raise ValueError("max_calls_per_minute: must be >= 1")
        if backoff_seconds < 0:
            raise ValueError("backoff_seconds: must be >= 0")
        if timeout <= 0:
            raise ValueError("timeout: must be > 0 seconds")
        self.session = session
        self.forecast_url = forecast_url
        self.archive_url = archive_url
        self.timeout = float(timeout)
        self.user_agent = user_agent
        self.api_key = api_key
        self.max_retries = int(max_retries)
        self.backoff_seconds = float(backoff_seconds)
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        # A limiter shared with other processes (the task queue's) may replace our own.
        self._limiter = limiter or RateLimiter(max_calls_per_minute, sleep, clock)
        self.last_attempts = 0

    # -- public API -----------------------------------------------------------------------

    def get_recent(
        self, locations: Sequence[tuple[float, float]], past_days: int
    ) -> list[HourlyPressure]:
        """Return hourly pressure (hPa, unix s) for the last ``past_days`` days through today."""
        if isinstance(past_days, bool) or not 0 <= int(past_days) <= MAX_PAST_DAYS:
            raise ValueError(f"past_days: {past_days!r} is outside 0..{MAX_PAST_DAYS}")
        params = self._base_params(locations)
        params.update(past_days=str(int(past_days)), forecast_days="1")
        days = int(past_days) + 1
        return self._fetch(self.forecast_url, params, locations, days)

    def get_archive(
        self, locations: Sequence[tuple[float, float]], start_date: date, end_date: date
    ) -> list[HourlyPressure]:
        """Return archived hourly pressure (hPa, unix s) for UTC days start_date..end_date."""
        if end_date < start_date:
            raise ValueError(f"end_date: {end_date} is before start_date {start_date}")
        params = self._base_params(locations)
        params.update(start_date=start_date.isoformat(), end_date=end_date.isoformat())
        days = (end_date - start_date).days + 1
        return self._fetch(self.archive_url, params, locations, days)

    def calls_last_minute(self) -> float:
        """Return the weighted calls the rate limiter charged within the last minute."""
        return self._limiter.used()

    # -- internals ------------------------------------------------------------------------

    def _base_params(self, locations: Sequence[tuple[float, float]]) -> dict[str, str]:
        """Build the query parameters shared by both endpoints."""
        if not locations:
            raise ValueError("locations: at least one (latitude, longitude) is required")
        for lat, lon in locations:
            if not -90 <= float(lat) <= 90:
                raise ValueError(f"latitude: {lat!r} is outside -90..90")
            if not -180 <= float(lon) <= 180:
                raise ValueError(f"longitude: {lon!r} is outside -180..180")
        params = {
            "latitude": ",".join(_format_coord(lat) for lat, _ in locations),
            "longitude": ",".join(_format_coord(lon) for _, lon in locations),
            "hourly": ",".join(HOURLY_VARIABLES),
            "timeformat": "unixtime",
            "timezone": "GMT",
        }
        if self.api_key:
            params["apikey"] = self.api_key
        return params

    def _fetch(
        self,
        url: str,
        params: dict[str, str],
        locations: Sequence[tuple[float, float]],
        days: int,
    ) -> list[HourlyPressure]:
        """Request ``url`` with retries and the rate limit, then parse the reply."""
        weight = len(locations) * max(1, math.ceil(days / DAYS_PER_CALL))
        full_url = url + ("&" if "?" in url else "?") + urlencode(params, safe=",")
        self.last_attempts = 0
        attempt = 0
        self._limiter.acquire(weight)  # once per logical call, not once per attempt
        while True:
            attempt += 1
            self.last_attempts = attempt
            try:
                payload = self._request(full_url)
                return parse_reply(payload, locations)
            except OpenMeteoError as exc:
                exc.attempts = attempt
                if not should_retry(exc, attempt, self.max_retries):
                    raise
            self._sleep(backoff_delay(attempt, self.backoff_seconds, self._rng))

    def _request(self, url: str) -> Any:
        """Make one GET and return the decoded JSON, or raise the matching OpenMeteoError."""
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise OpenMeteoConnectionError(f"timed out: {exc}") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise OpenMeteoConnectionError(f"connection failed: {exc}") from exc
        except requests.RequestException as exc:
            raise OpenMeteoError(f"request failed: {exc}") from exc
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError as exc:
                raise OpenMeteoResponseError(f"malformed JSON: {exc}", status) from exc
        reason = _error_reason(response)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if status == 429:
            raise OpenMeteoRateLimitError(reason, status, retry_after=wait)
        if 500 <= status <= 599:
            raise OpenMeteoServerError(reason, status, retry_after=wait)
        if 400 <= status <= 499:
            raise OpenMeteoRequestError(reason, status)
        raise OpenMeteoResponseError(f"unexpected HTTP status: {reason}", status)


def _error_reason(response: requests.Response) -> str:
    """Return the ``reason`` of an Open-Meteo error body, else a short text of the reply."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("reason"), str):
        return body["reason"]
    text = (response.text or "").strip()
    return text[:200] if text else (response.reason or f"HTTP {response.status_code}")


def client_from_settings(section: OpenMeteoSettings, session: requests.Session,
                         limiter: RateLimiter | None = None) -> OpenMeteoClient:
    """Build a client from the ``[weather.open_meteo]`` settings section (``limiter``
    replaces its own per-process rate limit)."""
    return OpenMeteoClient(
        session,
        forecast_url=section.forecast_url,
        archive_url=section.archive_url,
        timeout=section.timeout_seconds,
        user_agent=section.user_agent,
        api_key=section.api_key,
        max_retries=section.max_retries,
        backoff_seconds=section.backoff_seconds,
        max_calls_per_minute=section.max_calls_per_minute,
        limiter=limiter,
    )
