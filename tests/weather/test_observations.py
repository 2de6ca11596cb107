"""Hourly pressure storage on SQLite and PostgreSQL (shared ``session`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func, select

import weather.observations as observations
from weather.grid import get_or_create_cell
from weather.models import PressureObservation
from weather.observations import (
    find_gaps,
    iter_export_rows,
    load_observations,
    load_series,
    upsert_observations,
)

T0 = datetime(2024, 3, 30, 0, tzinfo=UTC)
FETCHED = datetime(2024, 4, 10, 12, 0, tzinfo=UTC)
NAN = np.nan


def _hours(n: int, start: datetime = T0) -> np.ndarray:
    return int(start.timestamp()) + 3600 * np.arange(n, dtype=np.int64)


@pytest.fixture
def cell(session):
    return get_or_create_cell(session, 52.52, 13.405, 0.1)


def _rows(session, cell_id):
    return {
        row.observed_at: (row.surface_pressure_hpa, row.msl_hpa, row.source)
        for row in load_observations(
            session, cell_id, T0 - timedelta(days=1), T0 + timedelta(days=30)
        )
    }


def test_first_insert_then_idempotent(session, cell):
    hours = _hours(48)
    sp = 1000 + np.arange(48.0)
    msl = sp + 13
    assert upsert_observations(session, cell.id, hours, sp, msl, "forecast", FETCHED) == 48
    assert upsert_observations(session, cell.id, hours, sp, msl, "forecast", FETCHED) == 0
    later = FETCHED + timedelta(hours=1)
    assert upsert_observations(session, cell.id, hours, sp, msl, "forecast", later) == 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(PressureObservation)) == 48


def test_source_precedence(session, cell):
    hours = _hours(3)
    base = np.array([1000.0, 1001.0, 1002.0])
    assert upsert_observations(session, cell.id, hours, base, base + 13, "archive", FETCHED) == 3
    # A forecast never replaces an archive value.
    assert upsert_observations(session, cell.id, hours, base + 5, base, "forecast", FETCHED) == 0
    # A measured value replaces it; the archive cannot come back.
    measured = np.array([999.0, NAN, 1003.0])
    assert (
        upsert_observations(session, cell.id, hours, measured, measured + 20, "measured", FETCHED)
        == 2
    )
    assert upsert_observations(session, cell.id, hours, base, base + 13, "archive", FETCHED) == 0
    # Equal rank with new values does update.
    assert (
        upsert_observations(session, cell.id, hours[:1], [998.0], [NAN], "simulated", FETCHED) == 1
    )
    rows = _rows(session, cell.id)
    assert [rows[h] for h in sorted(rows)] == [
        (998.0, 1019.0, "simulated"),  # msl kept: a NaN never erases a stored value
        (1001.0, 1014.0, "archive"),
        (1003.0, 1023.0, "measured"),
    ]


def test_archive_replaces_forecast_even_with_equal_values(session, cell):
    hours = _hours(2)
    values = np.array([1000.0, 1001.0])
    upsert_observations(session, cell.id, hours, values, values, "forecast", FETCHED)
    assert upsert_observations(session, cell.id, hours, values, values, "archive", FETCHED) == 2
    assert {r[2] for r in _rows(session, cell.id).values()} == {"archive"}
    # ... and from then on, a forecast cannot replace it.
    assert (
        upsert_observations(session, cell.id, hours, values + 1, values, "forecast", FETCHED) == 0
    )


def test_all_nan_hours_are_not_stored_and_never_overwrite(session, cell):
    hours = _hours(4)
    sp = np.array([1000.0, NAN, 1002.0, NAN])
    msl = np.array([1013.0, NAN, NAN, 1016.0])
    assert upsert_observations(session, cell.id, hours, sp, msl, "forecast", FETCHED) == 3
    assert len(_rows(session, cell.id)) == 3
    gaps = np.full(4, NAN)
    assert upsert_observations(session, cell.id, hours, gaps, gaps, "measured", FETCHED) == 0
    assert upsert_observations(session, cell.id, hours, gaps, gaps, "forecast", FETCHED) == 0
    rows = _rows(session, cell.id)
    assert rows[T0] == (1000.0, 1013.0, "forecast")
    assert rows[T0 + timedelta(hours=2)] == (1002.0, None, "forecast")


def test_partial_values_fill_without_erasing(session, cell):
    hours = _hours(1)
    upsert_observations(session, cell.id, hours, [1000.0], [NAN], "forecast", FETCHED)
    assert upsert_observations(session, cell.id, hours, [NAN], [1013.0], "forecast", FETCHED) == 1
    assert _rows(session, cell.id)[T0] == (1000.0, 1013.0, "forecast")


def test_accepts_aware_datetimes_and_datetime64(session, cell):
    cet = timezone(timedelta(hours=1))
    hours = [datetime(2024, 3, 30, 1, tzinfo=cet), datetime(2024, 3, 30, 2, tzinfo=cet)]
    assert (
        upsert_observations(
            session, cell.id, hours, [1.0e3, 1.001e3], [NAN, NAN], "measured", FETCHED
        )
        == 2
    )
    as64 = np.array(["2024-03-30T00:00", "2024-03-30T01:00"], dtype="datetime64[s]")
    assert (
        upsert_observations(
            session, cell.id, as64, [1.0e3, 1.001e3], [NAN, NAN], "measured", FETCHED
        )
        == 0
    )
    assert sorted(_rows(session, cell.id)) == [T0, T0 + timedelta(hours=1)]


def test_upsert_checks_its_arguments(session, cell):
    hours = _hours(2)
    with pytest.raises(ValueError, match="source"):
        upsert_observations(session, cell.id, hours, [1.0, 2.0], [1.0, 2.0], "guess", FETCHED)
    with pytest.raises(ValueError, match="differ in length"):
        upsert_observations(session, cell.id, hours, [1.0], [1.0, 2.0], "forecast", FETCHED)
    with pytest.raises(ValueError, match="more than once"):
        upsert_observations(
            session, cell.id, hours[[0, 0]], [1.0, 2.0], [1.0, 2.0], "forecast", FETCHED
        )
    with pytest.raises(ValueError, match="on the UTC hour"):
        upsert_observations(
            session, cell.id, hours + 60, [1.0, 2.0], [1.0, 2.0], "forecast", FETCHED
        )
    with pytest.raises(ValueError, match="fetched_at"):
        upsert_observations(
            session, cell.id, hours, [1.0, 2.0], [1.0, 2.0], "forecast", datetime(2024, 1, 1)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        upsert_observations(
            session, cell.id, [datetime(2024, 1, 1)], [1.0], [1.0], "forecast", FETCHED
        )


def test_upsert_runs_in_chunks(session, cell, monkeypatch):
    monkeypatch.setattr(observations, "UPSERT_CHUNK_ROWS", 7)
    hours = _hours(30)
    sp = 1000 + np.arange(30.0)
    assert upsert_observations(session, cell.id, hours, sp, sp, "archive", FETCHED) == 30
    sp[[0, 13, 29]] += 1
    assert upsert_observations(session, cell.id, hours, sp, sp, "archive", FETCHED) == 3


def test_upsert_flushes_but_does_not_commit(session_factory):
    with session_factory() as s:
        cell = get_or_create_cell(s, 1.0, 1.0)
        s.commit()
        upsert_observations(s, cell.id, _hours(2), [1.0e3, 1.0e3], [NAN, NAN], "forecast", FETCHED)
        s.rollback()
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PressureObservation)) == 0


def test_load_series_places_values_and_leaves_nan(session, cell):
    other = get_or_create_cell(session, 48.85, 2.35)
    hours = _hours(6)
    sp = np.array([1000.0, NAN, 1002.0, 1003.0, NAN, 1005.0])
    msl = np.array([1013.0, 1014.0, NAN, 1016.0, NAN, 1018.0])
    upsert_observations(session, cell.id, hours, sp, msl, "archive", FETCHED)
    upsert_observations(session, other.id, hours, sp + 50, msl, "archive", FETCHED)
    session.commit()

    start = T0 - timedelta(hours=1)
    series = load_series(session, cell.id, start, T0 + timedelta(hours=7))
    np.testing.assert_array_equal(series, [NAN, 1000.0, NAN, 1002.0, 1003.0, NAN, 1005.0, NAN])
    assert series.dtype == np.float64
    msl_series = load_series(session, cell.id, T0, T0 + timedelta(hours=6), "pressure_msl")
    np.testing.assert_array_equal(msl_series, msl)
    # Half-open: the end hour is excluded.
    np.testing.assert_array_equal(
        load_series(session, cell.id, T0, T0 + timedelta(hours=1)), [1000.0]
    )
    assert load_series(session, cell.id, T0, T0).shape == (0,)
    # An aware non-UTC bound is the same instant.
    cest = timezone(timedelta(hours=2))
    same = load_series(
        session, cell.id, T0.astimezone(cest), (T0 + timedelta(hours=6)).astimezone(cest)
    )
    np.testing.assert_array_equal(same, sp)


def test_load_series_matches_the_orm_over_a_long_range(session, cell):
    n = 24 * 60
    rng = np.random.default_rng(3)
    sp = 1000 + rng.normal(0, 8, n)
    sp[rng.random(n) < 0.1] = NAN
    upsert_observations(session, cell.id, _hours(n), sp, sp + 10, "archive", FETCHED)
    session.commit()
    series = load_series(session, cell.id, T0, T0 + timedelta(hours=n))
    np.testing.assert_array_equal(series, sp)
    orm = {
        r.observed_at: r.surface_pressure_hpa
        for r in load_observations(session, cell.id, T0, T0 + timedelta(hours=n))
    }
    assert len(orm) == int((~np.isnan(sp)).sum())


def test_load_series_rejects_bad_bounds_and_variables(session, cell):
    with pytest.raises(ValueError, match="on the hour"):
        load_series(session, cell.id, T0 + timedelta(minutes=30), T0 + timedelta(hours=2))
    with pytest.raises(ValueError, match="before"):
        load_series(session, cell.id, T0 + timedelta(hours=2), T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        load_series(session, cell.id, datetime(2024, 1, 1), T0)
    with pytest.raises(ValueError, match="variable"):
        load_series(session, cell.id, T0, T0 + timedelta(hours=1), "temperature")


def test_find_gaps_counts_null_surface_pressure_as_missing(session, cell):
    hours = _hours(8)
    sp = np.array([1000.0, 1001.0, NAN, NAN, 1004.0, NAN, 1006.0, 1007.0])
    msl = np.full(8, 1013.0)  # hours 2, 3 and 5 are stored, with surface pressure null
    upsert_observations(session, cell.id, hours, sp, msl, "archive", FETCHED)
    h = lambda k: T0 + timedelta(hours=k)  # noqa: E731
    assert find_gaps(session, cell.id, h(-2), h(10)) == [
        (h(-2), h(0)),
        (h(2), h(4)),
        (h(5), h(6)),
        (h(8), h(10)),
    ]
    assert find_gaps(session, cell.id, h(0), h(2)) == []
    assert find_gaps(session, cell.id, h(3), h(4)) == [(h(3), h(4))]
    assert all(start.tzinfo is not None for start, _ in find_gaps(session, cell.id, h(0), h(8)))


def test_export_rows(session, cell):
    upsert_observations(
        session, cell.id, _hours(2), [1000.5, NAN], [1013.25, 1014.0], "archive", FETCHED
    )
    rows = list(iter_export_rows(session, cell.id, T0, T0 + timedelta(days=1)))
    assert rows == [
        {
            "observed_at": "2024-03-30T00:00:00+00:00",
            "surface_pressure_hpa": 1000.5,
            "msl_hpa": 1013.25,
            "source": "archive",
        },
        {
            "observed_at": "2024-03-30T01:00:00+00:00",
            "surface_pressure_hpa": None,
            "msl_hpa": 1014.0,
            "source": "archive",
        },
    ]
    [first, _] = load_observations(session, cell.id, T0, T0 + timedelta(days=1))
    assert first.fetched_at == FETCHED and first.source == "archive"


def test_rows_written_by_the_orm_conflict_with_the_upsert(session, cell):
    session.add(
        PressureObservation(
            cell_id=cell.id,
            observed_at=T0,
            surface_pressure_hpa=990.0,
            msl_hpa=1001.0,
            source="archive",
            source_rank=2,
            fetched_at=FETCHED,
        )
    )
    session.flush()
    assert (
        upsert_observations(session, cell.id, _hours(1), [999.0], [999.0], "forecast", FETCHED) == 0
    )
    assert upsert_observations(session, cell.id, _hours(1), [991.0], [NAN], "archive", FETCHED) == 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(PressureObservation)) == 1
    assert _rows(session, cell.id)[T0] == (991.0, 1001.0, "archive")


def test_the_cell_remembers_when_open_meteo_data_was_first_stored(session, cell):
    """grid_cells.open_meteo_at: set by the first archive or forecast row stored, never by a
    measured or simulated one, nor by Open-Meteo hours a better source kept out."""
    hours = _hours(3)
    base = np.array([1000.0, 1001.0, 1002.0])
    upsert_observations(session, cell.id, hours, base, base + 13, "measured", FETCHED)
    session.refresh(cell)
    assert cell.open_meteo_at is None
    assert upsert_observations(session, cell.id, hours, base, base + 13, "forecast",
                               FETCHED + timedelta(hours=1)) == 0  # measured stays
    session.refresh(cell)
    assert cell.open_meteo_at is None
    later = FETCHED + timedelta(hours=2)
    upsert_observations(session, cell.id, _hours(2, T0 + timedelta(days=1)), base[:2],
                        base[:2] + 13, "archive", later)
    session.refresh(cell)
    assert cell.open_meteo_at == later
    upsert_observations(session, cell.id, _hours(2, T0 + timedelta(days=2)), base[:2],
                        base[:2] + 13, "forecast", later + timedelta(hours=1))
    session.refresh(cell)
    assert cell.open_meteo_at == later  # the first arrival is kept
