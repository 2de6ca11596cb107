import json
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from correlation import REPORT_SCHEMA, Attack, Course, MethodConfig, analyze
from correlation.conditional import sensitivity_ratio_exact
from correlation.findings import decide_verdict
from correlation.report import Comparison
from correlation.stats import Interval, TestedInterval, woolf_ratio_of_ratios
from correlation.text import render_text

TZ = "Europe/London"
GEN = datetime(2026, 3, 8, 9, 30, tzinfo=timezone(timedelta(hours=1)))
CFG = MethodConfig(baseline_days=28, followup_days=28)

PERIOD_KEYS = {
    "start", "end", "covered_days", "migraine_days", "mmd", "weather_linked_days",
    "weather_linked_mmd", "non_weather_days", "non_weather_mmd", "unclassified_days",
    "window_days", "nonwindow_days", "onsets_window", "at_risk_window_days", "onsets_nonwindow",
    "at_risk_nonwindow_days", "exposure_rate_ratio", "migraine_window_days",
    "migraine_nonwindow_days", "attributable_mmd", "pressure_coverage",
}
DAY_KEYS = {"date", "period", "covered", "migraine_day", "headache_day", "onset", "at_risk",
            "max_fall_24h_hpa", "pressure_coverage", "exposure", "window", "classification"}


def _hand_case(h):
    start = datetime(2025, 12, 25, tzinfo=UTC)
    p = np.full(80 * 24, 1010.0)
    for d in (date(2026, 1, 5), date(2026, 1, 20), date(2026, 2, 15)):
        p[(d - start.date()).days * 24:] -= 6.0
    L = h.local  # noqa: N806
    attacks = [
        Attack(L(TZ, 2026, 1, 5, 10), L(TZ, 2026, 1, 5, 20), "migraine"),
        Attack(L(TZ, 2026, 1, 10, 8), L(TZ, 2026, 1, 11, 8), "migraine"),
        Attack(L(TZ, 2026, 1, 12, 9), L(TZ, 2026, 1, 12, 12), "migraine"),
        Attack(L(TZ, 2026, 1, 21, 9), L(TZ, 2026, 1, 21, 11), "migraine"),
        Attack(L(TZ, 2026, 1, 25, 9), L(TZ, 2026, 1, 25, 11), "headache"),
        Attack(L(TZ, 2026, 1, 28, 10), None, "migraine"),
        Attack(L(TZ, 2026, 2, 15, 10), L(TZ, 2026, 2, 15, 12), "migraine"),
        Attack(L(TZ, 2026, 2, 20, 10), L(TZ, 2026, 2, 20, 12), "migraine"),
    ]
    return h.series(attacks, tracking_start=date(2026, 1, 1), report_date=date(2026, 3, 7),
                    course=Course("PRT", date(2026, 2, 1), date(2026, 2, 7)),
                    pressure=p, pressure_start=start)


def test_hand_computed_periods(h):
    r = analyze(_hand_case(h), CFG, generated_at=GEN)
    b = r.periods["baseline"].to_dict()
    assert b["start"] == "2026-01-04" and b["end"] == "2026-01-31"
    expected_b = dict(covered_days=28, migraine_days=6, mmd=6.0, weather_linked_days=2,
                      non_weather_days=4, unclassified_days=0, window_days=4,
                      nonwindow_days=24, onsets_window=2, at_risk_window_days=3,
                      onsets_nonwindow=2, at_risk_nonwindow_days=19, migraine_window_days=2,
                      migraine_nonwindow_days=4, pressure_coverage=1.0)
    assert {k: b[k] for k in expected_b} == expected_b
    assert b["weather_linked_mmd"] == pytest.approx(2.0)
    assert b["attributable_mmd"] == pytest.approx((2 / 4 - 4 / 24) * 4)
    assert b["exposure_rate_ratio"]["estimate"] == pytest.approx((2 / 3) / (2 / 19))
    f = r.periods["followup"].to_dict()
    expected_f = dict(start="2026-02-08", end="2026-03-07", covered_days=28, migraine_days=2,
                      weather_linked_days=1, non_weather_days=1, window_days=2,
                      nonwindow_days=26, onsets_window=1, at_risk_window_days=1,
                      onsets_nonwindow=1, at_risk_nonwindow_days=25)
    assert {k: f[k] for k in expected_f} == expected_f
    t = r.periods["treatment"]
    assert (t.covered_days, t.migraine_days, t.attributable_mmd) == (7, 0, None)  # no window day
    c = r.comparison
    assert c.mmd_change == pytest.approx(-4.0)
    assert c.mmd_change_pct == pytest.approx(-200 / 3)
    assert c.responder_50 is True
    assert c.rate_ratio["all"].estimate == pytest.approx(2 / 6)
    assert c.rate_ratio["non_weather"].estimate == pytest.approx(1 / 4)
    assert c.ratio_of_rate_ratios == woolf_ratio_of_ratios(1, 2, 1, 26, 2, 4, 4, 24)
    # amendment A5: the sensitivity ratio is the exact conditional one (Woolf before)
    assert c.sensitivity_ratio == sensitivity_ratio_exact(1, 1, 1, 25, 2, 3, 2, 19)
    assert r.verdict == "weather_link_not_settled"  # A4: the sensitivity ratio alone
    assert r.findings[0].code == "weather_link_not_settled"
    codes = {f.code for f in r.findings}
    assert {"mmd_change", "responder_50", "weather_sensitivity_change"} <= codes
    assert "wide_interval" in {w.code for w in r.warnings}


