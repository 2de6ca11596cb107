"""The one-stage random-effects count model of the cohort (DESIGN A6, amended: docs/method.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import expit

from correlation.cohort import CohortRow, pool_sensitivity
from correlation.cohort_model import fit_cohort_model
from correlation.count_model import PARAMS, CountLikelihood
from correlation.hypergeometric_normal import from_counts
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


def _dblquad_loglik(row, p):
    """log of the model's probability of one row, by scipy's adaptive 2-D quadrature over
    (s_i, g_i) of the textbook negative binomial and binomial pmfs: an independent reference."""
    a0, b0, te0, tu0, a1, b1, te1, tu1 = row
    g, tau, mu, ss, r0, f0, r1, f1 = p

    lg = math.lgamma

    def period(a, b, te, tu, th, rho, phi):
        # negative binomial total (textbook pmf) times a binomial window count
        mean, r, n = math.exp(rho) * tu * (1 + math.exp(th)), 1 / phi, a + b
        q = 1 / (1 + phi * mean)
        total = lg(n + r) - lg(r) - lg(n + 1) + r * math.log(q) + n * math.log1p(-q)
        p = expit(th)
        window = lg(n + 1) - lg(a + 1) - lg(b + 1) + a * math.log(p) + b * math.log1p(-p)
        return total + window

    def f(gi, si):
        th0 = math.log(te0 / tu0) + si
        th1 = math.log(te1 / tu1) + si + gi
        v = period(a0, b0, te0, tu0, th0, r0, f0) + period(a1, b1, te1, tu1, th1, r1, f1)
        return math.exp(v + 40 - 0.5 * ((si - mu) / ss) ** 2 - 0.5 * ((gi - g) / tau) ** 2) / (
            2 * math.pi * ss * tau)

    value = integrate.dblquad(f, mu - 9 * ss, mu + 9 * ss, g - 9 * tau, g + 9 * tau,
                              epsabs=0, epsrel=1e-8)[0]
    return math.log(value) - 40


@pytest.mark.parametrize(("row", "p"), [
    ((5, 10, 30, 54, 2, 8, 28, 56), (-0.3, 0.5, 0.2, 0.4, -2.3, 0.3, -2.5, 0.5)),
    ((40, 40, 30, 54, 10, 60, 30, 54), (0.0, 1.5, 0.5, 0.5, -2, 0.3, -2, 0.3)),  # peaked
    ((80, 80, 30, 54, 80, 80, 30, 54), (0.0, 2.0, 0.5, 1.0, -1, 0.3, -1, 0.3)),
    ((5, 10, 30, 54, 0, 8, 30, 54), (2.0, 0.3, 0.2, 0.3, -2, 0.3, -2, 0.3)),    # no a1
])
def test_quadrature_matches_scipy_dblquad_with_negative_binomial_totals(row, p):
    lik = CountLikelihood(np.array([row], dtype=float), covariate=np.zeros(1))
    ours = lik.evaluate(np.array([*p, 0.0]))[0]
    assert ours == pytest.approx(_dblquad_loglik(row, p), abs=1e-6)


def test_gradient_matches_finite_differences_in_every_parameter():
    rows = draw_cohort(np.random.default_rng(5), 40, -0.5, 0.4)
    lik = CountLikelihood(rows, covariate=np.arange(40) % 2)
    p = np.array([-0.6, 0.5, 0.8, 0.4, -2.2, 0.2, -2.4, 0.3, 0.2])
    value, grad = lik.evaluate(p)
    assert math.isfinite(value)
    for i, name in enumerate(PARAMS):
        d = np.zeros(9)
        d[i] = 1e-6
        numeric = (lik.evaluate(p + d)[0] - lik.evaluate(p - d)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-5), name


def test_recovers_planted_g_and_tau():
    rng = np.random.default_rng(12)
    fit = fit_cohort_model(draw_cohort(rng, 400, math.log(0.5), 0.4))
    assert fit.n_pooled == 400
    assert abs(math.log(fit.estimate) - math.log(0.5)) < 3 * fit.se_log
    assert fit.ci_low < 0.5 < fit.ci_high
    assert 0.15 < fit.tau < 0.7  # tau is estimated loosely from ~8 onsets a patient
    assert fit.prediction_low < fit.ci_low and fit.prediction_high > fit.ci_high
    assert fit.p_value < 1e-6


def test_no_upward_bias_when_patients_differ():
    """The first-edition (hypergeometric-normal) model read about +0.06 on the log scale here
    (Poisson counts, tau 0.5, a weak baseline sensitivity, no change): it conditioned on
    margins that depend on each patient's ratio. The count model must be on target."""
    rng = np.random.default_rng(30)
    k, tau = 4000, 0.5
    te0, te1 = rng.integers(18, 40, k), rng.integers(18, 40, k)
    g_i = tau * rng.standard_normal(k)
    rows = np.column_stack([
        rng.poisson(te0 * 0.12 * 1.5), rng.poisson((84 - te0) * 0.12), te0, 84 - te0,
        rng.poisson(te1 * 0.12 * 1.5 * np.exp(g_i)), rng.poisson((84 - te1) * 0.12), te1,
        84 - te1]).astype(float)
    lik = CountLikelihood(rows)
    p, _ = lik.fit()
    se = lik.standard_error(p)
    assert abs(p[0]) < 2.5 * se < 0.05
    assert 0.3 < p[1] < 0.7
    old = from_counts(rows)
    assert old.maximise()[0] > 2.5 * se  # the bias this model removes is there to remove


