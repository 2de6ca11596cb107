"""PRT practice, weather worry, trigger tags and cycle days of a report (issue #16, points 4-5).

Pure functions on plain values (no ORM): the loaders in ``tracker.reports.clinical_practice``
read the diary and call these. Every number is defined in docs/method.md, "Clinical diary
(issue #16)", "Practice, triggers and cycle".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from scipy import stats as _st

from .report import finite_or_none, per_28_days

#: Trigger tags (the diary's vocabulary, repeated here because correlation imports nothing).
TRIGGER_TAGS: tuple[str, ...] = ("weather", "stress", "sleep", "menstruation", "alcohol",
                                 "food", "screen", "other")


@dataclass(frozen=True)
class PracticeEntry:
    """One day's practice: minutes of each kind and the optional 0-10 weather worry."""

    day: date
    somatic_tracking_minutes: int = 0
    reappraisal_minutes: int = 0
    other_minutes: int = 0
    weather_worry: int | None = None

    @property
    def minutes(self) -> int:
        """All minutes of practice that day."""
        return self.somatic_tracking_minutes + self.reappraisal_minutes + self.other_minutes


def _in(day: date, start: date, end: date | None) -> bool:
    return end is not None and start <= day <= end


def period_days(start: date, end: date | None) -> int:
    """Calendar days of [start, end] (0 when the period has not started)."""
    return 0 if end is None or end < start else (end - start).days + 1


def practice_summary(entries: Iterable[PracticeEntry], start: date, end: date | None
                     ) -> dict[str, Any]:
    """Practice days per week, median minutes on practice days, mean worry in one period."""
    inside = [e for e in entries if _in(e.day, start, end)]
    days = period_days(start, end)
    practised = [e.minutes for e in inside if e.minutes > 0]
    worry = [e.weather_worry for e in inside if e.weather_worry is not None]
    return {
        "calendar_days": days,
        "practice_days": len(practised),
        "practice_days_per_week": len(practised) / days * 7.0 if days else None,
        "median_minutes": float(median(practised)) if practised else None,
        "total_minutes": sum(practised),
        "worry_days": len(worry),
        "mean_weather_worry": sum(worry) / len(worry) if worry else None,
    }


def welch_difference(base: Sequence[float], follow: Sequence[float], confidence: float = 0.95
                     ) -> dict[str, Any]:
    """Mean of ``follow`` minus mean of ``base`` with a Welch t interval (nulls if not computable).

    The interval needs at least two values on each side and some spread (a standard error
    above zero); otherwise the estimate stands alone (or is null without values).
    """
    n0, n1 = len(base), len(follow)
    out: dict[str, Any] = {"estimate": None, "ci_low": None, "ci_high": None,
                           "n_baseline": n0, "n_followup": n1}
    if n0 == 0 or n1 == 0:
        return out
    m0, m1 = sum(base) / n0, sum(follow) / n1
    out["estimate"] = m1 - m0
    if n0 < 2 or n1 < 2:
        return out
    v0 = sum((x - m0) ** 2 for x in base) / (n0 - 1) / n0
    v1 = sum((x - m1) ** 2 for x in follow) / (n1 - 1) / n1
    se2 = v0 + v1
    if se2 <= 0.0:
        return out
    df = se2 ** 2 / (v0 ** 2 / (n0 - 1) + v1 ** 2 / (n1 - 1))
    half = float(_st.t.ppf(0.5 + confidence / 2.0, df)) * math.sqrt(se2)
    out["ci_low"], out["ci_high"] = m1 - m0 - half, m1 - m0 + half
    return out


def worry_change(entries: Iterable[PracticeEntry], periods: Mapping[str, Mapping[str, Any]],
                 confidence: float = 0.95) -> dict[str, Any]:
    """The change in daily weather worry, follow-up minus baseline (Welch, docs/method.md)."""
    items = list(entries)

    def values(name: str) -> list[float]:
        p = periods[name]
        if p["end"] is None:
            return []
        lo, hi = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        return [float(e.weather_worry) for e in items
                if e.weather_worry is not None and lo <= e.day <= hi]

    return welch_difference(values("baseline"), values("followup"), confidence)


