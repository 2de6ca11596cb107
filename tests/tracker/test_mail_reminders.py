"""Reminder choices, due times, the weekly count (the report's own covered-days rule), the
at-most-once claims, and password-reset tokens, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from correlation import MethodConfig
from tracker.accounts.reset import LINK_INVALID, check_reset_token, request_reset, reset_password
from tracker.accounts.sessions import check_session, create_session
from tracker.accounts.tokens import authenticate_token, create_token
from tracker.accounts.users import authenticate, create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.courses import record_course
from tracker.diary.profile import set_records_every_day_from
from tracker.errors import AuthenticationError, ValidationError
from tracker.models import AuditEvent
from tracker.reminder_models import PasswordReset
from tracker.reminders import (
    Due,
    Preferences,
    claim,
    due_instant,
    due_reminders,
    get_preferences,
    save_preferences,
    settle,
    turn_off,
    unrecorded_days,
)
from tracker.reports.series import patient_report
from tracker.reports.settings import ReportSettings

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


@pytest.fixture
def patient(session):
    user = create_user(session, email="p@example.org", password="password-1234",
                       role="patient", timezone="Europe/Oslo", latitude=59.9, longitude=10.7,
                       now=NOW - timedelta(days=120))
    session.commit()
    return user


def test_reminders_are_off_until_chosen_and_only_the_declared_choices_are_taken(
    session, patient
):
    assert get_preferences(session, patient) == Preferences(False, False, "20:00", "sunday")
    saved = save_preferences(session, patient, Preferences(True, False, "07:15", "monday"))
    assert saved == Preferences(True, False, "07:15", "monday")
    for bad, field in ((Preferences(True, False, "07:10"), "time"),
                       (Preferences(True, False, "25:00"), "time"),
                       (Preferences(True, False, "07:15", "someday"), "weekday"),
                       (Preferences("yes", False), "daily")):
        with pytest.raises(ValidationError) as caught:
            save_preferences(session, patient, bad)
        assert caught.value.field == field
    assert turn_off(session, patient.id, "daily") is True
    assert turn_off(session, patient.id, "daily") is False
    session.commit()
    assert get_preferences(session, patient).daily is False


@pytest.mark.parametrize(("zone", "day", "at", "expected"), [
    ("Europe/London", date(2026, 3, 28), time(20), datetime(2026, 3, 28, 20, tzinfo=UTC)),
    ("Europe/London", date(2026, 3, 29), time(20), datetime(2026, 3, 29, 19, tzinfo=UTC)),
    ("Europe/London", date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ("Europe/London", date(2026, 10, 25), time(1, 30),
     datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("America/New_York", date(2026, 11, 1), time(1, 30),
     datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ("Asia/Kolkata", date(2026, 1, 5), time(9, 15), datetime(2026, 1, 5, 3, 45, tzinfo=UTC)),
])
def test_the_due_instant_is_the_wall_clock_time_in_the_patients_zone(zone, day, at, expected):
    assert due_instant(day, at, ZoneInfo(zone)) == expected


def test_due_reminders_leave_out_claimed_ones_and_other_weekdays(session, patient):
    save_preferences(session, patient, Preferences(True, True, "13:00", "wednesday"))
    session.commit()
    now = datetime(2026, 6, 10, 11, 5, tzinfo=UTC)  # 13:05 in Oslo, a Wednesday
    due = due_reminders(session, now, timedelta(hours=6))
    assert [(d.kind, d.local_day) for d in due] == [("daily", date(2026, 6, 10)),
                                                     ("weekly", date(2026, 6, 10))]
    assert due_reminders(session, now + timedelta(days=1), timedelta(hours=6))[0].kind == "daily"
    assert len(due_reminders(session, now + timedelta(days=1), timedelta(hours=6))) == 1
    assert claim(session, due[0], now, max_attempts=3) is True
    assert claim(session, due[0], now, max_attempts=3) is False
    session.commit()
    assert [d.kind for d in due_reminders(session, now, timedelta(hours=6))] == ["weekly"]


def test_a_failed_claim_is_retried_up_to_the_limit(session, patient):
    item = Due(patient.id, "daily", date(2026, 6, 10), NOW)
    assert claim(session, item, NOW, max_attempts=2)
    settle(session, item, "failed", NOW, "451 try later")
    assert claim(session, item, NOW, max_attempts=2)  # attempt 2
    settle(session, item, "failed", NOW, "451 try later")
    assert not claim(session, item, NOW, max_attempts=2)
    session.commit()


def test_the_weekly_count_is_the_days_the_report_does_not_cover(session, patient):
    record_course(session, patient, started_on=date(2026, 5, 1), ended_on=date(2026, 5, 20))
    set_records_every_day_from(session, patient, date(2026, 5, 20), now=NOW)
    for day in (21, 22, 25, 26, 30):
        record_checkin(session, patient, date(2026, 5, day), now=NOW)
    zone = ZoneInfo("Europe/Oslo")
    record_attack(session, patient, AttackInput(  # 27 May evening to 28 May morning, local
        started_at=datetime(2026, 5, 27, 21, tzinfo=zone),
        ended_at=datetime(2026, 5, 28, 7, tzinfo=zone)), now=NOW)
    session.commit()
    today = date(2026, 6, 10)
    missing = unrecorded_days(session, patient, today)
    report = patient_report(session, patient, settings=ReportSettings(MethodConfig(), 0.1),
                            now=NOW)
    table = report.days
    window = today - timedelta(days=28)
    uncovered = [date.fromisoformat(str(d)) for d, c in zip(table.dates, table.covered,
                                                             strict=True)
                 if not c and window <= date.fromisoformat(str(d)) < today]
    assert missing == uncovered
    assert missing[:4] == [date(2026, 5, d) for d in (20, 23, 24, 29)]
    assert len(missing) == 4 + 10  # 20, 23, 24, 29 May and 31 May..9 Jun (today not counted)


def test_without_checkin_mode_no_day_is_unrecorded(session, patient):
    record_attack(session, patient, AttackInput(started_at=NOW - timedelta(days=3)), now=NOW)
    session.commit()
    assert unrecorded_days(session, patient, date(2026, 6, 10)) == []


def test_a_reset_link_works_once_and_ends_sessions_and_tokens(session, patient):
    raw_session, _ = create_session(session, patient)
    raw_token, _ = create_token(session, patient, "phone")
    assert request_reset(session, "nobody@example.org", valid_for=timedelta(hours=1)) is None
    user, raw = request_reset(session, " P@Example.org ", valid_for=timedelta(hours=1))
    session.commit()
    assert user.id == patient.id and raw.startswith("mwr_")
    stored = session.query(PasswordReset).one()
    assert stored.token_hash != raw and raw not in stored.token_hash
    assert check_reset_token(session, raw)
    with pytest.raises(ValidationError) as short:
        reset_password(session, raw, "short")
    assert short.value.field == "password"
    session.rollback()  # the caller rolls back: the link stays usable
    assert check_reset_token(session, raw)
    reset_password(session, raw, "a new password")
    session.commit()
    assert not check_reset_token(session, raw)
    with pytest.raises(ValidationError, match="expired or has been used") as again:
        reset_password(session, raw, "another password")
    assert again.value.message == LINK_INVALID
    session.rollback()
    assert authenticate(session, "p@example.org", "a new password").id == patient.id
    with pytest.raises(AuthenticationError):
        authenticate(session, "p@example.org", "password-1234")
    assert authenticate_token(session, raw_token) is None
    assert check_session(session, raw_session, idle=timedelta(days=1),
                         remember_idle=timedelta(days=1)) is None
    actions = [e.action for e in session.query(AuditEvent).filter_by(patient_id=patient.id)]
    assert "password_changed" in actions


def test_a_reset_link_expires_and_a_newer_one_replaces_it(session, patient):
    _, old = request_reset(session, "p@example.org", valid_for=timedelta(minutes=60), now=NOW)
    _, new = request_reset(session, "p@example.org", valid_for=timedelta(minutes=60), now=NOW)
    session.commit()
    assert not check_reset_token(session, old, now=NOW)
    assert check_reset_token(session, new, now=NOW + timedelta(minutes=59))
    assert not check_reset_token(session, new, now=NOW + timedelta(minutes=60))
    with pytest.raises(ValidationError):
        reset_password(session, new, "a new password", now=NOW + timedelta(minutes=61))
    for junk in ("", "mwt_x", "mwr_" + "x" * 300, None):
        assert not check_reset_token(session, junk)
