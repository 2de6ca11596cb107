"""Importing past diaries (issue #14, point 2): detection, the plan, duplicates, all or nothing.

The format parsers have their own files (test_import_migraine_buddy.py, test_import_mapped.py);
here: what every format shares, with our own attack CSV as the example.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.imports import (
    CSVImportError,
    ImportOptions,
    ProposedLocation,
    UnknownFormatError,
    apply_plan,
    detect_format,
    parse_import,
    plan_import,
)
from tracker.diary.profile import add_location_period, list_location_periods
from tracker.models import Attack

NOW = datetime(2026, 11, 1, tzinfo=UTC)
OURS = ("started_at,ended_at,kind,intensity,notes\n"
        "2026-03-01T08:00,2026-03-01T20:00,migraine,7,first\n"
        "2026-03-05T22:30:00+01:00,2026-03-06T06:00:00+01:00,headache,3,\n"
        "2026-03-09T14:00,,migraine,,ongoing\n")


def _patient(session, email="p@example.org", tz="Europe/Berlin"):
    user = create_user(session, email=email, password="long enough", role="patient",
                       timezone=tz, latitude=52.5, longitude=13.4)
    session.flush()
    return user


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Attack))


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        ("started_at,ended_at\n", "ours"),
        ("\ufeffstarted_at\n", "ours"),
        ("\n\nkind,start\n", "ours"),  # one of our columns: our header check explains the rest
        ('"Date","Time Period","Description","Notes"\n', "migraine-buddy"),
        ("#,Started,Lasted,Start UTC Offset (min)\n", "migraine-buddy"),
    ],
)
def test_the_format_is_detected_from_the_header(header, fmt):
    assert detect_format(header) == fmt


@pytest.mark.parametrize("header", ["Start,End,Pain level,Triggers\n", "", "\n\n"])
def test_an_unknown_header_names_the_formats_and_suggests_the_mapping(header):
    with pytest.raises(UnknownFormatError) as info:
        parse_import(header + "2024-03-01 08:00,,5,\n", "UTC", now=NOW)
    message = str(info.value)
    assert message.startswith("1 bad line(s); nothing was imported\nline 1: the columns (")
    assert "migraine-weather attack CSV (started_at, ended_at" in message
    assert "Migraine Buddy CSV export (#, Started, Lasted" in message
    assert 'the mapping (format "mapped"' in message
    if header.strip():
        assert info.value.columns == ["Start", "End", "Pain level", "Triggers"]


def test_our_header_errors_suggest_the_mapping_only_when_detected():
    detected = parse_import("started_at,mood\n2026-03-01T08:00,x\n", "UTC", now=NOW)
    assert [(p.line, p.field) for p in detected.problems] == [(1, None)]
    assert detected.problems[0].message.startswith("unknown column(s): mood; if the file")
    chosen = parse_import("started_at,mood\n2026-03-01T08:00,x\n", "UTC",
                          ImportOptions(format="ours"), now=NOW)
    assert chosen.problems[0].message == "unknown column(s): mood"


def test_a_bad_format_choice_or_timezone_is_refused():
    with pytest.raises(CSVImportError, match="'xls' is not one of auto, ours"):
        ImportOptions(format="xls")
    with pytest.raises(Exception, match="unknown timezone 'CET-1'"):
        ImportOptions(timezone="CET-1")


# --- the plan of our own format ----------------------------------------------------------


def test_our_format_as_a_plan():
    plan = parse_import(OURS.encode("utf-16"), "Europe/Berlin", now=NOW)
    assert (plan.format, plan.encoding, plan.timezone, plan.ok) == (
        "ours", "UTF-16 (byte-order mark)", "Europe/Berlin", True)
    first, second, third = plan.attacks
    assert first.line == 2 and first.zone == "Europe/Berlin"
    assert first.started_at == datetime(2026, 3, 1, 7, tzinfo=UTC)
    assert first.started_at.tzinfo is UTC and first.ended_at.tzinfo is UTC
    assert second.zone == "UTC+01:00" and second.attack.kind == "headache"
    assert third.ended_at is None and third.attack.notes == "ongoing"
    assert plan.date_range == (date(2026, 3, 1), date(2026, 3, 9))
    summary = plan.summary(rows=2)
    assert summary["attacks"] == 3 and summary["new"] == 3 and len(summary["rows"]) == 2
    assert summary["rows"][0]["started_at"] == "2026-03-01T07:00:00+00:00"


def test_every_bad_line_is_a_problem_of_the_plan_not_an_exception():
    text = OURS + ("2026-03-12T10:00,2026-03-12T09:00,migraine,5,\n"
                   "2026-03-29T02:30,,migraine,5,gap\n"
                   "2026-10-25T02:30,,migraine,5,fold\n"
                   "2026-03-01T09:00,,migraine,5,inside line 2\n")
    plan = parse_import(text, "Europe/Berlin", now=NOW)
    assert not plan.ok and len(plan.attacks) == 4
    assert [(p.line, p.field) for p in plan.problems] == [
        (5, "ended_at"), (6, "started_at"), (7, "started_at"), (8, "started_at")]
    assert "does not exist in Europe/Berlin" in plan.problems[1].message
    assert "happens twice in Europe/Berlin" in plan.problems[2].message
    assert plan.problems[3].message == "it overlaps the attack on line 2 of the file"
    with pytest.raises(CSVImportError, match="line 5: ended_at: the end is before the start"):
        plan.raise_problems()


# --- against the diary: duplicates, overlaps, headache-free days, all or nothing ---------


def test_reimporting_the_same_file_adds_nothing(session):
    patient = _patient(session)
    first = plan_import(session, patient, OURS, now=NOW)
    assert first.checked_against_stored and not first.duplicates
    result = apply_plan(session, patient, first, now=NOW)
    assert (result.added, result.duplicates) == (3, 0)
    session.commit()

    again = plan_import(session, patient, OURS, now=NOW)
    assert again.ok and len(again.duplicates) == 3 and again.new_attacks == []
    assert again.summary()["duplicates"] == 3
    assert apply_plan(session, patient, again, now=NOW).added == 0
    session.commit()
    assert _count(session) == 3


def test_a_partly_new_file_adds_only_the_new_attacks(session):
    patient = _patient(session)
    apply_plan(session, patient, plan_import(session, patient, OURS, now=NOW), now=NOW)
    more = OURS + "2026-03-20T10:00,2026-03-20T12:00,migraine,4,new\n"
    plan = plan_import(session, patient, more, now=NOW)
    assert [p.line for p in plan.new_attacks] == [5] and len(plan.duplicates) == 3
    assert apply_plan(session, patient, plan, now=NOW).added == 1
    assert _count(session) == 4


def test_an_overlap_with_a_stored_attack_is_a_conflict_and_nothing_is_written(session):
    patient = _patient(session)
    record_attack(session, patient, AttackInput(
        started_at=datetime(2026, 3, 1, 9, tzinfo=UTC)), now=NOW)
    session.commit()
    plan = plan_import(session, patient, OURS, now=NOW)
    assert plan.problems == [] and not plan.ok
    assert [(c.line, c.field) for c in plan.conflicts] == [(2, "started_at")]
    assert plan.conflicts[0].message.startswith("it overlaps the attack that started 2026-03-01")
    with pytest.raises(CSVImportError, match="line 2: started_at: it overlaps"):
        apply_plan(session, patient, plan, now=NOW)
    session.rollback()
    assert _count(session) == 1


def test_a_headache_free_day_is_a_conflict(session):
    patient = _patient(session)
    record_checkin(session, patient, date(2026, 3, 6), headache_free=True, now=NOW)
    session.commit()
    plan = plan_import(session, patient, OURS, now=NOW)
    assert [(c.line, c.field) for c in plan.conflicts] == [(3, "started_at")]
    assert "Fri 6 Mar 2026 as headache-free" in plan.conflicts[0].message


def test_apply_checks_the_diary_again(session_factory):
    """A preview made before another write: the attack stored meanwhile is found at apply."""
    with session_factory() as s:
        patient = _patient(s)
        s.commit()
        plan = plan_import(s, patient, OURS, now=NOW)
        assert plan.ok
        record_attack(s, patient, AttackInput(
            started_at=datetime(2026, 3, 9, 12, 30, tzinfo=UTC),
            ended_at=datetime(2026, 3, 9, 13, 30, tzinfo=UTC)), now=NOW)
        s.commit()
        with pytest.raises(CSVImportError, match="line 4: started_at: it overlaps"):
            apply_plan(s, patient, plan, now=NOW)
        s.rollback()
        assert _count(s) == 1


def test_a_plan_with_problems_writes_nothing(session):
    patient = _patient(session)
    plan = plan_import(session, patient, OURS + "yesterday,,migraine,,\n", now=NOW)
    with pytest.raises(CSVImportError, match="line 5: started_at"):
        apply_plan(session, patient, plan, now=NOW)
    session.rollback()
    assert _count(session) == 0


def test_confirmed_places_are_added_with_the_attacks(session):
    patient = _patient(session)
    plan = plan_import(session, patient, OURS, now=NOW)
    away = ProposedLocation(date(2026, 3, 5), 48.15, 11.55, "Europe/Berlin", 3)
    assert ProposedLocation.from_dict(away.to_dict()) == away
    result = apply_plan(session, patient, plan, locations=[away], now=NOW)
    assert (result.added, result.locations_added) == (3, 1)
    periods = {p.starts_on: p for p in list_location_periods(session, patient)}
    added = periods[date(2026, 3, 5)]
    assert (added.latitude, added.longitude, added.label) == (48.15, 11.55, "from import")


def test_a_bad_place_stops_the_import_before_anything_is_written(session):
    patient = _patient(session)
    plan = plan_import(session, patient, OURS, now=NOW)
    bad = ProposedLocation(date(2026, 3, 5), 95.0, 11.55, "Europe/Berlin", 3)
    with pytest.raises(CSVImportError, match="line 3: latitude"):
        apply_plan(session, patient, plan, locations=[bad], now=NOW)
    assert _count(session) == 0


def test_places_already_in_the_diary_are_not_proposed_again(session):
    from tracker.diary.imports.plan import ImportPlan
    from tracker.diary.imports.stored import check_against_stored

    patient = _patient(session)
    add_location_period(session, patient, starts_on=date(2026, 1, 1), latitude=52.5,
                        longitude=13.4, timezone="Europe/Berlin")
    add_location_period(session, patient, starts_on=date(2026, 3, 10), latitude=48.14,
                        longitude=11.58, timezone="Europe/Berlin")
    home = (52.55, 13.45)
    munich = (48.15, 11.55)
    plan = ImportPlan("migraine-buddy", "Europe/Berlin", locations=[
        ProposedLocation(date(2026, 2, 1), *home, "Europe/Berlin", 2),     # home: known
        ProposedLocation(date(2026, 2, 10), *munich, "Europe/Berlin", 3),  # new
        ProposedLocation(date(2026, 2, 20), *home, "Europe/Berlin", 4),    # back: needed
        ProposedLocation(date(2026, 3, 12), *munich, "Europe/Berlin", 5),  # known since 10th
    ])
    check_against_stored(session, patient, plan, grid_degrees=0.1)
    assert [p.line for p in plan.locations] == [3, 4]