def weekly_minutes(entries: Iterable[PracticeEntry], first: date, last: date
                   ) -> list[dict[str, Any]]:
    """Practice minutes per calendar week (weeks start on Monday) from ``first`` to ``last``."""
    if last < first:
        return []
    monday = first - timedelta(days=first.weekday())
    weeks = (last - monday).days // 7 + 1
    totals = [0] * weeks
    for e in entries:
        if first <= e.day <= last:
            totals[(e.day - monday).days // 7] += e.minutes
    return [{"week": (monday + timedelta(weeks=i)).isoformat(), "minutes": m}
            for i, m in enumerate(totals)]


def streak(practised: Iterable[date], today: date, days: int = 7) -> dict[str, Any]:
    """How many of the last ``days`` days (today included) had practice, and a calm sentence."""
    since = today - timedelta(days=days - 1)
    count = len({d for d in practised if since <= d <= today})
    return {"days": days, "practised": count, "text": streak_words(count, days)}


def streak_words(count: int, days: int = 7) -> str:
    """'Practised 4 of the last 7 days.': a plain count, no streak-breaking language."""
    if count == 0:
        return f"No practice logged in the last {days} days."
    return f"Practised {count} of the last {days} days."


# --------------------------------------------------------------------------- triggers


@dataclass(frozen=True)
class TaggedAttack:
    """An attack's local onset day and its trigger tags (None: the patient gave none)."""

    onset: date
    triggers: tuple[str, ...] | None


def trigger_counts(attacks: Iterable[TaggedAttack], start: date, end: date | None,
                   covered_days: int) -> dict[str, Any]:
    """Per tag: attacks with it, per 28 covered days, and its share of attacks with tags."""
    inside = [a for a in attacks if _in(a.onset, start, end)]
    answered = [a for a in inside if a.triggers is not None]
    tags: dict[str, Any] = {}
    for tag in TRIGGER_TAGS:
        n = sum(1 for a in answered if tag in (a.triggers or ()))
        tags[tag] = {"attacks": n, "per_28_days": finite_or_none(per_28_days(n, covered_days)),
                     "share_of_attacks": n / len(answered) if answered else None}
    return {"attacks": len(inside), "attacks_with_triggers": len(answered), "tags": tags}


def weather_trigger_check(attacks: Iterable[TaggedAttack], days: Mapping[str, Any],
                          confidence: float = 0.95) -> dict[str, Any]:
    """Attacks tagged "weather": how many began on pressure-fall window days, versus chance.

    ``days`` holds the report's day arrays as lists (``date`` ISO strings, ``window``
    True/False/None, ``at_risk``, ``covered``). Only attacks whose onset day is an at-risk,
    covered day with a known window count; chance is the share of window days among those
    days (at-risk days with a known window). The observed share's exact (Clopper-Pearson)
    interval against that share decides the wording, never the point estimate alone.
    """
    index = {d: i for i, d in enumerate(days["date"])}
    eligible = [i for i in range(len(days["date"]))
                if days["covered"][i] and days["at_risk"][i] and days["window"][i] is not None]
    window_days = sum(1 for i in eligible if days["window"][i])
    share = window_days / len(eligible) if eligible else None
    tagged = [a for a in attacks if a.triggers and "weather" in a.triggers]
    counted = [index[a.onset.isoformat()] for a in tagged if a.onset.isoformat() in index]
    eligible_set = set(eligible)
    counted = [i for i in counted if i in eligible_set]
    on_window = sum(1 for i in counted if days["window"][i])
    n = len(counted)
    lo = hi = None
    if n:
        alpha = 1.0 - confidence
        lo = 0.0 if on_window == 0 else float(_st.beta.ppf(alpha / 2, on_window, n - on_window + 1))
        hi = 1.0 if on_window == n else float(_st.beta.ppf(1 - alpha / 2, on_window + 1,
                                                           n - on_window))
    direction = None
    if share is not None and lo is not None and hi is not None:
        direction = "more" if lo > share else ("fewer" if hi < share else "about")
    return {
        "weather_tagged_attacks": len(tagged), "counted_attacks": n,
        "on_pressure_fall_days": on_window,
        "observed_share": on_window / n if n else None, "ci_low": lo, "ci_high": hi,
        "window_share_of_at_risk_days": share,
        "expected_on_pressure_fall_days": share * n if share is not None else None,
        "direction": direction,
        "text": weather_trigger_words(len(tagged), n, on_window, share, direction),
    }


def weather_trigger_words(tagged: int, counted: int, on_window: int, share: float | None,
                          direction: str | None) -> str:
    """Expectation versus measurement in one neutral sentence (PRT framing, never alarming)."""
    if tagged == 0:
        return "No attacks were marked as weather-related."
    marked = f"You marked {tagged} attack{'s' if tagged != 1 else ''} as weather-related"
    if counted == 0 or share is None or direction is None:
        return f"{marked}; none began on a day with known pressure, so there is nothing to compare."
    pct = round(share * 100)
    them = "them" if counted == tagged else f"the {counted} with known pressure"
    how = {"about": "about what", "more": "more than", "fewer": "fewer than"}[direction]
    return (f"{marked}; {on_window} of {them} began on pressure-fall days, {how} chance alone "
            f"gives for the {pct}% of days that were pressure-fall days.")


def cycle_summary(cycle_days: Iterable[date], start: date, end: date | None) -> dict[str, Any]:
    """Menstrual days recorded in one period."""
    return {"cycle_days": sum(1 for d in set(cycle_days) if _in(d, start, end))}


# --------------------------------------------------------------------------- report sections
# Builders of the report's ``clinical`` keys ``practice``, ``triggers`` and ``cycle``
# (registered in tracker.reports.clinical): ``build(data, ctx)`` with ctx the report's
# ClinicalContext (periods' bounds, covered days, and the day table for the weather check).

SECTION_PERIODS: tuple[str, ...] = ("baseline", "treatment", "followup")


@dataclass(frozen=True)
class PracticeData:
    """The patient's practice entries (plain values)."""

    entries: tuple[PracticeEntry, ...]


@dataclass(frozen=True)
class TriggerData:
    """Whether the patient tracks triggers, and every attack's onset day and tags."""

    tracked: bool
    attacks: tuple[TaggedAttack, ...]


@dataclass(frozen=True)
class CycleData:
    """Whether the patient tracks their cycle, and the period days recorded."""

    tracked: bool
    days: tuple[date, ...]


def _span(ctx: Any) -> tuple[date, date] | None:
    """First and last day of the report's periods (None before any has days)."""
    starts = [b[0] for b in ctx.bounds.values()]
    ends = [b[1] for b in ctx.bounds.values() if b[1] is not None]
    return (min(starts), max(ends)) if ends else None


def practice_section(data: PracticeData, ctx: Any) -> dict[str, Any]:
    """The ``practice`` key: per-period summaries, the worry change and weekly minutes."""
    periods = {name: practice_summary(data.entries, *ctx.bounds[name])
               for name in SECTION_PERIODS}
    shown = {name: {"start": ctx.bounds[name][0].isoformat(),
                    "end": None if ctx.bounds[name][1] is None
                    else ctx.bounds[name][1].isoformat()} for name in SECTION_PERIODS}
    span = _span(ctx)
    return {
        "entries": len(data.entries),
        "periods": periods,
        "weather_worry_change": worry_change(data.entries, shown),
        "weekly_minutes": weekly_minutes(data.entries, *span) if span else [],
    }


def day_lists(days: Any) -> dict[str, list[Any]]:
    """The day table's date, window (True/False/None), at-risk and covered columns as lists."""
    window = [None if w not in (0, 1) else bool(w) for w in days.window.tolist()]
    return {"date": days.dates.astype(str).tolist(), "window": window,
            "at_risk": days.at_risk.tolist(), "covered": days.covered.tolist()}


def _restrict(lists: Mapping[str, list[Any]], start: date, end: date | None
              ) -> dict[str, list[Any]]:
    keep = [i for i, d in enumerate(lists["date"])
            if end is not None and start.isoformat() <= d <= end.isoformat()]
    return {k: [v[i] for i in keep] for k, v in lists.items()}


def triggers_section(data: TriggerData, ctx: Any) -> dict[str, Any]:
    """The ``triggers`` key: tag counts per period and the weather-tag check (per period and
    all periods together); ``tracked`` false (and the rest null) when the patient does not
    track triggers."""
    if not data.tracked:
        return {"tracked": False, "periods": None, "weather_check": None}
    lists = day_lists(ctx.days) if ctx.days is not None else None
    periods = {}
    for name in SECTION_PERIODS:
        start, end = ctx.bounds[name]
        counts = trigger_counts(data.attacks, start, end, ctx.covered_days[name])
        if lists is not None:
            inside = [a for a in data.attacks if _in(a.onset, start, end)]
            counts["weather_check"] = weather_trigger_check(inside, _restrict(lists, start, end))
        periods[name] = counts
    span = _span(ctx)
    overall = None
    if lists is not None and span is not None:
        inside = [a for a in data.attacks if _in(a.onset, *span)]
        overall = weather_trigger_check(inside, _restrict(lists, *span))
    return {"tracked": True, "periods": periods, "weather_check": overall}


def cycle_section(data: CycleData, ctx: Any) -> dict[str, Any]:
    """The ``cycle`` key: period days recorded in each period (null when not tracked)."""
    if not data.tracked:
        return {"tracked": False, "periods": None}
    return {"tracked": True, "periods": {name: cycle_summary(data.days, *ctx.bounds[name])
                                         for name in SECTION_PERIODS}}
