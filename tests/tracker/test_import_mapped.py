"""Any other CSV through a column mapping (issue #14, point 2): date formats, ambiguity,
clock changes, the mapping's own problems, and the fixture of another app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import create_user
from tracker.diary.imports import (
    DATE_FORMATS,
    ColumnMapping,
    CSVImportError,
    ImportOptions,
    apply_plan,
    guess_date_formats,
    parse_import,
    plan_import,
    read_columns,
    suggest_mapping,
)
from tracker.diary.imports.date_formats import read_instant
from tracker.errors import ValidationError
from tracker.models import Attack

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "other_app.csv"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
MAPPING = ColumnMapping(start="Start", end="End", intensity="Pain level", kind="Type",
                        medication="Medicine", notes="Comment", date_format="%d/%m/%Y %H:%M")
BERLIN = "Europe/Berlin"


def _plan(text: str, mapping: ColumnMapping, tz: str = BERLIN):
    return parse_import(text, tz, ImportOptions(format="mapped", mapping=mapping), now=NOW)


def _problems(text: str, mapping: ColumnMapping, tz: str = BERLIN) -> list[str]:
    return [str(p) for p in _plan(text, mapping, tz).problems]


# --- date formats ------------------------------------------------------------------------

#: Each format's example, as DATE_FORMATS shows it, is 14 March 2024 08:30.
EXAMPLES = {fmt: text.split(" (")[0].split(" or ")[0] for fmt, text in DATE_FORMATS.items()}


@pytest.mark.parametrize("fmt", list(DATE_FORMATS))
def test_every_declared_format_reads_its_own_example(fmt):
    zone = ZoneInfo(BERLIN)
    value = read_instant(EXAMPLES[fmt], fmt, zone, "Start")
    assert value == datetime(2024, 3, 14, 8, 30, tzinfo=zone)
    seconds = re.sub(r"(\d?\d:30)", r"\1:15", EXAMPLES[fmt], count=1)
    assert read_instant(seconds, fmt, zone, "Start") == value + timedelta(seconds=15)


def test_the_iso_format_keeps_an_offset_and_reads_a_space():
    zone = ZoneInfo(BERLIN)
    assert read_instant("2024-03-14 08:30", "iso", zone, "s") == datetime(2024, 3, 14, 8, 30,
                                                                         tzinfo=zone)
    assert read_instant("2024-03-14T08:30-05:00", "iso", zone, "s").utcoffset() == timedelta(
        hours=-5)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["14/03/2024 08:30"], ["%d/%m/%Y %H:%M"]),
        (["03/14/2024 08:30"], ["%m/%d/%Y %H:%M"]),
        (["03/04/2024 08:30"], ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]),
        (["03/04/2024 08:30", "25/04/2024 09:00"], ["%d/%m/%Y %H:%M"]),
        (["2024-03-14T08:30", "", "2024-03-15 09:00"], ["iso"]),
        (["14.03.24 08:30"], ["%d.%m.%y %H:%M"]),
        (["3/4/2024 8:30 PM"], ["%m/%d/%Y %I:%M %p", "%d/%m/%Y %I:%M %p"]),
        (["yesterday"], []),
        ([], []),
    ],
)
def test_guessing_the_date_format(values, expected):
    assert guess_date_formats(values) == expected


def test_a_date_without_a_time_and_a_value_in_another_format_are_refused_by_line():
    text = "Start\n14/03/2024 08:30\n15/03/2024\n2024-03-16 08:00\n"
    assert _problems(text, ColumnMapping(start="Start", date_format="%d/%m/%Y %H:%M")) == [
        "line 3: Start: '15/03/2024' has no time of day",
        "line 4: Start: '2024-03-16 08:00' does not look like 14/03/2024 08:30"]


def test_ambiguous_dates_without_a_chosen_format_stop_with_a_question():
    text = "Start\n03/04/2024 08:30\n05/06/2024 09:00\n"
    plan = _plan(text, ColumnMapping(start="Start"))
    assert [(p.line, p.field) for p in plan.problems] == [(1, "date_format")]
    assert plan.problems[0].message == (
        "the dates can be read in more than one way (line 2: '03/04/2024 08:30' reads as "
        "14/03/2024 08:30 (day/month/year) or as 03/14/2024 08:30 (month/day/year)); "
        "choose the date format")
    assert plan.attacks == []


def test_a_chosen_format_that_another_also_reads_gives_a_warning():
    text = "Start\n03/04/2024 08:30\n05/06/2024 09:00\n"
    plan = _plan(text, ColumnMapping(start="Start", date_format="%m/%d/%Y %H:%M"))
    assert plan.ok and plan.date_format == "%m/%d/%Y %H:%M"
    assert plan.attacks[0].started_at == datetime(2024, 3, 4, 7, 30, tzinfo=UTC)
    assert plan.warnings == ["line 2: '03/04/2024 08:30' also reads as 14/03/2024 08:30 "
                             "(day/month/year); check that 03/14/2024 08:30 (month/day/year) "
                             "is right"]


def test_the_only_format_that_reads_every_start_is_taken():
    plan = _plan("Start\n03/04/2024 08:30\n25/06/2024 09:00\n", ColumnMapping(start="Start"))
    assert plan.ok and plan.date_format == "%d/%m/%Y %H:%M" and plan.warnings == []
    none = _plan("Start\nyesterday\n", ColumnMapping(start="Start"))
    assert [str(p) for p in none.problems] == [
        "line 1: date_format: no date format of the list reads every start (line 2: "
        "'yesterday'); choose one, and the lines it cannot read are listed"]


# --- clock changes -----------------------------------------------------------------------


def test_local_times_in_a_gap_or_fold_are_refused_unless_an_offset_settles_them():
    text = ("Start\n2024-03-31 02:30\n2024-10-27 02:30\n2024-10-27T02:30+01:00\n"
            "2024-05-01 08:00\n")
    plan = _plan(text, ColumnMapping(start="Start", date_format="iso"))
    assert [(p.line, p.field) for p in plan.problems] == [(2, "Start"), (3, "Start")]
    assert "does not exist in Europe/Berlin" in plan.problems[0].message
    assert "happens twice in Europe/Berlin" in plan.problems[1].message
    assert [p.zone for p in plan.attacks] == ["UTC+01:00", "Europe/Berlin"]
    dmy = _plan("Start\n31/03/2024 02:30\n", ColumnMapping(start="Start",
                                                          date_format="%d/%m/%Y %H:%M"))
    assert "does not exist" in dmy.problems[0].message


def test_an_end_in_a_gap_names_the_end_column():
    text = "Start,Stop\n30/03/2024 23:00,31/03/2024 02:15\n"
    problems = _problems(text, ColumnMapping(start="Start", end="Stop",
                                             date_format="%d/%m/%Y %H:%M"))
    assert len(problems) == 1 and problems[0].startswith("line 2: Stop: 2024-03-31T02:15 does")


def test_a_duration_is_elapsed_time_across_a_clock_change():
    text = "Start,Minutes\n31/03/2024 01:30,90\n"
    plan = _plan(text, ColumnMapping(start="Start", duration="Minutes"))
    a = plan.attacks[0]
    assert (a.started_at, a.ended_at) == (datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
                                          datetime(2024, 3, 31, 2, 0, tzinfo=UTC))


# --- columns -----------------------------------------------------------------------------


def test_the_fixture_of_another_app():
    plan = parse_import(FIXTURE.read_bytes(), BERLIN,
                        ImportOptions(format="mapped", mapping=MAPPING), now=NOW)
    assert plan.ok and [p.line for p in plan.attacks] == [2, 4, 5, 6, 7]
    first, aura, tension, dst, ongoing = (p.attack for p in plan.attacks)
    assert (first.started_at, first.ended_at) == (datetime(2024, 3, 14, 7, 30, tzinfo=UTC),
                                                  datetime(2024, 3, 14, 11, tzinfo=UTC))
    assert (first.intensity, first.kind, first.medication) == (6, "migraine", "Ibuprofen 400")
    assert first.notes == "Bad morning\nTriggers: Weather, stress"
    assert aura.aura and aura.notes == ("Woke twice,\nthen slept\nTriggers: Red wine\n"
                                        "Type: Migraine with aura")
    assert tension.kind == "headache" and tension.notes == "Triggers: Screen\nType: Tension " \
        "headache"
    assert dst.started_at == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # UTC+2 after 02:00
    assert ongoing.ended_at is None and ongoing.kind == "migraine"


def test_the_fixture_is_not_detected_but_suggests_its_mapping():
    with pytest.raises(CSVImportError, match=r"the columns \(Start, End, Pain level, Type"):
        parse_import(FIXTURE.read_bytes(), BERLIN, now=NOW)
    header, rows = read_columns(FIXTURE.read_text(), rows=2)
    assert header == ["Start", "End", "Pain level", "Type", "Medicine", "Triggers", "Comment"]
    assert rows[1][6] == "Woke twice,\nthen slept"
    assert suggest_mapping(header) == ColumnMapping(
        start="Start", end="End", intensity="Pain level", kind="Type", medication="Medicine",
        notes="Comment")
    assert suggest_mapping(["Date", "Time", "Severity"]) == ColumnMapping(
        start="Date", start_time="Time", intensity="Severity")
    assert suggest_mapping(["Mood", "Sleep"]) is None


def test_a_separate_time_column_and_an_intensity_scale():
    text = "Date,Time,Severity (0-5)\n2024-03-14,08:30,3\n2024-03-15,09:00,6\n"
    mapping = ColumnMapping(start="Date", start_time="Time", intensity="Severity (0-5)",
                            intensity_max=5)
    plan = _plan(text, mapping)
    assert plan.date_format == "iso"
    assert plan.attacks[0].started_at == datetime(2024, 3, 14, 7, 30, tzinfo=UTC)
    assert plan.attacks[0].attack.intensity == 6
    assert [str(p) for p in plan.problems] == ["line 3: Severity (0-5): 6 is outside 0..5"]


def test_unmapped_columns_can_be_left_out_of_the_notes():
    text = "Start,Mood\n2024-03-14 08:30,fine\n"
    kept = _plan(text, ColumnMapping(start="Start"))
    assert kept.attacks[0].attack.notes == "Mood: fine"
    dropped = _plan(text, ColumnMapping(start="Start", keep_other_columns=False))
    assert dropped.attacks[0].attack.notes == ""


def test_long_medication_is_cut_and_kept_whole_in_the_notes():
    drugs = ", ".join(f"drug number {i}" for i in range(30))
    plan = _plan(f'Start,Meds\n2024-03-14 08:30,"{drugs}"\n',
                 ColumnMapping(start="Start", medication="Meds"))
    a = plan.attacks[0].attack
    assert len(a.medication) == 200 and a.medication.endswith("…")
    assert a.notes == f"Meds: {drugs}"


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (ColumnMapping(start="Begin"), ["line 1: start: the file has no column 'Begin' (its "
                                        "columns: Start, End, Minutes)"]),
        (ColumnMapping(start="Start", end="End", duration="Minutes"),
         ["line 1: duration: choose an end column or a duration column, not both"]),
        (ColumnMapping(start="Start", date_format="%Y"),
         [f"line 1: date_format: '%Y' is not one of {', '.join(DATE_FORMATS)}"]),
        (ColumnMapping(start="Start", intensity="Minutes", intensity_max=0),
         ["line 1: intensity_max: 0 is not a whole number 1..100"]),
        (ColumnMapping(start="Start", notes="Start"),
         ["line 1: column 'Start' is chosen for two fields"]),
    ],
)
def test_problems_of_the_mapping_itself(mapping, expected):
    text = "Start,End,Minutes\n2024-03-14 08:30,,\n"
    assert _problems(text, mapping) == expected


def test_a_repeated_header_and_malformed_lines():
    assert _problems("Start,Start\n2024-03-14 08:30,x\n", ColumnMapping(start="Start")) == [
        "line 1: column(s) given more than once: Start"]
    text = ("\n\nStart,End\n2024-03-14 08:30,2024-03-14 07:00\n2024-03-15 08:30,,extra\n"
            "2024-03-16 08:30,2024-03-16 09:30\n2024-03-16 09:00,\n")
    assert _problems(text, ColumnMapping(start="Start", end="End")) == [
        "line 4: End: the end is before the start",
        "line 5: more cells than columns",
        "line 7: Start: it overlaps the attack on line 6 of the file"]


def test_the_mapped_format_needs_a_mapping_and_round_trips_as_json():
    with pytest.raises(CSVImportError, match="mapping: the mapped format needs a column"):
        parse_import("Start\n", BERLIN, ImportOptions(format="mapped"), now=NOW)
    options = ImportOptions(format="mapped", timezone="America/New_York", mapping=MAPPING,
                            grid_degrees=0.25)
    assert ImportOptions.from_dict(options.to_dict()) == options
    with pytest.raises(ValidationError, match="unknown mapping field"):
        ColumnMapping.from_dict({"start": "Start", "colour": "red"})


def test_reimporting_a_mapped_file_adds_nothing_and_a_bad_one_writes_nothing(session):
    patient = create_user(session, email="p@example.org", password="long enough",
                          role="patient", timezone=BERLIN, latitude=52.5, longitude=13.4)
    options = ImportOptions(format="mapped", mapping=MAPPING)
    data = FIXTURE.read_bytes()
    assert apply_plan(session, patient, plan_import(session, patient, data, options, NOW),
                      now=NOW).added == 5
    session.commit()
    again = plan_import(session, patient, data, options, NOW)
    assert len(again.duplicates) == 5 and apply_plan(session, patient, again, now=NOW).added == 0
    bad = data.replace(b"20/04/2024 16:00,", b"20/04/2024 16:00:00:00,") + b"x,,,,,,\n"
    bad_plan = plan_import(session, patient, bad, options, NOW)
    assert [p.line for p in bad_plan.problems] == [5, 8]
    with pytest.raises(CSVImportError):
        apply_plan(session, patient, bad_plan, now=NOW)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Attack)) == 5
