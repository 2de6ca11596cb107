"""Fetching hourly pressure from a provider and storing it, batch by batch, with a fetch log.

The provider is hidden behind :class:`PressureClient`; its failures are caught as
:class:`weather.errors.ProviderError`. Every function takes the caller's ``Session`` and
flushes; none commits. Pressures are hPa; instants aware UTC datetimes or unix seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import numpy as np
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from weather.errors import ProviderError
from weather.hours import check_aware, floor_hour, midnight
from weather.models import FetchLog, GridCell
from weather.observations import upsert_observations

#: Cells per provider request in the fetch functions.
DEFAULT_BATCH_SIZE = 50


class PressureSeries(Protocol):
    """What the fetch functions need from a provider's series (see HourlyPressure)."""

    hours_utc: np.ndarray
    surface_pressure_hpa: np.ndarray
    msl_hpa: np.ndarray


class PressureClient(Protocol):
    """A provider client (e.g. OpenMeteoClient) raising ``weather.errors.ProviderError`` when a
    request fails; ``last_attempts`` counts HTTP requests."""

    provider: str
    last_attempts: int

    def get_recent(
        self, locations: Sequence[tuple[float, float]], past_days: int
    ) -> Sequence[PressureSeries]:
        """Return one series per location, in order: the last ``past_days`` days."""

    def get_archive(
        self, locations: Sequence[tuple[float, float]], start_date: date, end_date: date
    ) -> Sequence[PressureSeries]:
        """Return one series per location, in order: UTC days start_date..end_date."""


@dataclass
class FetchSummary:
    """The outcome of a fetch run: cells stored or failed, rows changed, error messages."""

    cells_done: int = 0
    cells_failed: int = 0
    rows_written: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: FetchSummary) -> None:
        """Add another summary's counts and errors to this one."""
        self.cells_done += other.cells_done
        self.cells_failed += other.cells_failed
        self.rows_written += other.rows_written
        self.errors.extend(other.errors)


def _utcnow() -> datetime:
    """Return the current instant (UTC) for the fetch log's start and end times."""
    return datetime.now(UTC)


def _describe(exc: BaseException) -> str:
    """Return the provider's reason (or the error text) for the fetch log."""
    reason = getattr(exc, "reason", None)
    status = getattr(exc, "status", None)
    text = reason if isinstance(reason, str) else str(exc) or type(exc).__name__
    prefix = type(exc).__name__ + (f" (HTTP {status})" if status else "")
    return f"{prefix}: {text}"


@dataclass(frozen=True)
class BatchRequest:
    """One kind of provider call: endpoint, the source it stores as, the hours it covers.

    ``call`` asks the client for a list of locations; ``keep_until`` (unix seconds) drops
    later hours (forecasts) before they are stored.
    """

    endpoint: str
    source: str
    range_start: datetime
    range_end: datetime
    call: Callable[[PressureClient, list[tuple[float, float]]], Sequence[PressureSeries]]
    keep_until: int | None = None


@dataclass
class BatchReply:
    """What one provider call returned (``series``) or raised (``error``), and its attempts."""

    series: Sequence[PressureSeries] | None
    error: BaseException | None
    attempts: int
    started_at: datetime


def recent_request(past_days: int, now: datetime, include_future: bool = False) -> BatchRequest:
    """The forecast API's last ``past_days`` days through today, stored as ``forecast``.

    Hours after ``now`` are dropped unless ``include_future``.
    """
    check_aware(now, "now")
    today = now.astimezone(UTC).date()
    return BatchRequest(
        endpoint="forecast",
        source="forecast",
        range_start=midnight(today - timedelta(days=past_days)),
        range_end=midnight(today + timedelta(days=1)),
        call=lambda client, locations: client.get_recent(locations, past_days),
        keep_until=None if include_future else int(floor_hour(now).timestamp()),
    )


def archive_request(start_date: date, end_date: date) -> BatchRequest:
    """The reanalysis archive for UTC days start_date..end_date, stored as ``archive``."""
    return BatchRequest(
        endpoint="archive",
        source="archive",
        range_start=midnight(start_date),
        range_end=midnight(end_date + timedelta(days=1)),
        call=lambda client, locations: client.get_archive(locations, start_date, end_date),
    )