def test_contract_keys_and_json(h):
    r = analyze(_hand_case(h), CFG, generated_at=GEN)
    d = r.to_dict()
    assert list(d) == ["schema", "generated_at", "config", "course", "periods", "comparison",
                       "findings", "warnings", "clinical"]
    assert d["schema"] == REPORT_SCHEMA == "migraine-weather/report/v2"
    assert d["clinical"] == {}  # a series without clinical parts (issue #16)
    assert d["generated_at"] == "2026-03-08T09:30:00+01:00"
    assert set(d["config"]) == {"drop_threshold_hpa", "window_hours", "lag_days",
                                "min_pressure_coverage", "baseline_days", "followup_days",
                                "pressure_variable"}
    assert d["course"] == {"kind": "PRT", "started_on": "2026-02-01", "ended_on": "2026-02-07"}
    assert set(d["periods"]) == {"baseline", "treatment", "followup"}
    for period in d["periods"].values():
        assert set(period) == PERIOD_KEYS
        assert set(period["exposure_rate_ratio"]) == {"estimate", "ci_low", "ci_high"}
    comp = d["comparison"]
    assert set(comp) == {"mmd_change", "mmd_change_pct", "responder_50", "rate_ratio",
                         "ratio_of_rate_ratios", "sensitivity_ratio"}
    assert set(comp["rate_ratio"]) == {"all", "weather_linked", "non_weather"}
    for v in comp["rate_ratio"].values():
        assert set(v) == {"estimate", "ci_low", "ci_high"}
    for k in ("ratio_of_rate_ratios", "sensitivity_ratio"):
        assert set(comp[k]) == {"estimate", "ci_low", "ci_high", "p_value"}
    for item in d["findings"] + d["warnings"]:
        assert set(item) == {"code", "text"}
    json.dumps(d, allow_nan=False)
    full = r.to_dict(include_days=True)
    assert len(full["days"]) == (date(2026, 3, 7) - date(2026, 1, 1)).days + 1
    assert all(set(row) == DAY_KEYS for row in full["days"])
    assert full["days"][0]["period"] is None
    json.dumps(full, allow_nan=False)
    assert r.daily_rows() == full["days"]
    assert list(r.daily_rows()[0]) == ["date", "period", "covered", "migraine_day",
                                       "headache_day", "onset", "at_risk", "max_fall_24h_hpa",
                                       "pressure_coverage", "exposure", "window",
                                       "classification"]


def test_no_pressure_at_all_is_null_not_nan(h):
    s = _hand_case(h)
    s = type(s)(**{**s.__dict__, "pressure_hpa": np.full(s.pressure_hpa.size, np.nan)})
    r = analyze(s, CFG, generated_at=GEN)
    d = r.to_dict(include_days=True)
    json.dumps(d, allow_nan=False)
    b = d["periods"]["baseline"]
    assert b["window_days"] == 0 and b["weather_linked_days"] == 0
    assert b["unclassified_days"] == 6
    assert b["attributable_mmd"] is None
    assert b["exposure_rate_ratio"] == {"estimate": None, "ci_low": None, "ci_high": None}
    assert d["comparison"]["sensitivity_ratio"]["estimate"] is None
    assert d["days"][10]["max_fall_24h_hpa"] is None and d["days"][10]["window"] is None
    assert "low_pressure_coverage" in {w.code for w in r.warnings}


