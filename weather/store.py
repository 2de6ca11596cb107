"""Storage of hourly pressure per grid cell: upsert with source precedence, loading, gaps.

Every function takes the caller's ``Session`` and flushes; none commits (the job or the
request owns the transaction). Instants are aware datetimes in UTC, or int64 unix seconds
where numpy arrays are used; pressures are hPa.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from typing import Any, Protocol

import numpy as np
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    column,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from weather.models import SOURCE_RANK, FetchLog, GridCell, PressureObservation
from weather.open_meteo import OpenMeteoError
from weather.sqltypes import UTCDateTime

#: Rows per INSERT ... ON CONFLICT execution (one executemany on SQLite, one statement on PG).
UPSERT_CHUNK_ROWS = 5_000
#: Variable names accepted by :func:`load_series` -> column (both in hPa).
SERIES_VARIABLES: dict[str, str] = {
    "surface_pressure": "surface_pressure_hpa",
    "surface_pressure_hpa": "surface_pressure_hpa",
    "pressure_msl": "msl_hpa",
    "msl": "msl_hpa",
    "msl_hpa": "msl_hpa",
}
#: Cells per provider request in the fetch functions.
DEFAULT_BATCH_SIZE = 50
#: Archive gaps closer than this many days are fetched in one request (fewer calls).
MERGE_GAPS_WITHIN_DAYS = 14

_HOUR = 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TABLE = PressureObservation.__table__


# -- time helpers ----------------------------------------------------------------------------


def floor_hour(instant: datetime) -> datetime:
    """Return the aware UTC hour at or before ``instant``."""
    _check_aware(instant, "instant")
    utc = instant.astimezone(UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def _check_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless ``value`` is an aware datetime."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value!r} must be a timezone-aware datetime")


def _hour_seconds(value: datetime, name: str) -> int:
    """Return an aware datetime on the UTC hour as unix seconds, else raise ValueError."""
    _check_aware(value, name)
    delta = value.astimezone(UTC) - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    if delta.microseconds or seconds % _HOUR:
        raise ValueError(f"{name}: {value.isoformat()} is not on the hour (UTC)")
    return seconds


def _to_unix_hours(hours_utc: Any) -> np.ndarray:
    """Return hours (unix s int64 array, datetime64 array, or aware datetimes) as int64 s."""
    if isinstance(hours_utc, np.ndarray):
        if np.issubdtype(hours_utc.dtype, np.datetime64):
            seconds = hours_utc.astype("datetime64[s]").astype(np.int64)
        elif np.issubdtype(hours_utc.dtype, np.integer):
            seconds = hours_utc.astype(np.int64, copy=False)
        elif hours_utc.dtype == object:
            seconds = np.array([_hour_seconds(h, "hours_utc") for h in hours_utc], dtype=np.int64)
        else:
            raise ValueError(f"hours_utc: unsupported array dtype {hours_utc.dtype}")
    else:
        seconds = np.array([_hour_seconds(h, "hours_utc") for h in hours_utc], dtype=np.int64)
    if seconds.ndim != 1:
        raise ValueError("hours_utc: expected a one-dimensional sequence")
    if seconds.size and np.any(seconds % _HOUR):
        raise ValueError("hours_utc: every time must be on the UTC hour")
    return seconds


def _seconds_to_datetimes(seconds: np.ndarray) -> list[datetime]:
    """Return unix seconds as aware UTC datetimes."""
    naive = seconds.astype("datetime64[s]").tolist()
    return [d.replace(tzinfo=UTC) for d in naive]


def _nullable(values: np.ndarray) -> list[float | None]:
    """Return float64 values as Python floats with None for NaN."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()


# -- upsert ----------------------------------------------------------------------------------


def _on_conflict(stmt):
    """Add ON CONFLICT (cell, hour) DO UPDATE that never lowers the source rank.

    The row is only updated when the new source ranks at least as high and something
    changes; a null in the new row keeps the stored value of that variable.
    """
    new = stmt.excluded
    table = _TABLE.c
    surface = func.coalesce(new.surface_pressure_hpa, table.surface_pressure_hpa)
    msl = func.coalesce(new.msl_hpa, table.msl_hpa)
    changed = or_(
        surface.is_distinct_from(table.surface_pressure_hpa),
        msl.is_distinct_from(table.msl_hpa),
        new.source.is_distinct_from(table.source),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.cell_id, table.observed_at],
        set_={
            "surface_pressure_hpa": surface,
            "msl_hpa": msl,
            "source": new.source,
            "source_rank": new.source_rank,
            "fetched_at": new.fetched_at,
        },
        where=and_(new.source_rank >= table.source_rank, changed),
    )


