"""Checks shared by the domain functions, the CSV import, the pages and the API."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tracker.errors import ValidationError
from weather.bounds import EARLIEST_DAY, LATEST_DAY


def check_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    """Return the ZoneInfo for an IANA name, or raise ValidationError naming ``field``."""
    if not isinstance(name, str) or not name or name not in _zones():
        raise ValidationError(f"unknown timezone {name!r}", field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown timezone {name!r}", field) from exc


#: Names ``zoneinfo.available_timezones()`` can list that are not places: the host's own
#: zone ("localtime", a copy of /etc/localtime), the rules file of POSIX strings and IANA's
#: "Factory" placeholder ("local time zone must be set").
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})

_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    """Return the accepted IANA names, computed once (a directory walk) and cached."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(
            name for name in available_timezones()
            if name not in NOT_PLACES and name[:1].isupper()
        ) | {"UTC"}
    return _ZONES


def timezone_names() -> list[str]:
    """Return every IANA timezone name the service accepts, sorted."""
    return sorted(_zones())


def check_latitude(value: float, field: str = "latitude") -> float:
    """Return a latitude in degrees north, or raise if it is outside -90..90."""
    value = _number(value, field)
    if not -90.0 <= value <= 90.0:
        raise ValidationError(f"{value} is outside -90..90 degrees", field)
    return value


def check_longitude(value: float, field: str = "longitude") -> float:
    """Return a longitude in degrees east, or raise if it is outside -180..180."""
    value = _number(value, field)
    if not -180.0 <= value <= 180.0:
        raise ValidationError(f"{value} is outside -180..180 degrees", field)
    return value


def check_scale(value: int | None, field: str, low: int = 0, high: int = 10) -> int | None:
    """Return an integer rating within low..high (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{value!r} is not a whole number", field)
    if not low <= value <= high:
        raise ValidationError(f"{value} is outside {low}..{high}", field)
    return value


def check_aware(value: datetime, field: str) -> datetime:
    """Return ``value`` if it carries a timezone, else raise."""
    if not isinstance(value, datetime):
        raise ValidationError(f"{value!r} is not a date and time", field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("a date and time needs a timezone", field)
    check_day(value.date(), field)
    return value


def is_row_id(value: object) -> bool:
    """Whether ``value`` can be a row id (integer columns hold at most 2**31 - 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


#: The earliest and latest calendar day the diary accepts: the archive's first day to 2100
#: (one declaration, :mod:`weather.bounds`, shared with pressure readings).
MIN_DAY = EARLIEST_DAY
MAX_DAY = LATEST_DAY


def _years_regex(first: int, last: int) -> str:
    """Return a regex alternation matching the four-digit years first..last, e.g. 19\\d\\d."""
    parts, year = [], first
    while year <= last:
        size = next(s for s in (1000, 100, 10, 1) if year % s == 0 and year + s - 1 <= last)
        fixed = 4 - (len(str(size)) - 1)
        parts.append(str(year)[:fixed] + r"\d" * (4 - fixed))
        year += size
    return "|".join(parts)


#: A regex (no anchors) of the calendar dates MIN_DAY..MAX_DAY as YYYY-MM-DD, for documents
#: such as the OpenAPI one; with the date format it states exactly what check_day accepts.
DAY_REGEX = (
    f"(?:{_years_regex(MIN_DAY.year, MAX_DAY.year)})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])"
)
assert (MIN_DAY.month, MIN_DAY.day, MAX_DAY.month, MAX_DAY.day) == (1, 1, 12, 31), \
    "DAY_REGEX covers whole years"


def check_day(value: date, field: str) -> date:
    """Return a calendar date within MIN_DAY..MAX_DAY, or raise ValidationError naming ``field``."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(f"{value!r} is not a date", field)
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValidationError(
            f"{value.isoformat()} is outside {MIN_DAY.isoformat()}..{MAX_DAY.isoformat()}", field
        )
    return value


def check_text(value: str | None, field: str, max_length: int) -> str:
    """Return free text (None becomes ""); refuse NUL characters, lone surrogates, overlength."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{value!r} is not text", field)
    if "\x00" in value:
        raise ValidationError("the text contains a NUL character", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("the text is not valid Unicode", field) from exc
    if len(value) > max_length:
        raise ValidationError(f"at most {max_length} characters", field)
    return value


def _number(value: float, field: str) -> float:
    if isinstance(value, bool):
        raise ValidationError(f"{value!r} is not a number", field)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a number", field) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(f"{value!r} is not a finite number", field)
    return number
