"""The diary domain: attacks, check-ins, courses, location periods; typed errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import (
    delete_attack,
    end_attack,
    list_attacks,
    record_attack,
    update_attack,
)
from tracker.diary.checkins import list_checkins, record_checkin
from tracker.diary.courses import list_courses, record_course
from tracker.diary.profile import (
    add_location_period,
    list_location_periods,
    set_pressure_unit,
    set_timezone,
)
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import Attack

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def patient(session):
    return create_user(session, email="p@example.org", password="long enough", role="patient",
                       timezone="Europe/Berlin", now=NOW)


def at(hours_ago: float) -> datetime:
    return NOW - timedelta(hours=hours_ago)


def test_attack_is_stored_in_utc_and_reads_back_aware(session, patient):
    start = datetime(2026, 4, 30, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    attack = record_attack(session, patient, AttackInput(started_at=start, intensity=7,
                                                         threat=3, expected_weather=True), now=NOW)
    session.commit()
    session.expire_all()
    stored = session.get(Attack, attack.id)
    assert stored.started_at == start
    assert stored.started_at.utcoffset() == timedelta(0)
    assert stored.started_at.hour == 7
    assert (stored.kind, stored.intensity, stored.threat, stored.expected_weather) == (
        "migraine", 7, 3, True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ended_at": at(30)}, "ended_at"),  # end before start (start is 24 h ago)
        ({"intensity": 11}, "intensity"),
        ({"intensity": -1}, "intensity"),
        ({"threat": 12}, "threat"),
        ({"kind": "cluster"}, "kind"),
        ({"started_at": NOW + timedelta(hours=2)}, "started_at"),
        ({"started_at": datetime(2026, 4, 30, 9, 0)}, "started_at"),  # naive
    ],
)
def test_bad_attacks_raise_typed_errors(session, patient, changes, field):
    data = AttackInput(started_at=at(24))
    for key, value in changes.items():
        setattr(data, key, value)
    with pytest.raises(ValidationError) as info:
        record_attack(session, patient, data, now=NOW)
    assert info.value.field == field
    assert session.scalar(select(func.count()).select_from(Attack)) == 0


def test_overlapping_attacks_are_refused(session, patient):
    record_attack(session, patient, AttackInput(started_at=at(30), ended_at=at(20)), now=NOW)
    for start, end in [(at(25), at(10)), (at(35), at(25)), (at(28), None), (at(30), None)]:
        with pytest.raises(ConflictError):
            record_attack(session, patient, AttackInput(started_at=start, ended_at=end), now=NOW)
    # Touching at the end is fine: [start, end) intervals.
    record_attack(session, patient, AttackInput(started_at=at(20), ended_at=at(18)), now=NOW)
    # An ongoing attack (no end) is a point at its start.
    record_attack(session, patient, AttackInput(started_at=at(5)), now=NOW)
    with pytest.raises(ConflictError):
        record_attack(session, patient, AttackInput(started_at=at(6), ended_at=at(4)), now=NOW)
    assert len(list_attacks(session, patient)) == 3


def test_update_end_and_delete(session, patient):
    a = record_attack(session, patient, AttackInput(started_at=at(10)), now=NOW)
    b = record_attack(session, patient, AttackInput(started_at=at(40), ended_at=at(35)), now=NOW)
    end_attack(session, patient, a.id, now=NOW)
    assert a.ended_at == NOW
    data = AttackInput(started_at=at(40), ended_at=at(30), kind="headache", notes="long day")
    update_attack(session, patient, b.id, data, now=NOW)
    assert (b.kind, b.notes, b.ended_at) == ("headache", "long day", at(30))
    delete_attack(session, patient, b.id)
    assert [x.id for x in list_attacks(session, patient)] == [a.id]


def test_other_patients_attacks_are_not_found(session, patient):
    other = create_user(session, email="o@example.org", password="long enough",
                        role="patient", now=NOW)
    a = record_attack(session, other, AttackInput(started_at=at(10)), now=NOW)
    with pytest.raises(NotFoundError):
        delete_attack(session, patient, a.id)
    with pytest.raises(NotFoundError):
        update_attack(session, patient, a.id, AttackInput(started_at=at(9)), now=NOW)


def test_list_attacks_filters_by_date(session, patient):
    for h in (100, 50, 10):
        record_attack(session, patient, AttackInput(started_at=at(h)), now=NOW)
    got = list_attacks(session, patient, start=at(60), end=at(5))
    assert [a.started_at for a in got] == [at(50), at(10)]


def test_checkins_switch_on_checkin_mode_and_replace_same_day(session, patient):
    assert patient.profile.checkins_in_use is False
    record_checkin(session, patient, date(2026, 4, 29), now=NOW)
    record_checkin(session, patient, date(2026, 4, 29), headache_free=False, now=NOW)
    with pytest.raises(ValidationError) as info:
        record_checkin(session, patient, date(2026, 5, 3), now=NOW)
    assert info.value.field == "day"
    (c,) = list_checkins(session, patient)
    assert c.headache_free is False
    assert patient.profile.checkins_in_use is True


def test_courses(session, patient):
    with pytest.raises(ValidationError) as info:
        record_course(session, patient, started_on=date(2026, 3, 1), ended_on=date(2026, 2, 1))
    assert info.value.field == "ended_on"
    record_course(session, patient, started_on=date(2026, 1, 5), ended_on=date(2026, 3, 1),
                  sessions=8)
    (c,) = list_courses(session, patient)
    assert (c.kind, c.sessions) == ("PRT", 8)


def test_profile_and_locations(session, patient):
    with pytest.raises(ValidationError):
        set_timezone(session, patient, "Europe/Atlantis")
    set_timezone(session, patient, "Asia/Kolkata")
    set_pressure_unit(session, patient, "mmHg")
    with pytest.raises(ValidationError) as info:
        set_pressure_unit(session, patient, "psi")
    assert info.value.field == "pressure_unit"
    add_location_period(session, patient, starts_on=date(2026, 1, 1), latitude=59.9,
                        longitude=10.7, timezone="Europe/Oslo", label="home")
    add_location_period(session, patient, starts_on=date(2026, 2, 1), latitude=41.9,
                        longitude=12.5, timezone="Europe/Rome")
    with pytest.raises(ValidationError) as info:
        add_location_period(session, patient, starts_on=date(2026, 3, 1), latitude=-95,
                            longitude=0, timezone="UTC")
    assert info.value.field == "latitude"
    assert [p.timezone for p in list_location_periods(session, patient)] == [
        "Europe/Oslo", "Europe/Rome"]


def test_naive_datetime_never_reaches_the_database(session, patient):
    session.add(Attack(patient_id=patient.id, started_at=datetime(2026, 1, 1),
                       created_at=NOW, updated_at=NOW))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_deleting_the_last_checkin_leaves_checkin_mode(session, patient):
    from tracker.diary.checkins import delete_checkin

    first = record_checkin(session, patient, date(2026, 4, 28), now=NOW)
    second = record_checkin(session, patient, date(2026, 4, 29), now=NOW)
    other = create_user(session, email="o@example.org", password="long enough",
                        role="patient", now=NOW)
    with pytest.raises(NotFoundError):
        delete_checkin(session, other, first.id)
    delete_checkin(session, patient, first.id)
    assert patient.profile.checkins_in_use is True
    delete_checkin(session, patient, second.id)
    assert patient.profile.checkins_in_use is False
    assert list_checkins(session, patient) == []
