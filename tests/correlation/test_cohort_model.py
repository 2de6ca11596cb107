"""The one-stage hypergeometric-normal cohort model (DESIGN amendment A6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from correlation.cohort import CohortRow, pool_sensitivity
from correlation.cohort_model import ConditionalLikelihood, fit_cohort_model
from correlation.stats import TestedInterval


def draw_cohort(rng, k, g, tau, rate=0.12, sensitivity=2.5, days=84):
    """Poisson onsets per patient: (a0, b0, te0, tu0, a1, b1, te1, tu1) rows, log SR ~ N(g, tau)."""
    te0 = rng.integers(18, 40, k)
    te1 = rng.integers(18, 40, k)
    lam = rate * rng.lognormal(0.0, 0.3, k)
    g_i = g + tau * rng.standard_normal(k)
    return np.column_stack([
        rng.poisson(te0 * lam * sensitivity), rng.poisson((days - te0) * lam), te0, days - te0,
        rng.poisson(te1 * lam * 0.7 * sensitivity * np.exp(g_i)),
        rng.poisson((days - te1) * lam * 0.7), te1, days - te1,
    ]).astype(float)


def _likelihood(rows, nodes=16):
    a0, b0, te0, tu0, a1, b1, te1, tu1 = np.asarray(rows, dtype=float).T
    return ConditionalLikelihood(a1, a0 + b0, a1 + b1, a0 + a1,
                                 np.log(te1 / tu1) - np.log(te0 / tu0), nodes)


def _quad_loglik(row, g, tau):
    a0, b0, te0, tu0, a1, b1, te1, tu1 = row
    c = (te1 / tu1) / (te0 / tu0)

    def f(u):
        d = stats.nchypergeom_fisher(a0 + b0 + a1 + b1, a1 + b1, a0 + a1, c * math.exp(u))
        return d.pmf(a1) * stats.norm.pdf(u, g, tau)

    return math.log(integrate.quad(f, g - 12 * tau, g + 12 * tau, limit=400, epsabs=0,
                                   epsrel=1e-11)[0])


@pytest.mark.parametrize(("row", "g", "tau"), [
    ((5, 10, 30, 54, 2, 8, 30, 54), -0.5, 0.5),
    ((40, 40, 30, 54, 10, 60, 30, 54), 0.0, 1.5),   # many onsets: a peaked integrand
    ((80, 80, 30, 54, 80, 80, 30, 54), 0.0, 2.0),
    ((5, 10, 30, 54, 0, 8, 30, 54), 2.0, 0.3),      # at the support's minimum
])
def test_quadrature_matches_scipy_quad_and_nchypergeom(row, g, tau):
    ours = _likelihood([row]).evaluate(g, tau)[0]
    assert ours == pytest.approx(_quad_loglik(row, g, tau), abs=1e-6)


def test_gradient_matches_finite_differences():
    lik = _likelihood(draw_cohort(np.random.default_rng(5), 40, -0.5, 0.4))
    value, dg, dt = lik.evaluate(-0.6, 0.5)
    h = 1e-5
    assert dg == pytest.approx((lik.evaluate(-0.6 + h, 0.5)[0]
                                - lik.evaluate(-0.6 - h, 0.5)[0]) / (2 * h), rel=1e-4)
    assert dt == pytest.approx((lik.evaluate(-0.6, 0.5 + h)[0]
                                - lik.evaluate(-0.6, 0.5 - h)[0]) / (2 * h), rel=1e-4)
    assert math.isfinite(value)


def test_recovers_planted_g_and_tau():
    # the margins the model conditions on carry a little information on each patient's g_i,
    # so with a large spread the estimate drifts slightly (documented in docs/method.md:
    # about +0.04 on the log scale at tau = 0.5); 400 patients keep that inside the interval
    rng = np.random.default_rng(12)
    fit = fit_cohort_model(draw_cohort(rng, 400, math.log(0.5), 0.4))
    assert fit.n_pooled > 390
    assert abs(math.log(fit.estimate) - math.log(0.5)) < 3 * fit.se_log
    assert fit.ci_low < 0.5 < fit.ci_high
    assert 0.15 < fit.tau < 0.7  # tau is estimated loosely from ~8 onsets a patient
    assert fit.prediction_low < fit.ci_low and fit.prediction_high > fit.ci_high
    assert fit.p_value < 1e-6


def test_tau_zero_gives_the_common_odds_conditional_mle():
    rng = np.random.default_rng(2)
    rows = draw_cohort(rng, 30, math.log(0.7), 0.0)
    rows = np.vstack([rows[:1]] * 30)  # identical patients: no spread at all
    fit = fit_cohort_model(rows)
    assert fit.tau == 0.0
    a0, b0, te0, tu0, a1, b1, te1, tu1 = rows.T
    c = (te1 / tu1) / (te0 / tu0)

    def neg(log_sr):
        return -sum(stats.nchypergeom_fisher(a0[i] + b0[i] + a1[i] + b1[i], a1[i] + b1[i],
                                             a0[i] + a1[i], c[i] * math.exp(log_sr)).logpmf(a1[i])
                    for i in range(len(rows)))

    ref = optimize.minimize_scalar(neg, bounds=(-5, 5), method="bounded",
                                   options={"xatol": 1e-9}).x
    assert math.log(fit.estimate) == pytest.approx(ref, abs=1e-5)
    # with tau = 0 the profile interval is the likelihood-ratio interval of that likelihood
    crit = stats.chi2.ppf(0.95, 1) / 2
    assert neg(math.log(fit.ci_high)) - neg(ref) == pytest.approx(crit, abs=1e-4)
    assert neg(math.log(fit.ci_low)) - neg(ref) == pytest.approx(crit, abs=1e-4)


def test_one_patient_is_its_own_conditional_likelihood():
    row = (6, 12, 30, 54, 3, 11, 28, 56)
    fit = fit_cohort_model(np.array([row], dtype=float))
    from correlation.conditional import sensitivity_ratio_exact
    exact = sensitivity_ratio_exact(row[4], row[6], row[5], row[7], row[0], row[2], row[1], row[3])
    assert fit.estimate == pytest.approx(exact.estimate, rel=1e-6)  # the conditional MLE
    assert fit.n_pooled == 1 and fit.tau is None
    assert fit.prediction_low is None and fit.prediction_high is None
    # a likelihood-ratio interval sits inside the exact (tail-inversion) one here
    assert exact.ci_low < fit.ci_low < fit.estimate < fit.ci_high < exact.ci_high


def test_degenerate_patients_contribute_nothing_and_are_counted():
    rng = np.random.default_rng(4)
    rows = draw_cohort(rng, 25, math.log(0.6), 0.3)
    base = fit_cohort_model(rows)
    extra = np.array([[0, 0, 30, 54, 3, 4, 30, 54],    # no baseline onsets
                      [3, 4, 30, 54, 0, 0, 30, 54],    # no follow-up onsets
                      [3, 0, 30, 54, 2, 0, 30, 54],    # every onset on a window day
                      [3, 4, 0, 84, 2, 5, 30, 54],     # no baseline window days
                      [np.nan] * 8])                   # a stored report without counts
    fit = fit_cohort_model(np.vstack([rows, extra]))
    assert fit.estimate == pytest.approx(base.estimate, rel=1e-9)
    assert fit.n_pooled == base.n_pooled
    assert fit.n_no_information == base.n_no_information + 3
    assert fit.n_left_out == base.n_left_out + 5


def test_no_events_at_all_gives_nulls():
    rows = np.array([[0, 0, 30, 54, 0, 0, 30, 54]] * 4, dtype=float)
    fit = fit_cohort_model(rows)
    d = fit.to_dict()
    assert d["estimate"] is None and d["ci_low"] is None and d["p_value"] is None
    assert d["tau"] is None and d["prediction_interval"] == {"low": None, "high": None}
    assert (d["n_pooled"], d["n_no_information"], d["n_left_out"]) == (0, 4, 4)
    assert fit_cohort_model(np.zeros((0, 8))).n_pooled == 0
    with pytest.raises(ValueError):
        fit_cohort_model(np.array([[-1, 0, 30, 54, 0, 0, 30, 54]]))


def test_every_patient_at_one_end_gives_a_one_sided_interval():
    low_end = np.array([[4, 6, 30, 54, 0, 5, 30, 54], [3, 8, 28, 56, 0, 7, 31, 53]] * 3, float)
    fit = fit_cohort_model(low_end)
    assert fit.estimate == 0.0 and fit.ci_low == 0.0 and 0 < fit.ci_high < 1
    assert fit.p_value < 0.05 and fit.tau is None and fit.prediction_low is None
    two = fit_cohort_model(low_end[:2])
    assert two.ci_high > fit.ci_high and (two.p_value < 0.05) == (two.ci_high < 1)
    high_end = np.array([[4, 6, 30, 54, 5, 0, 30, 54], [3, 8, 28, 56, 6, 0, 31, 53]], float)
    fit = fit_cohort_model(high_end)
    assert fit.estimate is None and fit.ci_high is None and fit.ci_low > 1


def test_rows_carry_the_counts_from_a_stored_report():
    period = {"onsets_window": 3, "at_risk_window_days": 20, "onsets_nonwindow": 5,
              "at_risk_nonwindow_days": 60, "mmd": 4.0, "weather_linked_mmd": 1.0,
              "non_weather_mmd": 3.0}
    fu = {**period, "onsets_window": 1, "at_risk_window_days": 22}
    report = {"periods": {"baseline": period, "followup": fu},
              "comparison": {"mmd_change": 0.0, "mmd_change_pct": 0.0, "responder_50": False,
                             "sensitivity_ratio": {"estimate": 0.3, "ci_low": 0.01,
                                                   "ci_high": 4.0, "p_value": 0.4}},
              "findings": [{"code": "no_clear_change", "text": ""}]}
    row = CohortRow.from_dict(report, "p", 0.95)
    assert row.counts == (3, 5, 20, 60, 1, 5, 22, 60)
    assert row.to_dict()["onset_counts"]["te1"] == 22
    assert row.sensitivity_ratio == TestedInterval(0.3, 0.01, 4.0, 0.4, None)
    pooled = pool_sensitivity([row, row, row]).to_dict()
    assert pooled["n_pooled"] == 3 and pooled["sensitivity_analysis"]["n_pooled"] == 3


@pytest.mark.slow
def test_profile_interval_covers_the_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(7)
    g, tau, runs = math.log(0.6), 0.4, 120
    hits = sum(fit.ci_low <= math.exp(g) <= fit.ci_high
               for fit in (fit_cohort_model(draw_cohort(rng, 30, g, tau)) for _ in range(runs)))
    assert hits / runs >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / runs)
