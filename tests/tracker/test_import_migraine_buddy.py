"""Migraine Buddy's CSV export (issue #14, point 2): the fixture, malformed lines, clock changes.

tests/fixtures/imports/migraine_buddy.csv is written from the format's description (no real
person's export): an ongoing-attacks table, a multi-day attack, a clock change in each
direction settled by the offset columns, a trip abroad, quoted commas and line breaks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.imports import (
    CSVImportError,
    ImportOptions,
    apply_plan,
    detect_format,
    parse_import,
    plan_import,
)
from tracker.diary.imports.migraine_buddy import ATTACK_COLUMNS
from tracker.models import Attack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
ONGOING = '"Date","Time Period","Description","Notes"\n'
HEADER = ",".join(ATTACK_COLUMNS) + "\n"
#: The cells after Pain Level (15 medication, relief and note columns), all empty.
REST = "," * (len(ATTACK_COLUMNS) - 9)


def _row(started="01/15/24 08:00", lasted="01h 00m", start_off="60", end_off="60",
         geohash="", types="Migraine", pain="5", rest=REST) -> str:
    return f"1,{started},{lasted},{start_off},{end_off},{geohash},{types},Home,{pain}{rest}\n"


def _plan(text: str, tz: str = "Europe/Berlin"):
    return parse_import(text, tz, ImportOptions(format="migraine-buddy"), now=NOW)


def _problems(text: str, tz: str = "Europe/Berlin") -> list[str]:
    return [str(p) for p in _plan(text, tz).problems]


def _patient(session, tz="Europe/Berlin"):
    user = create_user(session, email="p@example.org", password="long enough", role="patient",
                       timezone=tz, latitude=52.5, longitude=13.4)
    session.flush()
    return user


# --- the fixture -------------------------------------------------------------------------


def test_the_fixture_is_detected_and_read_whole():
    data = FIXTURE.read_bytes()
    assert detect_format(data.decode()) == "migraine-buddy"
    plan = parse_import(data, "Europe/Berlin", now=NOW)
    assert (plan.format, plan.problems, plan.warnings) == ("migraine-buddy", [], [])
    assert [p.line for p in plan.attacks] == [2, 5, 7, 8, 9, 10, 11, 12, 14]
    assert plan.date_range == (date(2024, 1, 15), date(2024, 11, 2))
    assert plan.start_field == "Started"


def _by_line(plan):
    return {p.line: p for p in plan.attacks}


def test_the_fixture_maps_every_column_onto_ours_or_the_notes():
    attacks = _by_line(parse_import(FIXTURE.read_bytes(), "Europe/Berlin", now=NOW))
    first = attacks[5]
    assert (first.started_at, first.ended_at) == (datetime(2024, 1, 15, 7, tzinfo=UTC),
                                                  datetime(2024, 1, 15, 12, 30, tzinfo=UTC))
    assert first.zone == "UTC+01:00" and first.triggers == "Weather, Stress"
    a = first.attack
    assert (a.kind, a.intensity, a.aura, a.medication, a.medication_helped) == (
        "migraine", 7, False, "Ibuprofen", True)
    assert a.notes.split("\n") == [
        'Started after the school run, "classic" pattern', "Attack Location: Home",
        "Affected Activities: Work, Chores", "Potential Triggers: Weather, Stress",
        "Symptoms: Nausea, Sensitivity to light", "Most Bothersome Symptom: Nausea",
        "Premonitory Symptoms: Yawning", "Pain Positions: Left temple, Behind left eye",
        "Helpful Non Drug Relief Methods: Rest"]

    aura = attacks[7].attack  # multi-day, with aura, a line break in the notes
    assert attacks[7].ended_at == datetime(2024, 2, 4, 23, 30, tzinfo=UTC)  # 1d 02h 15m
    assert (aura.aura, aura.medication, aura.medication_helped) == (
        True, "Sumatriptan, Paracetamol", True)
    assert aura.notes.startswith("Long one.\nSecond day was easier.\nAttack Types: Migraine with")
    assert aura.notes.endswith("Medication: helpful: Sumatriptan; unhelpful: Paracetamol")

    tension = attacks[8].attack
    assert (tension.kind, tension.intensity, tension.medication_helped) == ("headache", 4, True)
    assert "Attack Types: Tension-type headache" in tension.notes
    assert "Medication: somewhat helpful: Ibuprofen; unsure: Magnesium" in tension.notes

    assert attacks[14].ended_at is None and attacks[14].attack.kind == "headache"
    assert attacks[14].attack.notes.startswith("Still going when exported,\n=not a formula")


def test_offsets_settle_clock_changes_and_travel():
    attacks = _by_line(parse_import(FIXTURE.read_bytes(), "Europe/Berlin", now=NOW))
    # 01:00 at UTC+1, 3 hours on the clock, ending after the clocks went forward (UTC+2).
    assert (attacks[9].started_at, attacks[9].ended_at) == (
        datetime(2024, 3, 31, 0, tzinfo=UTC), datetime(2024, 3, 31, 2, tzinfo=UTC))
    # 02:30 happened twice on 27 Oct 2024 in Berlin: the offsets say which.
    assert attacks[11].started_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert attacks[12].started_at == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert attacks[10].zone == "UTC-04:00"
    assert attacks[10].started_at == datetime(2024, 6, 20, 13, 30, tzinfo=UTC)


def test_the_ongoing_table_gives_attacks_without_an_end_in_the_import_timezone():
    ongoing = _by_line(parse_import(FIXTURE.read_bytes(), "Europe/Berlin", now=NOW))[2]
    assert ongoing.ended_at is None and ongoing.zone == "Europe/Berlin"
    assert ongoing.started_at == datetime(2024, 11, 2, 6, 30, tzinfo=UTC)
    assert ongoing.attack.notes == ("Woke up with it, still going\nTime Period: Morning\n"
                                    "Description: Migraine")


def test_geohashes_propose_places_on_the_weather_grid():
    plan = parse_import(FIXTURE.read_bytes(), "Europe/Berlin", now=NOW)
    assert [(p.starts_on, p.latitude, p.longitude, p.line, p.attacks) for p in plan.locations] == [
        (date(2024, 1, 15), 52.55, 13.45, 5, 2),
        (date(2024, 3, 9), 48.15, 11.55, 8, 2),
        (date(2024, 6, 20), 40.75, -74.05, 10, 1),
        (date(2024, 10, 27), 52.55, 13.45, 11, 3),
    ]
    zones = {(40.75, -74.05): "America/New_York"}
    found = parse_import(FIXTURE.read_bytes(), "Europe/Berlin", now=NOW,
                         zone_at=lambda lat, lon: zones.get((lat, lon)))
    assert [p.timezone for p in found.locations] == [
        "Europe/Berlin", "Europe/Berlin", "America/New_York", "Europe/Berlin"]
    coarse = parse_import(FIXTURE.read_bytes(), "Europe/Berlin",
                          ImportOptions(grid_degrees=1.0), now=NOW)
    assert coarse.locations[0].latitude == 52.5


def test_reimporting_the_fixture_adds_nothing(session):
    patient = _patient(session)
    data = FIXTURE.read_bytes()
    first = plan_import(session, patient, data, now=NOW)
    assert apply_plan(session, patient, first, now=NOW).added == 9
    session.commit()
    again = plan_import(session, patient, data, now=NOW)
    assert again.ok and len(again.duplicates) == 9
    assert apply_plan(session, patient, again, now=NOW).added == 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(Attack)) == 9
    stored = session.scalar(select(Attack).where(Attack.intensity == 8))
    assert stored.source == "import" and "Second day was easier." in stored.notes


def test_a_bad_line_in_the_fixture_writes_nothing(session):
    patient = _patient(session)
    data = FIXTURE.read_text().replace("03/09/24 14:00", "03/09/24 14:77")
    plan = plan_import(session, patient, data, now=NOW)
    assert [(p.line, p.field) for p in plan.problems] == [(8, "Started")]
    with pytest.raises(CSVImportError, match="line 8: Started: '03/09/24 14:77' is not a date"):
        apply_plan(session, patient, plan, now=NOW)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Attack)) == 0


# --- malformed lines, numbered from the top of the file ----------------------------------


def test_line_numbers_count_the_ongoing_table_and_the_blank_line():
    text = (ONGOING + '"not a date","","",""\n' + "\n" + HEADER
            + _row(started="02/30/24 08:00")
            + _row(started="03/01/24 08:00", lasted="2 hours")
            + _row(started="03/02/24 08:00", start_off="+1h")
            + _row(started="03/03/24 08:00", pain="11")
            + _row(started="03/04/24 08:00", geohash="u33dc0a")
            + _row(started="03/05/24 08:00", rest=REST + ",extra")
            + _row(started="03/06/24 08:00", lasted="01h 75m")
            + _row(started="03/07/24 08:00", start_off="900"))
    assert _problems(text) == [
        "line 2: Date: 'not a date' is not a date and time like 03/14/24 08:30 (month/day/year "
        "hour:minute)",
        "line 5: Started: '02/30/24 08:00' is not a date and time (day is out of range for "
        "month)",
        "line 6: Lasted: '2 hours' is not a duration like 01h 30m, 1d 02h 15m, 1:30 or 90 "
        "(minutes)",
        "line 7: Start UTC Offset (min): '+1h' is not a whole number of minutes",
        "line 8: Pain Level: 11 is outside 0..10",
        "line 9: Geohash: 'u33dc0a' is not a geohash",
        "line 10: more cells than columns",
        "line 11: Lasted: '01h 75m': minutes must be below 60",
        "line 12: Start UTC Offset (min): 900 is outside -720..840 minutes",
    ]


def test_a_record_spanning_lines_is_numbered_by_its_last_line():
    text = HEADER + _row(rest=REST[:-1] + '"one\ntwo\r\nthree"') + _row(
        started="01/16/24 08:00", pain="x")
    assert _problems(text) == ["line 5: Pain Level: 'x' is not a whole number 0-10"]


def test_overlaps_in_the_file_name_both_lines():
    text = ONGOING + '"01/15/24 08:30","","",""\n\n' + HEADER + _row(lasted="02h 00m") + _row(
        started="01/15/24 09:00")
    assert _problems(text) == [
        "line 2: Date: it overlaps the attack on line 5 of the file",
        "line 6: Started: it overlaps the attack on line 5 of the file"]


def test_an_end_before_the_start_after_a_change_of_offset_is_refused():
    # 00:30 at UTC-5, 10 minutes on the clock, ending at UTC+1: 23:40 UTC the day before.
    text = HEADER + _row(started="01/15/24 00:30", lasted="00h 10m", start_off="-300",
                         end_off="60")
    assert _problems(text) == ["line 2: Lasted: the end is before the start"]


def test_the_future_and_overlong_notes_are_refused():
    future = HEADER + _row(started="01/15/68 08:00", lasted="")
    assert _problems(future) == ["line 2: Started: the start is in the future"]
    long_notes = HEADER + _row(rest=REST[:-1] + "x" * 4990)  # + "Attack Location: Home"
    problem = _problems(long_notes)
    assert problem == ["line 2: Notes: at most 5000 characters (with the other columns kept "
                       "in them)"]


def test_header_problems_and_rows_before_a_header():
    assert _problems("1,01/15/24 08:00\n" + HEADER + _row()) == [
        "line 1: a row before any table's header"]
    missing = HEADER.replace(",Lasted,", ",Duration,")
    assert _problems(missing + _row()) == ["line 1: missing column(s): Lasted"]
    twice = HEADER.replace(",Symptoms,", ",Notes,")
    assert _problems(twice + _row()) == ["line 1: column(s) given more than once: Notes"]


def test_unknown_columns_are_kept_in_the_notes_with_a_warning():
    plan = _plan(HEADER.rstrip("\n") + ",Weather Pressure\n" + _row(rest=REST + ",1002 hPa"))
    assert plan.problems == []
    assert plan.warnings == ["line 1: column(s) Weather Pressure are not in Migraine Buddy's "
                             "layout as we know it; their values are kept in the notes"]
    assert plan.attacks[0].attack.notes.endswith("Weather Pressure: 1002 hPa")


def test_short_rows_read_missing_cells_as_empty():
    plan = _plan(HEADER + "1,01/15/24 08:00,01h 00m\n")
    assert plan.problems == [] and plan.attacks[0].attack.intensity is None


def test_an_ongoing_attack_in_both_tables_is_imported_once():
    text = (ONGOING + '"01/15/24 08:00","Morning","",""\n\n' + HEADER
            + _row(lasted=""))
    plan = _plan(text)
    assert [p.line for p in plan.attacks] == [5]
    assert plan.warnings == ["line 2: the ongoing attack is also in the attack table; it is "
                             "imported once, from the attack table"]


# --- clock changes without an offset -----------------------------------------------------


def test_without_offsets_a_time_in_a_gap_or_fold_is_refused_with_its_line():
    text = (HEADER + _row(started="03/31/24 02:30", start_off="", end_off="")
            + _row(started="10/27/24 02:30", start_off="", end_off="")
            + _row(started="03/30/24 23:30", lasted="03h 00m", start_off="", end_off="")
            + _row(started="05/01/24 08:00", start_off="", end_off=""))
    problems = _plan(text).problems
    assert [(p.line, p.field) for p in problems] == [(2, "Started"), (3, "Started"),
                                                     (4, "Lasted")]
    assert "does not exist in Europe/Berlin" in problems[0].message
    assert "happens twice in Europe/Berlin" in problems[1].message
    assert "2024-03-31T02:30 does not exist" in problems[2].message  # the end, 3 h later
    assert _plan(text.replace(_row(started="03/31/24 02:30", start_off="", end_off=""), "")
                 .replace(_row(started="10/27/24 02:30", start_off="", end_off=""), "")
                 .replace(",03h 00m,", ",02h 00m,")).attacks[1].zone == "Europe/Berlin"


def test_an_ongoing_table_time_in_a_gap_is_refused():
    text = ONGOING + '"03/31/24 02:30","Night","Migraine",""\n'
    plan = _plan(text)
    assert [(p.line, p.field) for p in plan.problems] == [(2, "Date")]


def test_an_ongoing_date_without_a_time_takes_the_time_period_clock():
    plan = _plan(ONGOING + '"01/15/24","From 07:45","Migraine",""\n')
    assert plan.attacks[0].started_at == datetime(2024, 1, 15, 6, 45, tzinfo=UTC)
    bare = _plan(ONGOING + '"01/15/24","Morning","Migraine",""\n')
    assert "has no time of day" in bare.problems[0].message


def test_two_digit_years_follow_strptime():
    text = HEADER + _row(started="12/31/69 23:00") + _row(started="01/01/68 08:00", lasted="")
    plan = _plan(text)
    assert plan.attacks[0].started_at.year == 1969
    assert [str(p) for p in plan.problems] == ["line 3: Started: the start is in the future"]


def test_windows_line_ends_and_a_byte_order_mark():
    text = "\ufeff" + (ONGOING + "\n" + HEADER + _row() + _row(started="x")).replace(
        "\n", "\r\n")
    plan = parse_import(text.encode("utf-8"), "Europe/Berlin", now=NOW)
    assert plan.format == "migraine-buddy"
    assert [str(p).split(":")[0] for p in plan.problems] == ["line 5"]
