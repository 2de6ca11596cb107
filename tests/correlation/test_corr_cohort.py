import json
import math
from datetime import date

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from correlation import analyze, cohort_summary
from correlation.cohort import dersimonian_laird_hk
from correlation.cohort_model import fit_cohort_model
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


def test_dl_hartung_knapp_matches_statsmodels():
    y = np.array([-1.5, -0.2, 0.8, -1.4, -0.5, 0.6])
    se = np.array([0.4, 0.3, 0.5, 0.6, 0.3, 0.5])
    res = dersimonian_laird_hk(y, se)
    ref = combine_effects(y, se ** 2, method_re="dl", use_t=True)
    assert ref.tau2 > 0  # heterogeneous: no truncation involved
    assert math.log(res.pooled.estimate) == pytest.approx(ref.mean_effect_re, abs=1e-10)
    assert res.pooled.se_log == pytest.approx(ref.sd_eff_w_re_hksj, abs=1e-10)
    hk_low, hk_high = ref.conf_int(alpha=0.05, use_t=True)[3]
    assert math.log(res.pooled.ci_low) == pytest.approx(hk_low, abs=1e-10)
    assert math.log(res.pooled.ci_high) == pytest.approx(hk_high, abs=1e-10)
    t = ref.mean_effect_re / ref.sd_eff_w_re_hksj
    assert res.pooled.p_value == pytest.approx(2 * stats.t.sf(abs(t), 5), rel=1e-9)
    assert res.tau2 == pytest.approx(ref.tau2, abs=1e-10)
    assert res.i2 == pytest.approx(ref.i2, abs=1e-10)
    assert res.q == pytest.approx(ref.q, abs=1e-10)
    assert res.n_pooled == 6
    # homogeneous: DerSimonian-Laird truncates tau^2 and I^2 at 0 (statsmodels does not)
    homo = dersimonian_laird_hk([-0.5, -0.4, -0.6, -0.5], [0.6, 0.5, 0.7, 0.9])
    assert homo.tau2 == 0.0 and homo.i2 == 0.0
    single = dersimonian_laird_hk([0.5], [0.4])
    assert single.pooled.estimate == pytest.approx(math.exp(0.5)) and single.i2 is None
    assert single.pooled.ci_low is None and single.pooled.p_value is None
    empty = dersimonian_laird_hk([], [])
    assert empty.pooled.estimate is None and empty.n_pooled == 0


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
    pooled = s.pooled_sensitivity_ratio
    counts = np.array([r.count_row() for r in s.rows])
    direct = fit_cohort_model(counts)
    assert pooled.model == direct
    assert pooled.model.n_pooled + pooled.model.n_left_out == 24
    assert pooled.sensitivity_analysis.n_pooled == pooled.model.n_pooled
    # half the patients keep their threefold sensitivity, half keep 1 + 2 * 0.3 = 1.6 of it
    assert 0.3 < pooled.model.estimate < 1.0
    d = s.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["n_patients"] == 24 and len(d["rows"]) == 24
    assert next(iter(d)) == "pooled_sensitivity_ratio"  # the primary endpoint first


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
    assert stored["pooled_sensitivity_ratio"] == direct["pooled_sensitivity_ratio"]
    assert stored["tests"] == direct["tests"]
    assert stored["pooled_sensitivity_ratio"]["n_pooled"] >= 2