def fetch_batch(
    client: PressureClient, request: BatchRequest, cells: Sequence[GridCell]
) -> BatchReply:
    """Ask the provider for ``cells`` (no database access); an error is kept, not raised."""
    started = _utcnow()
    try:
        series = request.call(client, [(c.latitude, c.longitude) for c in cells])
    except (ProviderError, ValueError) as exc:
        attempts = getattr(exc, "attempts", None) or getattr(client, "last_attempts", 1) or 1
        return BatchReply(None, exc, int(attempts), started)
    return BatchReply(series, None, int(getattr(client, "last_attempts", 1) or 1), started)


def _store_series(
    session: Session,
    request: BatchRequest,
    cells: Sequence[GridCell],
    series: Sequence[PressureSeries],
    now: datetime,
) -> int:
    """Upsert one reply (a series per cell, in order) inside a SAVEPOINT; return rows changed."""
    if len(series) != len(cells):
        raise ValueError(f"provider returned {len(series)} series for {len(cells)} cells")
    rows = 0
    with session.begin_nested():
        for cell, one in zip(cells, series, strict=True):
            hours = np.asarray(one.hours_utc, dtype=np.int64)
            surface = np.asarray(one.surface_pressure_hpa, dtype=np.float64)
            msl = np.asarray(one.msl_hpa, dtype=np.float64)
            if request.keep_until is not None:
                mask = hours <= request.keep_until
                hours, surface, msl = hours[mask], surface[mask], msl[mask]
            rows += upsert_observations(session, cell.id, hours, surface, msl, request.source, now)
    return rows


def store_batch(
    session: Session,
    provider: str,
    request: BatchRequest,
    cells: Sequence[GridCell],
    reply: BatchReply,
    now: datetime,
) -> FetchSummary:
    """Log one provider call in ``FetchLog`` and store its reply inside a SAVEPOINT, so a
    failed batch writes no observations while its log row (status ``error``) remains."""
    check_aware(now, "now")
    summary = FetchSummary()
    cell_ids = ",".join(str(c.id) for c in cells)
    log = FetchLog(
        started_at=reply.started_at,
        provider=provider,
        endpoint=request.endpoint,
        cell_ids=cell_ids,
        range_start=request.range_start,
        range_end=request.range_end,
        status="running",
        attempts=reply.attempts,
        rows_written=0,
    )
    session.add(log)
    session.flush()  # the log survives a failed batch: it sits outside the savepoint
    try:
        if reply.error is not None:
            raise reply.error
        assert reply.series is not None
        rows = _store_series(session, request, cells, reply.series, now)
    except (ProviderError, ValueError, SQLAlchemyError) as exc:
        message = _describe(exc)
        log.status = "error"
        log.error = message
        summary.cells_failed += len(cells)
        summary.errors.append(f"{request.endpoint} cells {cell_ids}: {message}")
    else:
        log.status = "ok"
        summary.cells_done += len(cells)
        summary.rows_written += rows
        log.rows_written = rows
    log.finished_at = _utcnow()
    session.flush()
    return summary


def fetch_and_store(
    session: Session,
    client: PressureClient,
    cells: Sequence[GridCell],
    request: BatchRequest,
    now: datetime,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> FetchSummary:
    """Fetch and store cells batch by batch in the caller's transaction (hPa); each batch is
    one logged provider call, and a failed one writes no observations."""
    if batch_size < 1:
        raise ValueError("batch_size: must be >= 1")
    provider = getattr(client, "provider", "unknown")
    total = FetchSummary()
    for lo in range(0, len(cells), batch_size):
        batch = list(cells[lo : lo + batch_size])
        total.add(
            store_batch(session, provider, request, batch, fetch_batch(client, request, batch), now)
        )
    return total


def fetch_and_store_recent(
    session: Session,
    client: PressureClient,
    cells: Sequence[GridCell],
    past_days: int,
    now: datetime,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    include_future: bool = False,
) -> FetchSummary:
    """Fetch the last ``past_days`` days (hPa) for cells as source ``forecast`` and store them.

    Hours after ``now`` (forecasts) are dropped unless ``include_future``.
    """
    return fetch_and_store(
        session,
        client,
        cells,
        recent_request(past_days, now, include_future),
        now,
        batch_size=batch_size,
    )


def fetch_and_store_archive(
    session: Session,
    client: PressureClient,
    cells: Sequence[GridCell],
    start_date: date,
    end_date: date,
    now: datetime,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> FetchSummary:
    """Fetch archived hours (hPa) for UTC days start_date..end_date as source ``archive``."""
    return fetch_and_store(
        session, client, cells, archive_request(start_date, end_date), now, batch_size=batch_size
    )