def _upsert_sqlite(session: Session, constants: dict[str, Any], hours, surface, msl) -> int:
    """Upsert one chunk on SQLite: a prepared statement run per row (executemany)."""
    stmt = _on_conflict(sqlite.insert(_TABLE).values(**constants))
    rows = [
        {"observed_at": at, "surface_pressure_hpa": sp, "msl_hpa": ms}
        for at, sp, ms in zip(
            _seconds_to_datetimes(hours), _nullable(surface), _nullable(msl), strict=True
        )
    ]
    # sqlite3 sums the changed rows over executemany; skipped conflicts count 0.
    result = session.execute(stmt, rows, execution_options={"preserve_rowcount": True})
    return int(result.rowcount)


def _upsert_postgresql(session: Session, constants: dict[str, Any], hours, surface, msl) -> int:
    """Upsert one chunk on PostgreSQL: one statement over unnest()ed arrays."""
    arrays = (
        func.unnest(
            bindparam("hours", type_=postgresql.ARRAY(BigInteger)),
            bindparam("surface", type_=postgresql.ARRAY(Float)),
            bindparam("msl", type_=postgresql.ARRAY(Float)),
        )
        .table_valued(column("hour", BigInteger), column("surface", Float), column("msl", Float))
        .render_derived(name="chunk")
    )
    rows = select(
        literal(constants["cell_id"], Integer),
        func.to_timestamp(arrays.c.hour),
        arrays.c.surface,
        arrays.c.msl,
        literal(constants["source"], String),
        literal(constants["source_rank"], Integer),
        literal(constants["fetched_at"], UTCDateTime()),
    )
    names = [
        "cell_id",
        "observed_at",
        "surface_pressure_hpa",
        "msl_hpa",
        "source",
        "source_rank",
        "fetched_at",
    ]
    stmt = _on_conflict(postgresql.insert(_TABLE).from_select(names, rows))
    params = {"hours": hours.tolist(), "surface": _nullable(surface), "msl": _nullable(msl)}
    # One statement: its row count is the rows inserted plus the rows updated.
    result = session.execute(stmt, params, execution_options={"preserve_rowcount": True})
    return int(result.rowcount)


_UPSERT_BY_DIALECT = {"sqlite": _upsert_sqlite, "postgresql": _upsert_postgresql}


def upsert_observations(
    session: Session,
    cell_id: int,
    hours_utc: Any,
    surface_pressure_hpa: Any,
    msl_hpa: Any,
    source: str,
    fetched_at: datetime,
) -> int:
    """Store hourly pressures (hPa) for a cell; return the rows inserted or changed.

    ``hours_utc`` is an int64 array of unix seconds, a datetime64 array, or aware datetimes,
    each on a UTC hour and unique. NaN is a missing value. Rules:

    - an hour whose two values are both NaN is not stored and changes nothing;
    - a stored row is only updated by a source of equal or higher rank
      (``SOURCE_RANK``: measured = simulated > archive > forecast);
    - a NaN in one variable keeps the value stored for it (the row's ``source`` names the
      best source that contributed);
    - a row whose values and source are unchanged is not touched, so repeating an upsert
      returns 0.
    """
    if source not in SOURCE_RANK:
        raise ValueError(f"source: {source!r} is not one of {', '.join(SOURCE_RANK)}")
    _check_aware(fetched_at, "fetched_at")
    hours = _to_unix_hours(hours_utc)
    surface = np.asarray(surface_pressure_hpa, dtype=np.float64)
    msl = np.asarray(msl_hpa, dtype=np.float64)
    if surface.shape != hours.shape or msl.shape != hours.shape:
        raise ValueError(
            f"hours_utc, surface_pressure_hpa and msl_hpa differ in length: "
            f"{hours.size}, {surface.size}, {msl.size}"
        )
    if hours.size != np.unique(hours).size:
        raise ValueError("hours_utc: an hour occurs more than once")
    keep = ~(np.isnan(surface) & np.isnan(msl))
    hours, surface, msl = hours[keep], surface[keep], msl[keep]
    if not hours.size:
        return 0
    dialect = session.get_bind().dialect.name
    try:
        upsert_chunk = _UPSERT_BY_DIALECT[dialect]
    except KeyError:
        raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL") from None
    constants = {
        "cell_id": int(cell_id),
        "source": source,
        "source_rank": SOURCE_RANK[source],
        "fetched_at": fetched_at,
    }
    session.flush()
    changed = 0
    for lo in range(0, hours.size, UPSERT_CHUNK_ROWS):
        hi = lo + UPSERT_CHUNK_ROWS
        changed += upsert_chunk(session, constants, hours[lo:hi], surface[lo:hi], msl[lo:hi])
    return changed


