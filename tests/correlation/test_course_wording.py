"""A comparison patient's own report speaks of assessment periods, never of a course (A8).

The same diary is analysed as a treated patient's (a PRT course) and as a comparison
patient's (the same dates as assessment dates): the numbers and every code are the same, only
the wording differs, and the comparison wording never claims a course.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from correlation import MethodConfig, analyze
from correlation.comparison import COMPARISON_KIND
from correlation.findings import COMPARISON_VERDICTS, VERDICTS
from correlation.inputs import Course
from correlation.progress import guardrail_progress
from correlation.simulate import simulate_patient
from correlation.text import render_text
from correlation.wording import COMPARISON_WORDS, TREATED_WORDS, course_words, sensitivity_in_words

#: Words a comparison patient's report must not use about their own diary.
COURSE_WORDS = re.compile(r"\bcourse|\bPRT\b|\btreatment\b|\btreated\b", re.IGNORECASE)
GENERATED = datetime(2026, 1, 1, tzinfo=UTC)


REPORT_DATE = date(2025, 12, 1)


def _pair(seed: int, **kw):
    """The same simulated diary as a treated and as a comparison patient's series."""
    series = simulate_patient(seed, **{"report_date": REPORT_DATE, **kw}).to_series()
    c = series.course
    return series, replace(series, course=Course(COMPARISON_KIND, c.started_on, c.ended_on))


CASES = [
    # (seed, simulate_patient arguments, config): a spread of verdicts, caveats and progress
    (2, {"sensitivity": 4.0, "prt_sensitivity_factor": 0.0, "base_rate": 0.3}, None),
    (1, {"prt_base_factor": 0.5}, None),
    # the follow-up still running: interim
    (3, {"course_start": REPORT_DATE - timedelta(days=100)}, None),
    (4, {"base_rate": 0.02}, None),  # too few onsets: insufficient data
    (5, {"days": 150}, None),  # tracking starts late: short baseline
    (6, {"sensitivity": 1.0, "base_rate": 0.25},
     MethodConfig(baseline_days=28, followup_days=28)),
]


def _texts(report) -> list[str]:
    return [f.text for f in report.findings] + [w.text for w in report.warnings]


@pytest.mark.parametrize(("seed", "kw", "cfg"), CASES)
def test_same_numbers_and_codes_other_words(seed, kw, cfg):
    cfg = cfg or MethodConfig()
    treated_series, comparison_series = _pair(seed, **kw)
    treated = analyze(treated_series, cfg, generated_at=GENERATED)
    comparison = analyze(comparison_series, cfg, generated_at=GENERATED)
    t, c = treated.to_dict(), comparison.to_dict()
    assert t.keys() == c.keys() and t["periods"] == c["periods"]
    assert t["comparison"] == c["comparison"]
    assert [f["code"] for f in t["findings"]] == [f["code"] for f in c["findings"]]
    assert [w["code"] for w in t["warnings"]] == [w["code"] for w in c["warnings"]]
    assert c["course"]["kind"] == COMPARISON_KIND
    assert treated.findings[0].text == VERDICTS[treated.verdict]
    assert comparison.findings[0].text == COMPARISON_VERDICTS[comparison.verdict]
    for text in _texts(comparison):
        assert not COURSE_WORDS.search(text), text
    today = comparison_series.report_date
    for p in guardrail_progress(comparison, cfg, today):
        assert not COURSE_WORDS.search(p.label + " " + p.text), p
    summary = render_text(comparison)
    assert not COURSE_WORDS.search(summary.replace("Migraine and weather: summary", "")), summary
    assert "Assessment dates" in summary
    assert "course" in render_text(treated)


def test_the_cases_cover_every_kind_of_outcome():
    seen, caveats = set(), set()
    for seed, kw, cfg in CASES:
        series = _pair(seed, **kw)[1]
        report = analyze(series, cfg or MethodConfig(), generated_at=GENERATED)
        seen.add(report.verdict)
        caveats |= {w.code for w in report.warnings}
    assert {"interim", "insufficient_data", "weather_link_weakened",
            "weather_link_not_settled"} <= seen
    assert {"late_tracking_start", "followup_incomplete", "regression_to_the_mean"} <= caveats


def test_a_comparison_patients_sentences_name_the_assessment_periods():
    treated_series, comparison_series = _pair(
        2, sensitivity=4.0, prt_sensitivity_factor=0.0, base_rate=0.3)
    treated = analyze(treated_series, generated_at=GENERATED)
    comparison = analyze(comparison_series, generated_at=GENERATED)
    assert treated.verdict == comparison.verdict == "weather_link_weakened"
    assert comparison.findings[0].text.startswith(
        "From the first to the second assessment period, new migraine attacks began less "
        "often on pressure-fall days")
    by_code = {f.code: f.text for f in comparison.findings}
    assert by_code["change_summary"].startswith("From the first to the second assessment")
    assert "in the first assessment period and" in by_code["mmd_change"]
    assert "in the second assessment period" in by_code["weather_sensitivity_change"]
    assert {f.code: f.text for f in treated.findings}["change_summary"].startswith(
        "Since the course")


def test_one_table_of_verdicts_per_kind_with_the_same_codes():
    assert COMPARISON_VERDICTS.keys() == VERDICTS.keys()
    for code, text in COMPARISON_VERDICTS.items():
        assert not COURSE_WORDS.search(text), code
    assert course_words("comparison") is COMPARISON_WORDS
    assert course_words(" Comparison ") is COMPARISON_WORDS  # as group_of_kind reads it
    for kind in ("PRT", "prt", "other", None, ""):
        assert course_words(kind) is TREATED_WORDS


@pytest.mark.parametrize(("before", "after"), [(None, None), (None, 1.2), (3.0, None),
                                                (3.0, 1.2)])
def test_sensitivity_in_words_for_both_kinds(before, after):
    treated = sensitivity_in_words(before, after, "PRT")
    assert treated == sensitivity_in_words(before, after)  # treated is the default
    comparison = sensitivity_in_words(before, after, COMPARISON_KIND)
    assert not COURSE_WORDS.search(comparison), comparison
    assert "assessment period" in comparison or "in the second" in comparison
    if before is not None and after is not None:
        assert treated.endswith("before the course, 1.2 times after.")
        assert comparison.endswith("in the first assessment period, 1.2 times in the second.")


def test_dates_line():
    start, end = date(2026, 1, 10), date(2026, 2, 20)
    assert TREATED_WORDS.dates("PRT", start, end) == "PRT course 2026-01-10 to 2026-02-20"
    line = COMPARISON_WORDS.dates(COMPARISON_KIND, start, end)
    assert line.startswith("Assessment dates 2026-01-10 and 2026-02-20")
    assert not COURSE_WORDS.search(line)
    assert start + timedelta(days=41) == end
