"""Practice summaries, the worry interval, streak wording and the trigger comparison."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from scipy import stats

from correlation.clinical_practice import (
    PracticeEntry,
    TaggedAttack,
    practice_summary,
    streak,
    trigger_counts,
    weather_trigger_check,
    weekly_minutes,
    welch_difference,
    worry_change,
)

D0 = date(2026, 3, 2)  # a Monday


def entry(offset: int, minutes: int = 10, worry: int | None = None) -> PracticeEntry:
    return PracticeEntry(D0 + timedelta(days=offset), somatic_tracking_minutes=minutes,
                         weather_worry=worry)


def test_practice_summary_counts_days_per_week_and_median_on_practice_days():
    entries = [entry(0, 10, 5), entry(1, 20), entry(2, 0, 3), entry(3, 40, 4),
               entry(14, 99)]  # outside
    s = practice_summary(entries, D0, D0 + timedelta(days=13))
    assert s["calendar_days"] == 14
    assert s["practice_days"] == 3  # the 0-minute day only gave a worry rating
    assert s["practice_days_per_week"] == pytest.approx(3 / 14 * 7)
    assert s["median_minutes"] == 20.0
    assert s["total_minutes"] == 70
    assert s["worry_days"] == 3
    assert s["mean_weather_worry"] == pytest.approx(4.0)


def test_practice_summary_edges_empty_and_not_started():
    s = practice_summary([], D0, D0)
    assert s["practice_days"] == 0 and s["practice_days_per_week"] == 0.0
    assert s["median_minutes"] is None and s["mean_weather_worry"] is None
    s = practice_summary([entry(0)], D0, None)  # period not started
    assert s["calendar_days"] == 0 and s["practice_days_per_week"] is None
    # boundaries are inclusive, and an even count takes the middle of two
    s = practice_summary([entry(0, 10), entry(6, 30)], D0, D0 + timedelta(days=6))
    assert s["practice_days"] == 2 and s["median_minutes"] == 20.0


def test_welch_matches_scipy_and_handles_edges():
    base, follow = [6, 7, 5, 8, 6, 7], [3, 4, 2, 5]
    out = welch_difference(base, follow)
    res = stats.ttest_ind(follow, base, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert out["estimate"] == pytest.approx(3.5 - 6.5)
    assert out["ci_low"] == pytest.approx(ci.low) and out["ci_high"] == pytest.approx(ci.high)
    # one value on a side: estimate only; none: all null; no spread: no interval
    assert welch_difference([5], [3, 4])["ci_low"] is None
    assert welch_difference([5], [3, 4])["estimate"] == pytest.approx(-1.5)
    assert welch_difference([], [3])["estimate"] is None
    flat = welch_difference([5, 5], [5, 5])
    assert flat["estimate"] == 0.0 and flat["ci_low"] is None


def test_worry_change_reads_the_report_periods():
    periods = {"baseline": {"start": D0.isoformat(), "end": (D0 + timedelta(days=9)).isoformat()},
               "followup": {"start": (D0 + timedelta(days=20)).isoformat(),
                            "end": (D0 + timedelta(days=29)).isoformat()}}
    entries = [entry(i, 0, 8) for i in range(0, 4)] + [entry(i, 0, w) for i, w in
                                                        ((20, 2), (21, 4), (22, 3))]
    entries.append(entry(12, 0, 10))  # treatment: left out
    out = worry_change(entries, periods)
    assert out["estimate"] == pytest.approx(3.0 - 8.0)
    assert out["n_baseline"] == 4 and out["n_followup"] == 3
    periods["followup"]["end"] = None
    assert worry_change(entries, periods)["estimate"] is None


def test_weekly_minutes_starts_on_monday_and_keeps_empty_weeks():
    rows = weekly_minutes([entry(1, 10), entry(2, 5), entry(15, 7)], D0 + timedelta(days=1),
                          D0 + timedelta(days=16))
    assert [r["minutes"] for r in rows] == [15, 0, 7]
    assert rows[0]["week"] == D0.isoformat()


@pytest.mark.parametrize(("practised", "text"), [
    (0, "No practice logged in the last 7 days."),
    (1, "Practised 1 of the last 7 days."),
    (4, "Practised 4 of the last 7 days."),
    (7, "Practised 7 of the last 7 days."),
])
def test_streak_wording(practised, text):
    today = D0 + timedelta(days=10)
    days = [today - timedelta(days=i) for i in range(practised)] + [today - timedelta(days=7)]
    out = streak(days, today)
    assert out["practised"] == practised and out["text"] == text
    assert "streak" not in out["text"].lower() and "!" not in out["text"]


def constructed_days(n: int, window_every: int) -> dict[str, list]:
    """n at-risk covered days; every ``window_every``-th a pressure-fall window day."""
    return {"date": [(D0 + timedelta(days=i)).isoformat() for i in range(n)],
            "window": [i % window_every == 0 for i in range(n)],
            "at_risk": [True] * n, "covered": [True] * n}


def test_trigger_counts_per_tag_per_28_days_and_share():
    attacks = [TaggedAttack(D0, ("weather", "stress")), TaggedAttack(D0 + timedelta(days=3),
               ("weather",)), TaggedAttack(D0 + timedelta(days=5), ()),
               TaggedAttack(D0 + timedelta(days=6), None),
               TaggedAttack(D0 + timedelta(days=40), ("sleep",))]
    out = trigger_counts(attacks, D0, D0 + timedelta(days=27), covered_days=14)
    assert out["attacks"] == 4 and out["attacks_with_triggers"] == 3
    assert out["tags"]["weather"] == {"attacks": 2, "per_28_days": 4.0,
                                      "share_of_attacks": pytest.approx(2 / 3)}
    assert out["tags"]["sleep"]["attacks"] == 0
    none = trigger_counts([], D0, D0, covered_days=0)
    assert none["tags"]["weather"] == {"attacks": 0, "per_28_days": None,
                                       "share_of_attacks": None}


def test_weather_trigger_about_chance_on_a_constructed_diary():
    days = constructed_days(100, 3)  # 34 of 100 days are window days
    onsets = [0, 3, 6, 9, 12, 1, 2, 4, 5, 7, 8, 10]  # 5 of 12 on window days
    attacks = [TaggedAttack(D0 + timedelta(days=i), ("weather",)) for i in onsets]
    attacks.append(TaggedAttack(D0 + timedelta(days=11), ("stress",)))
    out = weather_trigger_check(attacks, days)
    assert out["weather_tagged_attacks"] == 12 and out["counted_attacks"] == 12
    assert out["on_pressure_fall_days"] == 5
    assert out["window_share_of_at_risk_days"] == pytest.approx(0.34)
    assert out["expected_on_pressure_fall_days"] == pytest.approx(12 * 0.34)
    assert out["direction"] == "about"
    assert out["text"] == ("You marked 12 attacks as weather-related; 5 of them began on "
                           "pressure-fall days, about what chance alone gives for the 34% "
                           "of days that were pressure-fall days.")
    ci = stats.binomtest(5, 12).proportion_ci(0.95, method="exact")
    assert out["ci_low"] == pytest.approx(ci.low) and out["ci_high"] == pytest.approx(ci.high)


def test_weather_trigger_more_and_fewer_than_chance_and_unknown_days():
    days = constructed_days(100, 5)  # 20% window days
    on = [TaggedAttack(D0 + timedelta(days=i), ("weather",)) for i in range(0, 60, 5)]
    assert weather_trigger_check(on, days)["direction"] == "more"
    off = [TaggedAttack(D0 + timedelta(days=i), ("weather",)) for i in range(1, 100, 2)
           if i % 5][:30]
    assert weather_trigger_check(off, days)["direction"] == "fewer"
    days["window"] = [None] * 100
    out = weather_trigger_check(on, days)
    assert out["counted_attacks"] == 0 and out["direction"] is None
    assert "nothing to compare" in out["text"]
    assert weather_trigger_check([], days)["text"] == "No attacks were marked as weather-related."


# --------------------------------------------------------------------------- report sections

def _ctx(n: int = 20, window_every: int = 4):
    import numpy as np

    from correlation.clinical import ClinicalContext
    from correlation.days import DayTable

    dates = np.datetime64(D0.isoformat(), "D") + np.arange(n)
    window = np.array([1 if i % window_every == 0 else 0 for i in range(n)], dtype=np.int8)
    window[n - 1] = -1  # unknown weather: left out of the check
    ones = np.ones(n, dtype=bool)
    table = DayTable(dates=dates, period=np.array([None] * n, dtype=object), covered=ones,
                     migraine_day=~ones, headache_day=~ones, onset=~ones, at_risk=ones,
                     max_fall_24h_hpa=np.full(n, np.nan), pressure_coverage=np.ones(n),
                     exposure=window, window=window,
                     classification=np.array([None] * n, dtype=object))
    half = D0 + timedelta(days=n // 2)
    bounds = {"baseline": (D0, half - timedelta(days=1)), "treatment": (half, half),
              "followup": (half + timedelta(days=1), D0 + timedelta(days=n - 1))}
    covered = {k: (e - s).days + 1 for k, (s, e) in bounds.items()}
    return ClinicalContext(bounds=bounds, covered_days=covered, days=table)


def test_triggers_section_counts_per_period_and_checks_weather_on_the_day_table():
    from correlation.clinical_practice import TriggerData, triggers_section

    ctx = _ctx()
    attacks = (TaggedAttack(D0, ("weather",)), TaggedAttack(D0 + timedelta(days=1), ("weather",)),
               TaggedAttack(D0 + timedelta(days=19), ("weather",)),  # unknown window
               TaggedAttack(D0 + timedelta(days=12), ("stress",)))
    out = triggers_section(TriggerData(True, attacks), ctx)
    base = out["periods"]["baseline"]
    assert base["tags"]["weather"]["attacks"] == 2
    assert base["weather_check"]["on_pressure_fall_days"] == 1
    assert base["weather_check"]["window_share_of_at_risk_days"] == pytest.approx(3 / 10)
    assert out["periods"]["followup"]["tags"]["stress"]["attacks"] == 1
    overall = out["weather_check"]
    assert overall["weather_tagged_attacks"] == 3 and overall["counted_attacks"] == 2
    assert overall["window_share_of_at_risk_days"] == pytest.approx(5 / 19)
    assert triggers_section(TriggerData(False, attacks), ctx) == {
        "tracked": False, "periods": None, "weather_check": None}


def test_analyze_puts_practice_triggers_and_cycle_in_the_report(h):
    import json
    from dataclasses import replace

    from correlation import analyze
    from correlation.clinical import ClinicalPart
    from correlation.clinical_practice import (
        CycleData,
        PracticeData,
        TriggerData,
        cycle_section,
        practice_section,
        triggers_section,
    )

    s = h.series([], tracking_start=date(2026, 1, 1), report_date=date(2026, 3, 31))
    entries = tuple(PracticeEntry(date(2026, 1, d), 10, 0, 0, 6) for d in range(1, 11))
    parts = (ClinicalPart("practice", practice_section, PracticeData(entries)),
             ClinicalPart("triggers", triggers_section, TriggerData(True, ())),
             ClinicalPart("cycle", cycle_section, CycleData(True, (date(2026, 1, 5),))))
    report = analyze(replace(s, clinical=parts)).to_dict()
    clinical = report["clinical"]
    json.dumps(clinical, allow_nan=False)
    practice = clinical["practice"]
    assert practice["entries"] == 10 and practice["weekly_minutes"]
    assert clinical["triggers"]["weather_check"]["text"] == (
        "No attacks were marked as weather-related.")
    assert sum(p["cycle_days"] for p in clinical["cycle"]["periods"].values()) <= 1
