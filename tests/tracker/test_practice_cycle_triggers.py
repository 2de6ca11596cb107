"""The practice log, cycle days, trigger tags and the tracking switches (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.cycle import list_cycle_days, mark_cycle_day, unmark_cycle_day
from tracker.diary.practice import (
    delete_practice,
    list_practice,
    record_practice,
    total_minutes,
)
from tracker.diary.triggers import check_triggers, set_tracking, set_triggers
from tracker.errors import NotFoundError, ValidationError
from tracker.reports.clinical_practice import load_cycle, load_practice, load_triggers

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")


@pytest.fixture
def patient(session):
    return create_user(session, email="p@example.org", password="long enough", role="patient",
                       timezone="Europe/Berlin", now=NOW)


@pytest.fixture
def other(session):
    return create_user(session, email="q@example.org", password="long enough", role="patient",
                       timezone="Europe/Berlin", now=NOW)


def test_practice_entry_is_one_per_day_and_replaced(session, patient):
    day = date(2026, 4, 30)
    first = record_practice(session, patient, day, {"somatic_tracking_minutes": 10}, 6, now=NOW)
    again = record_practice(session, patient, day, {"reappraisal_minutes": 5}, None, now=NOW)
    session.commit()
    assert again.id == first.id
    rows = list_practice(session, patient)
    assert len(rows) == 1 and total_minutes(rows[0]) == 5 and rows[0].weather_worry is None
    assert patient.profile.diary_changed_at is not None  # the report goes stale
    data = load_practice(session, patient, ZONE)
    first_entry = data.entries[0]
    assert first_entry.reappraisal_minutes == 5 and first_entry.somatic_tracking_minutes == 0


@pytest.mark.parametrize(("minutes", "worry", "field"), [
    ({"other_minutes": 1441}, None, "other_minutes"),
    ({"somatic_tracking_minutes": -1}, None, "somatic_tracking_minutes"),
    ({}, 11, "weather_worry"),
    ({}, -1, "weather_worry"),
])
def test_practice_ranges_are_refused_naming_the_field(session, patient, minutes, worry, field):
    with pytest.raises(ValidationError) as err:
        record_practice(session, patient, date(2026, 4, 30), minutes, worry, now=NOW)
    assert err.value.field == field


def test_practice_edges_accepted_and_future_refused(session, patient):
    row = record_practice(session, patient, date(2026, 5, 1),
                          {"somatic_tracking_minutes": 1440, "other_minutes": 0}, 10, now=NOW)
    assert row.weather_worry == 10
    with pytest.raises(ValidationError) as err:
        record_practice(session, patient, date(2026, 5, 2), {}, 0, now=NOW)
    assert err.value.field == "day"


def test_practice_of_another_patient_is_not_found(session, patient, other):
    row = record_practice(session, patient, date(2026, 4, 30), {"other_minutes": 3}, None,
                          now=NOW)
    with pytest.raises(NotFoundError):
        delete_practice(session, other, row.id)
    delete_practice(session, patient, row.id)
    assert list_practice(session, patient) == []


def test_cycle_days_mark_twice_unmark_and_report_only_when_tracked(session, patient):
    mark_cycle_day(session, patient, date(2026, 4, 29), now=NOW)
    mark_cycle_day(session, patient, date(2026, 4, 29), now=NOW)
    mark_cycle_day(session, patient, date(2026, 4, 30), now=NOW)
    session.commit()
    assert list_cycle_days(session, patient) == [date(2026, 4, 29), date(2026, 4, 30)]
    assert load_cycle(session, patient, ZONE).tracked is False
    set_tracking(session, patient, cycle=True, now=NOW)
    assert load_cycle(session, patient, ZONE).days == (date(2026, 4, 29), date(2026, 4, 30))
    unmark_cycle_day(session, patient, date(2026, 4, 29))
    with pytest.raises(NotFoundError):
        unmark_cycle_day(session, patient, date(2026, 4, 29))
    with pytest.raises(ValidationError):
        mark_cycle_day(session, patient, date(2026, 5, 2), now=NOW)


def test_triggers_are_checked_ordered_and_loaded_by_local_day(session, patient, other):
    assert check_triggers(["stress", "weather", "stress"]) == ["weather", "stress"]
    assert check_triggers(None) is None and check_triggers([]) == []
    with pytest.raises(ValidationError) as err:
        check_triggers(["moon"])
    assert err.value.field == "triggers"
    # 23:30 UTC on 29 April is 30 April in Berlin
    attack = record_attack(session, patient, AttackInput(
        started_at=datetime(2026, 4, 29, 23, 30, tzinfo=UTC)), now=NOW)
    set_triggers(session, patient, attack.id, ["weather"])
    with pytest.raises(NotFoundError):
        set_triggers(session, other, attack.id, ["stress"])
    session.commit()
    assert load_triggers(session, patient, ZONE).tracked is False
    set_tracking(session, patient, triggers=True, now=NOW)
    session.commit()
    data = load_triggers(session, patient, ZONE)
    assert data.tracked and data.attacks[0].onset == date(2026, 4, 30)
    assert data.attacks[0].triggers == ("weather",)
