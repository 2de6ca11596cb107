"""Amendment A1: check-in mode begins on a date; one check-in never rewrites the history."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import numpy as np

from correlation import Attack, Course, analyze

COURSE = Course("PRT", date(2026, 3, 1), date(2026, 3, 14))
TRACKING = date(2025, 12, 1)
REPORT = date(2026, 6, 10)


def _imported_history(h):
    """An attack about every 5 days, imported, no check-ins (the probe's patient)."""
    attacks = [Attack(datetime(2025, 12, 2, 8, tzinfo=UTC) + timedelta(days=5 * k),
                      datetime(2025, 12, 2, 20, tzinfo=UTC) + timedelta(days=5 * k), "migraine")
               for k in range(38)]
    start = datetime(2025, 11, 25, tzinfo=UTC)
    hours = (REPORT - start.date()).days * 24 + 48
    return h.series(attacks, tracking_start=TRACKING, report_date=REPORT, course=COURSE,
                    pressure=np.full(hours, 1010.0), pressure_start=start)


def test_one_checkin_leaves_the_imported_baseline_unchanged(h):
    before = analyze(_imported_history(h))
    tapped = analyze(dataclasses.replace(_imported_history(h),
                                         checkin_days=frozenset({date(2026, 5, 1)})))
    b0, b1 = before.periods["baseline"], tapped.periods["baseline"]
    assert b1.covered_days == b0.covered_days == 84
    assert b1.mmd == b0.mmd
    # from the check-in on, only days with a check-in or an attack count
    f0, f1 = before.periods["followup"], tapped.periods["followup"]
    assert f1.covered_days < f0.covered_days


def test_the_caveat_counts_assumed_days_per_period(h):
    series = dataclasses.replace(_imported_history(h),
                                 checkin_days=frozenset({date(2026, 5, 1)}))
    caveat = next(w.text for w in analyze(series).warnings if w.code == "assumed_completeness")
    assert "began on 2026-05-01" in caveat
    assert "84 of the 84 diary days in the baseline" in caveat
    # follow-up 2026-03-15..2026-06-07: 47 days before the first check-in were assumed
    assert "47 of the" in caveat and "in the follow-up" in caveat


def test_a_stated_date_starts_check_in_mode_before_any_check_in(h):
    series = dataclasses.replace(_imported_history(h), checkin_days=frozenset(),
                                 checkins_from=date(2026, 3, 15))
    r = analyze(series)
    assert r.periods["baseline"].covered_days == 84
    assert r.periods["followup"].covered_days == r.periods["followup"].migraine_days


def test_without_check_ins_every_day_is_assumed(h):
    r = analyze(_imported_history(h))
    caveat = next(w.text for w in r.warnings if w.code == "assumed_completeness")
    assert caveat.startswith("Daily check-ins are not in use")
