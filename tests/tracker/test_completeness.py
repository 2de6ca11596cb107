"""Issue #13 (amendment A1) in the diary: the stated date, the check-in clash, the 14-day fill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack, update_attack
from tracker.diary.checkins import list_checkins, record_checkin
from tracker.diary.day_clash import CheckinClashError
from tracker.diary.fill import MAX_FILL_DAYS, fill_headache_free_days, fill_preview
from tracker.diary.profile import set_records_every_day_from
from tracker.errors import ConflictError, ValidationError
from tracker.models import CheckIn

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)  # 14:00 in Berlin


@pytest.fixture
def patient(session):
    return create_user(session, email="p@example.org", password="long enough", role="patient",
                       timezone="Europe/Berlin", now=NOW)


def test_stated_date_is_set_cleared_and_stamps_the_diary(session, patient):
    session.commit()
    before = patient.profile.diary_changed_at
    set_records_every_day_from(session, patient, date(2026, 3, 1), now=NOW)
    session.commit()
    assert patient.profile.records_every_day_from == date(2026, 3, 1)
    assert patient.profile.diary_changed_at is not None
    assert before is None or patient.profile.diary_changed_at > before
    set_records_every_day_from(session, patient, None, now=NOW)
    session.commit()
    assert patient.profile.records_every_day_from is None


@pytest.mark.parametrize("day", [date(2026, 5, 2), date(1939, 12, 31), date(2101, 1, 1)])
def test_stated_date_outside_the_bounds_or_in_the_future_is_refused(session, patient, day):
    with pytest.raises(ValidationError) as info:
        set_records_every_day_from(session, patient, day, now=NOW)
    assert info.value.field == "records_every_day_from"
    assert patient.profile.records_every_day_from is None


def test_headache_free_checkin_on_an_attack_day_is_refused_in_local_time(session, patient):
    # 22:30 UTC on 29 April is 00:30 on 30 April in Berlin: the attack's day is the 30th
    start = datetime(2026, 4, 29, 22, 30, tzinfo=UTC)
    record_attack(session, patient, AttackInput(started_at=start, ended_at=start
                                                + timedelta(hours=2), kind="headache"), now=NOW)
    record_checkin(session, patient, date(2026, 4, 29), now=NOW)  # the UTC day is free
    with pytest.raises(ConflictError) as info:
        record_checkin(session, patient, date(2026, 4, 30), now=NOW)
    assert info.value.field == "headache_free"
    assert "Thu 30 Apr 2026 00:30" in info.value.message
    assert "22:30" not in info.value.message
    # a check-in that is not headache-free is fine on that day
    record_checkin(session, patient, date(2026, 4, 30), headache_free=False, now=NOW)
    assert [(c.day, c.headache_free) for c in list_checkins(session, patient)] == [
        (date(2026, 4, 29), True), (date(2026, 4, 30), False)]


def test_a_multi_day_attack_blocks_each_of_its_days(session, patient):
    start = datetime(2026, 4, 27, 20, 0, tzinfo=UTC)
    record_attack(session, patient, AttackInput(started_at=start, ended_at=datetime(
        2026, 4, 29, 21, 59, tzinfo=UTC)), now=NOW)  # 27 Apr 22:00 .. 29 Apr 23:59 local
    for day in (date(2026, 4, 27), date(2026, 4, 28), date(2026, 4, 29)):
        with pytest.raises(ConflictError):
            record_checkin(session, patient, day, now=NOW)
    record_checkin(session, patient, date(2026, 4, 30), now=NOW)


def test_an_attack_on_a_headache_free_day_asks_then_changes_the_checkin(session, patient):
    record_checkin(session, patient, date(2026, 4, 30), note="fine", now=NOW)
    data = AttackInput(started_at=datetime(2026, 4, 30, 8, 0, tzinfo=UTC))
    with pytest.raises(CheckinClashError) as info:
        record_attack(session, patient, data, now=NOW)
    assert info.value.field == "started_at"
    assert info.value.days == [date(2026, 4, 30)]
    assert "Thu 30 Apr 2026" in info.value.message
    record_attack(session, patient, data, now=NOW, replace_checkin=True)
    (checkin,) = list_checkins(session, patient)
    assert (checkin.headache_free, checkin.note) == (False, "fine")


def test_editing_an_attack_onto_a_headache_free_day_is_refused(session, patient):
    record_checkin(session, patient, date(2026, 4, 28), now=NOW)
    attack = record_attack(session, patient, AttackInput(
        started_at=datetime(2026, 4, 29, 8, 0, tzinfo=UTC)), now=NOW)
    update_attack(session, patient, attack.id, AttackInput(
        started_at=datetime(2026, 4, 29, 9, 0, tzinfo=UTC), notes="edited"), now=NOW)
    with pytest.raises(CheckinClashError):
        update_attack(session, patient, attack.id, AttackInput(
            started_at=datetime(2026, 4, 28, 9, 0, tzinfo=UTC)), now=NOW)


def test_fill_previews_the_days_since_the_last_entry_and_records_them(session, patient):
    assert fill_preview(session, patient, NOW).days == []  # no entry yet: nothing to fill
    record_attack(session, patient, AttackInput(
        started_at=datetime(2026, 4, 25, 8, 0, tzinfo=UTC),
        ended_at=datetime(2026, 4, 26, 8, 0, tzinfo=UTC)), now=NOW)
    preview = fill_preview(session, patient, NOW)
    assert preview.days == [date(2026, 4, 27), date(2026, 4, 28), date(2026, 4, 29),
                            date(2026, 4, 30), date(2026, 5, 1)]
    assert preview.left_out == 0
    with pytest.raises(ConflictError) as info:
        fill_headache_free_days(session, patient, preview.days[1:], now=NOW)
    assert info.value.field == "days"
    assert session.scalar(select(func.count()).select_from(CheckIn)) == 0
    added = fill_headache_free_days(session, patient, preview.days, now=NOW)
    assert [c.day for c in added] == preview.days
    assert all(c.headache_free for c in added)
    assert patient.profile.checkins_in_use is True
    assert fill_preview(session, patient, NOW).days == []
    with pytest.raises(ValidationError):
        fill_headache_free_days(session, patient, now=NOW)


def test_fill_takes_at_most_fourteen_days_the_latest(session, patient):
    record_checkin(session, patient, date(2026, 3, 1), now=NOW)
    preview = fill_preview(session, patient, NOW)
    assert len(preview.days) == MAX_FILL_DAYS
    assert preview.days[0] == date(2026, 4, 18)
    assert preview.days[-1] == date(2026, 5, 1)
    assert preview.left_out == (date(2026, 4, 18) - date(2026, 3, 2)).days