def test_identical_patients_give_the_pooled_two_binomial_likelihood():
    """tau = 0 and no spread: the fit is the likelihood of the summed window / non-window
    counts, two binomials with a common baseline log odds (the totals carry no information
    on g, their rates being free)."""
    row = draw_cohort(np.random.default_rng(2), 1, math.log(0.7), 0.0)[0]
    rows = np.vstack([row] * 30)
    fit = fit_cohort_model(rows)
    assert fit.tau == 0.0
    a0, b0, te0, tu0, a1, b1, te1, tu1 = row

    def neg(g: float) -> float:
        def at(m: float) -> float:
            th0, th1 = math.log(te0 / tu0) + m, math.log(te1 / tu1) + m + g
            return -30 * (a0 * th0 - (a0 + b0) * np.logaddexp(0, th0)
                          + a1 * th1 - (a1 + b1) * np.logaddexp(0, th1))
        return optimize.minimize_scalar(at, bounds=(-10, 10), method="bounded",
                                        options={"xatol": 1e-10}).fun

    ref = optimize.minimize_scalar(neg, bounds=(-5, 5), method="bounded",
                                   options={"xatol": 1e-9}).x
    assert math.log(fit.estimate) == pytest.approx(ref, abs=1e-4)
    crit = stats.chi2.ppf(0.95, 1) / 2
    assert neg(math.log(fit.ci_high)) - neg(ref) == pytest.approx(crit, abs=1e-3)
    assert neg(math.log(fit.ci_low)) - neg(ref) == pytest.approx(crit, abs=1e-3)


def test_one_patient_gives_the_unconditional_odds_ratio():
    row = (6, 12, 30, 54, 3, 11, 28, 56)
    fit = fit_cohort_model(np.array([row], dtype=float))
    a0, b0, te0, tu0, a1, b1, te1, tu1 = row
    assert fit.estimate == pytest.approx((a1 / b1) / (a0 / b0) / ((te1 / tu1) / (te0 / tu0)),
                                         rel=1e-6)
    assert fit.n_pooled == 1 and fit.tau is None
    assert fit.prediction_low is None and fit.prediction_high is None
    assert fit.ci_low < fit.estimate < fit.ci_high and fit.p_value > 0.05


