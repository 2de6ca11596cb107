"""Interval statistics: exact conditional rate ratio and Woolf (or Katz) ratio of ratios.

Nothing here returns infinity or NaN: whatever is not computable is ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from scipy import stats as _st


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (ratio scale; None = not computable)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None

    def to_dict(self) -> dict[str, float | None]:
        """JSON-safe dict {estimate, ci_low, ci_high} (DESIGN report contract)."""
        return {
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
        }


NULL_INTERVAL = Interval(None, None, None)


@dataclass(frozen=True)
class TestedInterval:
    """An estimate with CI and two-sided p; ``se_log`` (not exported) is the SE of its log."""

    __test__: ClassVar[bool] = False  # its name starts with "Test": keep pytest from collecting
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    se_log: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        """JSON-safe dict {estimate, ci_low, ci_high, p_value} (DESIGN report contract)."""
        return {
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _finite(self.p_value),
        }


NULL_TESTED = TestedInterval(None, None, None, None, None)


def _exp(x: float) -> float | None:
    try:
        return _finite(math.exp(x))
    except OverflowError:
        return None


def _check_counts(*values: float) -> None:
    for v in values:
        if v is None or not math.isfinite(v) or v < 0:
            raise ValueError("counts and exposures must be finite and non-negative")


def rate_ratio_exact(
    a: int, te: float, b: int, tu: float, confidence: float = 0.95
) -> Interval:
    """Rate ratio (a/te)/(b/tu), exact conditional Clopper-Pearson CI (DESIGN method 8).

    a events over exposure te (days) against b events over tu (days); the interval maps the
    Clopper-Pearson bounds of p in a ~ Bin(a+b, p) by p/(1-p) * tu/te.
    """
    _check_counts(a, te, b, tu)
    if te <= 0 or tu <= 0 or a + b == 0:
        return NULL_INTERVAL
    alpha = 1.0 - confidence
    scale = tu / te
    estimate = (a / te) / (b / tu) if b > 0 else None
    if a > 0:
        p_lo = float(_st.beta.ppf(alpha / 2, a, b + 1))
        low: float | None = p_lo / (1.0 - p_lo) * scale
    else:
        low = 0.0
    if b > 0:
        p_hi = float(_st.beta.ppf(1 - alpha / 2, a + 1, b))
        high: float | None = p_hi / (1.0 - p_hi) * scale if p_hi < 1.0 else None
    else:
        high = None
    return Interval(_finite(estimate), _finite(low), _finite(high))


def rate_ratio_exact_p(a: int, te: float, b: int, tu: float) -> float | None:
    """Two-sided exact conditional p for rate ratio 1 (binomial, minlike) (DESIGN method 8)."""
    _check_counts(a, te, b, tu)
    if te <= 0 or tu <= 0 or a + b == 0:
        return None
    return float(_st.binomtest(int(a), int(a + b), te / (te + tu)).pvalue)


def woolf_ratio_of_ratios(
    a1: float, te1: float, b1: float, tu1: float,
    a0: float, te0: float, b0: float, tu0: float,
    confidence: float = 0.95,
) -> TestedInterval:
    """Ratio of two rate ratios RR1/RR0, Woolf log CI and Wald p (DESIGN method 9).

    RR1 = (a1/te1)/(b1/tu1), RR0 = (a0/te0)/(b0/tu0); when any of the four counts is zero,
    0.5 is added to all four (exposures unchanged), a period without events included. None
    only when an exposure (a denominator) is zero (DESIGN point 9; issue 12, bug 3).
    """
    est = log_ratio_of_ratios(a1, te1, b1, tu1, a0, te0, b0, tu0)
    if est is None:
        return NULL_TESTED
    log_r, se = est
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    p = float(2.0 * _st.norm.sf(abs(log_r) / se))
    return TestedInterval(
        _exp(log_r),
        _exp(log_r - z * se),
        _exp(log_r + z * se),
        _finite(p),
        se,
    )


def log_ratio_of_ratios(
    a1: float, te1: float, b1: float, tu1: float,
    a0: float, te0: float, b0: float, tu0: float,
    variance: str = "woolf",
) -> tuple[float, float] | None:
    """log(RR1/RR0) and its SE, 0.5 added to all four counts when one is zero (DESIGN 9, A6).

    ``variance="woolf"`` sums 1/count (Poisson counts); ``"katz"`` sums 1/count - 1/days,
    the binomial variance of a count of days that hold at most one onset each. None when a
    day count is zero or the variance is not positive.
    """
    _check_counts(a1, te1, b1, tu1, a0, te0, b0, tu0)
    if variance not in ("woolf", "katz"):
        raise ValueError("variance must be 'woolf' or 'katz'")
    if min(te1, tu1, te0, tu0) <= 0:
        return None
    counts = [a1, b1, a0, b0]
    if min(counts) == 0:
        counts = [c + 0.5 for c in counts]
    c_a1, c_b1, c_a0, c_b0 = counts
    log_r = (
        math.log(c_a1 / te1) - math.log(c_b1 / tu1) - math.log(c_a0 / te0) + math.log(c_b0 / tu0)
    )
    var = sum(1.0 / c for c in counts)
    if variance == "katz":
        var -= sum(1.0 / t for t in (te1, tu1, te0, tu0))
    return (log_r, math.sqrt(var)) if var > 0 else None


def interval_from_dict(d: dict[str, Any]) -> Interval:
    """Rebuild an Interval from its to_dict() form (DESIGN report contract)."""
    return Interval(d.get("estimate"), d.get("ci_low"), d.get("ci_high"))
