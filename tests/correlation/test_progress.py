"""Amendment A2: progress toward a conclusion instead of headline numbers."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from correlation import MethodConfig, analyze
from correlation.progress import guardrail_progress
from correlation.simulate import DEMO_PATIENTS

CFG = MethodConfig()


def _series(days_into_followup: int):
    series = DEMO_PATIENTS[0].simulate(date(2026, 3, 1)).to_series()
    return dataclasses.replace(
        series, report_date=series.course.ended_on + timedelta(days=days_into_followup))


def test_nine_follow_up_days_need_about_three_more_weeks():
    series = _series(9)
    report = analyze(series)
    (item,) = guardrail_progress(report, CFG, series.report_date)
    assert (item.code, item.have, item.need, item.weeks_more) == ("followup_days", 9, 28, 3)
    assert item.text == "Follow-up: 9 of 28 diary days; about 3 more weeks of diary."


def test_a_report_with_enough_data_has_no_progress():
    series = _series(84)
    assert guardrail_progress(analyze(series), CFG, series.report_date) == []


def test_a_short_baseline_cannot_grow_by_waiting():
    series = dataclasses.replace(_series(40), tracking_start=date(2025, 12, 20))
    report = analyze(series)
    codes = {p.code: p for p in guardrail_progress(report, CFG, series.report_date)}
    assert "baseline_days" in codes and codes["baseline_days"].weeks_more is None
    assert "importing a past diary" in codes["baseline_days"].text
