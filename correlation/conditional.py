"""Exact conditional sensitivity ratio (DESIGN amendment A5).

With a0 onsets on Te0 at-risk window days and b0 on Tu0 at-risk non-window days in the
baseline, and a1, b1, Te1, Tu1 in the follow-up, conditioning on each period's onset total
(n0 = a0 + b0, n1 = a1 + b1) and on the window total m = a0 + a1 leaves a1 with Fisher's
noncentral hypergeometric distribution, pmf(x) proportional to C(n1, x) C(n0, m - x) w^x, with
odds w = c * SR and c = (Te1 / Tu1) / (Te0 / Tu0). The nuisance rates drop out, so the
interval and p are exact for the small counts one patient's diary gives.

Pure numpy/scipy; the log-pmf over the support is one vectorised gammaln expression (the
cohort model of :mod:`correlation.cohort_model` uses the same table for many patients).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize
from scipy.special import gammaln

from .stats import NULL_TESTED, TestedInterval, _check_counts, _exp

#: Largest |log odds| searched for a bound; beyond it a bound counts as unbounded.
PSI_LIMIT = 700.0


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)


def support_table(
    n0: np.ndarray | int, n1: np.ndarray | int, m: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Support start, size and padded log base weights log C(n1, x) + log C(n0, m - x) (A5).

    Vectorised over patients: returns ``lo`` (K,), ``size`` (K,) and ``lb`` (K, S) with
    ``lb[i, s]`` the weight of x = lo[i] + s and -inf past each patient's support.
    """
    n0a = np.atleast_1d(np.asarray(n0, dtype=np.float64))
    n1a = np.atleast_1d(np.asarray(n1, dtype=np.float64))
    ma = np.atleast_1d(np.asarray(m, dtype=np.float64))
    lo = np.maximum(0.0, ma - n0a)
    hi = np.minimum(n1a, ma)
    size = (hi - lo + 1.0).astype(np.int64)
    width = int(size.max()) if size.size else 0
    s = np.arange(max(width, 1), dtype=np.float64)[None, :]
    x = lo[:, None] + s
    inside = s < size[:, None]
    xs = np.where(inside, x, 0.0)
    with np.errstate(invalid="ignore"):
        lb = _log_choose(n1a[:, None], xs) + _log_choose(n0a[:, None], ma[:, None] - xs)
    lb = np.where(inside, lb, -np.inf)
    return lo.astype(np.int64), size, lb


def _logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(sum(exp(x))) along ``axis`` (numpy only: scipy's is slow on small arrays)."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(x - top), axis=axis))


def log_pmf(lb: np.ndarray, psi: float | np.ndarray) -> np.ndarray:
    """Log-pmf over the support (offsets s = 0..S-1) at log odds ``psi`` (broadcasts) (A5).

    The offset from the support start only rescales w^x, so the normalised pmf is unchanged.
    """
    s = np.arange(lb.shape[-1], dtype=np.float64)
    psi_arr = np.asarray(psi, dtype=np.float64)[..., None]
    lw = lb + psi_arr * s
    return lw - np.expand_dims(_logsumexp(lw), -1)


def _tails(lb: np.ndarray, k: int, psi: float) -> tuple[float, float]:
    """log P(X <= k) and log P(X >= k) (k an offset into the support)."""
    lp = log_pmf(lb, psi)
    return float(_logsumexp(lp[: k + 1])), float(_logsumexp(lp[k:]))


def _mean(lb: np.ndarray, psi: float) -> float:
    p = np.exp(log_pmf(lb, psi))
    return float(np.dot(p, np.arange(lb.size)))


def _root(f: Callable[[float], float], start: float) -> float | None:
    """Root of an increasing f found by bracketing outwards from ``start``; None if none."""
    step = 1.0
    lo = hi = start
    while f(hi) < 0.0:
        lo, hi = hi, start + step
        step *= 2.0
        if hi > PSI_LIMIT:
            return None
    step = 1.0
    while f(lo) > 0.0:
        hi, lo = lo, start - step
        step *= 2.0
        if lo < -PSI_LIMIT:
            return None
    if lo == hi:
        return lo
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))


def conditional_mle(lb: np.ndarray, k: int) -> float | None:
    """Conditional MLE of the log odds (offset ``k`` observed); None at either support end."""
    size = int(np.isfinite(lb).sum())
    if k <= 0 or k >= size - 1:
        return None
    return _root(lambda psi: _mean(lb, psi) - k, 0.0)


def sensitivity_ratio_exact(
    a1: int, te1: float, b1: int, tu1: float,
    a0: int, te0: float, b0: int, tu0: float,
    confidence: float = 0.95,
) -> TestedInterval:
    """Sensitivity ratio RR1/RR0: conditional MLE, exact central CI and p (DESIGN A5).

    The interval inverts the two tails (Clopper-Pearson style): its lower bound solves
    P(X >= a1) = alpha/2, its upper bound P(X <= a1) = alpha/2. The two-sided p doubles the
    smaller tail at SR = 1, so p < 1 - confidence exactly when 1 is outside the interval.
    At the support's minimum the estimate and lower bound are 0; at its maximum the estimate
    and upper bound are None; a single-point support (no information) gives all None.
    """
    _check_counts(a1, te1, b1, tu1, a0, te0, b0, tu0)
    if min(te1, tu1, te0, tu0) <= 0:
        return NULL_TESTED
    a1, b1, a0, b0 = (int(v) for v in (a1, b1, a0, b0))
    lo, size, lb_all = support_table(a0 + b0, a1 + b1, a0 + a1)
    if size[0] < 2:
        return NULL_TESTED
    lb = lb_all[0, : size[0]]
    k = a1 - int(lo[0])
    last = int(size[0]) - 1
    log_c = math.log(te1 / tu1) - math.log(te0 / tu0)
    log_half_alpha = math.log((1.0 - confidence) / 2.0)
    psi_hat = conditional_mle(lb, k)
    low: float | None = 0.0
    high: float | None = None
    if k > 0:
        psi_lo = _root(lambda psi: _tails(lb, k, psi)[1] - log_half_alpha, psi_hat or 0.0)
        low = 0.0 if psi_lo is None else _exp(psi_lo - log_c)
    if k < last:
        psi_hi = _root(lambda psi: log_half_alpha - _tails(lb, k, psi)[0], psi_hat or 0.0)
        high = None if psi_hi is None else _exp(psi_hi - log_c)
    if k == 0:
        estimate: float | None = 0.0
    elif k == last:
        estimate = None
    else:
        estimate = None if psi_hat is None else _exp(psi_hat - log_c)
    left, right = _tails(lb, k, log_c)
    p = min(1.0, 2.0 * math.exp(min(left, right)))
    return TestedInterval(estimate, low, high, p, None)
