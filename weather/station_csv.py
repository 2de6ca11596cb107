"""Pressure readings from a home barometer or weather station, as CSV.

Two layouts (header row required, column names case-insensitive, extra columns ignored):

- ``observed_at, pressure, unit``: one reading per line; ``unit`` is hPa (also ``mbar``/
  ``mb``), inHg, mmHg or kPa. The column may be left out (or a cell left empty) when a unit
  is given to the parser. The value is the pressure the instrument measured where it stands,
  so it is stored as surface pressure.
- ``observed_at, surface_pressure_hpa, msl_hpa``: values in hPa; either may be empty.

Conversion to hPa: 1 inHg = 33.8639 hPa, 1 mmHg = 1.333224 hPa, 1 kPa = 10 hPa.

Timestamps are ISO 8601; a time without an offset is local time in ``default_timezone``
(an ambiguous time at the end of summer time is read as the first occurrence; a time that
does not exist because the clocks went forward is an error). Dates must lie within
:data:`EARLIEST_DAY`..:data:`LATEST_DAY` (the diary's bounds, ``tracker.diary.validation``), so a
typo such as year 1 or 9999 is reported instead of stored.

Placement on the hourly grid: for each UTC hour, the reading nearest to the hour within 30
minutes either side (inclusive) gives its value; when two are equally near, the earlier
reading wins (and among readings at the same instant, the first line). Each variable is placed
on its own. There is no interpolation: an hour without a reading within 30 minutes stays a
gap.

Every bad line is reported (line number, field, value) in one :class:`StationCSVError`
before anything is returned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from weather.bounds import EARLIEST_DAY, LATEST_DAY
from weather.hours import nearest_on_hours

#: Accepted units (lower-case) -> hPa per unit.
UNIT_TO_HPA: dict[str, float] = {
    "hpa": 1.0,
    "mbar": 1.0,
    "mb": 1.0,
    "inhg": 33.8639,
    "mmhg": 1.333224,
    "kpa": 10.0,
}
#: Plausible surface (station) pressure in hPa: Everest's summit (~330) to the lowest
#: inhabited depressions on a very high-pressure day.
SURFACE_RANGE_HPA = (300.0, 1100.0)
#: Plausible sea-level pressure in hPa: below the lowest on record (870) to above the
#: highest (1084.8).
MSL_RANGE_HPA = (850.0, 1100.0)
#: A reading stands for an hour when it is at most this far from it (seconds).
PLACEMENT_WINDOW_SECONDS = 30 * 60
#: Errors listed in the exception message (all are kept in ``errors``).
MAX_ERRORS_IN_MESSAGE = 50

_UNIT_NAMES = "hPa, inHg, mmHg, kPa"
_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")


class StationCSVError(ValueError):
    """The CSV has bad lines; ``errors`` lists every one as 'line N: field: problem'."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        shown = self.errors[:MAX_ERRORS_IN_MESSAGE]
        more = len(self.errors) - len(shown)
        text = "\n".join(shown) + (f"\n... and {more} more" if more > 0 else "")
        super().__init__(f"{len(self.errors)} problem(s) in the pressure CSV:\n{text}")


@dataclass(frozen=True, eq=False)
class StationSeries:
    """Readings placed on UTC hours: hours as int64 unix seconds, pressures float64 hPa.

    Only hours that received a reading for at least one variable are listed (NaN marks the
    other variable's gap). ``readings`` is the number of data lines read.
    """

    hours_utc: np.ndarray
    surface_pressure_hpa: np.ndarray
    msl_hpa: np.ndarray
    readings: int

    def __len__(self) -> int:
        """Return the number of hours with a value."""
        return int(self.hours_utc.shape[0])

    @property
    def datetimes_utc(self) -> list[datetime]:
        """Return the hours as aware UTC datetimes."""
        return [d.replace(tzinfo=UTC) for d in self.hours_utc.astype("datetime64[s]").tolist()]


