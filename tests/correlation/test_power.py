"""The power calculator (issue #12): count-level simulation, decisions, known answers."""

from __future__ import annotations

import math
from datetime import date, timedelta
from itertools import product

import numpy as np
import pytest
from scipy import stats as st

from correlation import analyze
from correlation.cohort_model import fit_cohort_model
from correlation.conditional import sensitivity_ratio_exact
from correlation.hypergeometric_normal import upper_below_one
from correlation.power import (
    Scenario,
    at_risk_days,
    cohort_power,
    exact_upper_below_one,
    mean_attack_hours,
    pooled_upper_below_one,
    power_table,
    scenario_from_counts,
    simulate_counts,
    single_patient_power,
    weeks_needed,
)
from correlation.power_fit import pooled_flags
from correlation.simulate import simulate_patient


def test_exact_rule_matches_the_reported_interval():
    rng = np.random.default_rng(3)
    counts = simulate_counts(Scenario(base_rate=0.15), 0.4, 12, (400,), rng)
    fast = exact_upper_below_one(counts)
    slow = []
    for a0, b0, te0, tu0, a1, b1, te1, tu1 in counts:
        s = sensitivity_ratio_exact(int(a1), te1, int(b1), tu1, int(a0), te0, int(b0), tu0)
        slow.append(s.ci_high is not None and s.ci_high < 1)
    assert fast.any()
    assert np.array_equal(fast, np.array(slow))


CRIT = float(st.chi2.ppf(0.95, 1))


def test_pooled_rule_matches_the_hypergeometric_normal_fit():
    rng = np.random.default_rng(4)
    for cohort in simulate_counts(Scenario(tau=0.3), 0.6, 12, (12, 12), rng):
        assert pooled_upper_below_one(cohort) == upper_below_one(cohort, CRIT)


def _varied_cohorts(n: int, seed: int) -> list[np.ndarray]:
    """Cohorts of 1-30 patients over rare to frequent attacks, with and without spread."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sc = Scenario(base_rate=float(rng.choice([0.03, 0.12, 0.3])),
                      sensitivity=float(rng.choice([1.0, 3.0, 6.0])),
                      window_share=float(rng.choice([0.1, 0.33, 0.6])),
                      tau=float(rng.choice([0.0, 0.3, 1.0])),
                      baseline_weeks=int(rng.choice([4, 12])))
        size, weeks = int(rng.choice([1, 2, 3, 8, 30])), int(rng.choice([4, 12, 52]))
        out.append(simulate_counts(sc, float(rng.choice([0.3, 0.6, 1.0, 1.5])), weeks,
                                   (size,), rng))
    return out


def test_batched_decisions_equal_the_hypergeometric_normal_fit_one_by_one():
    """All cohorts decided together (power_fit) give each cohort its own fit's answer,
    including one-patient cohorts (tau fixed) and cohorts at the edge of their supports."""
    cohorts = _varied_cohorts(160, seed=21)
    batched = pooled_flags(cohorts)
    single = np.array([upper_below_one(c, CRIT) for c in cohorts])
    assert 10 < batched.sum() < len(cohorts) - 10  # both answers occur
    assert np.array_equal(batched, single)


def test_the_power_stand_in_decides_as_the_cohort_model_does_nearly_always():
    """The power calculator decides with the two-parameter hypergeometric-normal fit, a
    stand-in for the cohort's count model (docs/method.md, Power): on varied cohorts the
    two agree on at least 95% and flag about as often (measured: 97.5%, 26 and 26)."""
    cohorts = _varied_cohorts(160, seed=21)
    stand_in = pooled_flags(cohorts)
    model = np.array([(f.ci_high is not None and f.ci_high < 1)
                      for f in map(fit_cohort_model, cohorts)])
    assert (stand_in == model).mean() >= 0.95
    assert abs(int(stand_in.sum()) - int(model.sum())) <= 3


def test_a_cell_does_not_depend_on_the_other_cells_asked():
    sc = Scenario(tau=0.3)
    table = power_table(sc, [0.5, 0.75], [5, 10], [12, 24], simulations=6, seed=9)
    for cell in table:
        alone = cohort_power(sc, cell.ratio, cell.patients, cell.weeks, simulations=6, seed=9)
        assert alone == cell


def test_mean_attack_hours_matches_sampling():
    rng = np.random.default_rng(0)
    mu = math.log(14.0) - 0.18
    h = np.clip(rng.lognormal(mu, 0.6, 200_000), 4.0, 72.0)
    assert mean_attack_hours(14.0) == pytest.approx(h.mean(), rel=0.01)


def test_day_counts_without_persistence_keep_the_climate_share():
    te, tu = at_risk_days(84, 0.12, 3.0, 0.3, 14.0)
    assert float(te / (te + tu)) == pytest.approx(0.3)
    r = 0.3 * 0.36 + 0.7 * 0.12
    assert float(te + tu) == pytest.approx(84 / (1 + r * (1 + mean_attack_hours(14.0) / 24)))


def _exact_power(te0, tu0, te1, tu1, pw0, pu0, pw1, pu1, alpha=0.05) -> float:
    """Direct sum over every (a0, b0, a1, b1), each flagged with scipy's Fisher distribution."""
    total = 0.0
    for a0, b0, a1, b1 in product(range(te0 + 1), range(tu0 + 1), range(te1 + 1), range(tu1 + 1)):
        n0, n1, m = a0 + b0, a1 + b1, a0 + a1
        if min(n1, m) - max(0, m - n0) < 1:
            continue
        c = (te1 / tu1) / (te0 / tu0)
        if st.nchypergeom_fisher.cdf(a1, n0 + n1, n1, m, c) < alpha / 2:
            total += (st.binom.pmf(a0, te0, pw0) * st.binom.pmf(b0, tu0, pu0)
                      * st.binom.pmf(a1, te1, pw1) * st.binom.pmf(b1, tu1, pu1))
    return total


