"""How numbers are worded in findings and caveats: counts, ratios, intervals, p-values.

Also the two interval tests the wording relies on (wide, clearly below 1).
"""

from __future__ import annotations

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


def sensitivity_in_words(before: float | None, after: float | None) -> str:
    """The sensitivity ratio said as the two exposure rate ratios it compares (A3).

    "Attacks began 7.6 times as often on pressure-fall days as on other days before the
    course, 1.3 times after."
    """
    if before is None and after is None:
        return ("There are too few attacks yet to compare pressure-fall days with other days "
                "before and after the course.")
    if before is None:
        return ("Before the course there are too few attacks to compare pressure-fall days "
                f"with other days; after it, attacks began {times_as_often(after)} on "
                "pressure-fall days as on other days.")
    after_text = (f"{format_ratio(after)} times after" if after is not None
                  else "and after it there are too few attacks yet to say")
    return (f"Attacks began {times_as_often(before)} on pressure-fall days as on other days "
            f"before the course, {after_text}.")
