"""Comparison patients (DESIGN amendment A8): treated minus comparison, for MMD and the ratio.

A patient whose course kind is :data:`COMPARISON_KIND` (wait-list or usual care) has assessment
dates instead of a course; the periods are computed the same way. Two contrasts:

* MMD change: the treated patients' mean change (per 28 days) minus the comparison patients'
  mean change, with a Welch t interval and p (unequal variances; the patients' changes are
  roughly symmetric and a mean difference is what a clinic compares with trial reports).
* Sensitivity ratio: the cohort model of :mod:`correlation.cohort_model` with a group term,
  g_i ~ N(g + delta * treated_i, tau^2), fitted by maximum likelihood; exp(delta) is the
  treated patients' sensitivity ratio over the comparison patients', with a profile-likelihood
  interval (every other parameter maximised at each delta) and a likelihood-ratio p for
  delta = 0.

Each needs at least :data:`MIN_PER_GROUP` analysed (for the model: with onsets) patients in
both groups; otherwise the result says what is missing.

A8 compares the groups "over the same calendar months". :class:`CalendarOverlap` checks it:
each group's baseline days and follow-up days are counted by month of the year, and the two
groups' month shares must overlap by at least :data:`MIN_MONTH_OVERLAP` (the sum over the 12
months of the smaller share: 1 for the same months, 0 for none in common) in the baseline and
in the follow-up; otherwise the contrasts carry a caveat and are marked as not like-for-like.
Pure numpy/scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import stats as _st

from .cohort_model import METHOD, edge_of, usable_mask
from .count_model import DELTA, TAU, CountLikelihood, Profile, profile_bound
from .stats import _exp, _finite

#: The course kind that marks a comparison patient (wait-list or usual care).
COMPARISON_KIND = "comparison"
#: How the course form offers it.
COMPARISON_LABEL = "Comparison: wait-list or usual care (assessment dates)"
TREATED, COMPARISON = "treated", "comparison"
#: Fewest analysed patients per group for either contrast.
MIN_PER_GROUP = 2
#: Least overlap of the groups' month-of-year shares, in the baseline and in the follow-up,
#: for the contrasts to count as "over the same calendar months" (A8).
MIN_MONTH_OVERLAP = 0.5
#: A patient's period dates: (baseline start, baseline end, follow-up start, follow-up end),
#: ISO strings or dates, None where a period has not begun.
PeriodDates = tuple[Any, Any, Any, Any]
_CALENDAR_PERIODS = (("baseline", "baseline", 0), ("followup", "follow-up", 2))


def group_of_kind(kind: str | None) -> str:
    """``comparison`` for a course of :data:`COMPARISON_KIND`, else ``treated`` (A8)."""
    return COMPARISON if (kind or "").strip().lower() == COMPARISON_KIND else TREATED


@dataclass(frozen=True)
class MeanDifference:
    """Treated mean change minus comparison mean change (per 28 days), Welch t (A8)."""

    treated_mean: float | None
    comparison_mean: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_treated: int
    n_comparison: int
    missing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (DESIGN A8)."""
        return {"method": "difference in mean change, Welch t interval",
                "treated_mean_change": _finite(self.treated_mean),
                "comparison_mean_change": _finite(self.comparison_mean),
                "difference": _finite(self.difference), "ci_low": _finite(self.ci_low),
                "ci_high": _finite(self.ci_high), "p_value": _finite(self.p_value),
                "n_treated": self.n_treated, "n_comparison": self.n_comparison,
                "missing": self.missing}


@dataclass(frozen=True)
class GroupTerm:
    """exp(delta): treated over comparison ratio of sensitivity ratios (A6 model, A8)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    tau: float | None
    n_treated: int
    n_comparison: int
    missing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (DESIGN A8)."""
        return {"method": f"{METHOD} with a group term (profile-likelihood interval)",
                "estimate": _finite(self.estimate), "ci_low": _finite(self.ci_low),
                "ci_high": _finite(self.ci_high), "p_value": _finite(self.p_value),
                "tau": _finite(self.tau), "n_treated": self.n_treated,
                "n_comparison": self.n_comparison, "missing": self.missing}


