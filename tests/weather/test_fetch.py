"""Fetching into the database: batches, savepoints, the fetch log (HTTP mocked with responses)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import responses
from sqlalchemy import func, select

from weather.fetching import fetch_and_store_archive, fetch_and_store_recent
from weather.grid import get_or_create_cell
from weather.models import FetchLog, GridCell, PressureObservation
from weather.observations import load_series

NOW = datetime(2024, 1, 1, 2, 30, tzinfo=UTC)  # om.t0 is 2024-01-01T00:00Z
SERVER_ERROR = {"error": True, "reason": "Something went wrong."}


@pytest.fixture
def cells(session):
    made = [
        get_or_create_cell(session, 52.52, 13.41),
        get_or_create_cell(session, 48.85, 2.35),
        get_or_create_cell(session, 40.42, -3.70),
    ]
    session.commit()
    return made


def _count(session, cell_id=None):
    query = select(func.count()).select_from(PressureObservation)
    if cell_id is not None:
        query = query.where(PressureObservation.cell_id == cell_id)
    return session.scalar(query)


def _logs(session):
    return session.scalars(select(FetchLog).order_by(FetchLog.id)).all()


@responses.activate
def test_recent_batches_and_a_failed_batch_writes_nothing(session, cells, make_client, om):
    first = [om.location(c.latitude, c.longitude, hours=5) for c in cells[:2]]
    responses.get(om.forecast, json=first)
    responses.get(om.forecast, status=500, json=SERVER_ERROR)
    client = make_client(max_retries=1)

    summary = fetch_and_store_recent(session, client, cells, past_days=2, now=NOW, batch_size=2)
    session.commit()

    assert (summary.cells_done, summary.cells_failed) == (2, 1)
    # Hours after ``now`` (03:00, 04:00) are forecasts and are not stored.
    assert summary.rows_written == 6
    assert _count(session, cells[0].id) == 3 and _count(session, cells[2].id) == 0
    assert len(summary.errors) == 1 and "Something went wrong." in summary.errors[0]
    ok, failed = _logs(session)
    assert (ok.status, ok.endpoint, ok.provider, ok.rows_written, ok.attempts) == (
        "ok",
        "forecast",
        "open-meteo",
        6,
        1,
    )
    assert ok.cell_ids == f"{cells[0].id},{cells[1].id}"
    assert ok.range_start == datetime(2023, 12, 30, tzinfo=UTC)
    assert ok.range_end == datetime(2024, 1, 2, tzinfo=UTC)
    assert ok.finished_at >= ok.started_at
    assert (failed.status, failed.attempts, failed.rows_written) == ("error", 2, 0)
    assert "HTTP 500" in failed.error and "Something went wrong." in failed.error
    stored = session.scalars(select(PressureObservation).limit(1)).one()
    assert stored.source == "forecast" and stored.fetched_at == NOW


@responses.activate
def test_include_future_keeps_forecast_hours(session, cells, make_client, om):
    responses.get(om.forecast, json=om.location(cells[0].latitude, cells[0].longitude, hours=5))
    summary = fetch_and_store_recent(
        session, make_client(), cells[:1], past_days=1, now=NOW, include_future=True
    )
    assert summary.rows_written == 5


@responses.activate
def test_a_database_fault_rolls_back_only_its_batch(session, cells, make_client, om):
    ghost = GridCell(id=987_654, lat_e4=1, lon_e4=1, grid_degrees=0.1, created_at=NOW)  # not stored
    batch = [cells[0], ghost]
    responses.get(om.archive, json=[om.location(c.latitude, c.longitude) for c in batch])
    responses.get(om.archive, json=om.location(cells[1].latitude, cells[1].longitude))
    client = make_client()

    summary = fetch_and_store_archive(
        session, client, [*batch, cells[1]], date(2024, 1, 1), date(2024, 1, 1), NOW, batch_size=2
    )
    session.commit()

    assert (summary.cells_done, summary.cells_failed, summary.rows_written) == (1, 2, 3)
    assert _count(session, cells[0].id) == 0  # written inside the savepoint, then rolled back
    assert _count(session, cells[1].id) == 3
    failed, ok = _logs(session)
    assert failed.status == "error" and "IntegrityError" in failed.error
    assert ok.status == "ok" and ok.endpoint == "archive" and ok.rows_written == 3
    assert ok.range_start == datetime(2024, 1, 1, tzinfo=UTC)
    assert ok.range_end == datetime(2024, 1, 2, tzinfo=UTC)


@responses.activate
def test_archive_then_recent_keeps_the_archive(session, cells, make_client, om):
    cell = cells[0]
    responses.get(om.archive, json=om.location(cell.latitude, cell.longitude, surface=[990.0] * 3))
    responses.get(om.forecast, json=om.location(cell.latitude, cell.longitude, surface=[999.0] * 3))
    client = make_client()
    fetch_and_store_archive(session, client, [cell], date(2024, 1, 1), date(2024, 1, 1), NOW)
    summary = fetch_and_store_recent(session, client, [cell], past_days=1, now=NOW)
    assert summary.rows_written == 0
    series = load_series(
        session,
        cell.id,
        datetime(2024, 1, 1, tzinfo=UTC),
        NOW.replace(minute=0) + timedelta(hours=1),
    )
    np.testing.assert_array_equal(series, [990.0, 990.0, 990.0])


@responses.activate
def test_a_400_is_logged_with_its_reason(session, cells, make_client, om):
    reason = "Parameter 'start_date' is out of allowed range"
    responses.get(om.archive, status=400, json={"error": True, "reason": reason})
    summary = fetch_and_store_archive(
        session, make_client(), cells, date(1900, 1, 1), date(1900, 1, 2), NOW
    )
    assert summary.cells_failed == 3 and summary.cells_done == 0
    [log] = _logs(session)
    assert log.status == "error" and reason in log.error and log.attempts == 1
    assert len(responses.calls) == 1


def test_no_cells_no_calls(session, make_client):
    summary = fetch_and_store_recent(session, make_client(), [], past_days=1, now=NOW)
    assert summary.cells_done == summary.cells_failed == summary.rows_written == 0
    assert summary.errors == []
