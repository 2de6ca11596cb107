"""Findings, caveats and their wording: the sentences of a report (DESIGN method 9-10).

The statistics live in :mod:`correlation.report`; this module turns them into the verdict
code, the findings and the caveats (``warnings`` in the contract), one small function per
caveat code. Every number in a sentence comes from the report's own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from .config import MethodConfig
from .inputs import PatientSeries
from .wording import (
    format_days,
    format_interval,
    format_p_value,
    format_ratio,
    is_wide,
    upper_bound_below_one,
)

if TYPE_CHECKING:
    from .report import Comparison, PeriodStats

#: Verdict codes and what they mean (documented in docs/method.md, amendments A4 and A7).
#: Whether the weather link changed is read from the sensitivity ratio alone (A4).
VERDICTS: dict[str, str] = {
    "insufficient_data": "There is not yet enough diary data around the course for a "
    "conclusion; the caveats below say what is missing.",
    "interim": "The follow-up is still running, so this is an interim look: the numbers below "
    "may still change, and no conclusion is drawn before the follow-up ends.",
    "weather_link_weakened": "Since the course, new migraine attacks began less often on "
    "pressure-fall days, compared with other days, than before: the link between attacks and "
    "pressure falls became weaker.",
    "weather_link_strengthened": "Since the course, new migraine attacks began more often on "
    "pressure-fall days, compared with other days, than before: the link between attacks and "
    "pressure falls became stronger.",
    "weather_link_not_settled": "The diary does not show whether the link between attacks and "
    "pressure falls changed since the course: the data fit a weaker, an unchanged and a "
    "stronger link alike.",
}
#: Verdict codes that are conclusions (the others say why there is none yet).
SETTLED_VERDICTS = ("weather_link_weakened", "weather_link_strengthened")

#: Warn when the share of pressure-fall window days differs between periods by this factor.
SEASON_FACTOR = 1.5
#: Warn when more than this share of covered days has an unknown weather window.
UNKNOWN_WINDOW_SHARE = 0.10

#: The two periods compared, with the label a sentence uses for each.
COMPARED_PERIODS = (("baseline", "baseline"), ("followup", "follow-up"))

Periods = dict[str, "PeriodStats"]
Bounds = dict[str, tuple[date, date | None]]


@dataclass(frozen=True)
class Finding:
    """A finding or caveat: a stable code and a plain-language sentence."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """{code, text} (DESIGN report contract)."""
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class CaveatInputs:
    """What the caveat rules read: the series, the periods, the comparison and the bounds."""

    series: PatientSeries
    periods: Periods
    comparison: Comparison
    config: MethodConfig
    bounds: Bounds


def weather_known_days(period: PeriodStats) -> int:
    """Covered days whose weather window is known (true or false)."""
    return period.window_days + period.nonwindow_days


# --------------------------------------------------------------------------- verdict


def decide_verdict(comparison: Comparison, sufficient: bool, final: bool = True) -> str:
    """Verdict code from the sensitivity ratio alone (DESIGN method 10, amendments A4, A7).

    "weakened" when its upper bound is below 1, "strengthened" when its lower bound is above
    1, otherwise "not settled"; before the follow-up's last day the report is interim and has
    no verdict. The MMD and weather-linked/non-weather changes are findings beside it.
    """
    if not sufficient:
        return "insufficient_data"
    if not final:
        return "interim"
    sens = comparison.sensitivity_ratio
    if upper_bound_below_one(sens):
        return "weather_link_weakened"
    if sens.ci_low is not None and sens.ci_low > 1.0:
        return "weather_link_strengthened"
    return "weather_link_not_settled"


# --------------------------------------------------------------------------- findings


def _mmd_change(periods: Periods, comp: Comparison, _cfg: MethodConfig) -> list[Finding]:
    if comp.mmd_change is None:
        return []
    base, fu = periods["baseline"], periods["followup"]
    pct = f", {comp.mmd_change_pct:+.0f}%" if comp.mmd_change_pct is not None else ""
    return [Finding(
        "mmd_change",
        f"Migraine days per 28 days: {format_days(base.mmd)} in the baseline and "
        f"{format_days(fu.mmd)} in the follow-up (change {comp.mmd_change:+.1f}{pct}).",
    )]


def _responder(_periods: Periods, comp: Comparison, _cfg: MethodConfig) -> list[Finding]:
    if comp.responder_50 is None:
        return []
    text = ("Migraine days per 28 days fell by half or more (50% responder)."
            if comp.responder_50 else
            "Migraine days per 28 days did not fall by half (not a 50% responder).")
    return [Finding("responder_50", text)]


def _class_changes(periods: Periods, comp: Comparison, cfg: MethodConfig) -> list[Finding]:
    base, fu = periods["baseline"], periods["followup"]
    out = []
    for key, label in (("weather_linked", "Weather-linked"), ("non_weather", "Non-weather")):
        iv = comp.rate_ratio[key]
        if iv.estimate is None:
            continue
        rate = f"{key}_mmd"
        out.append(Finding(
            f"{key}_change",
            f"{label} migraine days per 28 days: {format_days(getattr(base, rate))} in the "
            f"baseline and {format_days(getattr(fu, rate))} in the follow-up; rate ratio "
            f"{format_ratio(iv.estimate)} ({format_interval(iv, cfg.confidence)}).",
        ))
    return out


def _fell_but_not_specific(verdict: str, comp: Comparison) -> list[Finding]:
    """A4's worded outcome: weather-linked days fell, but not shown more than other days."""
    if verdict != "weather_link_not_settled":
        return []
    if not upper_bound_below_one(comp.rate_ratio["weather_linked"]):
        return []
    return [Finding(
        "weather_linked_fell_not_specific",
        "Weather-linked migraine days fell, but the diary cannot tell whether they fell more "
        "than migraine days on other days.",
    )]