def test_every_usable_patient_is_in_the_model_and_the_rest_are_counted():
    rng = np.random.default_rng(4)
    rows = draw_cohort(rng, 25, math.log(0.6), 0.3)
    base = fit_cohort_model(rows)
    extra = np.array([[0, 0, 30, 54, 3, 4, 30, 54],    # no baseline onsets
                      [3, 4, 30, 54, 0, 0, 30, 54],    # a migraine-free follow-up
                      [3, 0, 30, 54, 2, 0, 30, 54],    # every onset on a window day
                      [0, 0, 30, 54, 0, 0, 30, 54],    # no onsets at all
                      [3, 4, 0, 84, 2, 5, 30, 54],     # no baseline window days
                      [np.nan] * 8])                   # a stored report without counts
    fit = fit_cohort_model(np.vstack([rows, extra]))
    assert (fit.n_pooled, fit.n_no_information, fit.n_left_out) == (
        base.n_pooled + 4, base.n_no_information + 1, base.n_left_out + 2)
    assert fit.estimate != base.estimate  # the best responder counts
    assert abs(math.log(fit.estimate / base.estimate)) < 0.2
    assert fit.to_dict()["n_pooled"] + fit.to_dict()["n_left_out"] == 31


def test_no_events_at_all_gives_nulls():
    rows = np.array([[0, 0, 30, 54, 0, 0, 30, 54]] * 4, dtype=float)
    fit = fit_cohort_model(rows)
    d = fit.to_dict()
    assert d["estimate"] is None and d["ci_low"] is None and d["p_value"] is None
    assert d["tau"] is None and d["prediction_interval"] == {"low": None, "high": None}
    assert (d["n_pooled"], d["n_no_information"], d["n_left_out"]) == (4, 4, 0)
    assert fit_cohort_model(np.zeros((0, 8))).n_pooled == 0
    with pytest.raises(ValueError):
        fit_cohort_model(np.array([[-1, 0, 30, 54, 0, 0, 30, 54]]))


def test_no_window_onsets_in_the_follow_up_gives_a_one_sided_interval():
    low_end = np.array([[4, 6, 30, 54, 0, 5, 30, 54], [3, 8, 28, 56, 0, 7, 31, 53]] * 3, float)
    fit = fit_cohort_model(low_end)
    assert fit.estimate == 0.0 and fit.ci_low == 0.0 and 0 < fit.ci_high < 1
    assert fit.p_value < 0.05 and fit.tau is None and fit.prediction_low is None
    two = fit_cohort_model(low_end[:2])
    assert two.ci_high > fit.ci_high and (two.p_value < 0.05) == (two.ci_high < 1)
    high_end = np.array([[4, 6, 30, 54, 5, 0, 30, 54], [3, 8, 28, 56, 6, 0, 31, 53]], float)
    fit = fit_cohort_model(high_end)
    assert fit.estimate is None and fit.ci_high is None and fit.ci_low > 1


def test_the_edge_bound_is_where_the_profile_falls_by_half_the_chi2_quantile():
    low_end = np.array([[4, 6, 30, 54, 0, 5, 30, 54], [3, 8, 28, 56, 0, 7, 31, 53]] * 3, float)
    fit = fit_cohort_model(low_end)
    lik = CountLikelihood(low_end)
    rng = np.random.default_rng(0)

    def profile(g: float) -> float:  # many starts: the reference must not strand
        starts = [lik.start() + rng.normal(0, 0.5, 9) * (np.arange(9) % 8 > 0)
                  for _ in range(6)]
        for x in starts:
            x[[1, 3, 5, 7]] = np.abs(x[[1, 3, 5, 7]])
        return max(lik.fit({0: g}, x)[1] for x in starts)

    drop = profile(-10.0) - profile(math.log(fit.ci_high))
    assert drop == pytest.approx(stats.chi2.ppf(0.95, 1) / 2, abs=1e-3)


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
