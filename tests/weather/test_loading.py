"""Loading hourly pressure into numpy: both read paths, and driver errors (SQLite and
PostgreSQL through the shared ``session`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

import weather.loading as loading
from weather.grid import get_or_create_cell
from weather.loading import load_series
from weather.observations import upsert_observations

T0 = datetime(2024, 3, 30, 0, tzinfo=UTC)
FETCHED = datetime(2024, 4, 10, 12, 0, tzinfo=UTC)
NAN = np.nan
HOURS_2 = timedelta(hours=2)


def _hours(n: int, start: datetime = T0) -> np.ndarray:
    return int(start.timestamp()) + 3600 * np.arange(n, dtype=np.int64)


@pytest.fixture
def cell(session):
    return get_or_create_cell(session, 52.52, 13.405, 0.1)


def _statements(session, on_postgresql: int) -> int:
    """Statements of the unbroken-run path: SQLite needs one more (bounds, then values)."""
    return on_postgresql + (session.get_bind().dialect.name == "sqlite")


@pytest.fixture
def reads(monkeypatch):
    """Count the statements load_series sends to the driver."""
    sent: list[str] = []
    real = loading.driver_rows

    def counting(session, query):
        sent.append(str(query))
        return real(session, query)

    monkeypatch.setattr(loading, "driver_rows", counting)
    return sent


def test_an_unbroken_run_reads_only_the_values(session, cell, reads):
    sp = 1000 + np.arange(48.0)
    sp[5] = NAN  # stored (its msl is known): an unbroken run with a null surface value
    upsert_observations(session, cell.id, _hours(48), sp, np.full(48, 1013.0), "archive", FETCHED)
    series = load_series(session, cell.id, T0 - timedelta(hours=2), T0 + timedelta(hours=50))
    np.testing.assert_array_equal(series, [NAN, NAN, *sp, NAN, NAN])
    # PostgreSQL: bounds and values in one statement; SQLite: the bounds, then the values
    assert len(reads) == _statements(session, 1)


def test_hours_missing_inside_read_hour_value_pairs(session, cell, reads):
    sp = 1000 + np.arange(48.0)
    keep = np.ones(48, dtype=bool)
    keep[[3, 17, 18]] = False
    upsert_observations(session, cell.id, _hours(48)[keep], sp[keep], sp[keep], "archive",
                        FETCHED)
    series = load_series(session, cell.id, T0, T0 + timedelta(hours=48))
    np.testing.assert_array_equal(series, np.where(keep, sp, NAN))
    assert len(reads) == _statements(session, 1) + 1  # then (hour, value) pairs


def test_an_empty_range_reads_no_values(session, cell, reads):
    upsert_observations(session, cell.id, _hours(3), [1.0e3] * 3, [NAN] * 3, "archive", FETCHED)
    later = T0 + timedelta(days=1)
    np.testing.assert_array_equal(load_series(session, cell.id, later, later + HOURS_2), [NAN] * 2)
    assert len(reads) == 1


def test_values_written_in_the_same_transaction_are_read(session, cell):
    # the loader runs on the session's own connection, so it sees the uncommitted rows
    sp = 1000 + np.arange(6.0)
    upsert_observations(session, cell.id, _hours(6), sp, sp, "measured", FETCHED)
    np.testing.assert_array_equal(load_series(session, cell.id, T0, T0 + HOURS_2 * 3), sp)
    session.rollback()
    np.testing.assert_array_equal(load_series(session, cell.id, T0, T0 + HOURS_2), [NAN] * 2)


def test_driver_errors_are_sqlalchemy_errors(session):
    with pytest.raises(IntegrityError):
        upsert_observations(session, 987_654, _hours(2), [1000.0, 1001.0], [NAN, NAN],
                            "archive", FETCHED)
