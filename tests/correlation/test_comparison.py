"""Comparison patients (DESIGN A8) and the weather-sensitive subgroup (issue #13)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from correlation.cohort import CohortRow, summarise_rows
from correlation.comparison import (
    COMPARISON_KIND,
    MIN_MONTH_OVERLAP,
    fit_group_term,
    group_of_kind,
    mmd_difference,
    month_days,
    month_overlap,
)
from correlation.count_model import DELTA, CountLikelihood
from correlation.stats import TestedInterval
from correlation.subgroup import SubgroupRule
from tests.correlation.test_cohort_model import draw_cohort


def _rows(counts, group, mmd_changes=None, first=0):
    """CohortRows from count rows; enough data unless a count is missing."""
    out = []
    for i, c in enumerate(np.asarray(counts)):
        a0, b0, te0, tu0 = c[:4]
        out.append(CohortRow(
            label=f"{group} {first + i}", verdict="weather_link_not_settled",
            mmd_baseline=None, mmd_followup=None,
            mmd_change=None if mmd_changes is None else float(mmd_changes[i]),
            mmd_change_pct=None, responder_50=None, weather_linked_change=None,
            non_weather_change=None,
            sensitivity_ratio=TestedInterval(None, None, None, None, None),
            counts=tuple(int(v) for v in c), group=group,
            baseline_exposure_ratio=(a0 / te0) / (b0 / tu0) if b0 else None))
    return out


def test_a_planted_group_difference_is_recovered():
    rng = np.random.default_rng(12)
    treated = draw_cohort(rng, 30, math.log(0.5), 0.2)
    comparison = draw_cohort(rng, 30, 0.0, 0.2)
    fit = fit_group_term(np.vstack([treated, comparison]), [True] * 30 + [False] * 30)
    assert fit.missing is None and (fit.n_treated, fit.n_comparison) == (30, 30)
    assert fit.ci_low < 0.5 < fit.ci_high < 1.0
    assert fit.estimate == pytest.approx(0.5, rel=0.35)
    assert fit.p_value < 0.05


def test_the_interval_ends_where_the_profile_falls_by_half_the_chi2_quantile():
    rng = np.random.default_rng(3)
    counts = np.vstack([draw_cohort(rng, 8, -0.5, 0.3), draw_cohort(rng, 8, 0.0, 0.3)])
    treated = np.array([True] * 8 + [False] * 8)
    fit = fit_group_term(counts, treated)
    lik = CountLikelihood(counts, covariate=treated.astype(float))
    p, best = lik.fit()

    def profile(delta: float) -> float:  # from the estimate and from a fresh start
        return max(lik.fit({DELTA: delta}, p)[1], lik.fit({DELTA: delta})[1])

    crit = stats.chi2.ppf(0.95, 1) / 2
    for bound in (fit.ci_low, fit.ci_high):
        assert profile(math.log(bound)) == pytest.approx(best - crit, abs=1e-3)
    lr = 2 * (best - profile(0.0))
    assert fit.p_value == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-4)


def test_the_group_score_matches_finite_differences():
    counts = draw_cohort(np.random.default_rng(8), 12, -0.3, 0.4)
    lik = CountLikelihood(counts, covariate=np.arange(12) % 2)
    p = np.array([-0.2, 0.5, 0.8, 0.3, -2.2, 0.2, -2.4, 0.2, 0.3])
    h = np.zeros(9)
    h[DELTA] = 1e-6
    numeric = (lik.evaluate(p + h)[0] - lik.evaluate(p - h)[0]) / 2e-6
    assert lik.evaluate(p)[1][DELTA] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_without_comparison_patients_there_is_no_group_term_and_the_output_says_so():
    rows = _rows(draw_cohort(np.random.default_rng(1), 6, -0.4, 0.2), "treated",
                 [-2, -1, 0, 1, -3, -1])
    out = summarise_rows(rows).to_dict()
    assert out["comparison"]["available"] is False
    assert out["comparison"]["sensitivity_ratio"] is None
    assert "no comparison patients" in out["comparison"]["note"]
    assert out["n_comparison"] == 0 and out["n_treated"] == 6


def test_comparison_patients_never_enter_the_treated_summaries():
    rng = np.random.default_rng(4)
    treated = _rows(draw_cohort(rng, 6, -0.6, 0.2), "treated", [-3, -2, -1, -4, 0, -2])
    comparison = _rows(draw_cohort(rng, 4, 0.0, 0.2), "comparison", [0, 1, -1, 0.5])
    alone = summarise_rows(treated).to_dict()
    both = summarise_rows(treated + comparison).to_dict()
    for key in ("median_mmd_change", "tests", "pooled_sensitivity_ratio", "n_analysed"):
        assert both[key] == alone[key], key
    contrast = both["comparison"]
    assert contrast["available"] is True and contrast["n_comparison"] == 4
    mmd = contrast["mmd_change"]
    assert mmd["difference"] == pytest.approx(-2.0 - 0.125)
    welch = stats.ttest_ind([-3, -2, -1, -4, 0, -2], [0, 1, -1, 0.5], equal_var=False)
    assert mmd["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    assert mmd["ci_low"] < mmd["difference"] < mmd["ci_high"]
    assert contrast["sensitivity_ratio"]["estimate"] is not None


def test_one_comparison_patient_says_what_is_missing():
    rng = np.random.default_rng(5)
    rows = (_rows(draw_cohort(rng, 4, -0.4, 0.2), "treated", [-1, -2, 0, -1])
            + _rows(draw_cohort(rng, 1, 0.0, 0.2), "comparison", [0]))
    contrast = summarise_rows(rows).to_dict()["comparison"]
    assert contrast["mmd_change"]["difference"] is None
    assert "comparison patients (1 of 2)" in contrast["mmd_change"]["missing"]
    assert "comparison patients (1 of 2)" in contrast["sensitivity_ratio"]["missing"]


def test_comparison_onsets_all_on_one_kind_of_day_give_no_finite_ratio():
    rng = np.random.default_rng(6)
    comparison = draw_cohort(rng, 3, 0.0, 0.2)
    comparison[:, 4] = 0  # no follow-up onsets on window days
    comparison[:, 5] = np.maximum(comparison[:, 5], 1)
    fit = fit_group_term(np.vstack([draw_cohort(rng, 4, 0.0, 0.2), comparison]),
                         [True] * 4 + [False] * 3)
    assert fit.estimate is None and "no finite estimate" in fit.missing


def test_mmd_difference_edges():
    same = mmd_difference([1.0, 1.0], [0.0, 0.0])
    assert same.difference == 1.0 and same.ci_low is None and same.missing is None
    none = mmd_difference([None, 1.0, 2.0], [])
    assert none.difference is None and "comparison patients (0 of 2)" in none.missing
    assert none.treated_mean == 1.5


def test_the_group_is_read_from_the_course_kind():
    assert group_of_kind(" Comparison ") == "comparison" == group_of_kind(COMPARISON_KIND)
    assert group_of_kind("PRT") == "treated" == group_of_kind(None)
    report = {"course": {"kind": "comparison"}, "findings": [{"code": "interim"}],
              "comparison": {"mmd_change": None, "mmd_change_pct": None, "responder_50": None,
                             "sensitivity_ratio": {"estimate": None, "ci_low": None,
                                                   "ci_high": None, "p_value": None}},
              "periods": {p: {"mmd": None, "weather_linked_mmd": None, "non_weather_mmd": None,
                              "exposure_rate_ratio": {"estimate": 2.0}}
                          for p in ("baseline", "followup")}}
    row = CohortRow.from_dict(report, "x", 0.95)
    assert row.group == "comparison" and row.baseline_exposure_ratio == 2.0


def test_the_sensitive_subgroup_uses_baseline_numbers_only():
    rows = _rows([[8, 10, 30, 54, 0, 10, 30, 54],    # ratio 1.44: below 1.5
                  [3, 2, 30, 54, 1, 10, 30, 54],     # 3 onsets on fall days: too few
                  [6, 0, 30, 54, 1, 10, 30, 54],     # no other-day onsets: infinite ratio
                  [9, 6, 30, 54, 5, 10, 30, 54]],    # ratio 2.7
                 "treated")
    out = summarise_rows(rows, subgroup=SubgroupRule()).to_dict()
    assert [r["label"] for r in out["rows"]] == ["treated 2", "treated 3"]
    reasons = {d["label"]: d["reason"] for d in out["subgroup"]["not_in_subgroup"]}
    assert "below 1.5" in reasons["treated 0"] and "fewer than 4" in reasons["treated 1"]
    assert "at least 1.5" in out["subgroup"]["rule"] and "at least 4" in out["subgroup"]["rule"]
    looser = summarise_rows(rows, subgroup=SubgroupRule("sensitive", 1.2, 3)).to_dict()
    assert out["n_patients"] == 2 and looser["n_patients"] == 4
    assert summarise_rows(rows, subgroup=SubgroupRule("all")).to_dict()["n_patients"] == 4


@pytest.mark.parametrize("kwargs", [{"name": "some"}, {"min_ratio": 0.0},
                                    {"min_ratio": math.nan}, {"min_onsets": -1}])
def test_a_bad_subgroup_rule_is_refused(kwargs):
    with pytest.raises(ValueError):
        SubgroupRule(**kwargs)


# --------------------------------------------------------------------------- calendar (A8)


def _dated(rows, spans):
    """The rows with (baseline start, end, follow-up start, end) from ``spans`` (one per row)."""
    return [replace(r, period_dates=tuple(s)) for r, s in zip(rows, spans, strict=True)]


def _spans(baseline: tuple[str, str], followup: tuple[str, str]) -> tuple[str, ...]:
    return (*baseline, *followup)


WINTER = _spans(("2024-11-01", "2025-01-23"), ("2025-03-21", "2025-06-12"))


def test_month_days_and_overlap_edges():
    days = month_days([("2025-01-22", "2025-02-10"), ("2025-02-01", None),
                       ("2025-03-02", "2025-03-01")])  # an open span and an empty one add none
    assert days[0] == 10 and days[1] == 10 and days.sum() == 20
    assert month_days([("2024-12-31", "2025-01-01")]).tolist() == [1] + [0] * 10 + [1]
    half = month_overlap(days, month_days([("2025-02-01", "2025-02-20")]))
    assert half == pytest.approx(0.5)
    below = month_overlap(month_days([("2025-01-21", "2025-02-10")]),  # 11 January days
                          month_days([("2025-02-01", "2025-02-20")]))
    assert below == pytest.approx(10 / 21) and below < MIN_MONTH_OVERLAP == 0.5
    assert month_overlap(days, np.zeros(12)) is None
    # months of the year: the same months of another year overlap fully
    assert month_overlap(month_days([("2023-03-01", "2023-05-31")]),
                         month_days([("2025-03-01", "2025-05-31")])) == pytest.approx(1.0)


@pytest.mark.parametrize(("comparison_followup", "overlap"), [
    (("2025-03-21", "2025-06-12"), 1.0),    # the same 12 weeks
    (("2025-04-18", "2025-07-10"), 2 / 3),  # four weeks later: 56 of 84 days matched
    (("2025-05-02", "2025-07-24"), 0.5),    # six weeks later: the edge, still like-for-like
    (("2025-05-09", "2025-07-31"), 35 / 84),  # seven weeks later: not like-for-like
    (("2025-06-13", "2025-09-04"), 12 / 84),  # the next 12 weeks: only June in common
])
def test_the_rule_on_shifted_follow_ups(comparison_followup, overlap):
    summary = _calendar_summary(WINTER, _spans(WINTER[:2], comparison_followup))
    cal = summary["comparison"]["calendar_overlap"]
    like = overlap >= 0.5
    assert cal["followup_overlap"] == pytest.approx(overlap)
    assert cal["baseline_overlap"] == pytest.approx(1.0)
    assert summary["comparison"]["like_for_like"] is like is cal["like_for_like"]
    assert (cal["caveat"] is None) is like
    if not like:
        assert f"follow-up, {overlap * 100:.0f}% of the days" in cal["caveat"]
        assert "not like-for-like" in cal["caveat"] and "baseline" not in cal["caveat"]


def test_the_edge_of_the_rule_in_the_follow_up():
    treated = _spans(WINTER[:2], ("2025-01-22", "2025-02-10"))  # 10 January + 10 February
    at_edge = _calendar_summary(treated, _spans(WINTER[:2], ("2025-02-01", "2025-02-20")))
    assert at_edge["comparison"]["calendar_overlap"]["followup_overlap"] == pytest.approx(0.5)
    assert at_edge["comparison"]["like_for_like"] is True
    treated = _spans(WINTER[:2], ("2025-01-21", "2025-02-10"))  # one more January day
    below = _calendar_summary(treated, _spans(WINTER[:2], ("2025-02-01", "2025-02-20")))
    assert below["comparison"]["calendar_overlap"]["followup_overlap"] < 0.5
    assert below["comparison"]["like_for_like"] is False
    assert "follow-up, 48% of the days" in below["comparison"]["calendar_overlap"]["caveat"]


def test_a_baseline_in_other_months_is_caught_too():
    summer_baseline = _spans(("2024-05-01", "2024-07-23"), WINTER[2:])
    summary = _calendar_summary(WINTER, summer_baseline)
    cal = summary["comparison"]["calendar_overlap"]
    assert cal["followup_overlap"] == pytest.approx(1.0) and cal["baseline_overlap"] == 0
    assert summary["comparison"]["like_for_like"] is False
    assert "in the baseline, 0% of the days" in cal["caveat"]


def test_a_follow_up_not_begun_cannot_be_matched():
    summary = _calendar_summary(WINTER, _spans(WINTER[:2], ("2025-03-21", None)))
    cal = summary["comparison"]["calendar_overlap"]
    assert cal["followup_overlap"] is None and summary["comparison"]["like_for_like"] is False
    assert "follow-up, one group has no days yet" in cal["caveat"]


def _calendar_summary(treated_spans, comparison_spans) -> dict:
    """A cohort of 6 treated and 6 comparison patients with these period dates (each group's
    patients share them), summarised to its JSON."""
    rng = np.random.default_rng(5)
    treated = _dated(_rows(draw_cohort(rng, 6, -0.5, 0.2), "treated", [-2.0] * 6),
                     [treated_spans] * 6)
    comparison = _dated(_rows(draw_cohort(rng, 6, 0.0, 0.2), "comparison", [-1.0] * 6,
                              first=6), [comparison_spans] * 6)
    summary = summarise_rows(treated + comparison).to_dict()
    assert summary["comparison"]["available"] is True
    months = summary["comparison"]["calendar_overlap"]["months"]
    assert sum(months["treated"]["baseline"]) == 6 * _length(treated_spans[:2])
    return summary


def _length(span) -> int:
    from datetime import date

    return (date.fromisoformat(span[1]) - date.fromisoformat(span[0])).days + 1
