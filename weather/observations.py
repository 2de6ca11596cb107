"""Stored hourly pressure per grid cell: upsert with source precedence, rows, gaps.

Loading a series into numpy lives in :mod:`weather.loading` (``load_series`` is re-exported).

Every function takes the caller's ``Session`` and flushes; none commits (the job or the
request owns the transaction). Instants are aware datetimes in UTC, or int64 unix seconds
where numpy arrays are used; pressures are hPa.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    column,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from weather.hours import (
    HOUR,
    check_aware,
    hour_range,
    hour_runs,
    seconds_to_datetimes,
    to_unix_hours,
)
from weather.loading import SERIES_VARIABLES, driver_cursor, epoch_seconds, load_series
from weather.models import OPEN_METEO_SOURCES, SOURCE_RANK, GridCell, PressureObservation
from weather.sqltypes import UTCDateTime

#: Rows per INSERT ... ON CONFLICT execution (one executemany on SQLite, one statement on PG).
UPSERT_CHUNK_ROWS = 5_000

__all__ = ["SERIES_VARIABLES", "load_series"]  # re-exported from weather.loading

_TABLE = PressureObservation.__table__


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


def _driver_execute(session: Session, compiled, params, *, many: bool = False) -> int:
    """Run a compiled Core statement on the session's DBAPI cursor (its transaction); return
    the driver's row count. SQLAlchemy's per-row parameter handling would double the time of
    storing ten years, so the rows are prepared here in the driver's own types."""
    sql = compiled.string
    with driver_cursor(session, sql) as cursor:
        if many:  # positional (qmark) rows
            cursor.executemany(sql, params)
        else:  # psycopg: the arrays as binary parameters (%(name)b): psycopg's text form
            # checked every float against a quoting pattern, 0.4 s of storing ten years
            for name in params:
                sql = sql.replace(f"%({name})s", f"%({name})b")
            cursor.execute(sql, {**compiled.params, **params}, binary=True)
        return int(cursor.rowcount)


def _sqlite_instants(session: Session, hours: np.ndarray) -> list[str]:
    """Unix hours as SQLite stores an instant ('YYYY-MM-DD HH:MM:SS.ffffff', UTC)."""
    text = np.datetime_as_string(hours.astype("datetime64[s]"), unit="us").tolist()
    out = [t.replace("T", " ") for t in text]
    stored = _stored_instant(session)
    if out and stored(seconds_to_datetimes(hours[:1])[0]) != out[0]:  # the column's format
        out = [stored(at) for at in seconds_to_datetimes(hours)]
    return out


def _stored_instant(session: Session):
    """The function turning an aware datetime into what the dialect stores (SQLite: text)."""
    dialect = session.get_bind().dialect
    return _TABLE.c.observed_at.type.dialect_impl(dialect).bind_processor(dialect)


def _upsert_sqlite(session: Session, constants: dict[str, Any], hours, surface, msl) -> int:
    """Upsert one chunk on SQLite: a prepared statement run per row (executemany)."""
    names = [c.name for c in _TABLE.c]
    stmt = _on_conflict(sqlite.insert(_TABLE).values(
        {name: bindparam(name, type_=String() if name.endswith("_at") else None)
         for name in names}))
    columns = {
        "observed_at": _sqlite_instants(session, hours),
        "surface_pressure_hpa": _nullable(surface),
        "msl_hpa": _nullable(msl),
        **{k: repeat(v) for k, v in constants.items()},
        "fetched_at": repeat(_stored_instant(session)(constants["fetched_at"])),
    }
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    rows = zip(*(columns[n] for n in compiled.positiontup or names), strict=False)
    # sqlite3 sums the changed rows over executemany; skipped conflicts count 0.
    return _driver_execute(session, compiled, rows, many=True)


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
    nan = literal(float("nan"), Float)  # NaN travels as a float and becomes NULL here
    rows = select(
        literal(constants["cell_id"], Integer),
        func.to_timestamp(arrays.c.hour),
        func.nullif(arrays.c.surface, nan),
        func.nullif(arrays.c.msl, nan),
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
    params = {"hours": hours.tolist(), "surface": surface.tolist(), "msl": msl.tolist()}
    # One statement: its row count is the rows inserted plus the rows updated.
    return _driver_execute(session, stmt.compile(dialect=session.get_bind().dialect), params)


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
    check_aware(fetched_at, "fetched_at")
    hours = to_unix_hours(hours_utc)
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
    if changed and source in OPEN_METEO_SOURCES:  # the credit's rule, kept per cell
        session.execute(update(GridCell).where(GridCell.id == int(cell_id),
                                               GridCell.open_meteo_at.is_(None))
                        .values(open_meteo_at=fetched_at))
    return changed


# -- loading ---------------------------------------------------------------------------------


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
    check_aware(start_utc, "start_utc")
    check_aware(end_utc, "end_utc")
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


# -- gaps ------------------------------------------------------------------------------------


def find_gaps(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime
) -> list[tuple[datetime, datetime]]:
    """Return missing hour ranges [start, end) (UTC) in [start_utc, end_utc).

    An hour is missing when no row exists or its surface pressure is null. Bounds must be
    on the UTC hour.
    """
    series = load_series(session, cell_id, start_utc, end_utc, "surface_pressure")
    return hour_runs(np.isnan(series), start_utc)


def source_ranges(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime, source: str
) -> list[tuple[datetime, datetime]]:
    """Return hour ranges [start, end) (UTC) in [start_utc, end_utc) stored from ``source``."""
    start, end = hour_range(start_utc, end_utc)
    hours = session.scalars(
        select(epoch_seconds(session)).where(
            _TABLE.c.cell_id == int(cell_id),
            _TABLE.c.source == source,
            _TABLE.c.observed_at >= start_utc,
            _TABLE.c.observed_at < end_utc,
        )
    ).all()
    mask = np.zeros((end - start) // HOUR, dtype=bool)
    mask[(np.asarray(hours, dtype=np.int64) - start) // HOUR] = True
    return hour_runs(mask, start_utc)
