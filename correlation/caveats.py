"""Caveats (the contract's ``warnings``): one small function per code (DESIGN method 10).

Each rule reads the series, the periods, the comparison and the period bounds, and returns
the caveats it finds; :func:`build_caveats` runs them in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from .config import MethodConfig
from .findings import Bounds, Finding, Periods, compared_periods, weather_known_days
from .inputs import PatientSeries
from .wording import COMPARISON_WORDS, CourseWords, course_words, format_days, is_wide

if TYPE_CHECKING:
    from .report import Comparison

#: Warn when the share of pressure-fall window days differs between periods by this factor.
SEASON_FACTOR = 1.5
#: Warn when more than this share of covered days has an unknown weather window.
UNKNOWN_WINDOW_SHARE = 0.10


@dataclass(frozen=True)
class CaveatInputs:
    """What the caveat rules read: the series, the periods, the comparison and the bounds."""

    series: PatientSeries
    periods: Periods
    comparison: Comparison
    config: MethodConfig
    bounds: Bounds

    @property
    def words(self) -> CourseWords:
        """How the periods are named: a course's, or a comparison patient's (A8)."""
        return course_words(self.series.course.kind)


def _too_few_diary_days(c: CaveatInputs) -> list[Finding]:
    base, fu, need = c.periods["baseline"], c.periods["followup"], c.config.min_covered_days
    w = c.words
    out = []
    if base.covered_days < need:
        out.append(Finding(
            "insufficient_data",
            f"The {w.baseline} has {base.covered_days} diary days; at least {need} are needed "
            "for a conclusion.",
        ))
    if fu.covered_days < need:
        what = ("has not started yet" if c.bounds["followup"][1] is None
                else f"has {fu.covered_days} diary days so far")
        out.append(Finding(
            "insufficient_data",
            f"The {w.followup} {what}; at least {need} diary days are needed for a "
            "conclusion.",
        ))
    return out


def _too_few_baseline_onsets(c: CaveatInputs) -> list[Finding]:
    base, need = c.periods["baseline"], c.config.min_baseline_onsets
    if base.onset_days >= need:
        return []
    return [Finding(
        "insufficient_data",
        f"The {c.words.baseline} has {base.onset_days} days on which a migraine began; at "
        f"least {need} are needed to {c.words.compare}.",
    )]


def _too_few_weather_days(c: CaveatInputs) -> list[Finding]:
    need = c.config.min_covered_days
    out = []
    for name, label in compared_periods(c.words):
        period = c.periods[name]
        known = weather_known_days(period)
        if period.covered_days >= need and known < need:
            out.append(Finding(
                "insufficient_data",
                f"Only {known} of the {period.covered_days} diary days in the {label} could "
                f"be classified by weather (pressure missing, or travel); at least {need} are "
                "needed to tell weather-linked from other days.",
            ))
    return out


def _assumed_completeness(c: CaveatInputs) -> list[Finding]:
    """Amendment A1: how many covered days of each period were assumed complete."""
    parts = []
    for name, label in compared_periods(c.words):
        start, end = c.bounds[name]
        covered = c.periods[name].covered_days
        assumed = min(c.series.assumed_days(start, end), covered)
        if assumed:
            parts.append(f"{assumed} of the {covered} diary days in the {label}")
    if not parts:
        return []
    since = c.series.checkins_from
    mode = (f"Daily check-ins began on {since.isoformat()}; before that"
            if since is not None else "Daily check-ins are not in use, so")
    return [Finding(
        "assumed_completeness",
        f"{mode} every day is assumed to be recorded ({' and '.join(parts)}): a day without "
        "an entry counts as a day without migraine.",
    )]


def _followup_incomplete(c: CaveatInputs) -> list[Finding]:
    fu_start, fu_end = c.bounds["followup"]
    full_end = c.series.course.ended_on + timedelta(days=c.config.followup_days)
    if fu_end is None or fu_end >= full_end:
        return []
    done = (fu_end - fu_start).days + 1
    return [Finding(
        "followup_incomplete",
        f"The {c.words.followup} is still running: {done} of {c.config.followup_days} days "
        "so far.",
    )]


def _late_tracking_start(c: CaveatInputs) -> list[Finding]:
    baseline_start = c.bounds["baseline"][0]
    if c.series.tracking_start <= baseline_start:
        return []
    w = c.words
    return [Finding(
        "late_tracking_start",
        f"Tracking began on {c.series.tracking_start.isoformat()}, after the start of the "
        f"{w.baseline} ({baseline_start.isoformat()}), so the {w.baseline} is shorter.",
    )]


def _low_pressure_coverage(c: CaveatInputs) -> list[Finding]:
    out = []
    for name, label in compared_periods(c.words):
        p = c.periods[name]
        if p.covered_days == 0:
            continue
        low_cov = (p.pressure_coverage is not None
                   and p.pressure_coverage < c.config.min_pressure_coverage)
        if low_cov or p.unknown_window_days / p.covered_days > UNKNOWN_WINDOW_SHARE:
            out.append(Finding(
                "low_pressure_coverage",
                f"Pressure data are incomplete in the {label}: mean coverage "
                f"{format_days((p.pressure_coverage or 0.0) * 100, 0)}% of hours, and "
                f"{p.unknown_window_days} of {p.covered_days} diary days could not be "
                "classified by weather.",
            ))
    return out


def _travel_days(c: CaveatInputs) -> list[Finding]:
    lo = max(c.bounds["baseline"][0], c.series.tracking_start)
    hi = min(c.bounds["followup"][1] or c.series.course.ended_on, c.series.report_date)
    travel = sum(1 for d in c.series.location_change_days if lo <= d <= hi)
    if not travel:
        return []
    return [Finding(
        "travel_days",
        f"The location changed on {travel} day(s) in the analysed periods; those days "
        "were not classified by weather, because a pressure jump on a travel day is not "
        "weather.",
    )]


def _season_difference(c: CaveatInputs) -> list[Finding]:
    base, fu = c.periods["baseline"], c.periods["followup"]
    if not (base.covered_days and fu.covered_days):
        return []
    sb = base.window_days / base.covered_days
    sf = fu.window_days / fu.covered_days
    if min(sb, sf) <= 0 or max(sb, sf) / min(sb, sf) <= SEASON_FACTOR:
        return []
    return [Finding(
        "season_difference",
        f"Pressure-fall days were {'more' if sf > sb else 'less'} common in the "
        f"{c.words.followup} ({sf * 100:.0f}% of days) than in the {c.words.baseline} "
        f"({sb * 100:.0f}%). "
        "Weather-linked day counts depend on this; the weather-sensitivity comparison "
        "(onsets on pressure-fall days against other days within each period) does not.",
    )]


def _regression_to_the_mean(c: CaveatInputs) -> list[Finding]:
    """Amendment A8's caveat: a fall in MMD is expected after starting at a bad time."""
    change = c.comparison.mmd_change
    if change is None or change >= 0:
        return []
    if c.words == COMPARISON_WORDS:
        return [Finding(
            "regression_to_the_mean",
            "Migraine frequency rises and falls by itself, so migraine days can fall between "
            "two assessment periods with nothing else changing (in simulation, people first "
            "assessed at their worst third had 19% fewer migraine days afterwards). This is "
            "why the clinic follows comparison patients: their change shows how much migraine "
            "days change anyway.",
        )]
    return [Finding(
        "regression_to_the_mean",
        "Migraine frequency rises and falls by itself, and a course often begins when it is at "
        "its worst, so some fall afterwards is expected even without any effect of the course "
        "(in simulation, patients who started at their worst third had 19% fewer migraine "
        "days afterwards with no effect at all). Comparison patients (wait-list or usual care) "
        "are the way to tell the two apart.",
    )]


def _wide_interval(c: CaveatInputs) -> list[Finding]:
    comp = c.comparison
    if not (is_wide(comp.sensitivity_ratio) or is_wide(comp.ratio_of_rate_ratios)):
        return []
    return [Finding(
        "wide_interval",
        "The counts are small, so the intervals for the change in weather sensitivity "
        "are wide or not computable; one patient's diary over these periods cannot "
        "settle that question on its own.",
    )]


_CAVEAT_RULES: tuple[Callable[[CaveatInputs], list[Finding]], ...] = (
    _too_few_diary_days, _too_few_baseline_onsets, _too_few_weather_days,
    _assumed_completeness, _followup_incomplete, _late_tracking_start,
    _low_pressure_coverage, _travel_days, _season_difference, _regression_to_the_mean,
    _wide_interval,
)


def build_caveats(inputs: CaveatInputs) -> list[Finding]:
    """Every caveat that applies, in a fixed order (DESIGN method 10)."""
    out: list[Finding] = []
    for rule in _CAVEAT_RULES:
        out.extend(rule(inputs))
    return out

