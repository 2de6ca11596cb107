import json
import math
from datetime import date

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from correlation import analyze, cohort_summary
from correlation.cohort import pool_log_ratios
from correlation.simulate import simulate_patient


@pytest.fixture(scope="module")
def reports():
    out = []
    for seed in range(24):
        sp = simulate_patient(seed, report_date=date(2026, 6, 1), sensitivity=3.0,
                              prt_sensitivity_factor=0.3 if seed % 2 else 1.0,
                              base_rate=0.15)
        out.append(analyze(sp.to_series()))
    return out


def test_pooling_matches_statsmodels_dersimonian_laird():
    y = np.array([-1.5, -0.2, 0.8, -1.4, -0.5, 0.6])
    se = np.array([0.4, 0.3, 0.5, 0.6, 0.3, 0.5])
    res = pool_log_ratios(y, se)
    ref = combine_effects(y, se ** 2, method_re="dl")
    assert ref.tau2 > 0  # heterogeneous: no truncation involved
    assert math.log(res.fixed.estimate) == pytest.approx(ref.mean_effect_fe, abs=1e-10)
    assert res.fixed.se_log == pytest.approx(ref.sd_eff_w_fe, abs=1e-10)
    assert math.log(res.random.estimate) == pytest.approx(ref.mean_effect_re, abs=1e-10)
    assert res.random.se_log == pytest.approx(ref.sd_eff_w_re, abs=1e-10)
    assert res.tau2 == pytest.approx(ref.tau2, abs=1e-10)
    assert res.i2 == pytest.approx(ref.i2, abs=1e-10)
    assert res.q == pytest.approx(ref.q, abs=1e-10)
    assert res.n_pooled == 6
    # homogeneous: DerSimonian-Laird truncates tau^2 and I^2 at 0 (statsmodels does not)
    homo = pool_log_ratios([-0.5, -0.4, -0.6, -0.5], [0.6, 0.5, 0.7, 0.9])
    assert homo.tau2 == 0.0 and homo.i2 == 0.0
    assert homo.random.estimate == pytest.approx(homo.fixed.estimate)
    single = pool_log_ratios([0.5], [0.4])
    assert single.fixed.estimate == pytest.approx(math.exp(0.5)) and single.i2 is None
    empty = pool_log_ratios([], [], n_left_out=3)
    assert empty.fixed.estimate is None and empty.n_left_out == 3


def test_cohort_summary(reports):
    s = cohort_summary(reports, labels=[f"p{i}" for i in range(len(reports))])
    assert len(s.rows) == 24 and s.rows[3].label == "p3"
    changes = [r.comparison.mmd_change for r in reports]
    assert s.median_mmd_change == pytest.approx(float(np.median(changes)))
    assert s.responders_50 == sum(bool(r.comparison.responder_50) for r in reports)
    ref = stats.wilcoxon(changes)
    assert s.tests["mmd"].p_value == pytest.approx(ref.pvalue)
    wl = [r.periods["followup"].weather_linked_mmd - r.periods["baseline"].weather_linked_mmd
          for r in reports]
    assert s.tests["weather_linked"].p_value == pytest.approx(stats.wilcoxon(wl).pvalue)
    usable = [r.comparison.sensitivity_ratio for r in reports
              if r.comparison.sensitivity_ratio.estimate is not None]
    pooled = s.pooled_sensitivity_ratio
    assert pooled.n_pooled == len(usable)
    assert pooled.n_left_out == 24 - len(usable)
    y = np.log([u.estimate for u in usable])
    w = 1 / np.array([u.se_log for u in usable]) ** 2
    assert math.log(pooled.fixed.estimate) == pytest.approx(float(np.sum(w * y) / np.sum(w)))
    d = s.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["n_patients"] == 24 and len(d["rows"]) == 24


def test_cohort_edge_cases():
    s = cohort_summary([])
    json.dumps(s.to_dict(), allow_nan=False)
    assert s.median_mmd_change is None and s.tests["mmd"].p_value is None
    with pytest.raises(ValueError):
        cohort_summary([], labels=["x"])


def test_cohort_from_stored_reports_equals_the_one_from_reports(reports):
    from correlation.cohort import CohortRow, summarise_rows

    labels = [f"p{i}" for i in range(len(reports))]
    direct = cohort_summary(reports, labels=labels).to_dict()
    rows = [CohortRow.from_dict(r.to_dict(), label, 0.95) for r, label in zip(
        reports, labels, strict=True)]
    stored = summarise_rows(rows, 0.95).to_dict()
    assert stored["rows"] == direct["rows"]
    for key in ("fixed", "random"):
        for name in ("estimate", "ci_low", "ci_high", "p_value"):
            a = stored["pooled_sensitivity_ratio"][key][name]
            b = direct["pooled_sensitivity_ratio"][key][name]
            assert (a is None and b is None) or abs(a - b) <= 1e-9 * max(1.0, abs(b))
    assert stored["tests"] == direct["tests"]
    assert stored["pooled_sensitivity_ratio"]["n_pooled"] >= 2
