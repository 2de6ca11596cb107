"""Gap-driven backfill: find what each cell lacks, plan the fewest calls, fetch and store.

:func:`backfill_plan` turns gaps into (endpoint, first UTC day, last UTC day) chunks without
touching the database; :func:`backfill_groups` plans every cell and :func:`backfill` runs it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from weather.fetching import (
    BatchRequest,
    FetchSummary,
    PressureClient,
    archive_request,
    fetch_and_store,
    recent_request,
)
from weather.hours import check_aware, floor_hour
from weather.models import GridCell
from weather.observations import find_gaps, source_ranges
from weather.open_meteo import ARCHIVE_FIRST_DAY

#: Archive gaps closer than this many days are fetched in one request (fewer calls).
MERGE_GAPS_WITHIN_DAYS = 14


def _gap_days(gaps: Sequence[tuple[datetime, datetime]], last_day: date) -> list[list[date]]:
    """Return the UTC days touched by the gaps (up to ``last_day``) as merged [start, end]."""
    ranges: list[list[date]] = []
    for start, end in sorted(gaps):
        check_aware(start, "gap start")
        check_aware(end, "gap end")
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
        (
            archive_request(first, last)
            if endpoint == "archive"
            else recent_request(past_days_for(first, today), now),
            members,
        )
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
    groups = backfill_groups(
        session, cells_since, now, archive_lag_days=archive_lag_days, max_chunk_days=max_chunk_days
    )
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
        total.errors.append(
            f"skipped {skipped} later chunk request(s) of cells whose earlier "
            "chunk failed; the next run asks for them again"
        )
    total.cells_failed = len(failed)
    total.cells_done = len({c.id for c, _ in cells_since} - failed)
    return total