def test_single_patient_power_agrees_with_a_direct_calculation():
    # small periods (4 weeks each side), a threefold sensitivity removed (SR 1/3)
    sc = Scenario(base_rate=0.3, sensitivity=3.0, window_share=0.4, baseline_weeks=4,
                  window_persistence=0.0)
    counts = simulate_counts(sc, 1 / 3, 4, (1,), np.random.default_rng(0))[0]
    te0, tu0, te1, tu1 = (int(v) for v in counts[[2, 3, 6, 7]])
    truth = _exact_power(te0, tu0, te1, tu1, 0.9, 0.3, 0.3, 0.3)
    got = single_patient_power(sc, 1 / 3, 4, simulations=20000, seed=1)
    assert 0.015 < truth < 0.9
    assert abs(got.power - truth) < 4 * math.sqrt(truth * (1 - truth) / 20000)


def test_no_change_flags_at_most_alpha_over_two():
    sc = Scenario()
    one = single_patient_power(sc, 1.0, 24, simulations=8000, seed=2)
    assert one.power < 0.025 + 3 * one.mc_se
    cohort = cohort_power(Scenario(tau=0.0), 1.0, 20, 12, simulations=60, seed=2)
    assert cohort.power <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / 60)


def test_power_rises_with_patients_and_weeks():
    # a 52-week baseline, so that more follow-up is not held back by a short baseline
    sc = Scenario(tau=0.2, baseline_weeks=52)
    small = cohort_power(sc, 0.7, 5, 12, simulations=50, seed=5)
    more_patients = cohort_power(sc, 0.7, 20, 12, simulations=50, seed=5)
    more_weeks = cohort_power(sc, 0.7, 5, 52, simulations=50, seed=5)
    assert more_patients.power > small.power + 2 * small.mc_se
    assert more_weeks.power > small.power + 2 * small.mc_se
    curve = weeks_needed(Scenario(baseline_weeks=52), 0.5, current_weeks=12, max_weeks=52,
                         step=20, simulations=3000).curve
    assert curve[0].power < curve[-1].power


def test_weeks_needed_answers_in_weeks_or_more_than():
    strong = Scenario(base_rate=0.3, sensitivity=3.0, baseline_weeks=52)
    ans = weeks_needed(strong, 0.25, current_weeks=12, target=0.8, max_weeks=104, step=8,
                       simulations=2000)
    assert ans.weeks_needed is not None and ans.curve[-1].power >= 0.8
    assert ans.extra_weeks == ans.weeks_needed - 12
    assert all(c.power < 0.8 for c in ans.curve[:-1])
    weak = weeks_needed(Scenario(), 0.9, current_weeks=12, max_weeks=20, step=4,
                        simulations=500)
    assert weak.weeks_needed is None and weak.extra_weeks is None
    assert weak.sentence().startswith("more than 8 more weeks")


def test_scenario_from_clinic_counts_and_bad_input():
    sc = scenario_from_counts([[10, 30, 6, 60, 40, 44], [4, 20, 2, 40, 20, 64]])
    assert sc.base_rate == pytest.approx(8 / 100)
    assert sc.sensitivity == pytest.approx((14 / 50) / (8 / 100))
    assert sc.window_share == pytest.approx(60 / 168)
    with pytest.raises(ValueError, match="onsets"):
        scenario_from_counts([[0, 30, 0, 60, 40, 44]])
    with pytest.raises(ValueError, match="window_share"):
        Scenario(window_share=1.2)
    with pytest.raises(ValueError, match="tau"):
        Scenario(tau=-1)


def test_count_level_agrees_with_full_simulation():
    """300 full simulate_patient + analyze runs against the count model, same inputs."""
    rows, shares, flags = [], [], []
    for seed in range(300):
        sp = simulate_patient(seed, report_date=date(2025, 1, 1) + timedelta(days=seed % 365),
                              base_rate=0.2, sensitivity=3.0, prt_sensitivity_factor=0.0)
        rep = analyze(sp.to_series())
        b, f = rep.periods["baseline"], rep.periods["followup"]
        rows.append([b.onsets_window, b.onsets_nonwindow, b.at_risk_window_days,
                     b.at_risk_nonwindow_days, f.onsets_window, f.onsets_nonwindow,
                     f.at_risk_window_days, f.at_risk_nonwindow_days])
        shares.append((b.window_days / b.covered_days + f.window_days / f.covered_days) / 2)
        s = rep.comparison.sensitivity_ratio
        flags.append(s.ci_high is not None and s.ci_high < 1)
    full = np.array(rows, dtype=float)
    sc = Scenario(base_rate=0.2, sensitivity=3.0, window_share=float(np.mean(shares)))
    counts = simulate_counts(sc, 1 / 3, 12, (20000,), np.random.default_rng(0))
    # mean counts and day counts within 5% (day counts) or 4 standard errors (onsets)
    se = full.std(axis=0) / math.sqrt(len(full))
    for j in (0, 1, 4, 5):
        assert abs(full[:, j].mean() - counts[:, j].mean()) < 4 * se[j] + 0.05, j
    for j in (2, 3, 6, 7):
        assert counts[:, j].mean() == pytest.approx(full[:, j].mean(), rel=0.05), j
    p_full = float(np.mean(flags))
    p_count = float(exact_upper_below_one(counts).mean())
    assert abs(p_full - p_count) < 3 * math.sqrt(p_count * (1 - p_count) / 300)
