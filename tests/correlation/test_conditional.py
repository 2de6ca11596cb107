"""The exact conditional sensitivity ratio (DESIGN amendment A5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from correlation.conditional import log_pmf, sensitivity_ratio_exact, support_table
from correlation.stats import log_ratio_of_ratios, woolf_ratio_of_ratios

# (a1, te1, b1, tu1, a0, te0, b0, tu0)
TABLES = [(1, 1, 1, 25, 2, 3, 2, 19), (6, 40, 5, 44, 17, 39, 2, 18),
          (20, 30, 11, 50, 25, 35, 9, 49), (3, 20, 8, 60, 9, 25, 4, 55),
          (2, 28, 9, 56, 7, 26, 6, 58)]


def _dist(a1, te1, b1, tu1, a0, te0, b0, tu0, sr):
    c = (te1 / tu1) / (te0 / tu0)
    return stats.nchypergeom_fisher(a0 + b0 + a1 + b1, a1 + b1, a0 + a1, c * sr)


@pytest.mark.parametrize(("n0", "n1", "m", "odds"),
                         [(5, 7, 6, 0.3), (12, 3, 4, 2.5), (30, 25, 20, 1.0), (4, 9, 10, 7.0)])
def test_log_pmf_matches_scipy(n0, n1, m, odds):
    lo, size, lb = support_table(n0, n1, m)
    x = lo[0] + np.arange(size[0])
    ours = log_pmf(lb[0, : size[0]], math.log(odds))
    ref = stats.nchypergeom_fisher(n0 + n1, n1, m, odds).logpmf(x)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("cells", TABLES)
def test_bounds_solve_the_tail_equations_of_scipys_distribution(cells):
    a1 = cells[0]
    res = sensitivity_ratio_exact(*cells)
    assert _dist(*cells, res.ci_low).sf(a1 - 1) == pytest.approx(0.025, rel=1e-7)
    assert _dist(*cells, res.ci_high).cdf(a1) == pytest.approx(0.025, rel=1e-7)
    assert _dist(*cells, res.estimate).mean() == pytest.approx(a1, rel=1e-8)  # conditional MLE
    d1 = _dist(*cells, 1.0)
    assert res.p_value == pytest.approx(min(1.0, 2 * min(d1.cdf(a1), d1.sf(a1 - 1))), rel=1e-8)


def test_interval_equals_brute_force_tail_inversion():
    cells = (4, 22, 7, 60, 8, 27, 5, 57)
    a1 = cells[0]
    res = sensitivity_ratio_exact(*cells)
    grid = np.exp(np.linspace(math.log(res.ci_low) - 0.5, math.log(res.ci_high) + 0.5, 801))
    accepted = [sr for sr in grid
                if _dist(*cells, sr).sf(a1 - 1) > 0.025 and _dist(*cells, sr).cdf(a1) > 0.025]
    step = grid[1] / grid[0]
    assert min(accepted) == pytest.approx(res.ci_low, rel=step - 1)
    assert max(accepted) == pytest.approx(res.ci_high, rel=step - 1)


def test_p_below_alpha_exactly_when_one_is_outside_the_interval():
    rng = np.random.default_rng(3)
    for _ in range(300):
        te0, te1 = rng.integers(10, 40, 2)
        cells = (rng.poisson(8), te1, rng.poisson(10), 84 - te1,
                 rng.poisson(8), te0, rng.poisson(10), 84 - te0)
        res = sensitivity_ratio_exact(*cells)
        if res.p_value is None:
            continue
        outside = (res.ci_high is not None and res.ci_high < 1) or res.ci_low > 1
        assert (res.p_value < 0.05) == outside, cells


def test_support_ends_are_one_sided_and_degenerate_supports_null():
    at_min = sensitivity_ratio_exact(0, 40, 5, 44, 17, 39, 2, 18)
    assert at_min.estimate == 0.0 and at_min.ci_low == 0.0 and 0 < at_min.ci_high < 1
    at_max = sensitivity_ratio_exact(5, 30, 0, 40, 3, 20, 6, 50)
    assert at_max.estimate is None and at_max.ci_high is None and at_max.ci_low > 0
    for cells in [(0, 10, 0, 10, 3, 10, 4, 10),   # no onsets in the follow-up
                  (3, 10, 4, 10, 0, 10, 0, 10),   # none in the baseline
                  (3, 10, 0, 10, 2, 10, 0, 10),   # every onset on a window day
                  (3, 0, 4, 10, 3, 10, 4, 10)]:   # no window days in the follow-up
        res = sensitivity_ratio_exact(*cells)
        assert res.to_dict() == {"estimate": None, "ci_low": None, "ci_high": None,
                                 "p_value": None}, cells
    with pytest.raises(ValueError):
        sensitivity_ratio_exact(-1, 10, 2, 10, 3, 10, 4, 10)


def test_never_infinite_even_for_extreme_tables():
    for cells in [(200, 30, 1, 50, 1, 35, 200, 49), (1, 30, 200, 50, 200, 35, 1, 49)]:
        d = sensitivity_ratio_exact(*cells).to_dict()
        assert all(v is None or math.isfinite(v) for v in d.values())


def test_woolf_and_katz_cross_checks_with_large_counts():
    cells = (120, 300, 200, 700, 150, 320, 160, 680)
    exact = sensitivity_ratio_exact(*cells)
    woolf = woolf_ratio_of_ratios(*cells)
    assert exact.estimate == pytest.approx(woolf.estimate, rel=0.01)
    assert math.log(exact.ci_high / exact.ci_low) == pytest.approx(
        math.log(woolf.ci_high / woolf.ci_low), rel=0.05)
    assert exact.p_value == pytest.approx(woolf.p_value, abs=0.02)
    _, se_w = log_ratio_of_ratios(*cells)
    _, se_k = log_ratio_of_ratios(*cells, variance="katz")
    a1, te1, b1, tu1, a0, te0, b0, tu0 = cells
    assert se_k ** 2 == pytest.approx(se_w ** 2 - (1 / te1 + 1 / tu1 + 1 / te0 + 1 / tu0))
    with pytest.raises(ValueError):
        log_ratio_of_ratios(*cells, variance="other")


@pytest.mark.slow
def test_exact_interval_covers_at_least_the_nominal_rate():
    """Poisson onsets with a planted ratio 0.5: coverage >= 95% minus 3 Monte Carlo SEs."""
    rng = np.random.default_rng(20260601)
    n, truth, covered, informative = 2000, 0.5, 0, 0
    for _ in range(n):
        te0, te1 = rng.integers(15, 40, 2)
        lam = 0.12
        cells = (rng.poisson(te1 * lam * 3 * truth), te1, rng.poisson((84 - te1) * lam), 84 - te1,
                 rng.poisson(te0 * lam * 3), te0, rng.poisson((84 - te0) * lam), 84 - te0)
        res = sensitivity_ratio_exact(*cells)
        if res.ci_low is None:
            continue
        informative += 1
        high = math.inf if res.ci_high is None else res.ci_high
        covered += res.ci_low <= truth <= high
    rate = covered / informative
    assert informative > 0.95 * n
    assert rate >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / informative)
