"""Issue #13's done-when test through the real stack: imported history, then one check-in.

An attack every 5 days over 6 months is imported from CSV, a course is recorded, and the
report (tracker.reports.series.patient_report) is computed; one check-in later the baseline's
MMD and covered days are unchanged (amendment A1). Stating "I record every day from" a date
moves check-in mode to that date, and the report follows it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from correlation import MethodConfig
from tracker.accounts.users import create_user
from tracker.diary.attacks_csv import import_attacks
from tracker.diary.checkins import record_checkin
from tracker.diary.courses import record_course
from tracker.diary.profile import set_records_every_day_from
from tracker.reports.series import patient_report, patient_series
from tracker.reports.settings import ReportSettings

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
SETTINGS = ReportSettings(MethodConfig(), 0.1)


def _csv() -> str:
    """38 migraine attacks, one every 5 days from 2 Dec 2025 (local Oslo times)."""
    first = datetime(2025, 12, 2, 9, 0)
    rows = ["started_at,ended_at,kind"]
    for k in range(38):
        start = first + timedelta(days=5 * k)
        rows.append(f"{start:%Y-%m-%dT%H:%M},{start + timedelta(hours=10):%Y-%m-%dT%H:%M},"
                    "migraine")
    return "\n".join(rows) + "\n"


@pytest.fixture
def patient(session):
    user = create_user(session, email="p@example.org", password="long enough",
                       role="patient", timezone="Europe/Oslo", latitude=59.9, longitude=10.7,
                       now=NOW - timedelta(days=200))
    assert import_attacks(session, user, _csv(), now=NOW) == 38
    record_course(session, user, started_on=date(2026, 3, 1), ended_on=date(2026, 3, 14))
    session.commit()
    return user


def _baseline(session, patient):
    report = patient_report(session, patient, settings=SETTINGS, now=NOW)
    return report.periods["baseline"]


def test_one_checkin_after_imported_history_leaves_the_baseline_mmd(session, patient):
    before = _baseline(session, patient)
    assert before.covered_days == 84 and before.migraine_days > 0
    record_checkin(session, patient, date(2026, 5, 2), now=NOW)  # no attack that day
    session.commit()
    after = _baseline(session, patient)
    assert after.mmd == before.mmd
    assert after.covered_days == before.covered_days == 84
    series = patient_series(session, patient, settings=SETTINGS, now=NOW)
    assert series.checkins_from == date(2026, 5, 2)


def test_the_stated_date_starts_checkin_mode_in_the_report(session, patient):
    before = _baseline(session, patient)
    stamp = patient.profile.diary_changed_at
    set_records_every_day_from(session, patient, date(2026, 1, 1), now=NOW)
    session.commit()
    assert patient.profile.diary_changed_at > stamp  # stored reports are refreshed
    series = patient_series(session, patient, settings=SETTINGS, now=NOW)
    assert series.checkins_from == date(2026, 1, 1)
    after = _baseline(session, patient)
    # from 1 Jan on only attack days are covered: the baseline keeps the days before it
    # (7 Dec..31 Dec) and its attack days
    assert after.covered_days < before.covered_days
    assert after.migraine_days == before.migraine_days
    set_records_every_day_from(session, patient, None, now=NOW)
    session.commit()
    assert _baseline(session, patient).mmd == before.mmd