def _ratio_of_rate_ratios(_periods: Periods, comp: Comparison,
                          cfg: MethodConfig) -> list[Finding]:
    rrr = comp.ratio_of_rate_ratios
    if rrr.estimate is None:
        return []
    return [Finding(
        "ratio_of_rate_ratios",
        "Allowing for how many pressure-fall days each period had, weather-linked migraine "
        f"days changed {format_ratio(rrr.estimate)} times as much as non-weather ones "
        f"({format_interval(rrr, cfg.confidence)}, {format_p_value(rrr.p_value)}); "
        "1 means the same change.",
    )]


def _sensitivity(periods: Periods, comp: Comparison, cfg: MethodConfig) -> list[Finding]:
    sens = comp.sensitivity_ratio
    if sens.estimate is None and sens.ci_low is None:
        return []
    eb = periods["baseline"].exposure_rate_ratio.estimate
    ef = periods["followup"].exposure_rate_ratio.estimate
    ratio = (format_ratio(sens.estimate) if sens.estimate is not None
             else f"at least {format_ratio(sens.ci_low)}")  # A5: one-sided at the range's end
    return [Finding(
        "weather_sensitivity_change",
        "New migraine attacks began "
        f"{format_ratio(eb)} times as often on pressure-fall days as on other days in the "
        f"baseline and {format_ratio(ef)} times as often in the follow-up; the ratio of the "
        f"two is {ratio} ({format_interval(sens, cfg.confidence)}, "
        f"{format_p_value(sens.p_value)}). Below 1 means the link with pressure falls "
        "became weaker.",
    )]


def _attributable(periods: Periods, _comp: Comparison, _cfg: MethodConfig) -> list[Finding]:
    out = []
    for name, label in COMPARED_PERIODS:
        am = periods[name].attributable_mmd
        if am is not None:
            out.append(Finding(
                f"attributable_mmd_{name}",
                f"In the {label}, about {format_days(am)} migraine days per 28 days were in "
                "excess on pressure-fall days compared with other days. This is a pattern "
                "over many days; no single attack can be shown to be caused by the weather.",
            ))
    return out