# -- loading ---------------------------------------------------------------------------------


def _epoch_seconds(session: Session):
    """Return a SQL expression giving ``observed_at`` as integer unix seconds."""
    column = _TABLE.c.observed_at
    if session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; strftime('%s') reads it as UTC.
        return cast(func.strftime("%s", column), Integer)
    return cast(extract("epoch", column), BigInteger)


def _hour_range(start_utc: datetime, end_utc: datetime) -> tuple[int, int]:
    """Check a half-open range of whole UTC hours and return it as unix seconds."""
    start = _hour_seconds(start_utc, "start_utc")
    end = _hour_seconds(end_utc, "end_utc")
    if end < start:
        raise ValueError(f"end_utc: {end_utc.isoformat()} is before {start_utc.isoformat()}")
    return start, end


def load_series(
    session: Session,
    cell_id: int,
    start_utc: datetime,
    end_utc: datetime,
    variable: str = "surface_pressure",
) -> np.ndarray:
    """Return hourly pressure (hPa, float64) for hours in [start_utc, end_utc), NaN if missing.

    Both bounds must be on the UTC hour (see :func:`floor_hour`); element ``i`` is the hour
    ``start_utc + i hours``. ``variable`` is ``surface_pressure`` or ``pressure_msl``.
    """
    try:
        column = _TABLE.c[SERIES_VARIABLES[variable]]
    except KeyError:
        raise ValueError(
            f"variable: {variable!r} is not one of {', '.join(SERIES_VARIABLES)}"
        ) from None
    start, end = _hour_range(start_utc, end_utc)
    out = np.full((end - start) // _HOUR, np.nan, dtype=np.float64)
    if not out.size:
        return out
    # Selecting epoch seconds (not the datetime column) skips per-row datetime parsing.
    query = select(_epoch_seconds(session), column).where(
        _TABLE.c.cell_id == int(cell_id),
        _TABLE.c.observed_at >= start_utc,
        _TABLE.c.observed_at < end_utc,
        column.is_not(None),
    )
    rows = session.execute(query).all()
    if rows:
        # fromiter over the flattened rows: np.array(rows) probes each Row and is 10x slower.
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=2 * len(rows))
        index = (flat[0::2].astype(np.int64) - start) // _HOUR
        out[index] = flat[1::2]
    return out


@dataclass(frozen=True)
class ObservationRow:
    """One stored hour: pressures in hPa (None if missing) and where they came from."""

    observed_at: datetime
    surface_pressure_hpa: float | None
    msl_hpa: float | None
    source: str
    fetched_at: datetime


def _observation_query(cell_id: int, start_utc: datetime, end_utc: datetime):
    """Select the stored rows of a cell in [start_utc, end_utc), oldest first."""
    _check_aware(start_utc, "start_utc")
    _check_aware(end_utc, "end_utc")
    return (
        select(
            PressureObservation.observed_at,
            PressureObservation.surface_pressure_hpa,
            PressureObservation.msl_hpa,
            PressureObservation.source,
            PressureObservation.fetched_at,
        )
        .where(
            PressureObservation.cell_id == int(cell_id),
            PressureObservation.observed_at >= start_utc,
            PressureObservation.observed_at < end_utc,
        )
        .order_by(PressureObservation.observed_at)
    )


def load_observations(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime
) -> list[ObservationRow]:
    """Return the stored hours (hPa, UTC, with source) of a cell in [start_utc, end_utc)."""
    return [
        ObservationRow(*row)
        for row in session.execute(_observation_query(cell_id, start_utc, end_utc))
    ]


