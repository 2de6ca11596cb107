"""Grid cells: the cell key of a point and race-safe creation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import weather.grid as grid
from weather.grid import cell_key, get_or_create_cell
from weather.models import GridCell


@pytest.mark.parametrize(
    ("lat", "lon", "grid_degrees", "expected"),
    [
        (52.52, 13.405, 0.1, (525500, 134500)),
        (52.5, 13.4, 0.1, (525500, 134500)),  # a lower edge belongs to its cell
        (52.6, 13.5, 0.1, (526500, 135500)),
        (52.599999, 13.4999, 0.1, (525500, 134500)),  # resolved to 1e-6 degree
        (-33.87, -151.21, 0.1, (-338500, -1512500)),
        (-0.05, -0.0001, 0.1, (-500, -500)),
        (0.0, 0.0, 0.1, (500, 500)),
        (52.52, 13.405, 0.25, (526250, 133750)),
        (52.52, 13.405, 1.0, (525000, 135000)),
        (90.0, 0.0, 0.1, (899500, 500)),  # the pole closes the top row
        (-90.0, 0.0, 0.1, (-899500, 500)),
        (10.0, 180.0, 0.1, (100500, -1799500)),  # 180 wraps to -180
        (10.0, -180.0, 0.1, (100500, -1799500)),
        (10.0, 179.99, 0.1, (100500, 1799500)),
    ],
)
def test_cell_key(lat, lon, grid_degrees, expected):
    assert cell_key(lat, lon, grid_degrees) == expected


def test_cell_key_centres_stay_on_the_globe():
    # 0.35 divides neither 90 nor 180: edge cells are clamped / wrapped into range.
    lat_e4, lon_e4 = cell_key(-90.0, 179.99, 0.35)
    assert -900000 <= lat_e4 <= 900000
    assert -1800000 <= lon_e4 < 1800000


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (90.01, 0, "lat"),
        (-91, 0, "lat"),
        (0, 180.5, "lon"),
        (0, -181, "lon"),
        (float("nan"), 0, "lat"),
        ("x", 0, "lat"),
        (0, None, "lon"),
    ],
)
def test_cell_key_rejects_bad_coordinates_naming_the_field(lat, lon, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        cell_key(lat, lon)


@pytest.mark.parametrize("size", [0, -0.1, 0.00015, 91, float("nan")])
def test_cell_key_rejects_bad_grid(size):
    with pytest.raises(ValueError, match="grid_degrees"):
        cell_key(0, 0, size)


def test_get_or_create_cell_reuses_the_cell(session):
    a = get_or_create_cell(session, 52.52, 13.405, 0.1)
    b = get_or_create_cell(session, 52.55, 13.44, 0.1)
    c = get_or_create_cell(session, 52.62, 13.405, 0.1)
    session.commit()
    assert a.id == b.id != c.id
    assert (a.latitude, a.longitude) == (52.55, 13.45)
    assert a.grid_degrees == 0.1 and a.created_at.tzinfo is not None
    assert session.scalar(select(func.count()).select_from(GridCell)) == 2


def test_get_or_create_cell_survives_a_concurrent_insert(session_factory, monkeypatch):
    with session_factory() as other:
        winner = get_or_create_cell(other, 40.0, -3.7)
        other.commit()
    real_find = grid._find_cell
    calls = []

    def find_missing_once(session, lat_e4, lon_e4):
        calls.append(1)
        return None if len(calls) == 1 else real_find(session, lat_e4, lon_e4)

    monkeypatch.setattr(grid, "_find_cell", find_missing_once)
    with session_factory() as s:
        keep = get_or_create_cell(s, 10.0, 10.0)  # written before the race: must survive
        got = get_or_create_cell(s, 40.0, -3.7)
        assert got.id == winner.id
        s.commit()
        assert s.get(GridCell, keep.id) is not None
        assert s.scalar(select(func.count()).select_from(GridCell)) == 2
