"""Acute medication as data (issue #16): the list, aliases, the CSV round trip of the new
fields, Migraine Buddy's medication columns, and the report's medication and function days
read from the database (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tracker.accounts.users import create_user
from tracker.clinical_models import AttackMedication, Medication
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import list_attacks, record_attack
from tracker.diary.attacks_csv import import_attacks, parse_attacks_csv
from tracker.diary.courses import record_course
from tracker.diary.imports import ImportOptions, apply_plan, parse_import
from tracker.diary.medication_names import (
    TakenByName,
    format_medications_cell,
    guess_class,
    parse_medications_cell,
)
from tracker.diary.medications import (
    Taken,
    add_medication,
    list_medications,
    map_text,
    set_attack_medications,
    unmapped_texts,
)
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.reports.exports import attacks_csv
from tracker.reports.series import patient_report
from tracker.reports.settings import ReportSettings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"


def _patient(session, email="p@example.org", tz="Europe/Oslo"):
    user = create_user(session, email=email, password="long enough", role="patient",
                       timezone=tz, latitude=59.9, longitude=10.7)
    session.flush()
    return user


@pytest.mark.parametrize(("name", "cls"), [
    ("Sumatriptan 50 mg", "triptan"), ("RIZATRIPTAN", "triptan"),
    ("Ibuprofen", "simple_analgesic"),
    ("acetaminophen", "simple_analgesic"), ("Codeine", "opioid"), ("tramadol", "opioid"),
    ("Dihydroergotamine", "ergot"), ("ubrogepant", "gepant"), ("Lasmiditan", "ditan"),
    ("Paracetamol + codeine", "combination_analgesic"),
    ("aspirin caffeine", "combination_analgesic"), ("Magnesium", "other"),
    ("sumatriptan and naproxen", "other")])
def test_guess_class_from_the_built_in_table(name, cls):
    assert guess_class(name) == cls


def test_the_medications_cell_reads_back_what_it_writes():
    entries = [TakenByName("Sumatriptan 50 mg", "triptan", 2, "partly"),
               TakenByName("Ibuprofen", None, None, "yes"), TakenByName("Tea")]
    text = format_medications_cell(entries)
    assert text == "Sumatriptan 50 mg|triptan|2|partly; Ibuprofen|||yes; Tea"
    assert parse_medications_cell(text) == entries
    for bad in ("x|pill", "x||21", "x|||maybe", "|triptan", "a; A", "x|triptan|1|yes|more"):
        with pytest.raises(ValidationError):
            parse_medications_cell(bad)


def test_list_order_conflicts_and_owner_checks(session):
    me, other = _patient(session), _patient(session, "o@example.org")
    suma = add_medication(session, me, "Sumatriptan", "triptan")
    ibu = add_medication(session, me, "Ibuprofen", "simple_analgesic")
    with pytest.raises(ConflictError):
        add_medication(session, me, " ibuprofen ", "other")
    with pytest.raises(ValidationError):
        add_medication(session, me, "a;b", "other")
    attack = record_attack(session, me, AttackInput(
        started_at=datetime(2026, 1, 2, 9, tzinfo=UTC)))
    set_attack_medications(session, me, attack, [Taken(ibu.id, 1, "yes")])
    assert [m.name for m in list_medications(session, me)] == ["Ibuprofen", "Sumatriptan"]
    theirs = add_medication(session, other, "Ibuprofen", "simple_analgesic")
    with pytest.raises(ValidationError, match="no medication"):
        set_attack_medications(session, me, attack, [Taken(theirs.id)])
    with pytest.raises(ValidationError):
        set_attack_medications(session, me, attack, [Taken(suma.id, 21)])
    with pytest.raises(NotFoundError):
        map_text(session, me, "x", theirs.id)


def test_csv_round_trip_of_function_and_medications(session):
    me = _patient(session)
    suma = add_medication(session, me, "Sumatriptan 50 mg", "triptan")
    first = record_attack(session, me, AttackInput(
        started_at=datetime(2026, 1, 2, 9, tzinfo=UTC), function="unable", medication="old"))
    set_attack_medications(session, me, first, [Taken(suma.id, 2, "partly")])
    record_attack(session, me, AttackInput(started_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
                                           function="normal"))
    text = attacks_csv(session, me)
    assert "function" in text.splitlines()[0] and "medications" in text.splitlines()[0]
    assert "Sumatriptan 50 mg|triptan|2|partly" in text
    # into a fresh account: the list entry is made with its class, the links keep doses
    fresh = _patient(session, "f@example.org")
    assert import_attacks(session, fresh, text) == 2
    again = list_attacks(session, fresh)
    assert [a.function for a in again] == ["unable", "normal"]
    med = session.scalars(select(Medication).where(Medication.patient_id == fresh.id)).one()
    assert (med.name, med.drug_class) == ("Sumatriptan 50 mg", "triptan")
    link = session.scalars(select(AttackMedication)
                           .where(AttackMedication.medication_id == med.id)).one()
    assert (link.attack_id, link.doses, link.helped) == (again[0].id, 2, "partly")
    assert attacks_csv(session, fresh) == text
    # a bad function or medications cell names its line and column
    bad = text.replace("unable", "sometimes")
    with pytest.raises(Exception, match="line 2: function"):
        parse_attacks_csv(bad, "UTC")


def test_migraine_buddy_medication_columns_fill_the_list(session):
    me = _patient(session, tz="Europe/Berlin")
    plan = parse_import(FIXTURE.read_bytes(), "Europe/Berlin",
                        ImportOptions(format="migraine-buddy"),
                        now=datetime(2026, 11, 1, tzinfo=UTC))
    apply_plan(session, me, plan)
    meds = {m.name: m.drug_class for m in session.scalars(
        select(Medication).where(Medication.patient_id == me.id))}
    assert meds["Ibuprofen"] == "simple_analgesic" and meds["Sumatriptan"] == "triptan"
    assert meds["Paracetamol"] == "simple_analgesic"
    helped = {(session.get(Medication, r.medication_id).name, r.helped) for r in
              session.scalars(select(AttackMedication))}
    assert {("Sumatriptan", "yes"), ("Paracetamol", "no"), ("Ibuprofen", "partly")} <= helped


def test_report_counts_list_entries_and_mapped_texts_once_per_day(session):
    me = _patient(session, tz="UTC")
    record_course(session, me, started_on=date(2026, 3, 1), ended_on=date(2026, 3, 10))
    suma = add_medication(session, me, "Sumatriptan", "triptan")
    start = datetime(2026, 2, 1, 8, tzinfo=UTC)
    for i in range(10):  # ten baseline days with a triptan: 8 by the list, 2 by mapped text
        attack = record_attack(session, me, AttackInput(
            started_at=start + timedelta(days=2 * i),
            ended_at=start + timedelta(days=2 * i, hours=3),
            medication="imigran" if i >= 8 else "", function="reduced" if i < 3 else None))
        if i < 8:
            set_attack_medications(session, me, attack, [Taken(suma.id)])
    assert unmapped_texts(session, me) == [("imigran", 2)]
    report = _report(session, me)
    base = report["clinical"]["medication"]["periods"]["baseline"]
    assert base["medication_days"] == 8 and base["by_class"]["triptan"]["days"] == 8
    assert base["overuse"]["months"][-1] == {"month": "2026-02", "rules": []}
    map_text(session, me, "Imigran", suma.id)
    base = _report(session, me)["clinical"]["medication"]["periods"]["baseline"]
    assert base["medication_days"] == 10
    assert base["overuse"]["months"][-1] == {"month": "2026-02", "rules": ["triptan"]}
    assert base["overuse"]["note"].startswith("Acute medication use in this period is at or")
    func = _report(session, me)["clinical"]["function"]["periods"]["baseline"]
    assert func["reduced_or_unable_days"] == 3


def _report(session, patient):
    return patient_report(session, patient, settings=ReportSettings(),
                          now=datetime(2026, 4, 1, 12, tzinfo=UTC)).to_dict()


def test_daily_export_has_medication_day_classes_and_function(session):
    import csv
    import io

    from tracker.reports.exports import patient_export

    me = _patient(session, tz="UTC")
    record_course(session, me, started_on=date(2026, 3, 1), ended_on=date(2026, 3, 10))
    suma = add_medication(session, me, "Sumatriptan", "triptan")
    ibu = add_medication(session, me, "Ibuprofen", "simple_analgesic")
    first = record_attack(session, me, AttackInput(
        started_at=datetime(2026, 2, 3, 8, tzinfo=UTC), function="reduced"))
    set_attack_medications(session, me, first, [Taken(ibu.id), Taken(suma.id)])
    record_attack(session, me, AttackInput(started_at=datetime(2026, 2, 3, 20, tzinfo=UTC),
                                           function="unable"))
    record_attack(session, me, AttackInput(started_at=datetime(2026, 2, 6, 8, tzinfo=UTC),
                                           function="normal"))
    text = patient_export(session, me, "daily", settings=ReportSettings())
    rows = {r["date"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows["2026-02-03"]["medication_day"], rows["2026-02-03"]["medication_classes"],
            rows["2026-02-03"]["function"]) == ("true", "triptan;simple_analgesic", "unable")
    assert (rows["2026-02-06"]["medication_day"], rows["2026-02-06"]["function"]) == (
        "", "normal")
    assert rows["2026-02-04"]["medication_day"] == "" and rows["2026-02-04"]["function"] == ""


def test_summary_export_has_the_clinical_numbers_and_the_note_with_its_context(session):
    import csv
    import io

    from tracker.reports.exports import patient_export

    me = _patient(session, tz="UTC")
    record_course(session, me, started_on=date(2026, 3, 1), ended_on=date(2026, 3, 10))
    suma = add_medication(session, me, "Sumatriptan", "triptan")
    for i in range(10):
        attack = record_attack(session, me, AttackInput(
            started_at=datetime(2026, 2, 1 + 2 * i, 8, tzinfo=UTC), function="unable"))
        set_attack_medications(session, me, attack, [Taken(suma.id)])
    text = patient_export(session, me, "summary", settings=ReportSettings())
    rows = {(r["section"], r["name"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert rows[("clinical.medication.baseline", "medication_days")] == "10"
    assert rows[("clinical.medication.baseline", "triptan_days")] == "10"
    assert rows[("clinical.medication.baseline", "overuse_at_or_above")] == "true"
    assert "at or above the level" in rows[("clinical.medication.baseline", "overuse_note")]
    assert "not a diagnosis" in rows[("clinical.medication", "context")]
    assert rows[("clinical.function.baseline", "unable_days")] == "10"
    assert ("clinical.medication.followup", "overuse_note") not in rows


def test_list_changes_that_feed_the_report_mark_the_diary_changed(session):
    from tracker.diary.medications import update_medication

    me = _patient(session)
    attack = record_attack(session, me, AttackInput(
        started_at=datetime(2026, 1, 2, 9, tzinfo=UTC), medication="pill"))
    med = add_medication(session, me, "Pill", "other")
    session.flush()
    for change in (lambda: set_attack_medications(session, me, attack, [Taken(med.id)]),
                   lambda: map_text(session, me, "pill", med.id),
                   lambda: update_medication(session, me, med.id, drug_class="triptan")):
        me.profile.diary_changed_at = None
        change()
        assert me.profile.diary_changed_at is not None


def test_linking_many_imported_medications_is_a_few_statements(session, engine):
    """One lookup per distinct name and one insert for all links, not a query per attack."""
    from sqlalchemy import event

    me = _patient(session)
    rows = [f"{(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=5 * k)).isoformat()},,"
            f"migraine,,,,,,,,,Sumatriptan|triptan|1|yes; Ibuprofen||2|\n" for k in range(600)]
    header = ("started_at,ended_at,kind,intensity,aura,medication,medication_helped,threat,"
              "expected_weather,function,triggers,medications,notes\n")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert import_attacks(session, me, header + "".join(rows)) == 600
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) < 40  # was over 1,200: a list lookup per medication of each attack
    links = session.scalars(select(AttackMedication)).all()
    assert len(links) == 1200 and {link.doses for link in links} == {1, 2}
