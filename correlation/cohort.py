"""Cohort summary across a clinician's patients (DESIGN method 11)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _st

from .report import Report
from .stats import TestedInterval, _exp, _finite


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
        )

    @classmethod
    def from_dict(cls, report: dict[str, Any], label: str, confidence: float) -> CohortRow:
        """The row of a stored report (report v1 JSON, days not needed) (DESIGN method 11).

        The JSON has no standard error; the Woolf interval is symmetric on the log scale, so
        SE = (ln high - ln low) / (2 z) recovers it.
        """
        b, f = report["periods"]["baseline"], report["periods"]["followup"]
        c = report["comparison"]
        sr = c["sensitivity_ratio"]
        se = None
        if sr["ci_low"] and sr["ci_high"]:
            z = float(_st.norm.ppf(0.5 + confidence / 2.0))
            se = (math.log(sr["ci_high"]) - math.log(sr["ci_low"])) / (2.0 * z)
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
                                             sr["p_value"], se),
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
        }


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
class PooledRatio:
    """Pooled sensitivity ratio: fixed effect and DerSimonian-Laird random effects."""

    n_pooled: int
    n_left_out: int
    fixed: TestedInterval
    random: TestedInterval
    tau2: float | None
    i2: float | None
    q: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (DESIGN method 11)."""
        return {
            "n_pooled": self.n_pooled,
            "n_left_out": self.n_left_out,
            "fixed": self.fixed.to_dict(),
            "random": self.random.to_dict(),
            "tau2": _finite(self.tau2),
            "i2": _finite(self.i2),
            "q": _finite(self.q),
        }


@dataclass(frozen=True)
class CohortSummary:
    """Cohort table, medians, responders, signed-rank tests, pooled ratio (DESIGN method 11)."""

    rows: list[CohortRow]
    median_mmd_change: float | None
    median_mmd_change_pct: float | None
    responders_50: int
    responder_evaluable: int
    tests: dict[str, SignedRankTest]
    pooled_sensitivity_ratio: PooledRatio

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no NaN or infinity) (DESIGN method 11)."""
        return {
            "n_patients": len(self.rows),
            "rows": [r.to_dict() for r in self.rows],
            "median_mmd_change": _finite(self.median_mmd_change),
            "median_mmd_change_pct": _finite(self.median_mmd_change_pct),
            "responders_50": self.responders_50,
            "responder_evaluable": self.responder_evaluable,
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
            "pooled_sensitivity_ratio": self.pooled_sensitivity_ratio.to_dict(),
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


def pool_log_ratios(
    log_ratios: Sequence[float], standard_errors: Sequence[float], confidence: float = 0.95,
    n_left_out: int = 0,
) -> PooledRatio:
    """Fixed-effect and DerSimonian-Laird pooling of log ratios (DESIGN method 11)."""
    y = np.asarray(log_ratios, dtype=np.float64)
    se = np.asarray(standard_errors, dtype=np.float64)
    k = int(y.size)
    null = TestedInterval(None, None, None, None, None)
    if k == 0:
        return PooledRatio(0, n_left_out, null, null, None, None, None)
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    w = 1.0 / se ** 2
    fe = float(np.sum(w * y) / np.sum(w))
    fe_se = float(1.0 / math.sqrt(np.sum(w)))

    def tested(est: float, s: float) -> TestedInterval:
        p = float(2.0 * _st.norm.sf(abs(est) / s))
        return TestedInterval(_exp(est), _exp(est - z * s), _exp(est + z * s), p, s)

    if k < 2:
        return PooledRatio(k, n_left_out, tested(fe, fe_se), tested(fe, fe_se), 0.0, None, 0.0)
    q = float(np.sum(w * (y - fe) ** 2))
    c = float(np.sum(w) - np.sum(w ** 2) / np.sum(w))
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    wr = 1.0 / (se ** 2 + tau2)
    re = float(np.sum(wr * y) / np.sum(wr))
    re_se = float(1.0 / math.sqrt(np.sum(wr)))
    return PooledRatio(k, n_left_out, tested(fe, fe_se), tested(re, re_se), tau2, i2, q)


def cohort_summary(
    reports: Sequence[Report], labels: Sequence[str] | None = None
) -> CohortSummary:
    """Summarise many patients' reports (DESIGN method 11)."""
    if labels is not None and len(labels) != len(reports):
        raise ValueError("labels must match reports")
    rows = [
        CohortRow.from_report(rep, labels[i] if labels is not None else f"patient {i + 1}")
        for i, rep in enumerate(reports)
    ]
    return summarise_rows(rows, reports[0].config.confidence if reports else 0.95)


def summarise_rows(rows: Sequence[CohortRow], confidence: float = 0.95) -> CohortSummary:
    """Medians, responders, signed-rank tests and the pooled ratio of the rows (method 11)."""
    rows = list(rows)
    tests = {
        "mmd": signed_rank([r.mmd_change for r in rows]),
        "weather_linked": signed_rank([r.weather_linked_change for r in rows]),
        "non_weather": signed_rank([r.non_weather_change for r in rows]),
    }
    usable = [r.sensitivity_ratio for r in rows
              if r.sensitivity_ratio.estimate is not None and r.sensitivity_ratio.se_log]
    pooled = pool_log_ratios(
        [math.log(s.estimate) for s in usable if s.estimate],
        [s.se_log for s in usable if s.estimate],
        confidence,
        n_left_out=len(rows) - len(usable),
    )
    evaluable = [r.responder_50 for r in rows if r.responder_50 is not None]
    return CohortSummary(
        rows=rows,
        median_mmd_change=_median([r.mmd_change for r in rows]),
        median_mmd_change_pct=_median([r.mmd_change_pct for r in rows]),
        responders_50=sum(1 for v in evaluable if v),
        responder_evaluable=len(evaluable),
        tests=tests,
        pooled_sensitivity_ratio=pooled,
    )
