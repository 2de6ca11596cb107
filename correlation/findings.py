"""Findings, caveats and their wording: the sentences of a report (DESIGN method 9-10).

The statistics live in :mod:`correlation.report`; this module turns them into the verdict
code, the findings and the caveats (``warnings`` in the contract), one small function per
caveat code. Every number in a sentence comes from the report's own fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from .config import MethodConfig
from .wording import (
    COMPARISON_WORDS,
    CourseWords,
    change_clause,
    course_words,
    format_days,
    format_interval,
    format_p_value,
    format_ratio,
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
#: The same verdicts for a comparison patient (wait-list or usual care, A8): the same codes,
#: said of two assessment periods, never of a course.
COMPARISON_VERDICTS: dict[str, str] = {
    "insufficient_data": "There is not yet enough diary data in the two assessment periods "
    "for a conclusion; the caveats below say what is missing.",
    "interim": "The second assessment period is still running, so this is an interim look: "
    "the numbers below may still change, and no conclusion is drawn before it ends.",
    "weather_link_weakened": "From the first to the second assessment period, new migraine "
    "attacks began less often on pressure-fall days, compared with other days: the link "
    "between attacks and pressure falls became weaker.",
    "weather_link_strengthened": "From the first to the second assessment period, new "
    "migraine attacks began more often on pressure-fall days, compared with other days: the "
    "link between attacks and pressure falls became stronger.",
    "weather_link_not_settled": "The diary does not show whether the link between attacks and "
    "pressure falls changed between the two assessment periods: the data fit a weaker, an "
    "unchanged and a stronger link alike.",
}
#: Verdict codes that are conclusions (the others say why there is none yet).
SETTLED_VERDICTS = ("weather_link_weakened", "weather_link_strengthened")


def compared_periods(words: CourseWords) -> tuple[tuple[str, str], tuple[str, str]]:
    """The two compared periods with the labels ``words`` gives them (A8)."""
    return (("baseline", words.baseline), ("followup", words.followup))


def verdict_text(code: str, kind: str | None = None) -> str:
    """The verdict's sentence for a course of this kind (a comparison patient's own, A8)."""
    return (COMPARISON_VERDICTS if course_words(kind) == COMPARISON_WORDS else VERDICTS)[code]

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


def _change_summary(_periods: Periods, comp: Comparison, _cfg: MethodConfig,
                    w: CourseWords) -> list[Finding]:
    """One sentence with the direction of all three day counts (amendment A3)."""
    rr = comp.rate_ratio
    if rr["all"].estimate is None and rr["all"].ci_low is None:
        return []
    clauses = [change_clause("all migraine days", rr["all"]),
               change_clause("weather-linked days", rr["weather_linked"]),
               change_clause("non-weather days", rr["non_weather"])]
    return [Finding("change_summary", f"{w.since}, {'; '.join(clauses)}.")]


def _mmd_change(periods: Periods, comp: Comparison, _cfg: MethodConfig,
                w: CourseWords) -> list[Finding]:
    if comp.mmd_change is None:
        return []
    base, fu = periods["baseline"], periods["followup"]
    pct = f", {comp.mmd_change_pct:+.0f}%" if comp.mmd_change_pct is not None else ""
    return [Finding(
        "mmd_change",
        f"{change_clause('Migraine days', comp.rate_ratio['all'])}: "
        f"{format_days(base.mmd)} per 28 days in the {w.baseline} and {format_days(fu.mmd)} "
        f"in the {w.followup} (change {comp.mmd_change:+.1f}{pct}).",
    )]


def _responder(_periods: Periods, comp: Comparison, _cfg: MethodConfig,
               _w: CourseWords) -> list[Finding]:
    if comp.responder_50 is None:
        return []
    text = ("Migraine days per 28 days fell by half or more (50% responder)."
            if comp.responder_50 else
            "Migraine days per 28 days did not fall by half (not a 50% responder).")
    return [Finding("responder_50", text)]


def _class_changes(periods: Periods, comp: Comparison, cfg: MethodConfig,
                   w: CourseWords) -> list[Finding]:
    base, fu = periods["baseline"], periods["followup"]
    out = []
    for key, label in (("weather_linked", "Weather-linked"), ("non_weather", "Non-weather")):
        iv = comp.rate_ratio[key]
        if iv.estimate is None:
            continue
        rate = f"{key}_mmd"
        out.append(Finding(
            f"{key}_change",
            f"{change_clause(f'{label} migraine days', iv)}: "
            f"{format_days(getattr(base, rate))} per 28 days in the {w.baseline} and "
            f"{format_days(getattr(fu, rate))} in the {w.followup}; rate ratio "
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


def _ratio_of_rate_ratios(_periods: Periods, comp: Comparison, cfg: MethodConfig,
                          _w: CourseWords) -> list[Finding]:
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


def _sensitivity(periods: Periods, comp: Comparison, cfg: MethodConfig,
                 w: CourseWords) -> list[Finding]:
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
        f"{w.baseline} and {format_ratio(ef)} times as often in the {w.followup}; the ratio "
        f"of the two is {ratio} ({format_interval(sens, cfg.confidence)}, "
        f"{format_p_value(sens.p_value)}). Below 1 means the link with pressure falls "
        "became weaker.",
    )]


def _attributable(periods: Periods, _comp: Comparison, _cfg: MethodConfig,
                  w: CourseWords) -> list[Finding]:
    out = []
    for name, label in compared_periods(w):
        am = periods[name].attributable_mmd
        if am is not None:
            out.append(Finding(
                f"attributable_mmd_{name}",
                f"In the {label}, about {format_days(am)} migraine days per 28 days were in "
                "excess on pressure-fall days compared with other days. This is a pattern "
                "over many days; no single attack can be shown to be caused by the weather.",
            ))
    return out


_FindingRule = Callable[[Periods, "Comparison", MethodConfig, CourseWords], list[Finding]]
_FINDING_RULES: tuple[_FindingRule, ...] = (
    _change_summary, _mmd_change, _responder, _class_changes, _ratio_of_rate_ratios, _sensitivity,
    _attributable,
)


def build_findings(verdict: str, periods: Periods, comp: Comparison,
                   cfg: MethodConfig, kind: str | None = None) -> list[Finding]:
    """The verdict sentence first, then one finding per computable estimate (DESIGN 9).

    ``kind`` is the course's kind: a comparison patient's sentences speak of two assessment
    periods (:func:`correlation.wording.course_words`, A8); the codes are the same.
    """
    words = course_words(kind)
    out = [Finding(verdict, verdict_text(verdict, kind)), *_fell_but_not_specific(verdict, comp)]
    for rule in _FINDING_RULES:
        out.extend(rule(periods, comp, cfg, words))
    return out
