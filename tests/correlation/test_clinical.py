"""The clinical diary's numbers (issue #16): medication days, the ICHD-3 overuse check at its
edges, function days."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from correlation.clinical import (
    OVERUSE_NOTE,
    ClinicalContext,
    ClinicalPart,
    FunctionDays,
    MedicationDays,
    build_clinical,
    full_months,
    function_section,
    medication_section,
    overuse,
)


def _meds(entries: list[tuple[date, str]]) -> MedicationDays:
    return MedicationDays(np.array([d for d, _ in entries], dtype="datetime64[D]"),
                          np.array([c for _, c in entries], dtype=object))


def _run(start: date, n: int, cls: str, step: int = 1) -> list[tuple[date, str]]:
    return [(start + timedelta(days=i * step), cls) for i in range(n)]


def test_full_months_are_the_calendar_months_inside_the_bounds():
    assert full_months(date(2026, 1, 15), date(2026, 4, 30)) == [
        (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 30))]
    assert full_months(date(2026, 2, 1), date(2026, 2, 27)) == []
    assert full_months(date(2024, 2, 1), date(2024, 2, 29)) == [(date(2024, 2, 1),
                                                                 date(2024, 2, 29))]
    assert full_months(date(2026, 1, 1), None) == []


@pytest.mark.parametrize(("month_start", "month_end"), [
    (date(2026, 2, 1), date(2026, 2, 28)), (date(2024, 2, 1), date(2024, 2, 29)),
    (date(2026, 4, 1), date(2026, 4, 30)), (date(2026, 3, 1), date(2026, 3, 31))])
@pytest.mark.parametrize("cls", ["triptan", "ergot", "opioid", "combination_analgesic"])
def test_ten_day_classes_in_months_of_28_to_31_days(month_start, month_end, cls):
    nine = overuse(_meds(_run(month_start, 9, cls, 2)), month_start, month_end, 0)
    ten = overuse(_meds(_run(month_start, 10, cls, 2)), month_start, month_end, 0)
    assert nine["at_or_above"] is False and nine["months"][0]["rules"] == []
    assert ten["at_or_above"] is True and ten["months"][0]["rules"] == [cls]
    assert ten["note"] == OVERUSE_NOTE and nine["note"] is None


@pytest.mark.parametrize(("month_start", "month_end"), [
    (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 31))])
def test_simple_analgesics_at_14_and_15_days(month_start, month_end):
    fourteen = overuse(_meds(_run(month_start, 14, "simple_analgesic")), month_start,
                       month_end, 0)
    fifteen = overuse(_meds(_run(month_start, 15, "simple_analgesic")), month_start,
                      month_end, 0)
    assert fourteen["at_or_above"] is False
    assert fifteen["months"][0]["rules"] == ["simple_analgesic"]


def test_days_are_counted_once_per_day_and_gepants_ditans_other_do_not_count():
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    twice = _run(start, 9, "triptan") + _run(start, 9, "triptan")
    assert overuse(_meds(twice), start, end, 0)["at_or_above"] is False
    others = _run(start, 20, "gepant") + _run(start, 20, "ditan") + _run(start, 20, "other")
    assert overuse(_meds(others), start, end, 0)["at_or_above"] is False


def test_several_classes_together_reach_ten_days():
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    five_five = _run(start, 5, "triptan") + _run(start + timedelta(days=10), 5, "opioid")
    four_five = _run(start, 4, "triptan") + _run(start + timedelta(days=10), 5, "opioid")
    assert overuse(_meds(five_five), start, end, 0)["months"][0]["rules"] == ["combination"]
    assert overuse(_meds(four_five), start, end, 0)["at_or_above"] is False
    # simple analgesics count in a combination (ICHD-3 8.2.6), though 14 alone do not
    mixed = _run(start, 8, "simple_analgesic") + _run(start + timedelta(days=20), 2, "ergot")
    assert overuse(_meds(mixed), start, end, 0)["months"][0]["rules"] == ["combination"]
    # the same day with two classes is one day of the combination
    same = _run(start, 9, "triptan") + _run(start, 9, "ergot")
    assert overuse(_meds(same), start, end, 0)["at_or_above"] is False


def test_the_period_average_per_30_covered_days():
    # 12 triptan days spread over 36 days (no full month holds 10): 10.0 per 30 days
    start, end = date(2026, 1, 20), date(2026, 2, 24)
    meds = _meds(_run(start, 12, "triptan", 3))
    assert [m["rules"] for m in overuse(meds, start, end, 36)["months"]] == []
    result = overuse(meds, start, end, 36)
    assert result["average_per_30_days"]["triptan"] == pytest.approx(10.0)
    assert result["average_rules"] == ["triptan"] and result["at_or_above"] is True
    fewer = overuse(_meds(_run(start, 11, "triptan", 3)), start, end, 36)
    assert fewer["average_rules"] == [] and fewer["at_or_above"] is False
    # fewer than 30 covered days: no average
    assert overuse(meds, start, end, 29)["average_per_30_days"] is None


def test_medication_section_counts_days_per_28_covered_days_by_class():
    bounds = {"baseline": (date(2026, 1, 1), date(2026, 1, 28)),
              "treatment": (date(2026, 1, 29), date(2026, 2, 25)),
              "followup": (date(2026, 2, 26), None)}
    ctx = ClinicalContext(bounds, {"baseline": 14, "treatment": 28, "followup": 0})
    meds = _meds([(date(2026, 1, 2), "triptan"), (date(2026, 1, 2), "simple_analgesic"),
                  (date(2026, 1, 5), "triptan"), (date(2026, 2, 1), "other"),
                  (date(2026, 2, 27), "triptan")])
    out = medication_section(meds, ctx)["periods"]
    assert out["baseline"]["medication_days"] == 2
    assert out["baseline"]["medication_days_per_28"] == pytest.approx(4.0)
    assert out["baseline"]["by_class"] == {"simple_analgesic": {"days": 1, "per_28": 2.0},
                                           "triptan": {"days": 2, "per_28": 4.0}}
    assert out["treatment"]["medication_days"] == 1
    assert out["followup"]["medication_days"] == 0
    assert out["followup"]["medication_days_per_28"] is None


def test_function_days_and_the_registry_of_parts():
    bounds = {"baseline": (date(2026, 1, 1), date(2026, 1, 28))}
    ctx = ClinicalContext(bounds, {"baseline": 28})
    data = FunctionDays(np.array(["2026-01-03", "2026-01-03", "2026-01-04", "2026-01-05",
                                  "2026-02-01"], dtype="datetime64[D]"),
                        np.array(["reduced", "unable", "normal", "unable", "unable"],
                                 dtype=object))
    out = build_clinical([ClinicalPart("function", function_section, data)], ctx)
    period = out["function"]["periods"]["baseline"]
    assert period == {"attacks_with_function": 4, "reduced_or_unable_days": 2,
                      "reduced_or_unable_days_per_28": 2.0, "unable_days": 2,
                      "unable_days_per_28": 2.0}
