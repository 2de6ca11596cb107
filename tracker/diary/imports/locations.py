"""Places in an imported file: geohash decoding and the location periods they propose.

A geohash (Niemeyer 2008) interleaves longitude and latitude bisections, five bits per
base-32 character, starting with longitude. We decode it to the centre of its box and round
that to the weather grid (:func:`weather.grid.cell_key`), so a proposal never stores a finer
place than the pressure download needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from tracker.diary.imports.plan import ProposedLocation
from tracker.errors import ValidationError
from weather.grid import DEFAULT_GRID_DEGREES, cell_key
from weather.models import COORD_SCALE

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_VALUE = {c: i for i, c in enumerate(_BASE32)}
#: More characters than this are below a millimetre; longer text is not a geohash of a place.
MAX_GEOHASH = 22


def decode_geohash(text: str, field: str = "Geohash") -> tuple[float, float]:
    """Return the (latitude, longitude) centre of a geohash's box, or raise ValidationError."""
    code = text.strip().lower()
    if not code or len(code) > MAX_GEOHASH or any(c not in _VALUE for c in code):
        raise ValidationError(f"{text.strip()!r} is not a geohash", field)
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True  # the first bit halves the longitude
    for char in code:
        bits = _VALUE[char]
        for shift in range(4, -1, -1):
            bit = (bits >> shift) & 1
            if even:
                mid = (lon_lo + lon_hi) / 2
                lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2


@lru_cache(maxsize=4096)
def place_of(geohash: str, grid_degrees: float = DEFAULT_GRID_DEGREES) -> tuple[float, float]:
    """Return the grid centre of a geohash's box (cached: an export repeats its places)."""
    return grid_centre(*decode_geohash(geohash), grid_degrees)


def grid_centre(lat: float, lon: float, grid_degrees: float = DEFAULT_GRID_DEGREES
                ) -> tuple[float, float]:
    """Return the centre, in degrees, of the weather grid cell holding (lat, lon)."""
    lat_e4, lon_e4 = cell_key(lat, lon, grid_degrees)
    return lat_e4 / COORD_SCALE, lon_e4 / COORD_SCALE


@dataclass(frozen=True, slots=True)
class Sighting:
    """An attack's place: its line, start instant and the grid centre it was in."""

    line: int
    started_at: datetime
    latitude: float
    longitude: float


def propose_locations(
    sightings: Iterable[Sighting], timezone: str,
    zone_at: Callable[[float, float], str | None] | None = None,
) -> list[ProposedLocation]:
    """Turn attacks' places into location periods: a new period where the cell changes.

    Attacks are taken in time order; a run of attacks in one cell is one period starting on
    the local day (in ``timezone``) of its first attack. When the place changes twice on one
    day, the later place wins that day (one period a day). ``zone_at`` (e.g. timezonefinder)
    names each period's timezone; without it, or at sea, ``timezone`` is used.
    """
    zone = ZoneInfo(timezone)
    runs: list[list] = []  # [starts_on, lat, lon, line, attacks]
    for s in sorted(sightings, key=lambda s: s.started_at):
        day = s.started_at.astimezone(zone).date()
        if runs and (runs[-1][1], runs[-1][2]) == (s.latitude, s.longitude):
            runs[-1][4] += 1
            continue
        if runs and runs[-1][0] == day:
            runs.pop()
            if runs and (runs[-1][1], runs[-1][2]) == (s.latitude, s.longitude):
                runs[-1][4] += 1
                continue
        runs.append([day, s.latitude, s.longitude, s.line, 1])
    return [
        ProposedLocation(day, lat, lon, (zone_at(lat, lon) if zone_at else None) or timezone,
                         line, count)
        for day, lat, lon, line, count in runs
    ]
