"""Gap-driven backfill: find what each cell lacks, plan the fewest calls, fetch and store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from weather.models import GridCell
from weather.open_meteo import ARCHIVE_FIRST_DAY
from weather.store import (
    BatchRequest,
    FetchSummary,
    PressureClient,
    archive_request,
    backfill_plan,
    fetch_and_store,
    find_gaps,
    floor_hour,
    past_days_for,
    recent_request,
    source_ranges,
)

HOUR_S = 3600


def cell_needs(
    session: Session, cell: GridCell, since: date, now: datetime, archive_lag_days: int
) -> list[tuple[datetime, datetime]]:
    """Return what a cell needs from ``since`` (UTC day, never before the archive's first
    day) to now: gaps, and forecast-only hours old enough for the archive to replace."""
    start = datetime.combine(max(since, ARCHIVE_FIRST_DAY), time(0), tzinfo=UTC)
    end = floor_hour(now)
    if end <= start:
        return []
    needs = find_gaps(session, cell.id, start, end)
    archive_end = datetime.combine(
        now.astimezone(UTC).date() - timedelta(days=archive_lag_days), time(0), tzinfo=UTC
    )
    if archive_end > start:
        needs += source_ranges(session, cell.id, start, min(archive_end, end), "forecast")
    return sorted(needs)


def backfill_groups(
    session: Session,
    cells_since: Sequence[tuple[GridCell, date]],
    now: datetime,
    *,
    archive_lag_days: int = 5,
    max_chunk_days: int = 365,
) -> list[tuple[BatchRequest, list[GridCell]]]:
    """Plan a backfill of each cell from its own first day: the request of each chunk
    (archive in chunks, the last days from the forecast API) with the cells that need it,
    oldest first; cells needing the same chunk share batched calls."""
    today = now.astimezone(UTC).date()
    groups: dict[tuple[str, date, date], list[GridCell]] = defaultdict(list)
    for cell, since in cells_since:
        needs = cell_needs(session, cell, since, now, archive_lag_days)
        for chunk in backfill_plan(needs, today, archive_lag_days, max_chunk_days):
            groups[chunk].append(cell)
    return [
        (archive_request(first, last) if endpoint == "archive"
         else recent_request(past_days_for(first, today), now), members)
        for (endpoint, first, last), members in sorted(groups.items(), key=lambda kv: kv[0][1])
    ]


def backfill(
    session: Session,
    client: PressureClient,
    cells_since: Sequence[tuple[GridCell, date]],
    now: datetime,
    *,
    archive_lag_days: int = 5,
    batch_size: int = 50,
    max_chunk_days: int = 365,
) -> FetchSummary:
    """Fill every cell's missing hours from its first day in the caller's transaction (hPa);
    the cells of a failed chunk are skipped for the rest of the run (the next run retries)."""
    groups = backfill_groups(session, cells_since, now, archive_lag_days=archive_lag_days,
                             max_chunk_days=max_chunk_days)
    total = FetchSummary()
    failed: set[int] = set()
    skipped = 0
    for request, members in groups:
        todo = [c for c in members if c.id not in failed]
        skipped += len(members) - len(todo)
        if not todo:
            continue
        result = fetch_and_store(session, client, todo, request, now, batch_size=batch_size)
        total.rows_written += result.rows_written
        total.errors.extend(result.errors)
        if result.cells_failed:
            failed.update(c.id for c in todo)  # batch granularity: conservative
    if skipped:
        total.errors.append(f"skipped {skipped} later chunk request(s) of cells whose earlier "
                            "chunk failed; the next run asks for them again")
    total.cells_failed = len(failed)
    total.cells_done = len({c.id for c, _ in cells_since} - failed)
    return total