def _zone(name: str) -> ZoneInfo:
    """Return the IANA zone, or raise ValueError naming the argument."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"default_timezone: {name!r} is not an IANA timezone") from None


def _parse_time(raw: str, zone: ZoneInfo) -> tuple[int | None, str | None]:
    """Return (unix seconds, None) for an ISO 8601 instant, or (None, problem)."""
    text = raw.strip()
    if not text:
        return None, "is empty"
    if _DATE_ONLY.match(text):
        return None, f"{text!r} has no time of day"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, f"{text!r} is not an ISO 8601 date and time"
    if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        return None, f"{text!r} is outside {EARLIEST_DAY.isoformat()}..{LATEST_DAY.isoformat()}"
    if value.tzinfo is None:
        local = value.replace(tzinfo=zone)
        # A wall time skipped by a clock change does not survive the round trip.
        back = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != value:
            return None, f"{text!r} does not exist in {zone.key} (clocks went forward)"
        value = local
    return int(value.timestamp()), None


def _parse_number(raw: str | None, decimal_comma: bool) -> tuple[float | None, str | None]:
    """Return (value, None), (None, None) for an empty cell, or (None, problem)."""
    text = (raw or "").strip()
    if not text:
        return None, None
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None, f"{raw.strip()!r} is not a number"
    if not np.isfinite(value):
        return None, f"{raw.strip()!r} is not a finite number"
    return value, None


def _check_range(value: float, bounds: tuple[float, float]) -> str | None:
    """Return a problem if a hPa value is outside the plausible bounds."""
    low, high = bounds
    if low <= value <= high:
        return None
    return f"{value:g} hPa is outside the plausible range {low:g}..{high:g} hPa (wrong unit?)"


def _header_map(header: list[str]) -> dict[str, int]:
    """Map normalised column names to their index (first occurrence wins)."""
    out: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").strip().lower()
        if key and key not in out:
            out[key] = i
    return out


@dataclass(frozen=True)
class _Layout:
    """What the header says about the data lines, with the parse options they need."""

    columns: dict[str, int]
    width: int
    single: bool
    decimal_comma: bool
    zone: ZoneInfo
    default_factor: float | None
    unit: str | None
    allow_empty: bool

    def cell(self, row: list[str], name: str) -> str | None:
        """Return the text of column ``name`` in ``row``, or None if the row lacks it."""
        index = self.columns.get(name)
        return row[index] if index is not None and index < len(row) else None


def _unit_factor(unit: str | None) -> float | None:
    """Return hPa per ``unit`` (None when no unit is given), or raise ValueError."""
    if unit is None:
        return None
    factor = UNIT_TO_HPA.get(unit.strip().lower())
    if factor is None:
        raise ValueError(f"unit: {unit!r} is not one of {_UNIT_NAMES}")
    return factor


def _open_reader(text: str) -> tuple[Any, bool]:
    """Return a CSV reader with the file's delimiter, and whether decimals use a comma.

    A first line with ';' and no ',' means ';'-separated values with decimal commas.
    """
    lines = text.lstrip("\ufeff").splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    return reader, delimiter == ";"


def _read_header(reader: Any) -> list[str]:
    """Return the first non-blank row, or raise StationCSVError for an empty file."""
    for row in reader:
        if any(cell.strip() for cell in row):
            return row
    raise StationCSVError(["line 1: header: the file is empty"])


def _header_problem(
    columns: dict[str, int], default_factor: float | None, unit: str | None
) -> str | None:
    """Return what is wrong with the header's columns for the given unit, or None."""
    if "observed_at" not in columns:
        return "no 'observed_at' column"
    single = "pressure" in columns
    if not single and "surface_pressure_hpa" not in columns and "msl_hpa" not in columns:
        return (
            "expected 'observed_at, pressure, unit' or 'observed_at, surface_pressure_hpa, msl_hpa'"
        )
    if single and "unit" not in columns and default_factor is None:
        return "no 'unit' column and no unit was given"
    if not single and default_factor not in (None, 1.0):
        return f"surface_pressure_hpa/msl_hpa are hPa; unit {unit!r}"
    return None


def _line_factor(unit_text: str, line: int, layout: _Layout, errors: list[str]) -> float | None:
    """Return hPa per the line's unit (else the given unit); add a problem to ``errors``."""
    if unit_text:
        factor = UNIT_TO_HPA.get(unit_text.lower())
        if factor is None:
            errors.append(f"line {line}: unit: {unit_text!r} is not one of {_UNIT_NAMES}")
        return factor
    if layout.default_factor is None:
        errors.append(f"line {line}: unit: is empty and no unit was given")
    return layout.default_factor


def _single_value(row: list[str], line: int, layout: _Layout, errors: list[str]) -> float | None:
    """Return a 'pressure, unit' line's surface pressure in hPa; add problems to ``errors``."""
    value, problem = _parse_number(layout.cell(row, "pressure"), layout.decimal_comma)
    if problem:
        errors.append(f"line {line}: pressure: {problem}")
    elif value is None:
        errors.append(f"line {line}: pressure: is empty")
    unit_text = (layout.cell(row, "unit") or "").strip()
    factor = _line_factor(unit_text, line, layout, errors)
    if value is None or factor is None:
        return None
    hpa = value * factor
    problem = _check_range(hpa, SURFACE_RANGE_HPA)
    if problem:
        given = f"{value:g} {unit_text or layout.unit} = " if factor != 1.0 else ""
        errors.append(f"line {line}: pressure: {given}{problem}")
    return hpa


