"""Amendment A3: no sentence states a direction its estimate does not have.

2,000 simulated reports with random sensitivities, PRT effects (including worsening), rates and
report dates; each direction word is checked against the interval it describes, independently
of the wording table (the bounds are read here, not through ``correlation.wording``).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from correlation import analyze
from correlation.simulate import simulate_patient

N_REPORTS = 2000


def _stated(text: str, subject: str) -> str:
    """The direction a sentence states for ``subject``: fell, rose or none."""
    for word, meaning in (("fell clearly", "fell"), ("rose clearly", "rose"),
                          ("showed no clear change", "none")):
        if f"{subject} {word}" in text:
            return meaning
    raise AssertionError(f"no direction for {subject!r} in {text!r}")


def _actual(iv) -> str:
    if iv.ci_high is not None and iv.ci_high < 1:
        return "fell"
    if iv.ci_low is not None and iv.ci_low > 1:
        return "rose"
    return "none"


def _check(report) -> set[str]:
    rr = report.comparison.rate_ratio
    found = {f.code: f.text for f in report.findings}
    seen = set()
    if "change_summary" in found:
        text = found["change_summary"]
        subjects = (("all migraine days", "all"), ("weather-linked days", "weather_linked"),
                    ("non-weather days", "non_weather"))
        for subject, key in subjects:
            assert _stated(text, subject) == _actual(rr[key]), (text, rr[key])
            seen.add(f"{key}:{_actual(rr[key])}")
    if "mmd_change" in found:
        assert _stated(found["mmd_change"], "Migraine days") == _actual(rr["all"])
    for key, label in (("weather_linked", "Weather-linked"), ("non_weather", "Non-weather")):
        if f"{key}_change" in found:
            assert _stated(found[f"{key}_change"], f"{label} migraine days") == _actual(rr[key])
    sens = _actual(report.comparison.sensitivity_ratio)
    verdict = report.findings[0].code
    if verdict.startswith("weather_link_"):
        expected = {"fell": "weather_link_weakened", "rose": "weather_link_strengthened",
                    "none": "weather_link_not_settled"}[sens]
        assert verdict == expected
    return seen


def test_every_stated_direction_matches_its_interval():
    rng = np.random.default_rng(2026)
    seen: set[str] = set()
    for seed in range(N_REPORTS):
        sp = simulate_patient(
            seed, report_date=date(2025, 6, 1) + timedelta(days=int(rng.integers(0, 500))),
            base_rate=float(rng.uniform(0.05, 0.35)), sensitivity=float(rng.uniform(1, 5)),
            prt_base_factor=float(rng.choice([0.3, 0.6, 1.0, 1.6, 2.5])),
            prt_sensitivity_factor=float(rng.choice([0.1, 0.5, 1.0, 1.5])),
        )
        seen |= _check(analyze(sp.to_series()))
    # the property was exercised in every direction, rises of non-weather days included
    assert {"all:fell", "all:rose", "all:none", "non_weather:rose", "weather_linked:fell"} <= seen
