"""What an operator needs to know: is every cell in use being pulled, where are the gaps, and
how did each scheduled job last end.

The job-run log (``job_runs``) belongs to the ``jobs`` package, which imports ``tracker``;
``tracker`` may not import ``jobs`` back (DESIGN.md layering), so the table is read here
through a lightweight ``sqlalchemy.table()`` description of the columns it needs.
Read-only: nothing is created, flushed or committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, column, func, select, table
from sqlalchemy.orm import Session

from tracker.models import LocationPeriod
from weather.grid import cell_key
from weather.hours import floor_hour
from weather.models import COORD_SCALE, FetchLog, GridCell
from weather.observations import find_gaps
from weather.sqltypes import UTCDateTime

#: How far back the gap check looks.
GAP_WINDOW = timedelta(days=7)
#: How far back the fetch log is searched for a cell's last successful pull.
PULL_LOOKBACK = timedelta(days=30)

#: The columns of jobs.models.JobRun that the status reads (see the module docstring).
JOB_RUNS = table(
    "job_runs",
    column("id", Integer),
    column("job", String),
    column("started_at", UTCDateTime()),
    column("finished_at", UTCDateTime()),
    column("status", String),
    column("cells_done", Integer),
    column("cells_failed", Integer),
    column("rows_written", Integer),
    column("error", Text),
)


def _iso(value: datetime | None) -> str | None:
    """Return an instant as ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def _cells_in_use(session: Session, grid_degrees: float) -> list[dict[str, Any]]:
    """Return the cells of all location periods (existing or not yet created), by centre."""
    points = session.execute(
        select(LocationPeriod.latitude, LocationPeriod.longitude).distinct()
    ).all()
    keys = sorted({cell_key(lat, lon, grid_degrees) for lat, lon in points})
    stored = {
        (c.lat_e4, c.lon_e4): c.id
        for c in session.execute(select(GridCell.id, GridCell.lat_e4, GridCell.lon_e4)).all()
    }
    cells = [
        {
            "cell_id": stored.get(key),
            "latitude": key[0] / COORD_SCALE,
            "longitude": key[1] / COORD_SCALE,
        }
        for key in keys
    ]
    return sorted(cells, key=lambda c: (c["cell_id"] is None, c["cell_id"] or 0))


def _last_pulls(
    session: Session, cell_ids: set[int], since: datetime
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Return per cell the latest successful forecast fetch and any later failed fetch."""
    ok: dict[int, Any] = {}
    failed: dict[int, Any] = {}
    rows = session.execute(
        select(FetchLog.cell_ids, FetchLog.status, FetchLog.finished_at, FetchLog.error,
               FetchLog.endpoint)
        .where(FetchLog.started_at >= since, FetchLog.status.in_(("ok", "error")))
        .order_by(FetchLog.started_at.desc(), FetchLog.id.desc())
    )
    for row in rows:
        ids = {int(x) for x in row.cell_ids.split(",") if x.strip().isdigit()} & cell_ids
        for cell_id in ids:
            if cell_id in ok:
                continue
            if row.status == "ok" and row.endpoint == "forecast":
                ok[cell_id] = row
            elif row.status == "error" and cell_id not in failed:
                failed[cell_id] = row
        if len(ok) == len(cell_ids):
            break
    return ok, failed


def last_job_runs(session: Session) -> dict[str, dict[str, Any]]:
    """Return the latest run of each job in the run log, and when it last succeeded."""
    latest = select(func.max(JOB_RUNS.c.id)).group_by(JOB_RUNS.c.job).scalar_subquery()
    last_ok = dict(
        session.execute(
            select(JOB_RUNS.c.job, func.max(JOB_RUNS.c.finished_at))
            .where(JOB_RUNS.c.status == "ok")
            .group_by(JOB_RUNS.c.job)
        ).all()
    )
    out: dict[str, dict[str, Any]] = {}
    for row in session.execute(
        select(JOB_RUNS).where(JOB_RUNS.c.id.in_(latest)).order_by(JOB_RUNS.c.job)
    ).mappings():
        duration = (
            (row["finished_at"] - row["started_at"]).total_seconds()
            if row["finished_at"] is not None else None
        )
        out[row["job"]] = {
            "run_id": row["id"],
            "status": row["status"],
            "started_at": _iso(row["started_at"]),
            "finished_at": _iso(row["finished_at"]),
            "duration_seconds": duration,
            "cells_done": row["cells_done"],
            "cells_failed": row["cells_failed"],
            "rows_written": row["rows_written"],
            "error": row["error"],
            "last_ok_at": _iso(last_ok.get(row["job"])),
        }
    return out


def operator_status(session: Session, grid_degrees: float, now: datetime) -> dict[str, Any]:
    """Return the operator's view: last successful pull per cell in use, cells with gaps in
    the last 7 days (UTC hours), and the last run of each job (JSON-safe)."""
    end = floor_hour(now)
    start = end - GAP_WINDOW
    cells = _cells_in_use(session, grid_degrees)
    ids = {c["cell_id"] for c in cells if c["cell_id"] is not None}
    ok, failed = _last_pulls(session, ids, now - PULL_LOOKBACK)
    window_hours = int(GAP_WINDOW.total_seconds() // 3600)
    with_gaps: list[dict[str, Any]] = []
    for cell in cells:
        cell_id = cell["cell_id"]
        gaps = find_gaps(session, cell_id, start, end) if cell_id is not None else [(start, end)]
        missing = sum(int((b - a).total_seconds() // 3600) for a, b in gaps)
        pull = ok.get(cell_id) if cell_id is not None else None
        error = failed.get(cell_id) if cell_id is not None else None
        cell.update(
            last_pull_at=_iso(pull.finished_at) if pull is not None else None,
            last_error_at=_iso(error.finished_at) if error is not None else None,
            last_error=error.error if error is not None else None,
            missing_hours_7d=missing,
            gap_ranges_7d=[[_iso(a), _iso(b)] for a, b in gaps[:10]],
        )
        if missing:
            with_gaps.append(
                {k: cell[k] for k in ("cell_id", "latitude", "longitude", "missing_hours_7d")}
            )
    return {
        "generated_at": now.isoformat(),
        "gap_window": {"start": start.isoformat(), "end": end.isoformat(),
                       "hours": window_hours},
        "cells_in_use": len(cells),
        "cells": cells,
        "cells_with_gaps": with_gaps,
        "jobs": last_job_runs(session),
    }
