import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep

from correlation import stats as corr_stats
from correlation.stats import (
    Interval,
    rate_ratio_exact,
    rate_ratio_exact_p,
    woolf_ratio_of_ratios,
)

CASES = [(5, 30, 3, 50), (1, 10, 9, 70), (17, 39, 2, 18), (12, 12, 12, 12), (40, 100, 7, 200),
         (3, 5.5, 4, 80.25)]


@pytest.mark.parametrize(("a", "te", "b", "tu"), CASES)
def test_exact_rate_ratio_matches_statsmodels_clopper_pearson(a, te, b, tu):
    iv = rate_ratio_exact(a, te, b, tu)
    lo_p, hi_p = proportion_confint(a, a + b, alpha=0.05, method="beta")
    assert iv.estimate == pytest.approx((a / te) / (b / tu), rel=1e-12)
    assert iv.ci_low == pytest.approx(lo_p / (1 - lo_p) * tu / te, rel=1e-9, abs=1e-9)
    assert iv.ci_high == pytest.approx(hi_p / (1 - hi_p) * tu / te, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("conf", [0.9, 0.99])
def test_exact_rate_ratio_other_confidence(conf):
    iv = rate_ratio_exact(7, 40, 5, 60, conf)
    lo_p, hi_p = proportion_confint(7, 12, alpha=1 - conf, method="beta")
    assert iv.ci_low == pytest.approx(lo_p / (1 - lo_p) * 60 / 40, rel=1e-9)
    assert iv.ci_high == pytest.approx(hi_p / (1 - hi_p) * 60 / 40, rel=1e-9)


@pytest.mark.parametrize(("a", "te", "b", "tu"), [c for c in CASES if float(c[1]).is_integer()])
def test_exact_p_matches_statsmodels(a, te, b, tu):
    ref = poisson_2indep(a, te, b, tu, method="exact-cond").pvalue
    assert rate_ratio_exact_p(a, te, b, tu) == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_exact_rate_ratio_edges_never_infinite():
    zero_a = rate_ratio_exact(0, 30, 6, 40)
    assert zero_a.estimate == 0.0 and zero_a.ci_low == 0.0 and zero_a.ci_high > 0
    _, hi_p = proportion_confint(0, 6, alpha=0.05, method="beta")
    assert zero_a.ci_high == pytest.approx(hi_p / (1 - hi_p) * 40 / 30, rel=1e-9)
    zero_b = rate_ratio_exact(6, 30, 0, 40)
    assert zero_b.estimate is None and zero_b.ci_high is None and zero_b.ci_low > 0
    assert rate_ratio_exact(0, 30, 0, 40) == Interval(None, None, None)
    assert rate_ratio_exact(3, 0, 2, 40) == Interval(None, None, None)
    assert rate_ratio_exact(3, 10, 2, 0).to_dict() == {
        "estimate": None, "ci_low": None, "ci_high": None}
    assert rate_ratio_exact_p(0, 10, 0, 10) is None
    with pytest.raises(ValueError):
        rate_ratio_exact(-1, 10, 2, 10)


def _glm_interaction(a1, t1, b1, u1, a0, t0, b0, u0):
    counts = np.array([a1, b1, a0, b0], dtype=float)
    exposure = np.array([t1, u1, t0, u0], dtype=float)
    period = np.array([1, 1, 0, 0])
    window = np.array([1, 0, 1, 0])
    x = sm.add_constant(np.column_stack([period, window, period * window]).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a saturated model: statsmodels warns, harmlessly
        fit = sm.GLM(counts, x, family=sm.families.Poisson(), offset=np.log(exposure)).fit(
            tol=1e-14, maxiter=500)
    return fit.params[3], fit.bse[3], fit.pvalues[3]


@pytest.mark.parametrize(
    "cells",
    [(6, 40, 5, 44, 17, 39, 2, 18), (20, 30, 11, 50, 25, 35, 9, 49), (3, 20, 8, 60, 9, 25, 4, 55)],
)
def test_woolf_matches_poisson_glm_interaction(cells):
    est, se, p = _glm_interaction(*cells)
    res = woolf_ratio_of_ratios(*cells)
    assert math.log(res.estimate) == pytest.approx(est, abs=1e-6)
    assert res.se_log == pytest.approx(se, abs=1e-6)
    assert res.p_value == pytest.approx(p, abs=1e-6)
    assert math.log(res.ci_low) == pytest.approx(est - 1.959963984540054 * se, abs=1e-6)
    assert math.log(res.ci_high) == pytest.approx(est + 1.959963984540054 * se, abs=1e-6)


def test_woolf_zero_cell_adds_half_to_all_counts_not_exposures():
    cells = (0, 40, 5, 44, 17, 39, 2, 18)
    corrected = (0.5, 40, 5.5, 44, 17.5, 39, 2.5, 18)
    est, se, _ = _glm_interaction(*corrected)
    res = woolf_ratio_of_ratios(*cells)
    assert math.log(res.estimate) == pytest.approx(est, abs=1e-6)
    assert res.se_log == pytest.approx(se, abs=1e-6)
    direct = (0.5 / 40) / (5.5 / 44) / ((17.5 / 39) / (2.5 / 18))
    assert res.estimate == pytest.approx(direct, rel=1e-12)


def test_woolf_not_computable_is_none():
    assert woolf_ratio_of_ratios(1, 0, 2, 10, 3, 10, 4, 10).to_dict() == {
        "estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
    assert woolf_ratio_of_ratios(1, 10, 2, 10, 3, 10, 4, 0).estimate is None


def test_tested_interval_to_dict_is_json_safe():
    t = corr_stats.TestedInterval(float("inf"), float("nan"), 2.0, 0.5, 0.1)
    assert t.to_dict() == {"estimate": None, "ci_low": None, "ci_high": 2.0, "p_value": 0.5}