def month_days(spans: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """Days per month of the year (12 counts, January first) over inclusive date spans;
    a span with a missing end, or ending before it starts, adds nothing."""
    out = np.zeros(12, dtype=np.int64)
    for start, end in spans:
        if start is None or end is None:
            continue
        first, last = (v if isinstance(v, date) else date.fromisoformat(v) for v in (start, end))
        if last < first:
            continue
        days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
        out += np.bincount(days.astype("datetime64[M]").astype(np.int64) % 12, minlength=12)
    return out


def month_overlap(a: np.ndarray, b: np.ndarray) -> float | None:
    """Sum over the months of the smaller of the two groups' shares; None if one has no days."""
    ta, tb = float(np.sum(a)), float(np.sum(b))
    if ta == 0 or tb == 0:
        return None
    return float(np.minimum(np.asarray(a) / ta, np.asarray(b) / tb).sum())


@dataclass(frozen=True)
class CalendarOverlap:
    """Do the comparison patients' periods cover the treated patients' months of the year?

    ``months[group][period]`` holds the 12 day counts; ``overlap[period]`` their overlap
    (:func:`month_overlap`). Like-for-like when both periods overlap by MIN_MONTH_OVERLAP or
    more (DESIGN A8: "over the same calendar months").
    """

    months: dict[str, dict[str, list[int]]]
    overlap: dict[str, float | None]

    @classmethod
    def of(cls, groups: Sequence[str], periods: Sequence[PeriodDates]) -> CalendarOverlap:
        """The months of each group's baseline and follow-up days (one entry per patient)."""
        months: dict[str, dict[str, list[int]]] = {}
        for grp in (TREATED, COMPARISON):
            mine = [p for g, p in zip(groups, periods, strict=True) if g == grp]
            months[grp] = {name: month_days([(p[i], p[i + 1]) for p in mine]).tolist()
                           for name, _, i in _CALENDAR_PERIODS}
        overlap = {name: month_overlap(np.array(months[TREATED][name]),
                                       np.array(months[COMPARISON][name]))
                   for name, _, _ in _CALENDAR_PERIODS}
        return cls(months, overlap)

    @property
    def like_for_like(self) -> bool:
        """Whether both periods' overlaps reach MIN_MONTH_OVERLAP."""
        return all(v is not None and v >= MIN_MONTH_OVERLAP for v in self.overlap.values())

    def caveat(self) -> str | None:
        """The neutral sentence shown beside the contrasts when they are not like-for-like."""
        if self.like_for_like:
            return None
        parts = []
        for name, label, _ in _CALENDAR_PERIODS:
            value = self.overlap[name]
            if value is None:
                parts.append(f"in the {label}, one group has no days yet to compare")
            elif value < MIN_MONTH_OVERLAP:
                parts.append(f"in the {label}, {value * 100:.0f}% of the days fall in the same "
                             "months of the year")
        return ("The comparison patients' periods do not cover the same months of the year as "
                f"the treated patients' ({'; '.join(parts)}; at least "
                f"{MIN_MONTH_OVERLAP * 100:.0f}% is needed in each period). Migraine days and "
                "pressure-fall days change with the seasons, so the treated-minus-comparison "
                "figures are not like-for-like and are best read with that in mind.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the rule, the overlaps and the month counts (A8)."""
        return {"rule": "overlap of the groups' month-of-year shares of baseline and of "
                        f"follow-up days, at least {MIN_MONTH_OVERLAP:g} in each",
                "min_overlap": MIN_MONTH_OVERLAP,
                "baseline_overlap": _finite(self.overlap["baseline"]),
                "followup_overlap": _finite(self.overlap["followup"]),
                "like_for_like": self.like_for_like, "caveat": self.caveat(),
                "months": self.months}


@dataclass(frozen=True)
class GroupComparison:
    """Both A8 contrasts, or why there are none (no comparison patients)."""

    n_treated: int
    n_comparison: int
    mmd: MeanDifference | None = None
    sensitivity: GroupTerm | None = None
    note: str | None = None
    comparison_labels: list[str] = field(default_factory=list)
    #: Whether the groups' periods cover the same months of the year (None: not checked).
    calendar: CalendarOverlap | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``available`` is False when no comparison patient is analysed;
        ``like_for_like`` is False (with ``calendar_overlap.caveat``) when the groups' periods
        do not cover the same months of the year."""
        cal = self.calendar
        return {"available": self.mmd is not None, "note": self.note,
                "like_for_like": None if cal is None else cal.like_for_like,
                "calendar_overlap": None if cal is None else cal.to_dict(),
                "n_treated": self.n_treated, "n_comparison": self.n_comparison,
                "comparison_patients": self.comparison_labels,
                "mmd_change": None if self.mmd is None else self.mmd.to_dict(),
                "sensitivity_ratio": None if self.sensitivity is None
                else self.sensitivity.to_dict()}


def _shortfall(n_treated: int, n_comparison: int, what: str) -> str | None:
    """The sentence naming the groups short of MIN_PER_GROUP patients, or None."""
    short = [f"{name} patients ({n} of {MIN_PER_GROUP})" for name, n in
             ((TREATED, n_treated), (COMPARISON, n_comparison)) if n < MIN_PER_GROUP]
    if not short:
        return None
    return f"needs at least {MIN_PER_GROUP} {what} in each group; short of " + \
        " and ".join(short)


def mmd_difference(treated: Sequence[float | None], comparison: Sequence[float | None],
                   confidence: float = 0.95) -> MeanDifference:
    """Treated minus comparison mean MMD change with a Welch t interval and p (A8)."""
    t = np.array([v for v in treated if v is not None], dtype=np.float64)
    c = np.array([v for v in comparison if v is not None], dtype=np.float64)
    means = (float(t.mean()) if t.size else None, float(c.mean()) if c.size else None)
    missing = _shortfall(t.size, c.size, "patients with an MMD change")
    if missing is not None:
        return MeanDifference(*means, None, None, None, None, t.size, c.size, missing)
    diff = means[0] - means[1]  # type: ignore[operator]
    vt, vc = float(t.var(ddof=1)) / t.size, float(c.var(ddof=1)) / c.size
    se = math.sqrt(vt + vc)
    if se == 0:
        return MeanDifference(*means, diff, None, None, None, t.size, c.size)
    df = (vt + vc) ** 2 / (vt ** 2 / (t.size - 1) + vc ** 2 / (c.size - 1))
    q = float(_st.t.ppf(0.5 + confidence / 2.0, df))
    p = float(2.0 * _st.t.sf(abs(diff) / se, df))
    return MeanDifference(*means, diff, diff - q * se, diff + q * se, p, t.size, c.size)


def _in_model(x: np.ndarray) -> np.ndarray:
    """Rows the group model uses: the cohort model's usable rows with some onset."""
    return usable_mask(x) & (np.nan_to_num(x[:, [0, 1, 4, 5]]).sum(axis=1) > 0)


def fit_group_term(counts: np.ndarray, treated: Sequence[bool],
                   confidence: float = 0.95) -> GroupTerm:
    """exp(delta) of the A6 count model with a group term, its profile interval and LR p (A8).

    ``counts`` are rows (a0, b0, te0, tu0, a1, b1, te1, tu1); ``treated`` says each row's
    group. Needs MIN_PER_GROUP patients with onsets per group, and neither group's summed
    counts at an edge of the model (else delta is unbounded: the result says so).
    """
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    grp = np.asarray(treated, dtype=bool)
    if grp.size != x.shape[0]:
        raise ValueError("treated must give one group per row of counts")
    sel = _in_model(x)
    nt, nc = int((sel & grp).sum()), int((sel & ~grp).sum())
    missing = _shortfall(nt, nc, "patients with onsets")
    if missing is not None:
        return GroupTerm(None, None, None, None, None, nt, nc, missing)
    for name, mask in ((TREATED, sel & grp), (COMPARISON, sel & ~grp)):
        if edge_of(x[mask]) is not None:
            return GroupTerm(None, None, None, None, None, nt, nc,
                             f"the {name} patients' onsets fall on one kind of day only in a "
                             "period, so the difference has no finite estimate")
    lik = CountLikelihood(x[sel], covariate=grp[sel].astype(np.float64))
    p, best = lik.fit()
    delta = float(p[DELTA])
    target = best - float(_st.chi2.ppf(confidence, 1)) / 2.0
    se = lik.standard_error(p, DELTA)
    step = math.sqrt(2.0 * (best - target)) * se if se else 0.5
    low, high = (profile_bound(Profile(lik, DELTA, p), delta, d, best, target, step)
                 for d in (-1.0, 1.0))
    lr = max(0.0, 2.0 * (best - Profile(lik, DELTA, p)(0.0)[0]))
    return GroupTerm(_exp(delta), 0.0 if low is None else _exp(low),
                     None if high is None else _exp(high), float(_st.chi2.sf(lr, 1)),
                     float(p[TAU]), nt, nc)


def compare_groups(labels: Sequence[str], groups: Sequence[str],
                   mmd_changes: Sequence[float | None], counts: np.ndarray,
                   confidence: float = 0.95,
                   periods: Sequence[PeriodDates] | None = None) -> GroupComparison:
    """Both A8 contrasts over analysed patients (one entry per patient in each argument),
    with the calendar check of the groups' ``periods`` when they are given."""
    is_t = np.array([g == TREATED for g in groups], dtype=bool)
    n_t, n_c = int(is_t.sum()), int((~is_t).sum())
    comp_labels = [lab for lab, g in zip(labels, groups, strict=True) if g == COMPARISON]
    if n_c == 0:
        return GroupComparison(n_t, 0, note="no comparison patients (wait-list or usual care) "
                               "are analysed, so there is no treated-minus-comparison "
                               "contrast and no group term")
    mmd = mmd_difference([v for v, t in zip(mmd_changes, is_t, strict=True) if t],
                         [v for v, t in zip(mmd_changes, is_t, strict=True) if not t],
                         confidence)
    term = fit_group_term(np.asarray(counts, dtype=np.float64).reshape(-1, 8), is_t,
                          confidence)
    calendar = None if periods is None else CalendarOverlap.of(groups, periods)
    return GroupComparison(n_t, n_c, mmd, term, comparison_labels=comp_labels,
                           calendar=calendar)