def _pair_values(
    row: list[str], line: int, layout: _Layout, errors: list[str]
) -> tuple[float | None, float | None]:
    """Return an hPa line's (surface, msl) pressures; add problems to ``errors``."""
    values: dict[str, float | None] = {}
    for name, bounds in (
        ("surface_pressure_hpa", SURFACE_RANGE_HPA),
        ("msl_hpa", MSL_RANGE_HPA),
    ):
        value, problem = _parse_number(layout.cell(row, name), layout.decimal_comma)
        if problem is None and value is not None:
            problem = _check_range(value, bounds)
        if problem:
            errors.append(f"line {line}: {name}: {problem}")
        values[name] = None if problem else value
    surface, msl = values["surface_pressure_hpa"], values["msl_hpa"]
    if not errors and surface is None and msl is None and not layout.allow_empty:
        errors.append(f"line {line}: surface_pressure_hpa, msl_hpa: both are empty")
    return surface, msl


def _parse_line(
    row: list[str], line: int, layout: _Layout
) -> tuple[int | None, float | None, float | None, list[str]]:
    """Return a data line's (unix seconds, surface hPa, msl hPa, problems)."""
    errors: list[str] = []
    seconds, problem = _parse_time(layout.cell(row, "observed_at") or "", layout.zone)
    if problem:
        errors.append(f"line {line}: observed_at: {problem}")
    if layout.single:
        return seconds, _single_value(row, line, layout, errors), None, errors
    surface, msl = _pair_values(row, line, layout, errors)
    return seconds, surface, msl, errors


def _read_lines(reader: Any, layout: _Layout) -> tuple[list[int], list[float], list[float]]:
    """Return the data lines' times and pressures (NaN if empty); raise on any bad line."""
    errors: list[str] = []
    times: list[int] = []
    surface: list[float] = []
    msl: list[float] = []
    for row in reader:
        line = reader.line_num
        if not any(cell_text.strip() for cell_text in row):
            continue
        if len(row) < layout.width or any(extra.strip() for extra in row[layout.width :]):
            errors.append(f"line {line}: expected {layout.width} fields, got {len(row)}")
            continue
        seconds, sp_value, msl_value, line_errors = _parse_line(row, line, layout)
        if line_errors:
            errors.extend(line_errors)
            continue
        assert seconds is not None
        times.append(seconds)
        surface.append(np.nan if sp_value is None else sp_value)
        msl.append(np.nan if msl_value is None else msl_value)
    if errors:
        raise StationCSVError(errors)
    return times, surface, msl


def _on_hours(times: list[int], surface: list[float], msl: list[float]) -> StationSeries:
    """Place each variable's readings on UTC hours and join them into one series."""
    t = np.array(times, dtype=np.int64)
    sp_hours, sp_vals = nearest_on_hours(
        t, np.array(surface, dtype=np.float64), PLACEMENT_WINDOW_SECONDS
    )
    msl_hours, msl_vals = nearest_on_hours(
        t, np.array(msl, dtype=np.float64), PLACEMENT_WINDOW_SECONDS
    )
    hours = np.union1d(sp_hours, msl_hours).astype(np.int64)
    out_sp = np.full(hours.size, np.nan)
    out_msl = np.full(hours.size, np.nan)
    out_sp[np.searchsorted(hours, sp_hours)] = sp_vals
    out_msl[np.searchsorted(hours, msl_hours)] = msl_vals
    return StationSeries(
        hours_utc=hours,
        surface_pressure_hpa=out_sp,
        msl_hpa=out_msl,
        readings=len(times),
    )


def parse_station_csv(
    text: str,
    unit: str | None = None,
    default_timezone: str = "UTC",
    *,
    allow_empty: bool = False,
) -> StationSeries:
    """Parse barometer CSV text into hourly UTC pressure (hPa); raise StationCSVError if bad.

    With ``allow_empty`` a line whose pressures are all empty is a gap (the hourly files of
    ``analyze``), not an error.
    """
    zone = _zone(default_timezone)
    default_factor = _unit_factor(unit)
    reader, decimal_comma = _open_reader(text)
    header = _read_header(reader)
    columns = _header_map(header)
    problem = _header_problem(columns, default_factor, unit)
    if problem:
        raise StationCSVError([f"line {reader.line_num}: header: {problem}"])
    layout = _Layout(
        columns=columns,
        width=len(header),
        single="pressure" in columns,
        decimal_comma=decimal_comma,
        zone=zone,
        default_factor=default_factor,
        unit=unit,
        allow_empty=allow_empty,
    )
    return _on_hours(*_read_lines(reader, layout))


def read_station_csv(
    path: str | PathLike[str],
    unit: str | None = None,
    default_timezone: str = "UTC",
    encoding: str = "utf-8-sig",
) -> StationSeries:
    """Read and parse a barometer CSV file (see :func:`parse_station_csv`; hPa, UTC hours)."""
    return parse_station_csv(
        Path(path).read_text(encoding=encoding), unit=unit, default_timezone=default_timezone
    )
