"""The cohort's pooled sensitivity ratio: a one-stage random-effects count model (A6).

Every patient's four onset counts enter the likelihood of :mod:`correlation.count_model`
(Poisson counts, gamma period rates integrated out, normal log baseline sensitivity and log
sensitivity ratio g_i ~ N(g, tau^2)), fitted by maximum likelihood. exp(g) is the pooled
sensitivity ratio, with a profile-likelihood interval (every other parameter re-maximised at
each g), a likelihood-ratio p for g = 0, tau, and a prediction interval for a new patient.
DESIGN A6 names the hypergeometric-normal model; docs/method.md ("A6", why the count model)
says why this one replaced it (that model's conditioning biased the ratio when tau > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from .count_model import TAU, CountLikelihood, G, Profile, pooled_table, profile_bound
from .stats import _exp, _finite

COUNT_NAMES: tuple[str, ...] = ("a0", "b0", "te0", "tu0", "a1", "b1", "te1", "tu1")
#: The |g| the edge fits walk out through; at 10 the likelihood is within about n e^-10 of
#: its supremum, far less than an interval's chi-square margin.
EDGE_WALK = (2.0, 5.0, 10.0)
METHOD = "Poisson-gamma-normal random effects (maximum likelihood)"


@dataclass(frozen=True)
class CohortModelFit:
    """Pooled sensitivity ratio exp(g), its interval, p, tau and prediction interval (A6)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    tau: float | None
    se_log: float | None
    prediction_low: float | None
    prediction_high: float | None
    n_pooled: int
    n_no_information: int
    n_left_out: int
    log_likelihood: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict; ``n_left_out`` counts every patient not in the model (A6)."""
        tau = _finite(self.tau)
        return {
            "method": METHOD,
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _finite(self.p_value),
            "tau": tau,
            "tau2": None if tau is None else tau * tau,
            "prediction_interval": {"low": _finite(self.prediction_low),
                                    "high": _finite(self.prediction_high)},
            "n_pooled": self.n_pooled,
            "n_no_information": self.n_no_information,
            "n_left_out": self.n_left_out,
        }


def _prediction(g: float, tau: float, se: float | None, n: int,
                confidence: float) -> tuple[float | None, float | None]:
    """exp(g -+ t_{n-2} sqrt(tau^2 + se^2)) (Higgins et al. 2009); None with fewer than 3."""
    if se is None or n < 3:
        return None, None
    half = float(_st.t.ppf(0.5 + confidence / 2.0, n - 2)) * math.sqrt(tau * tau + se * se)
    return _exp(g - half), _exp(g + half)


def _crit(confidence: float) -> float:
    """Half the chi-square(1) quantile: the profile's drop at an interval's bound."""
    return float(_st.chi2.ppf(confidence, 1)) / 2.0


def _interior_fit(lik: CountLikelihood, confidence: float,
                  counts: tuple[int, int, int]) -> CohortModelFit:
    """The fit, profile interval, LR p and prediction interval of an interior maximum."""
    p, best = lik.fit()
    g, tau = float(p[G]), float(p[TAU])
    info = lik.information(p)
    se = lik.standard_error(p, G, info)
    step = math.sqrt(2.0 * _crit(confidence)) * se if se else 0.5
    target = best - _crit(confidence)
    low = profile_bound(Profile(lik, G, p, info), g, -1.0, best, target, step)
    high = profile_bound(Profile(lik, G, p, info), g, 1.0, best, target, step)
    lr = max(0.0, 2.0 * (best - Profile(lik, G, p, info)(0.0)[0]))
    one = TAU in lik.held
    pred_lo, pred_hi = _prediction(g, tau, se, lik.k, confidence)
    return CohortModelFit(
        _exp(g), 0.0 if low is None else _exp(low), None if high is None else _exp(high),
        float(_st.chi2.sf(lr, 1)), None if one else tau, se, pred_lo, pred_hi, *counts, best,
    )


def _edge_fit(lik: CountLikelihood, confidence: float, at_min: bool,
              counts: tuple[int, int, int]) -> CohortModelFit:
    """No follow-up window onsets (or no baseline non-window ones) in the whole cohort, or
    the mirror image: the likelihood rises without end in g, so the interval is one-sided."""
    sign = -1.0 if at_min else 1.0
    walk = Profile(lik, G, lik.fit({G: sign * EDGE_WALK[0]})[0])
    for g in EDGE_WALK[1:]:  # outwards by steps: a far start strands the optimiser
        best, start = walk(sign * g)
    edge = sign * EDGE_WALK[-1]
    inward = Profile(lik, G, start, restart=True)
    bound = profile_bound(inward, edge, -sign, best, best - _crit(confidence))
    lr = max(0.0, 2.0 * (best - Profile(lik, G, start, restart=True)(0.0)[0]))
    p = float(_st.chi2.sf(lr, 1))
    if at_min:
        high = None if bound is None else _exp(bound)
        return CohortModelFit(0.0, 0.0, high, p, None, None, None, None, *counts, best)
    low = 0.0 if bound is None else _exp(bound)
    return CohortModelFit(None, low, None, p, None, None, None, None, *counts, best)


def usable_mask(x: np.ndarray) -> np.ndarray:
    """Rows (K, 8) the model can use: all counts present, every day count positive (A6)."""
    return np.all(np.isfinite(x), axis=1) & np.all(np.nan_to_num(x[:, [2, 3, 6, 7]]) > 0, axis=1)


def usable_rows(counts: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """The rows the model uses (:func:`usable_mask`) and the tallies (n_pooled,
    n_no_information, n_left_out) of :class:`CohortModelFit` (A6)."""
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    if np.any(x[np.isfinite(x)] < 0):
        raise ValueError("counts and day counts must be non-negative")
    usable = usable_mask(x)
    rows = x[usable]
    silent = int((rows[:, [0, 1, 4, 5]].sum(axis=1) == 0).sum())
    return rows, (int(usable.sum()), silent, int(x.shape[0] - usable.sum()))


def edge_of(rows: np.ndarray) -> str | None:
    """'none' when the cohort's summed counts cannot inform g, 'low' / 'high' when the
    maximum is at g = -inf / +inf (a one-sided interval), None for an interior maximum."""
    a0, b0, a1, b1 = pooled_table(rows)
    if a0 + b0 == 0 or a1 + b1 == 0 or a0 + a1 == 0 or b0 + b1 == 0:
        return "none"
    if a1 == 0 or b0 == 0:
        return "low"
    if b1 == 0 or a0 == 0:
        return "high"
    return None


def fit_cohort_model(counts: np.ndarray, confidence: float = 0.95) -> CohortModelFit:
    """Fit the count model to rows (a0, b0, te0, tu0, a1, b1, te1, tu1) (A6, amended).

    Rows with a missing (NaN) count or a zero day count are left out (``n_left_out``); every
    other row is in the model, a patient with no onsets at all too (it informs the rates, not
    the ratio: ``n_no_information``). No 0.5 correction anywhere.
    """
    rows, tallies = usable_rows(counts)
    edge = edge_of(rows) if rows.size else "none"
    if edge == "none":
        return CohortModelFit(None, None, None, None, None, None, None, None, *tallies)
    lik = CountLikelihood(rows)
    if edge is not None:
        return _edge_fit(lik, confidence, edge == "low", tallies)
    return _interior_fit(lik, confidence, tallies)
