"""Diary stage: migraine, headache, onset, covered and at-risk days; attack classes.

All arrays are per local day over consecutive days starting at ``first_day``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from .inputs import Attack
from .pressure import FALSE, TRUE

#: Day / attack classification codes (int8).
NONE: int = 0
WEATHER_LINKED: int = 1
NON_WEATHER: int = 2
UNCLASSIFIED: int = 3
CLASS_LABELS: dict[int, str | None] = {
    NONE: None,
    WEATHER_LINKED: "weather_linked",
    NON_WEATHER: "non_weather",
    UNCLASSIFIED: "unclassified",
}


#: The smallest step of a datetime: [start, end) ends on the local day of end - this.
_LAST_INSTANT = timedelta(microseconds=1)


def onset_lead_days(attacks: Sequence[Attack], timezone: str, first_day: date) -> int:
    """Days from the earliest onset of an attack still active on first_day to first_day.

    Such an attack is classified by its onset day's weather window like any other
    (issue 12, bug 4), so the pressure stage must start that many days earlier.
    """
    tz = ZoneInfo(timezone)
    start_of_first = datetime.combine(first_day, datetime.min.time(), tz)
    lead = 0
    for a in attacks:
        onset = a.started_at.astimezone(tz).date()
        if onset >= first_day:
            continue
        end = a.ended_at if a.ended_at is not None and a.ended_at > a.started_at else None
        if end is not None and end > start_of_first:
            lead = max(lead, (first_day - onset).days)
    return lead


@dataclass(frozen=True)
class AttackDays:
    """Per attack: first and last local day index (inclusive) and whether it is a migraine."""

    first: np.ndarray
    last: np.ndarray
    is_migraine: np.ndarray


def attack_days(
    attacks: Sequence[Attack], timezone: str, first_day: date, migraine_kinds: Iterable[str]
) -> AttackDays:
    """Local day indices spanned by each attack's [start, end) (DESIGN method 4)."""
    tz = ZoneInfo(timezone)
    kinds = set(migraine_kinds)
    base = first_day.toordinal()
    n = len(attacks)
    first = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    mig = np.empty(n, dtype=bool)
    for i, a in enumerate(attacks):
        start = a.started_at.astimezone(tz)
        s = start.date().toordinal() - base
        e = s
        if a.ended_at is not None and a.ended_at > a.started_at:
            # [start, end) reaches the local day of the last instant before `end`; where DST
            # starts at midnight a day begins at 01:00, so no wall-clock test (issue 12, bug 2)
            e = (a.ended_at - _LAST_INSTANT).astimezone(tz).date().toordinal() - base
        first[i] = s
        last[i] = e
        mig[i] = a.kind in kinds
    return AttackDays(first, last, mig)