_FINDING_RULES: tuple[Callable[[Periods, Comparison, MethodConfig], list[Finding]], ...] = (
    _mmd_change, _responder, _class_changes, _ratio_of_rate_ratios, _sensitivity,
    _attributable,
)


def build_findings(verdict: str, periods: Periods, comp: Comparison,
                   cfg: MethodConfig) -> list[Finding]:
    """The verdict sentence first, then one finding per computable estimate (DESIGN 9)."""
    out = [Finding(verdict, VERDICTS[verdict]), *_fell_but_not_specific(verdict, comp)]
    for rule in _FINDING_RULES:
        out.extend(rule(periods, comp, cfg))
    return out


# --------------------------------------------------------------------------- caveats


def _too_few_diary_days(c: CaveatInputs) -> list[Finding]:
    base, fu, need = c.periods["baseline"], c.periods["followup"], c.config.min_covered_days
    out = []
    if base.covered_days < need:
        out.append(Finding(
            "insufficient_data",
            f"The baseline has {base.covered_days} diary days; at least {need} are needed "
            "for a conclusion.",
        ))
    if fu.covered_days < need:
        what = ("has not started yet" if c.bounds["followup"][1] is None
                else f"has {fu.covered_days} diary days so far")
        out.append(Finding(
            "insufficient_data",
            f"The follow-up {what}; at least {need} diary days are needed for a conclusion.",
        ))
    return out


def _too_few_baseline_onsets(c: CaveatInputs) -> list[Finding]:
    base, need = c.periods["baseline"], c.config.min_baseline_onsets
    if base.onset_days >= need:
        return []
    return [Finding(
        "insufficient_data",
        f"The baseline has {base.onset_days} days on which a migraine began; at least "
        f"{need} are needed to compare before and after.",
    )]


def _too_few_weather_days(c: CaveatInputs) -> list[Finding]:
    need = c.config.min_covered_days
    out = []
    for name, label in COMPARED_PERIODS:
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
    if c.series.checkin_days is not None:
        return []
    return [Finding(
        "assumed_completeness",
        "Daily check-ins are not in use, so every day since tracking began is assumed "
        "to be recorded: a day without an entry counts as a day without migraine.",
    )]


def _followup_incomplete(c: CaveatInputs) -> list[Finding]:
    fu_start, fu_end = c.bounds["followup"]
    full_end = c.series.course.ended_on + timedelta(days=c.config.followup_days)
    if fu_end is None or fu_end >= full_end:
        return []
    done = (fu_end - fu_start).days + 1
    return [Finding(
        "followup_incomplete",
        f"The follow-up is still running: {done} of {c.config.followup_days} days so far.",
    )]


def _late_tracking_start(c: CaveatInputs) -> list[Finding]:
    baseline_start = c.bounds["baseline"][0]
    if c.series.tracking_start <= baseline_start:
        return []
    return [Finding(
        "late_tracking_start",
        f"Tracking began on {c.series.tracking_start.isoformat()}, after the baseline "
        f"start ({baseline_start.isoformat()}), so the baseline is shorter.",
    )]


def _low_pressure_coverage(c: CaveatInputs) -> list[Finding]:
    out = []
    for name, label in COMPARED_PERIODS:
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
        f"follow-up ({sf * 100:.0f}% of days) than in the baseline ({sb * 100:.0f}%). "
        "Weather-linked day counts depend on this; the ratio of rate ratios allows for it.",
    )]


def _regression_to_the_mean(c: CaveatInputs) -> list[Finding]:
    """Amendment A8's caveat: a fall in MMD is expected after starting at a bad time."""
    change = c.comparison.mmd_change
    if change is None or change >= 0:
        return []
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

