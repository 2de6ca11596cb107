"""Gap-driven backfill: find what each cell lacks, plan the fewest calls, fetch and store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from weather.models import GridCell, PressureObservation
from weather.store import (
    FetchSummary,
    PressureClient,
    backfill_plan,
    fetch_and_store_archive,
    fetch_and_store_recent,
    find_gaps,
    floor_hour,
    past_days_for,
)

HOUR_S = 3600


def forecast_ranges(
    session: Session, cell_id: int, start_utc: datetime, end_utc: datetime
) -> list[tuple[datetime, datetime]]:
    """Return hour ranges [start, end) (UTC) whose stored values came only from the forecast."""
    hours = session.scalars(
        select(PressureObservation.observed_at)
        .where(
            PressureObservation.cell_id == cell_id,
            PressureObservation.source == "forecast",
            PressureObservation.observed_at >= start_utc,
            PressureObservation.observed_at < end_utc,
        )
        .order_by(PressureObservation.observed_at)
    ).all()
    if not hours:
        return []
    seconds = np.array([int(h.timestamp()) for h in hours], dtype=np.int64)
    breaks = np.flatnonzero(np.diff(seconds) != HOUR_S)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(seconds) - 1]))
    return [
        (datetime.fromtimestamp(int(seconds[a]), UTC),
         datetime.fromtimestamp(int(seconds[b]) + HOUR_S, UTC))
        for a, b in zip(starts, ends, strict=True)
    ]


def cell_needs(
    session: Session, cell: GridCell, since: date, now: datetime, archive_lag_days: int
) -> list[tuple[datetime, datetime]]:
    """Return what a cell needs from ``since`` (UTC day) to now: gaps, and forecast-only hours
    old enough for the reanalysis archive to replace them."""
    start = datetime.combine(since, time(0), tzinfo=UTC)
    end = floor_hour(now)
    if end <= start:
        return []
    needs = find_gaps(session, cell.id, start, end)
    archive_end = datetime.combine(
        now.astimezone(UTC).date() - timedelta(days=archive_lag_days), time(0), tzinfo=UTC
    )
    if archive_end > start:
        needs += forecast_ranges(session, cell.id, start, min(archive_end, end))
    return sorted(needs)


def backfill_groups(
    session: Session,
    cells: Sequence[GridCell],
    since: date,
    now: datetime,
    *,
    archive_lag_days: int = 5,
    max_chunk_days: int = 365,
) -> list[tuple[tuple[str, date, date], list[GridCell]]]:
    """Plan a backfill: each (endpoint, first UTC day, last UTC day) chunk with the cells that
    need it, oldest chunk first (cells sharing a chunk share batched calls)."""
    today = now.astimezone(UTC).date()
    groups: dict[tuple[str, date, date], list[GridCell]] = defaultdict(list)
    for cell in cells:
        needs = cell_needs(session, cell, since, now, archive_lag_days)
        for chunk in backfill_plan(needs, today, archive_lag_days, max_chunk_days):
            groups[chunk].append(cell)
    return sorted(groups.items(), key=lambda kv: kv[0][1])


def backfill(
    session: Session,
    client: PressureClient,
    cells: Sequence[GridCell],
    since: date,
    now: datetime,
    *,
    archive_lag_days: int = 5,
    batch_size: int = 50,
    max_chunk_days: int = 365,
) -> FetchSummary:
    """Fill every cell's missing hours since ``since``: archive chunks, then the last days
    from the forecast API; cells needing the same chunk share one batched call (hPa)."""
    today = now.astimezone(UTC).date()
    groups = backfill_groups(session, cells, since, now, archive_lag_days=archive_lag_days,
                             max_chunk_days=max_chunk_days)
    total = FetchSummary()
    failed: set[int] = set()
    for (endpoint, first, last), members in groups:
        if endpoint == "archive":
            result = fetch_and_store_archive(
                session, client, members, first, last, now, batch_size=batch_size
            )
        else:
            result = fetch_and_store_recent(
                session, client, members, past_days_for(first, today), now,
                batch_size=batch_size,
            )
        total.rows_written += result.rows_written
        total.errors.extend(result.errors)
        if result.cells_failed:
            failed.update(c.id for c in members)  # batch granularity: conservative
    total.cells_failed = len(failed)
    total.cells_done = len({c.id for c in cells} - failed)
    return total
