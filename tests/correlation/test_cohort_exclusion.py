"""Amendment A2: a patient without enough data is left out of every cohort figure."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from correlation import analyze, cohort_summary
from correlation.simulate import DEMO_PATIENTS

REPORT_DATE = date(2026, 3, 1)


def _reports():
    full = [analyze(dp.simulate(REPORT_DATE).to_series()) for dp in DEMO_PATIENTS]
    # the same simulated patient, reported one day into the follow-up: insufficient data
    series = DEMO_PATIENTS[0].simulate(REPORT_DATE).to_series()
    early = analyze(dataclasses.replace(
        series, report_date=series.course.ended_on + timedelta(days=1)))
    assert early.verdict == "insufficient_data"
    return full, early


def test_insufficient_patient_is_absent_from_medians_tests_and_pooled():
    full, early = _reports()
    alone = cohort_summary(full).to_dict()
    mixed = cohort_summary([*full, early], labels=["a", "b", "c", "short"]).to_dict()
    for key in ("median_mmd_change", "median_mmd_change_pct", "responders_50",
                "responder_evaluable", "tests"):
        assert mixed[key] == alone[key], key
    assert mixed["pooled_sensitivity_ratio"] == alone["pooled_sensitivity_ratio"]
    assert mixed["n_patients"] == 4 and mixed["n_analysed"] == 3
    assert mixed["left_out"] == [{"label": "short", "reason": mixed["rows"][3]["data_reason"]}]
    assert "follow-up" in mixed["left_out"][0]["reason"]
    assert mixed["rows"][3]["has_enough_data"] is False


def test_on_request_the_patient_is_included_and_marked():
    full, early = _reports()
    mixed = cohort_summary([*full, early], include_insufficient=True).to_dict()
    assert mixed["includes_insufficient"] is True
    assert mixed["n_analysed"] == 4 and mixed["left_out"] == []
    assert mixed["tests"]["mmd"]["n"] == 4  # one follow-up day still gives an MMD change