def iter_export_rows(
    session: Session, cell_id: int, start: datetime, end: datetime
) -> Iterator[dict[str, Any]]:
    """Yield export rows (observed_at ISO 8601 UTC, pressures in hPa, source) in [start, end)."""
    query = _observation_query(cell_id, start, end).execution_options(yield_per=2_000)
    for observed_at, surface, msl, source, _fetched in session.execute(query):
        yield {
            "observed_at": observed_at.astimezone(UTC).isoformat(),
            "surface_pressure_hpa": surface,
            "msl_hpa": msl,
            "source": source,
        }


def find_gaps(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime
) -> list[tuple[datetime, datetime]]:
    """Return missing hour ranges [start, end) (UTC) in [start_utc, end_utc).

    An hour is missing when no row exists or its surface pressure is null. Bounds must be
    on the UTC hour.
    """
    series = load_series(session, cell_id, start_utc, end_utc, "surface_pressure")
    return _hour_runs(np.isnan(series), start_utc)


def source_ranges(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime, source: str
) -> list[tuple[datetime, datetime]]:
    """Return hour ranges [start, end) (UTC) in [start_utc, end_utc) stored from ``source``."""
    start, end = _hour_range(start_utc, end_utc)
    hours = session.scalars(
        select(_epoch_seconds(session)).where(
            _TABLE.c.cell_id == int(cell_id),
            _TABLE.c.source == source,
            _TABLE.c.observed_at >= start_utc,
            _TABLE.c.observed_at < end_utc,
        )
    ).all()
    mask = np.zeros((end - start) // _HOUR, dtype=bool)
    mask[(np.asarray(hours, dtype=np.int64) - start) // _HOUR] = True
    return _hour_runs(mask, start_utc)


def _hour_runs(mask: np.ndarray, start_utc: datetime) -> list[tuple[datetime, datetime]]:
    """Turn an hourly mask from ``start_utc`` into its runs of True as [start, end) pairs."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
    base = start_utc.astimezone(UTC)
    return [
        (base + timedelta(hours=int(s)), base + timedelta(hours=int(e)))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
    ]


# -- fetching --------------------------------------------------------------------------------


class PressureSeries(Protocol):
    """What the fetch functions need from a provider's series (see HourlyPressure)."""

    hours_utc: np.ndarray
    surface_pressure_hpa: np.ndarray
    msl_hpa: np.ndarray


class PressureClient(Protocol):
    """A provider client (OpenMeteoClient); ``last_attempts`` counts HTTP requests."""

    provider: str
    last_attempts: int

    def get_recent(
        self, locations: Sequence[tuple[float, float]], past_days: int
    ) -> Sequence[PressureSeries]: ...

    def get_archive(
        self, locations: Sequence[tuple[float, float]], start_date: date, end_date: date
    ) -> Sequence[PressureSeries]: ...


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


def _midnight(day: date) -> datetime:
    """Return the UTC midnight that starts ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


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
    _check_aware(now, "now")
    today = now.astimezone(UTC).date()
    return BatchRequest(
        endpoint="forecast",
        source="forecast",
        range_start=_midnight(today - timedelta(days=past_days)),
        range_end=_midnight(today + timedelta(days=1)),
        call=lambda client, locations: client.get_recent(locations, past_days),
        keep_until=None if include_future else int(floor_hour(now).timestamp()),
    )


def archive_request(start_date: date, end_date: date) -> BatchRequest:
    """The reanalysis archive for UTC days start_date..end_date, stored as ``archive``."""
    return BatchRequest(
        endpoint="archive",
        source="archive",
        range_start=_midnight(start_date),
        range_end=_midnight(end_date + timedelta(days=1)),
        call=lambda client, locations: client.get_archive(locations, start_date, end_date),
    )


def fetch_batch(
    client: PressureClient, request: BatchRequest, cells: Sequence[GridCell]
) -> BatchReply:
    """Ask the provider for ``cells`` (no database access); an error is kept, not raised."""
    started = _utcnow()
    try:
        series = request.call(client, [(c.latitude, c.longitude) for c in cells])
    except (OpenMeteoError, ValueError) as exc:
        attempts = getattr(exc, "attempts", None) or getattr(client, "last_attempts", 1) or 1
        return BatchReply(None, exc, int(attempts), started)
    return BatchReply(series, None, int(getattr(client, "last_attempts", 1) or 1), started)


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
    _check_aware(now, "now")
    summary = FetchSummary()
    cell_ids = ",".join(str(c.id) for c in cells)
    log = FetchLog(
        started_at=reply.started_at, provider=provider, endpoint=request.endpoint,
        cell_ids=cell_ids, range_start=request.range_start, range_end=request.range_end,
        status="running", attempts=reply.attempts, rows_written=0,
    )
    session.add(log)
    session.flush()  # the log survives a failed batch: it sits outside the savepoint
    rows = 0
    try:
        if reply.error is not None:
            raise reply.error
        assert reply.series is not None
        if len(reply.series) != len(cells):
            raise ValueError(
                f"provider returned {len(reply.series)} series for {len(cells)} cells"
            )
        with session.begin_nested():
            for cell, one in zip(cells, reply.series, strict=True):
                hours = np.asarray(one.hours_utc, dtype=np.int64)
                surface = np.asarray(one.surface_pressure_hpa, dtype=np.float64)
                msl = np.asarray(one.msl_hpa, dtype=np.float64)
                if request.keep_until is not None:
                    mask = hours <= request.keep_until
                    hours, surface, msl = hours[mask], surface[mask], msl[mask]
                rows += upsert_observations(
                    session, cell.id, hours, surface, msl, request.source, now
                )
    except (OpenMeteoError, ValueError, SQLAlchemyError) as exc:
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
        total.add(store_batch(session, provider, request, batch,
                              fetch_batch(client, request, batch), now))
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
    return fetch_and_store(session, client, cells, recent_request(past_days, now, include_future),
                           now, batch_size=batch_size)


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
    return fetch_and_store(session, client, cells, archive_request(start_date, end_date), now,
                           batch_size=batch_size)


# -- planning --------------------------------------------------------------------------------


def _gap_days(gaps: Sequence[tuple[datetime, datetime]], last_day: date) -> list[list[date]]:
    """Return the UTC days touched by the gaps (up to ``last_day``) as merged [start, end]."""
    ranges: list[list[date]] = []
    for start, end in sorted(gaps):
        _check_aware(start, "gap start")
        _check_aware(end, "gap end")
        if end <= start:
            continue
        first = start.astimezone(UTC).date()
        last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
        last = min(last, last_day)
        if last < first:
            continue
        if ranges and first <= ranges[-1][1] + timedelta(days=1):
            ranges[-1][1] = max(ranges[-1][1], last)
        else:
            ranges.append([first, last])
    return ranges


def backfill_plan(
    gaps: Sequence[tuple[datetime, datetime]],
    today: date,
    archive_lag_days: int = 5,
    max_chunk_days: int = 365,
) -> list[tuple[str, date, date]]:
    """Plan requests that cover the gaps: (endpoint, first UTC day, last UTC day) chunks.

    Days up to ``today - archive_lag_days`` come from ``archive`` in chunks of at most
    ``max_chunk_days`` (gaps less than two weeks apart share a chunk, which costs fewer
    calls); later days, which the archive lacks, come from one ``forecast`` chunk ending
    ``today``: request it with ``past_days = (today - start).days``.
    """
    if max_chunk_days < 1:
        raise ValueError("max_chunk_days: must be >= 1")
    if archive_lag_days < 0:
        raise ValueError("archive_lag_days: must be >= 0")
    last_archive_day = today - timedelta(days=archive_lag_days)
    archive: list[list[date]] = []
    forecast_start: date | None = None
    for first, last in _gap_days(gaps, today):
        if last > last_archive_day:
            recent_first = max(first, last_archive_day + timedelta(days=1))
            if forecast_start is None or recent_first < forecast_start:
                forecast_start = recent_first
        if first <= last_archive_day:
            last = min(last, last_archive_day)
            merge = timedelta(days=MERGE_GAPS_WITHIN_DAYS)
            if archive and first <= archive[-1][1] + merge:
                archive[-1][1] = last
            else:
                archive.append([first, last])
    plan: list[tuple[str, date, date]] = []
    for first, last in archive:
        chunk_start = first
        while chunk_start <= last:
            chunk_end = min(last, chunk_start + timedelta(days=max_chunk_days - 1))
            plan.append(("archive", chunk_start, chunk_end))
            chunk_start = chunk_end + timedelta(days=1)
    if forecast_start is not None:
        plan.append(("forecast", forecast_start, today))
    return plan


def past_days_for(start: date, today: date) -> int:
    """Return the forecast API's ``past_days`` (days) that reaches back to ``start``."""
    return max(0, (today - start).days)