def mark_spans(n_days: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Boolean per day: covered by any inclusive span [first, last], clipped (DESIGN method 4)."""
    diff = np.zeros(n_days + 1, dtype=np.int64)
    if first.size:
        lo = np.clip(first, 0, n_days)
        hi = np.clip(last + 1, 0, n_days)
        ok = hi > lo
        np.add.at(diff, lo[ok], 1)
        np.add.at(diff, hi[ok], -1)
    return np.cumsum(diff[:-1]) > 0


def onset_days(n_days: int, first: np.ndarray) -> np.ndarray:
    """Boolean per day: at least one span starts on it (counted once) (DESIGN method 4)."""
    out = np.zeros(n_days, dtype=bool)
    inside = first[(first >= 0) & (first < n_days)]
    out[inside] = True
    return out


def covered_days(
    n_days: int, first_day: date, checkin_days: frozenset[date] | None, attack_day: np.ndarray,
    checkins_from: date | None = None,
) -> np.ndarray:
    """Covered days by date (DESIGN method 6, amendment A1).

    Before ``checkins_from`` every day is covered (assumed completeness); from it on, a day is
    covered when it has a check-in or an attack. Without check-in mode all days are covered.
    """
    if checkin_days is None or checkins_from is None:
        return np.ones(n_days, dtype=bool)
    out = attack_day.copy()
    base = first_day.toordinal()
    idx = np.fromiter((d.toordinal() - base for d in checkin_days), dtype=np.int64,
                      count=len(checkin_days))
    idx = idx[(idx >= 0) & (idx < n_days)]
    out[idx] = True
    mode_start = min(max(checkins_from.toordinal() - base, 0), n_days)
    out[:mode_start] = True
    return out


def at_risk_days(covered: np.ndarray, migraine_day_before: np.ndarray) -> np.ndarray:
    """At-risk: covered and the previous day not a migraine day (DESIGN method 4).

    ``migraine_day_before`` is the migraine-day flag of each day's previous day.
    """
    return covered & ~migraine_day_before


def classify_attacks(first: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Attack class (int8: 1 linked, 2 non, 3 unclassified) by onset window (DESIGN method 5)."""
    n = window.size
    inside = (first >= 0) & (first < n)
    w = np.where(inside, window[np.clip(first, 0, max(n - 1, 0))] if n else -1, -1)
    return np.where(w == TRUE, WEATHER_LINKED, np.where(w == FALSE, NON_WEATHER, UNCLASSIFIED)
                    ).astype(np.int8)


def classify_days(
    n_days: int, first: np.ndarray, last: np.ndarray, attack_class: np.ndarray,
    migraine_day: np.ndarray,
) -> np.ndarray:
    """Day class (int8): linked if any active migraine attack is linked, etc. (DESIGN method 5)."""
    linked = mark_spans(n_days, first[attack_class == WEATHER_LINKED],
                        last[attack_class == WEATHER_LINKED])
    non = mark_spans(n_days, first[attack_class == NON_WEATHER],
                     last[attack_class == NON_WEATHER])
    out = np.where(linked, WEATHER_LINKED, np.where(non, NON_WEATHER, UNCLASSIFIED))
    return np.where(migraine_day, out, NONE).astype(np.int8)


@dataclass(frozen=True)
class DiaryDays:
    """Per day flags for consecutive days from first_day, plus per-attack spans and classes."""

    covered: np.ndarray
    migraine_day: np.ndarray
    headache_day: np.ndarray
    onset: np.ndarray
    at_risk: np.ndarray
    classification: np.ndarray
    attacks: AttackDays
    attack_class: np.ndarray


def diary_days(
    attacks: Sequence[Attack],
    timezone: str,
    first_day: date,
    n_days: int,
    window: np.ndarray,
    migraine_kinds: Iterable[str] = ("migraine",),
    checkin_days: frozenset[date] | None = None,
    window_lead: int = 0,
    checkins_from: date | None = None,
) -> DiaryDays:
    """Diary stage per local day from first_day, given each day's window (DESIGN method 4-6).

    ``window`` may start ``window_lead`` days before first_day, so that attacks that began
    before tracking are classified by their onset day (issue 12, bug 4).
    """
    # one extra day in front so that the first day's at-risk flag sees its previous day
    ext = first_day - timedelta(days=1)
    ad = attack_days(attacks, timezone, ext, migraine_kinds)
    m = n_days + 1
    mig_all = mark_spans(m, ad.first[ad.is_migraine], ad.last[ad.is_migraine])
    head_all = mark_spans(m, ad.first, ad.last)
    onset_all = onset_days(m, ad.first[ad.is_migraine])
    migraine_day = mig_all[1:]
    headache_day = head_all[1:]
    onset = onset_all[1:]
    covered = covered_days(n_days, first_day, checkin_days, headache_day, checkins_from)
    at_risk = at_risk_days(covered, mig_all[:-1])
    first = ad.first - 1
    last = ad.last - 1
    cls = classify_attacks(first + window_lead, window)
    cls = np.where(ad.is_migraine, cls, NONE).astype(np.int8)
    mig = ad.is_migraine
    day_cls = classify_days(n_days, first[mig], last[mig], cls[mig], migraine_day)
    return DiaryDays(
        covered=covered,
        migraine_day=migraine_day,
        headache_day=headache_day,
        onset=onset & covered,
        at_risk=at_risk,
        classification=day_cls,
        attacks=AttackDays(first, last, ad.is_migraine),
        attack_class=cls,
    )