def test_guardrails(h):
    s = _hand_case(h)
    # too few baseline onsets with a stricter minimum
    r = analyze(s, MethodConfig(baseline_days=28, followup_days=28, min_baseline_onsets=6))
    assert r.verdict == "insufficient_data"
    assert any(w.code == "insufficient_data" and "began" in w.text for w in r.warnings)
    # too few covered days: follow-up of 28 days needs 29
    r = analyze(s, MethodConfig(baseline_days=28, followup_days=28, min_covered_days=29))
    assert r.verdict == "insufficient_data"
    assert sum(w.code == "insufficient_data" for w in r.warnings) == 2
    assert r.findings[0].code == "insufficient_data"
    # the numbers are still reported
    assert r.periods["baseline"].mmd == 6.0


def test_generated_at_must_be_aware(h):
    with pytest.raises(ValueError):
        analyze(_hand_case(h), CFG, generated_at=datetime(2026, 1, 1))
    r = analyze(_hand_case(h), CFG)
    assert r.generated_at.tzinfo is not None


def _comp(sens, wl=(1, 0.5, 2)):
    return Comparison(
        None, None, None,
        {"all": Interval(1, 0.5, 2), "weather_linked": Interval(*wl),
         "non_weather": Interval(1, 0.5, 2)},
        TestedInterval(1, 0.5, 2, 0.5), TestedInterval(*sens, 0.5),
    )


@pytest.mark.parametrize(
    ("sens", "verdict"),
    [
        ((0.3, 0.1, 0.8), "weather_link_weakened"),
        ((0.0, 0.0, 0.6), "weather_link_weakened"),
        ((3.0, 1.2, 8.0), "weather_link_strengthened"),
        ((None, 1.4, None), "weather_link_strengthened"),
        ((0.5, 0.2, 1.1), "weather_link_not_settled"),
        ((None, None, None), "weather_link_not_settled"),
    ],
)
def test_verdict_reads_the_sensitivity_ratio_alone(sens, verdict):
    """A4: the verdict comes from the sensitivity ratio; A7: none before the follow-up ends."""
    assert decide_verdict(_comp(sens), True) == verdict
    assert decide_verdict(_comp(sens, wl=(0.3, 0.1, 0.6)), True) == verdict
    assert decide_verdict(_comp(sens), True, final=False) == "interim"
    assert decide_verdict(_comp(sens), False) == "insufficient_data"


def test_render_text(h):
    r = analyze(_hand_case(h), CFG, generated_at=GEN)
    text = render_text(r)
    assert "This is not medical advice." in text
    assert "Baseline" in text and "Follow-up" in text and "pressure-fall" in text.lower()
    assert "danger" not in text.lower()
    assert len(text.splitlines()) < 60


def test_travel_warning(h):
    s = _hand_case(h)
    s = type(s)(**{**s.__dict__, "location_change_days": frozenset({date(2026, 1, 20)})})
    r = analyze(s, CFG)
    assert "travel_days" in {w.code for w in r.warnings}
    assert r.periods["baseline"].window_days == 2  # Jan 20 and 21 now unknown


def test_regression_to_the_mean_caveat_follows_a_fall_in_mmd():
    """A8: a fall in MMD carries the caveat; a report without a fall does not."""
    from datetime import date

    from correlation.simulate import DEMO_PATIENTS, simulate_patient

    worse = simulate_patient(3, report_date=date(2026, 3, 1), prt_base_factor=2.5)
    series = [dp.simulate(date(2026, 3, 1)).to_series() for dp in DEMO_PATIENTS]
    seen = set()
    for s in (*series, worse.to_series()):
        r = analyze(s)
        fell = r.comparison.mmd_change is not None and r.comparison.mmd_change < 0
        seen.add(fell)
        assert ("regression_to_the_mean" in {w.code for w in r.warnings}) == fell
    assert seen == {True, False}
