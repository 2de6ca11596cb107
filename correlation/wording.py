"""How numbers are worded in findings and caveats: counts, ratios, intervals, p-values.

Also the two interval tests the wording relies on (wide, clearly below 1), and how a report
names its periods for a treated and for a comparison patient (:func:`course_words`, A8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .comparison import COMPARISON, group_of_kind
from .stats import Interval, TestedInterval

#: Warn when an interval's upper/lower bound ratio exceeds this (or it is unbounded).
WIDE_INTERVAL_FACTOR = 10.0


def format_days(x: float | None, digits: int = 1) -> str:
    """A count or rate with fixed decimals, or "not computable"."""
    if x is None:
        return "not computable"
    return f"{x:.{digits}f}"


def format_ratio(x: float | None) -> str:
    """A ratio with two significant digits (whole numbers from 10 up), or "not computable"."""
    if x is None:
        return "not computable"
    if x == 0:
        return "0"
    return f"{x:.2g}" if x < 10 else f"{x:.0f}"


def format_interval(iv: Interval | TestedInterval, confidence: float) -> str:
    """The interval as "95% CI lo to hi", with "unbounded" for a missing upper bound."""
    lo = format_ratio(iv.ci_low)
    hi = format_ratio(iv.ci_high) if iv.ci_high is not None else "unbounded"
    return f"{round(confidence * 100):d}% CI {lo} to {hi}"


def format_p_value(p: float | None) -> str:
    """The p-value as "p = 0.03", "p < 0.001" or "p not computable"."""
    if p is None:
        return "p not computable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def is_wide(iv: Interval | TestedInterval) -> bool:
    """Whether an interval is missing, touches 0, or spans more than WIDE_INTERVAL_FACTOR."""
    if iv.estimate is None or iv.ci_high is None or iv.ci_low is None:
        return True
    return iv.ci_low <= 0 or iv.ci_high / iv.ci_low > WIDE_INTERVAL_FACTOR


def upper_bound_below_one(iv: Interval | TestedInterval) -> bool:
    """Whether the whole interval lies below 1 (a clear fall)."""
    return iv.ci_high is not None and iv.ci_high < 1.0


# --------------------------------------------------------------------------- directions (A3)

FELL = "fell"
ROSE = "rose"
NO_CLEAR_CHANGE = "no_clear_change"

#: The one table of direction wording (amendment A3): every sentence about a change takes its
#: verb from here, chosen by :func:`direction` from the estimate's interval, never by hand.
DIRECTION_VERBS: dict[str, str] = {
    FELL: "fell clearly",
    ROSE: "rose clearly",
    NO_CLEAR_CHANGE: "showed no clear change",
}


def direction(iv: Interval | TestedInterval) -> str:
    """FELL when the whole interval is below 1, ROSE when above 1, else NO_CLEAR_CHANGE."""
    if upper_bound_below_one(iv):
        return FELL
    if iv.ci_low is not None and iv.ci_low > 1.0:
        return ROSE
    return NO_CLEAR_CHANGE


def change_clause(subject: str, iv: Interval | TestedInterval) -> str:
    """ "<subject> fell clearly" (or rose clearly, or showed no clear change) from ``iv``."""
    return f"{subject} {DIRECTION_VERBS[direction(iv)]}"


# --------------------------------------------------------------------------- patient wording (A3)


def times_as_often(x: float | None) -> str:
    """A rate ratio as "7.6 times as often" (or "not computable")."""
    if x is None:
        return "not computable"
    return f"{format_ratio(x)} times as often"


def fit_range(low: float | None, high: float | None) -> str:
    """An interval said in words: "the data fit anything from 0.03 to 0.9" (no jargon)."""
    if low is None and high is None:
        return "the data are too few to say how large"
    if high is None:
        return f"the data fit anything from {format_ratio(low)} upward"
    if low is None or low == 0:
        return f"the data fit anything up to {format_ratio(high)}"
    return f"the data fit anything from {format_ratio(low)} to {format_ratio(high)}"


# --------------------------------------------------------------------------- course kinds (A8)


@dataclass(frozen=True)
class CourseWords:
    """How a report names its compared periods and what lies between them (DESIGN A8).

    A treated patient's report speaks of the course (baseline before it, follow-up after
    it); a comparison patient (wait-list or usual care) has assessment dates instead, and
    their report never mentions a course: it compares a first and a second assessment period.
    Every sentence that names the periods takes its words from here.
    """

    group: str
    baseline: str  # the first period, in a sentence ("in the {baseline}")
    followup: str  # the second period
    before: str  # "... as on other days {before}"
    after: str  # "... 1.3 times {after}"
    after_it: str  # "{after_it}, attacks began ..." / "and {after_it} there are too few"
    both: str  # "compare pressure-fall days with other days {both}"
    since: str  # "{since}, all migraine days fell clearly"
    compare: str  # "needed to {compare}"
    start_event: str  # "the {baseline} lies before {start_event}"
    later_than_earlier: str  # "a ratio below 1 means fewer {later_than_earlier}"
    columns: tuple[str, str, str]  # short labels of baseline, between, follow-up
    periods: tuple[str, str, str]  # long labels of the same (text summary)

    @staticmethod
    def capital(text: str) -> str:
        """``text`` with its first letter upper-case (a label at the start of a sentence)."""
        return text[:1].upper() + text[1:]

    def dates(self, kind: str, started_on: date | str, ended_on: date | str) -> str:
        """The dates line: "PRT course 2026-01-10 to 2026-02-20" or the assessment dates."""
        if self.group == COMPARISON:
            return (f"Assessment dates {started_on} and {ended_on} (comparison: wait-list or "
                    "usual care)")
        return f"{kind} course {started_on} to {ended_on}"


TREATED_WORDS = CourseWords(
    group="treated", baseline="baseline", followup="follow-up", before="before the course",
    after="after", after_it="after it", both="before and after the course",
    since="Since the course", compare="compare before and after", start_event="the course",
    later_than_earlier="after the course than before",
    columns=("Before", "During", "After"), periods=("Baseline", "Treatment", "Follow-up"))
COMPARISON_WORDS = CourseWords(
    group=COMPARISON, baseline="first assessment period", followup="second assessment period",
    before="in the first assessment period", after="in the second",
    after_it="in the second", both="in the two assessment periods",
    since="From the first to the second assessment period",
    compare="compare the two assessment periods", start_event="the first assessment date",
    later_than_earlier="in the second assessment period than in the first",
    columns=("First period", "Between", "Second period"),
    periods=("First period", "Between", "Second period"))


def course_words(kind: str | None) -> CourseWords:
    """The words of a report whose course has this ``kind`` (comparison or treated, A8)."""
    return COMPARISON_WORDS if group_of_kind(kind) == COMPARISON else TREATED_WORDS


def sensitivity_in_words(before: float | None, after: float | None,
                         kind: str | None = None) -> str:
    """The sensitivity ratio said as the two exposure rate ratios it compares (A3).

    "Attacks began 7.6 times as often on pressure-fall days as on other days before the
    course, 1.3 times after." (a comparison patient's: "in the first assessment period,
    1.3 times in the second").
    """
    w = course_words(kind)
    if before is None and after is None:
        return ("There are too few attacks yet to compare pressure-fall days with other days "
                f"{w.both}.")
    if before is None:
        return (f"{w.capital(w.before)} there are too few attacks to compare "
                f"pressure-fall days with other days; {w.after_it}, attacks began "
                f"{times_as_often(after)} on pressure-fall days as on other days.")
    after_text = (f"{format_ratio(after)} times {w.after}" if after is not None
                  else f"and {w.after_it} there are too few attacks yet to say")
    return (f"Attacks began {times_as_often(before)} on pressure-fall days as on other days "
            f"{w.before}, {after_text}.")
