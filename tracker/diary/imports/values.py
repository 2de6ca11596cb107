"""Cell readers shared by the import formats: durations, kinds, intensities, notes, offsets.

Each reader raises :class:`tracker.errors.ValidationError` naming the file's column, so the
parsers turn it into a line-numbered problem.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from functools import lru_cache

from tracker.diary.attack_input import ATTACK_RULES
from tracker.errors import ValidationError

#: The longest attack an import accepts (a forgotten end in another app, not an overflow).
MAX_DURATION = timedelta(days=365)

#: ``1d 02h 15m``, ``01h 00m``, ``45m``, ``2h``, ``3d`` (any part may be left out, in order).
_DHM = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?", re.IGNORECASE)
#: ``1:30`` (hours:minutes).
_HM = re.compile(r"(\d+):([0-5]\d)")
#: ``90`` (minutes).
_MINUTES = re.compile(r"\d+")


#: Cell readers below are pure, so their results are cached: an export repeats its values.
_cached = lru_cache(maxsize=4096)


@_cached
def parse_duration(text: str, field: str) -> timedelta:
    """Read a duration: ``1d 02h 15m``, ``01h 00m``, ``45m``, ``1:30`` or minutes (``90``).

    With a larger unit given, minutes must be below 60 and hours below 24 (``1d 25h`` is a
    typo, not 2 days); at most :data:`MAX_DURATION`.
    """
    raw = text.strip()
    if _MINUTES.fullmatch(raw):
        minutes = int(raw)
    elif match := _HM.fullmatch(raw):
        minutes = int(match[1]) * 60 + int(match[2])
    elif raw and (match := _DHM.fullmatch(raw)) and any(match.groups()):
        days, hours, mins = (int(g) if g else None for g in match.groups())
        if mins is not None and mins >= 60 and (hours is not None or days is not None):
            raise ValidationError(f"{raw!r}: minutes must be below 60", field)
        if hours is not None and hours >= 24 and days is not None:
            raise ValidationError(f"{raw!r}: hours must be below 24", field)
        minutes = ((days or 0) * 24 + (hours or 0)) * 60 + (mins or 0)
    else:
        raise ValidationError(
            f"{raw!r} is not a duration like 01h 30m, 1d 02h 15m, 1:30 or 90 (minutes)", field)
    if minutes > MAX_DURATION.total_seconds() // 60:  # before timedelta, which could overflow
        raise ValidationError(f"{raw!r} is longer than {MAX_DURATION.days} days", field)
    return timedelta(minutes=minutes)


#: Words that make a type a headache of ours rather than a migraine (when "migraine" is absent).
_HEADACHE_WORDS = ("headache", "tension", "cluster")
_AURA = re.compile(r"\baura\b", re.IGNORECASE)


@_cached
def kind_from_text(text: str) -> tuple[str, bool]:
    """Return (our kind, whether the text is just that kind's name) for another app's type.

    Any mention of "migraine" gives ``migraine``; otherwise "headache", "tension" or
    "cluster" give ``headache``; an empty or unknown type gives the default kind (migraine).
    The caller keeps the text in the notes unless it is just the kind's name.
    """
    low = text.strip().lower()
    default = str(ATTACK_RULES["kind"].default)
    if not low:
        return default, True
    if "migraine" in low:
        kind = "migraine"
    elif any(word in low for word in _HEADACHE_WORDS):
        kind = "headache"
    else:
        kind = default
    return kind, low == kind


def mentions_aura(*texts: str) -> bool:
    """Whether any text names an aura (the word "aura")."""
    return any(_AURA.search(t) for t in texts if t)


def intensity_range() -> tuple[int, int]:
    """Our intensity range, as ATTACK_RULES declares it."""
    rule = ATTACK_RULES["intensity"]
    return int(rule.minimum or 0), int(rule.maximum or 0)


@_cached
def scale_intensity(text: str, field: str, source_max: int = 10) -> int | None:
    """Read a whole number 0..source_max and map it linearly onto our intensity range.

    With our range 0-10 and a 0-10 source this is the identity; a 0-3 or 0-5 scale is
    stretched and rounded half up (e.g. 3 of 0-5 gives 6 of 0-10). Empty gives None.
    """
    raw = text.strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{raw!r} is not a whole number 0-{source_max}", field) from None
    if not 0 <= value <= source_max:
        raise ValidationError(f"{value} is outside 0..{source_max}", field)
    low, high = intensity_range()
    if (low, high) == (0, source_max):
        return value
    return low + (value * (high - low) * 2 + source_max) // (2 * source_max)


#: UTC offsets that exist (UTC-12 to UTC+14), in minutes east of UTC.
MIN_OFFSET, MAX_OFFSET = -12 * 60, 14 * 60


@_cached
def parse_offset(text: str, field: str) -> timezone | None:
    """Read a UTC offset in minutes east of UTC (``60``, ``-300``); empty gives None."""
    raw = text.strip()
    if not raw:
        return None
    try:
        minutes = int(raw)
    except ValueError:
        raise ValidationError(f"{raw!r} is not a whole number of minutes", field) from None
    if not MIN_OFFSET <= minutes <= MAX_OFFSET:
        raise ValidationError(f"{minutes} is outside {MIN_OFFSET}..{MAX_OFFSET} minutes", field)
    return timezone(timedelta(minutes=minutes))


def fit_text(text: str, field: str) -> tuple[str, bool]:
    """Return text cut to our ``field``'s length (ending in "…") and whether it was cut."""
    limit = ATTACK_RULES[field].max_length or 0
    if len(text) <= limit:
        return text, False
    return text[: limit - 1].rstrip() + "…", True


def note_line(label: str, value: str) -> str:
    """Return ``label: value`` for the notes (the value's own line breaks kept)."""
    return f"{label}: {value}"
