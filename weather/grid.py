"""The download grid: a point is served by the centre of the grid cell that contains it.

Cells are ``grid_degrees`` wide squares aligned on 0 degrees: cell ``i`` spans
``[i * g, (i + 1) * g)`` in latitude and longitude, and its centre is ``(i + 0.5) * g``.
Centres are stored as integers in 1e-4 degree (``GridCell.lat_e4``/``lon_e4``), so the same
cell is found again without floating-point noise; points are resolved to 1e-6 degree first.
Patients in the same cell share one download.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from weather.models import COORD_SCALE, GridCell

#: Default cell size in degrees (about 11 km north-south).
DEFAULT_GRID_DEGREES = 0.1

#: Coordinates are snapped to micro-degrees before the cell is computed (float noise).
_MICRO = 1_000_000
_E4_TO_MICRO = _MICRO // COORD_SCALE


def _grid_e4(grid_degrees: float) -> int:
    """Return the cell size in 1e-4 degree units, or raise ValueError naming the field."""
    try:
        size = float(grid_degrees)
    except (TypeError, ValueError):
        raise ValueError(f"grid_degrees: {grid_degrees!r} is not a number") from None
    if not 0 < size <= 90:  # also rejects NaN
        raise ValueError(f"grid_degrees: {grid_degrees!r} is outside (0, 90]")
    size_e4 = round(size * COORD_SCALE)
    if size_e4 < 2 or size_e4 % 2 or abs(size * COORD_SCALE - size_e4) > 1e-6:
        raise ValueError(f"grid_degrees: {grid_degrees!r} must be a multiple of 0.0002")
    return size_e4


def _micro(value: float, field: str, limit: float) -> int:
    """Return ``value`` in micro-degrees after checking it is a number within +-limit."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: {value!r} is not a number") from None
    if not -limit <= number <= limit:  # also rejects NaN
        raise ValueError(f"{field}: {value!r} is outside -{limit:g}..{limit:g} degrees")
    return round(number * _MICRO)


def cell_key(lat: float, lon: float, grid_degrees: float = DEFAULT_GRID_DEGREES) -> tuple[int, int]:
    """Return the (lat_e4, lon_e4) centre, in 1e-4 degree, of the cell holding (lat, lon) deg."""
    size_e4 = _grid_e4(grid_degrees)
    size_micro = size_e4 * _E4_TO_MICRO
    lat_micro = _micro(lat, "lat", 90)
    lon_micro = _micro(lon, "lon", 180)
    if lon_micro == 180 * _MICRO:  # the antimeridian belongs to the western-most cells
        lon_micro = -180 * _MICRO

    lat_index = lat_micro // size_micro
    if lat_micro == 90 * _MICRO and lat_index * size_micro == lat_micro:
        lat_index -= 1  # the north pole closes the top row instead of opening a new one
    lat_e4 = lat_index * size_e4 + size_e4 // 2
    # Rows that straddle a pole (grid_degrees not dividing 90) keep their centre on the globe.
    lat_e4 = max(-90 * COORD_SCALE, min(90 * COORD_SCALE, lat_e4))

    lon_e4 = (lon_micro // size_micro) * size_e4 + size_e4 // 2
    # A column that straddles the antimeridian (grid_degrees not dividing 360) wraps around.
    if lon_e4 >= 180 * COORD_SCALE:
        lon_e4 -= 360 * COORD_SCALE
    elif lon_e4 < -180 * COORD_SCALE:
        lon_e4 += 360 * COORD_SCALE
    return int(lat_e4), int(lon_e4)


def _find_cell(session: Session, lat_e4: int, lon_e4: int) -> GridCell | None:
    """Return the stored cell with this centre (1e-4 degree), if any."""
    return session.scalars(
        select(GridCell).where(GridCell.lat_e4 == lat_e4, GridCell.lon_e4 == lon_e4)
    ).one_or_none()


def find_cell_id(
    session: Session, lat: float, lon: float, grid_degrees: float = DEFAULT_GRID_DEGREES
) -> int | None:
    """Return the id of the stored cell holding (lat, lon) in degrees, or None (no insert)."""
    cell = _find_cell(session, *cell_key(lat, lon, grid_degrees))
    return cell.id if cell is not None else None


def get_or_create_cell(
    session: Session, lat: float, lon: float, grid_degrees: float = DEFAULT_GRID_DEGREES
) -> GridCell:
    """Return the cell holding (lat, lon) in degrees, creating it (flushed, not committed).

    A cell is identified by its centre: if a cell with the same centre was created with
    another grid size it is reused (it downloads the same point). A concurrent insert of
    the same cell is caught by the unique constraint inside a SAVEPOINT, and the winner's
    row is returned.
    """
    lat_e4, lon_e4 = cell_key(lat, lon, grid_degrees)
    cell = _find_cell(session, lat_e4, lon_e4)
    if cell is not None:
        return cell
    cell = GridCell(
        lat_e4=lat_e4,
        lon_e4=lon_e4,
        grid_degrees=float(grid_degrees),
        created_at=datetime.now(UTC),
    )
    try:
        with session.begin_nested():
            session.add(cell)
    except IntegrityError:
        existing = _find_cell(session, lat_e4, lon_e4)
        if existing is None:  # the constraint that failed was not ours
            raise
        return existing
    return cell
