"""Progress toward a conclusion when a guardrail fails (DESIGN point 10, amendment A2).

Pages show what is missing and how far along it is ("follow-up: 9 of 28 diary days; about 3
more weeks") instead of headline numbers. Reads a :class:`~correlation.report.Report`; pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .config import MethodConfig
from .report import Report, weather_known_days
from .wording import course_words


@dataclass(frozen=True)
class Progress:
    """One unmet guardrail: what is counted, how many there are, how many are needed."""

    code: str
    label: str
    have: int
    need: int
    #: About how many more weeks of diary reach ``need`` (None: waiting will not help).
    weeks_more: int | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict for pages and the API."""
        return {"code": self.code, "label": self.label, "have": self.have, "need": self.need,
                "weeks_more": self.weeks_more, "text": self.text}


def _weeks(days: int) -> int:
    return max(1, math.ceil(days / 7))


def _followup_days_left(report: Report, cfg: MethodConfig, today: date) -> int:
    """Calendar days of follow-up still to come (0 when it has ended)."""
    last = report.course.ended_on + timedelta(days=cfg.followup_days)
    return max(0, (last - max(today, report.course.ended_on)).days)


def _diary_days(report: Report, cfg: MethodConfig, today: date) -> list[Progress]:
    out = []
    need = cfg.min_covered_days
    w = course_words(report.course.kind)
    first, second = w.capital(w.baseline), w.capital(w.followup)
    base = report.periods["baseline"].covered_days
    if base < need:
        out.append(Progress(
            "baseline_days", f"{first} diary days", base, need, None,
            f"{first}: {base} of {need} diary days. The {w.baseline} lies before "
            f"{w.start_event}, so it grows only if earlier diary entries are added (for "
            "example by importing a past diary).",
        ))
    fu = report.periods["followup"].covered_days
    if fu < need:
        missing = need - fu
        weeks = _weeks(missing) if _followup_days_left(report, cfg, today) >= missing else None
        when = (f"about {weeks} more week{'s' if weeks != 1 else ''} of diary"
                if weeks is not None else f"more days than the {w.followup} has left")
        out.append(Progress(
            "followup_days", f"{second} diary days", fu, need, weeks,
            f"{second}: {fu} of {need} diary days; {when}.",
        ))
    return out


def _baseline_onsets(report: Report, cfg: MethodConfig) -> list[Progress]:
    onsets = report.periods["baseline"].onset_days
    if onsets >= cfg.min_baseline_onsets:
        return []
    w = course_words(report.course.kind)
    first = w.capital(w.baseline)
    return [Progress(
        "baseline_onsets", f"{first} days on which a migraine began", onsets,
        cfg.min_baseline_onsets, None,
        f"{first}: a migraine began on {onsets} of the {cfg.min_baseline_onsets} days needed "
        f"to {w.compare}.",
    )]


def _weather_days(report: Report, cfg: MethodConfig) -> list[Progress]:
    out = []
    w = course_words(report.course.kind)
    for name, label in (("baseline", w.capital(w.baseline)), ("followup", w.capital(w.followup))):
        period = report.periods[name]
        known = weather_known_days(period)
        if period.covered_days >= cfg.min_covered_days and known < cfg.min_covered_days:
            out.append(Progress(
                f"{name}_weather_days", f"{label} days with known pressure", known,
                cfg.min_covered_days, None,
                f"{label}: {known} of {cfg.min_covered_days} diary days with known pressure; "
                "missing pressure is fetched nightly.",
            ))
    return out


def guardrail_progress(report: Report, cfg: MethodConfig, today: date) -> list[Progress]:
    """What is missing before a conclusion, with progress (empty when nothing is)."""
    if report.verdict != "insufficient_data":
        return []
    return (_diary_days(report, cfg, today) + _baseline_onsets(report, cfg)
            + _weather_days(report, cfg))
