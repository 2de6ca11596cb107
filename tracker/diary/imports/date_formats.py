"""The date-and-time formats the mapping step offers, and which of them read a column.

Each format is a :func:`datetime.strptime` pattern (seconds may follow the minutes), or
``iso`` for ISO 8601 as our own format reads it (an offset such as ``+01:00`` allowed). A
time without an offset is local to the import's timezone, and refused in a clock change's
gap or fold (:func:`tracker.diary.attacks_csv.localize_wall_time`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tracker.diary.attacks_csv import localize_wall_time, parse_iso_instant
from tracker.diary.validation import check_day
from tracker.errors import TrackerError, ValidationError

_UTC = ZoneInfo("UTC")

#: key -> how it looks. The order is the order a person is shown them in.
DATE_FORMATS: dict[str, str] = {
    "iso": "2024-03-14T08:30 or 2024-03-14 08:30 (ISO 8601; an offset such as +01:00 allowed)",
    "%d/%m/%Y %H:%M": "14/03/2024 08:30 (day/month/year)",
    "%m/%d/%Y %H:%M": "03/14/2024 08:30 (month/day/year)",
    "%d.%m.%Y %H:%M": "14.03.2024 08:30 (day.month.year)",
    "%d-%m-%Y %H:%M": "14-03-2024 08:30 (day-month-year)",
    "%Y/%m/%d %H:%M": "2024/03/14 08:30 (year/month/day)",
    "%d/%m/%y %H:%M": "14/03/24 08:30 (day/month/two-digit year)",
    "%m/%d/%y %H:%M": "03/14/24 08:30 (month/day/two-digit year)",
    "%d.%m.%y %H:%M": "14.03.24 08:30 (day.month.two-digit year)",
    "%m/%d/%Y %I:%M %p": "03/14/2024 8:30 AM (month/day/year, 12-hour clock)",
    "%d/%m/%Y %I:%M %p": "14/03/2024 8:30 AM (day/month/year, 12-hour clock)",
    "%d %b %Y %H:%M": "14 Mar 2024 08:30 (English month names)",
}


def _strptime(raw: str, fmt: str) -> datetime:
    """strptime with ``fmt``, or with seconds after the minutes; ValueError if neither."""
    try:
        return datetime.strptime(raw, fmt)
    except ValueError:
        return datetime.strptime(raw, fmt.replace("%M", "%M:%S"))


def read_naive(text: str, fmt: str, field: str) -> datetime:
    """Read a value in format ``fmt`` (a key of DATE_FORMATS), for guessing and comparing.

    A strptime format gives a naive wall time; ``iso`` gives an aware datetime (a value
    without an offset is read as UTC here). Raises ValidationError naming ``field``: a value
    that does not match, has no time of day, or lies outside 1940..2100.
    """
    raw = text.strip()
    if fmt == "iso":
        return parse_iso_instant(raw, _UTC, field)
    try:
        value = _strptime(raw, fmt)
    except ValueError:
        day_only = fmt.split(" ")[0]
        try:
            datetime.strptime(raw, day_only)
        except ValueError:
            raise ValidationError(
                f"{raw!r} does not look like {DATE_FORMATS[fmt].split(' (')[0]}", field
            ) from None
        raise ValidationError(f"{raw!r} has no time of day", field) from None
    check_day(value.date(), field)
    return value


def read_instant(text: str, fmt: str, zone: ZoneInfo, field: str) -> datetime:
    """Read a value in format ``fmt`` as an aware datetime (local to ``zone`` without offset)."""
    if fmt == "iso":
        return parse_iso_instant(text, zone, field)
    return localize_wall_time(read_naive(text, fmt, field), zone, field)


def _reads(value: str, fmt: str) -> datetime | None:
    try:
        return read_naive(value, fmt, "")
    except TrackerError:
        return None


def guess_date_formats(values: Sequence[str]) -> list[str]:
    """Return the keys of DATE_FORMATS that read every non-empty value, in the list's order."""
    texts = [v for v in values if v.strip()]
    return [fmt for fmt in DATE_FORMATS if texts and all(_reads(v, fmt) for v in texts)]


def disagreement(values: Sequence[tuple[int, str]], formats: Sequence[str]
                 ) -> tuple[int, str, list[date | datetime]] | None:
    """Return the first (line, value, readings) that ``formats`` read differently, or None."""
    if len(formats) < 2:
        return None
    for line, value in values:
        if not value.strip():
            continue
        readings = [_reads(value, fmt) for fmt in formats]
        if len(set(readings)) > 1:
            return line, value.strip(), readings  # type: ignore[return-value]
    return None


def label(fmt: str) -> str:
    """How a format is shown: its example and description."""
    return DATE_FORMATS[fmt]
