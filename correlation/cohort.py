"""Cohort summary across a clinician's patients (DESIGN method 11, amendment A6).

Rows, medians, responder counts and Wilcoxon tests live here; the pooled sensitivity ratio
comes from the one-stage model of :mod:`correlation.cohort_model`, with DerSimonian-Laird and
Hartung-Knapp on the per-patient Woolf log ratios beside it as a sensitivity analysis.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _st

from .cohort_model import COUNT_NAMES, CohortModelFit, fit_cohort_model
from .comparison import TREATED, GroupComparison, compare_groups, group_of_kind
from .hypergeometric_normal import informative
from .report import PeriodStats, Report
from .stats import TestedInterval, _exp, _finite, log_ratio_of_ratios
from .subgroup import SubgroupRule, split_rows


@dataclass(frozen=True)
class CohortRow:
    """One patient's summary numbers (rates per 28 covered days)."""

    label: str
    verdict: str
    mmd_baseline: float | None
    mmd_followup: float | None
    mmd_change: float | None
    mmd_change_pct: float | None
    responder_50: bool | None
    weather_linked_change: float | None
    non_weather_change: float | None
    sensitivity_ratio: TestedInterval
    counts: tuple[int | None, ...] = (None,) * 8
    #: Why the report has no verdict-like numbers (its first guardrail caveat), or None (A2).
    data_reason: str | None = None
    #: ``treated`` or ``comparison`` (course kind COMPARISON_KIND: wait-list, usual care) (A8).
    group: str = TREATED
    #: The baseline exposure rate ratio's estimate (the subgroup rule of issue #13).
    baseline_exposure_ratio: float | None = None
    #: Baseline start and end, follow-up start and end (ISO dates; the A8 calendar check).
    period_dates: tuple[str | None, ...] = (None,) * 4

    @property
    def has_enough_data(self) -> bool:
        """Whether the report passed its guardrails (DESIGN point 10, amendment A2)."""
        return self.verdict != "insufficient_data"

    @classmethod
    def from_report(cls, rep: Report, label: str) -> CohortRow:
        """The row of one patient's report (DESIGN method 11)."""
        b, f = rep.periods["baseline"], rep.periods["followup"]
        c = rep.comparison
        return cls(
            label=label,
            verdict=rep.verdict,
            mmd_baseline=b.mmd,
            mmd_followup=f.mmd,
            mmd_change=c.mmd_change,
            mmd_change_pct=c.mmd_change_pct,
            responder_50=c.responder_50,
            weather_linked_change=_diff(f.weather_linked_mmd, b.weather_linked_mmd),
            non_weather_change=_diff(f.non_weather_mmd, b.non_weather_mmd),
            sensitivity_ratio=c.sensitivity_ratio,
            counts=_period_counts(b) + _period_counts(f),
            data_reason=first_guardrail_reason([w.to_dict() for w in rep.warnings]),
            group=group_of_kind(rep.course.kind),
            baseline_exposure_ratio=_finite(b.exposure_rate_ratio.estimate),
            period_dates=tuple(None if d is None else d.isoformat()
                               for d in (b.start, b.end, f.start, f.end)),
        )

    @classmethod
    def from_dict(cls, report: dict[str, Any], label: str, confidence: float) -> CohortRow:
        """The row of a stored report (report v1 JSON, days not needed) (DESIGN method 11).

        The eight onset and day counts the cohort model needs are read from the periods.
        """
        b, f = report["periods"]["baseline"], report["periods"]["followup"]
        c = report["comparison"]
        sr = c["sensitivity_ratio"]
        return cls(
            label=label,
            verdict=report["findings"][0]["code"],
            mmd_baseline=b["mmd"],
            mmd_followup=f["mmd"],
            mmd_change=c["mmd_change"],
            mmd_change_pct=c["mmd_change_pct"],
            responder_50=c["responder_50"],
            weather_linked_change=_diff(f["weather_linked_mmd"], b["weather_linked_mmd"]),
            non_weather_change=_diff(f["non_weather_mmd"], b["non_weather_mmd"]),
            sensitivity_ratio=TestedInterval(sr["estimate"], sr["ci_low"], sr["ci_high"],
                                             sr["p_value"], None),
            counts=tuple(b.get(k) for k in _PERIOD_KEYS) + tuple(f.get(k) for k in _PERIOD_KEYS),
            data_reason=first_guardrail_reason(report.get("warnings", [])),
            group=group_of_kind((report.get("course") or {}).get("kind")),
            baseline_exposure_ratio=(b.get("exposure_rate_ratio") or {}).get("estimate"),
            period_dates=(b.get("start"), b.get("end"), f.get("start"), f.get("end")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe row (DESIGN method 11)."""
        return {
            "label": self.label,
            "verdict": self.verdict,
            "mmd_baseline": _finite(self.mmd_baseline),
            "mmd_followup": _finite(self.mmd_followup),
            "mmd_change": _finite(self.mmd_change),
            "mmd_change_pct": _finite(self.mmd_change_pct),
            "responder_50": self.responder_50,
            "weather_linked_change": _finite(self.weather_linked_change),
            "non_weather_change": _finite(self.non_weather_change),
            "sensitivity_ratio": self.sensitivity_ratio.to_dict(),
            "onset_counts": dict(zip(COUNT_NAMES, self.counts, strict=True)),
            "has_enough_data": self.has_enough_data,
            "data_reason": self.data_reason,
            "group": self.group,
            "baseline_exposure_rate_ratio": _finite(self.baseline_exposure_ratio),
        }

    def count_row(self) -> list[float]:
        """(a0, b0, te0, tu0, a1, b1, te1, tu1), NaN where missing (DESIGN A6)."""
        return [math.nan if v is None else float(v) for v in self.counts]


#: Report v1 period keys for (a, b, te, tu): window onsets, non-window onsets, day counts.
_PERIOD_KEYS = ("onsets_window", "onsets_nonwindow", "at_risk_window_days",
                "at_risk_nonwindow_days")


def first_guardrail_reason(warnings_: Sequence[dict[str, str]]) -> str | None:
    """The text of the first ``insufficient_data`` caveat, if any (amendment A2)."""
    return next((w["text"] for w in warnings_ if w.get("code") == "insufficient_data"), None)


def _period_counts(p: PeriodStats) -> tuple[int, int, int, int]:
    return (p.onsets_window, p.onsets_nonwindow, p.at_risk_window_days,
            p.at_risk_nonwindow_days)


@dataclass(frozen=True)
class SignedRankTest:
    """Wilcoxon signed-rank test of per-patient changes (per 28 days) against zero."""

    n: int
    median_change: float | None
    statistic: float | None
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (DESIGN method 11)."""
        return {
            "n": self.n,
            "median_change": _finite(self.median_change),
            "statistic": _finite(self.statistic),
            "p_value": _finite(self.p_value),
        }


@dataclass(frozen=True)
class RandomEffectsCheck:
    """DerSimonian-Laird with a Hartung-Knapp interval: the sensitivity analysis of A6."""

    n_pooled: int
    pooled: TestedInterval
    tau2: float | None
    i2: float | None
    q: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (DESIGN A6)."""
        return {
            "method": "DerSimonian-Laird, Hartung-Knapp interval (Woolf log ratios)",
            **self.pooled.to_dict(),
            "tau2": _finite(self.tau2),
            "i2": _finite(self.i2),
            "q": _finite(self.q),
            "n_pooled": self.n_pooled,
        }


@dataclass(frozen=True)
class PooledSensitivity:
    """The cohort's primary endpoint (the A6 model) and its DL-HK sensitivity analysis."""

    model: CohortModelFit
    sensitivity_analysis: RandomEffectsCheck

    def to_dict(self) -> dict[str, Any]:
        """The model's dict with the sensitivity analysis under its own key (DESIGN A6)."""
        return {**self.model.to_dict(),
                "sensitivity_analysis": self.sensitivity_analysis.to_dict()}


@dataclass(frozen=True)
class CohortSummary:
    """Cohort table, medians, responders, signed-rank tests, pooled ratio (DESIGN method 11)."""

    rows: list[CohortRow]
    median_mmd_change: float | None
    median_mmd_change_pct: float | None
    responders_50: int
    responder_evaluable: int
    tests: dict[str, SignedRankTest]
    pooled_sensitivity_ratio: PooledSensitivity
    #: Whether rows without enough data were included on request (marked), else left out (A2).
    includes_insufficient: bool = False
    #: Treated minus comparison (A8), or a note that there are no comparison patients.
    comparison: GroupComparison | None = None
    #: The subgroup rule (issue #13) with the patients outside it, or None (all patients).
    subgroup: dict[str, Any] | None = None

    @property
    def analysed_rows(self) -> list[CohortRow]:
        """The treated rows every median, count, test and pooled estimate uses (A2, A8)."""
        return [r for r in self.rows if (self.includes_insufficient or r.has_enough_data)
                and r.group == TREATED]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary, the primary endpoint first (no NaN or infinity) (DESIGN A6)."""
        return {
            "pooled_sensitivity_ratio": self.pooled_sensitivity_ratio.to_dict(),
            "n_patients": len(self.rows),
            "n_treated": sum(1 for r in self.rows if r.group == TREATED),
            "n_comparison": sum(1 for r in self.rows if r.group != TREATED),
            "n_analysed": len(self.analysed_rows),
            "includes_insufficient": self.includes_insufficient,
            "left_out": [{"label": r.label, "reason": r.data_reason} for r in self.rows
                         if not (self.includes_insufficient or r.has_enough_data)],
            "subgroup": self.subgroup,
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
            "median_mmd_change": _finite(self.median_mmd_change),
            "median_mmd_change_pct": _finite(self.median_mmd_change_pct),
            "responders_50": self.responders_50,
            "responder_evaluable": self.responder_evaluable,
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
        }


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _median(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.median(vals)) if vals else None


def signed_rank(changes: Sequence[float | None]) -> SignedRankTest:
    """Wilcoxon signed-rank test of changes (per 28 days) vs 0 (DESIGN method 11)."""
    x = np.array([c for c in changes if c is not None], dtype=np.float64)
    median = float(np.median(x)) if x.size else None
    if x.size == 0 or not np.any(x != 0):
        return SignedRankTest(int(x.size), median, None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = _st.wilcoxon(x)
        except ValueError:
            return SignedRankTest(int(x.size), median, None, None)
    return SignedRankTest(int(x.size), median, _finite(res.statistic), _finite(res.pvalue))


def dersimonian_laird_hk(
    log_ratios: Sequence[float], standard_errors: Sequence[float], confidence: float = 0.95,
) -> RandomEffectsCheck:
    """DerSimonian-Laird pooling with the Hartung-Knapp interval and t test (DESIGN A6).

    Hartung & Knapp (2001): variance sum(w*(y - mu)^2) / ((k - 1) sum(w*)), t with k - 1
    degrees of freedom; with one patient only the estimate is given.
    """
    y = np.asarray(log_ratios, dtype=np.float64)
    se = np.asarray(standard_errors, dtype=np.float64)
    k = int(y.size)
    if k == 0:
        return RandomEffectsCheck(0, TestedInterval(None, None, None, None), None, None, None)
    w = 1.0 / se ** 2
    fe = float(np.sum(w * y) / np.sum(w))
    if k < 2:
        return RandomEffectsCheck(1, TestedInterval(_exp(fe), None, None, None), 0.0, None, 0.0)
    q = float(np.sum(w * (y - fe) ** 2))
    c = float(np.sum(w) - np.sum(w ** 2) / np.sum(w))
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    wr = 1.0 / (se ** 2 + tau2)
    mu = float(np.sum(wr * y) / np.sum(wr))
    s = math.sqrt(float(np.sum(wr * (y - mu) ** 2)) / ((k - 1) * float(np.sum(wr))))
    if s > 0:
        t = float(_st.t.ppf(0.5 + confidence / 2.0, k - 1))
        p: float | None = float(2.0 * _st.t.sf(abs(mu) / s, k - 1))
        pooled = TestedInterval(_exp(mu), _exp(mu - t * s), _exp(mu + t * s), p, s)
    else:
        pooled = TestedInterval(_exp(mu), None, None, None, None)
    return RandomEffectsCheck(k, pooled, tau2, i2, q)


def pool_sensitivity(rows: Sequence[CohortRow], confidence: float = 0.95) -> PooledSensitivity:
    """The A6 model on the rows' counts, and DL-HK on the patients with a conditional
    likelihood of their own (onsets in both periods, on both kinds of day)."""
    counts = np.array([r.count_row() for r in rows], dtype=np.float64).reshape(-1, 8)
    model = fit_cohort_model(counts, confidence)
    y, se = [], []
    for a0, b0, te0, tu0, a1, b1, te1, tu1 in counts[informative(counts)]:
        est = log_ratio_of_ratios(a1, te1, b1, tu1, a0, te0, b0, tu0)
        if est is not None:
            y.append(est[0])
            se.append(est[1])
    return PooledSensitivity(model, dersimonian_laird_hk(y, se, confidence))


def cohort_summary(
    reports: Sequence[Report], labels: Sequence[str] | None = None,
    include_insufficient: bool = False,
) -> CohortSummary:
    """Summarise many patients' reports (DESIGN method 11, amendment A2)."""
    if labels is not None and len(labels) != len(reports):
        raise ValueError("labels must match reports")
    rows = [
        CohortRow.from_report(rep, labels[i] if labels is not None else f"patient {i + 1}")
        for i, rep in enumerate(reports)
    ]
    confidence = reports[0].config.confidence if reports else 0.95
    return summarise_rows(rows, confidence, include_insufficient)


def _compare(analysed: Sequence[CohortRow], confidence: float) -> GroupComparison:
    """The A8 contrasts over the analysed rows of both groups."""
    counts = np.array([r.count_row() for r in analysed], dtype=np.float64).reshape(-1, 8)
    return compare_groups([r.label for r in analysed], [r.group for r in analysed],
                          [r.mmd_change for r in analysed], counts, confidence,
                          [r.period_dates for r in analysed])


def summarise_rows(rows: Sequence[CohortRow], confidence: float = 0.95,
                   include_insufficient: bool = False,
                   subgroup: SubgroupRule | None = None) -> CohortSummary:
    """Medians, responders, signed-rank tests and the pooled ratio (method 11, A2, A8).

    Only the ``subgroup``'s rows (issue #13) are summarised. Rows whose report failed a
    guardrail are left out of every number unless ``include_insufficient`` (then the summary
    says it includes them). Comparison patients (A8) enter only the treated-minus-comparison
    contrasts, never the treated patients' medians, tests or pooled ratio.
    """
    all_rows, outside = list(rows), None
    if subgroup is not None:
        all_rows, outside = split_rows(all_rows, subgroup)
    analysed = [r for r in all_rows if include_insufficient or r.has_enough_data]
    rows = [r for r in analysed if r.group == TREATED]
    tests = {
        "mmd": signed_rank([r.mmd_change for r in rows]),
        "weather_linked": signed_rank([r.weather_linked_change for r in rows]),
        "non_weather": signed_rank([r.non_weather_change for r in rows]),
    }
    pooled = pool_sensitivity(rows, confidence)
    evaluable = [r.responder_50 for r in rows if r.responder_50 is not None]
    return CohortSummary(
        rows=all_rows,
        median_mmd_change=_median([r.mmd_change for r in rows]),
        median_mmd_change_pct=_median([r.mmd_change_pct for r in rows]),
        responders_50=sum(1 for v in evaluable if v),
        responder_evaluable=len(evaluable),
        tests=tests,
        pooled_sensitivity_ratio=pooled,
        includes_insufficient=include_insufficient,
        comparison=_compare(analysed, confidence),
        subgroup=None if subgroup is None else subgroup.to_dict(outside),
    )
