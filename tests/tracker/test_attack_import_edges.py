"""Attack CSV import edges (issue #10, items 7 and 14): encodings, dates without a time,
repeated columns, clock changes, CSV syntax errors, and the in-memory overlap check: one
sort instead of a query per row, the same rule as the diary, line-numbered, all or nothing."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import check_overlap, record_attack
from tracker.diary.attacks_csv import CSVImportError, import_attacks, parse_attacks_csv
from tracker.errors import ConflictError
from tracker.models import Attack, PatientProfile

HEADER = "started_at,ended_at,kind,notes\n"
ROW = "2026-03-01T08:00,2026-03-01T10:00,migraine,{note}\n"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _patient(session, email="p@example.org", tz="Europe/Berlin"):
    user = create_user(session, email=email, password="long enough", role="patient",
                       timezone=tz, latitude=52.5, longitude=13.4)
    session.flush()
    return user


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Attack))


def _errors(text: str | bytes, tz: str = "Europe/Berlin") -> list[str]:
    with pytest.raises(CSVImportError) as info:
        parse_attacks_csv(text, tz, now=NOW)
    return [str(e) for e in info.value.errors]


# --- encodings ----------------------------------------------------------------------------


def _cli_import(runner, tmp_path, data: bytes):
    result = runner.invoke("users", "create", "--email", "p@example.org", "--password",
                           "long enough", "--role", "patient", "--timezone", "Europe/Berlin",
                           "--lat", "52.5", "--lon", "13.4")
    assert result.exit_code == 0, result.output
    src = tmp_path / "attacks.csv"
    src.write_bytes(data)
    return runner.invoke("import", "attacks", str(src), "--patient", "p@example.org")


@pytest.mark.parametrize(
    ("data", "stated"),
    [
        ((HEADER + ROW).format(note="Kopfweh café").encode("utf-8"), "(read as UTF-8)"),
        (codecs.BOM_UTF8 + (HEADER + ROW).format(note="café").encode("utf-8"),
         "(read as UTF-8 with a byte-order mark)"),
        ((HEADER + ROW).format(note="café").encode("utf-16"), "(read as UTF-16 (byte-order mark)"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom"],
)
def test_cli_reads_and_states_the_encoding(runner, tmp_path, session_factory, data, stated):
    result = _cli_import(runner, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "imported 1 attack(s)" in result.output and stated in result.output
    with session_factory() as s:
        assert s.scalar(select(Attack.notes)).endswith("café")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ((HEADER + ROW + ROW.replace("03-01", "03-02")).format(note="café").encode("latin-1"),
         "line 2: the file is not UTF-8 text (byte 0xE9"),
        ((HEADER + ROW).format(note="x").encode("utf-16-le"),
         "line 1: the file contains NUL characters"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
         "line 1: the file is not UTF-8 text (byte 0x89"),
        (HEADER.encode() + b"2026-03-01T08:00,,migraine,ok\x00\xff\n",
         "line 2: the file is not UTF-8 text (byte 0xFF"),
    ],
    ids=["latin-1", "utf-16-without-bom", "binary", "binary-tail"],
)
def test_cli_refuses_files_that_are_not_text_it_reads(runner, tmp_path, session_factory,
                                                      data, expected):
    result = _cli_import(runner, tmp_path, data)
    assert result.exit_code != 0
    assert expected in result.output and "Traceback" not in result.output
    with session_factory() as s:
        assert _count(s) == 0


def test_parse_takes_bytes_with_the_same_rules():
    assert _errors((HEADER + ROW).format(note="é").encode("latin-1")) == [
        "line 2: the file is not UTF-8 text (byte 0xE9 cannot be read); "
        "save it as UTF-8 and import it again"]
    parsed = parse_attacks_csv((HEADER + ROW).format(note="é").encode("utf-16"), "UTC", now=NOW)
    assert parsed[0][1].notes == "é"


def test_analyze_refuses_a_latin1_attack_file(tmp_path):
    from click.testing import CliRunner

    from cli.main import main

    attacks = tmp_path / "a.csv"
    attacks.write_bytes((HEADER + ROW).format(note="café").encode("latin-1"))
    pressure = tmp_path / "p.csv"
    hours = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(72)]
    pressure.write_text("observed_at,surface_pressure_hpa\n"
                        + "".join(f"{h.isoformat()},1000\n" for h in hours))
    result = CliRunner().invoke(main, ["analyze", "--attacks", str(attacks), "--pressure",
                                       str(pressure), "--timezone", "UTC", "--course-start",
                                       "2026-03-01", "--course-end", "2026-03-02"])
    assert result.exit_code != 0
    assert "line 2: the file is not UTF-8 text" in result.output
    assert not isinstance(result.exception, UnicodeDecodeError)


# --- dates, clock changes, header --------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-03-01", "20260301"])
def test_a_date_without_a_time_is_refused(value):
    errors = _errors(HEADER + f"{value},,migraine,x\n")
    assert len(errors) == 1
    assert errors[0].startswith(f"line 2: started_at: {value!r} has no time of day")
    ended = _errors(HEADER + f"2026-03-01T08:00,{value},migraine,x\n")
    assert ended[0].startswith("line 2: ended_at:") and "has no time of day" in ended[0]


def test_a_local_time_the_clocks_skip_is_refused():
    errors = _errors(HEADER + "2026-03-01T08:00,,migraine,ok\n"
                     "2026-03-29T02:30,2026-03-29T04:00,migraine,gap\n")
    assert errors == ["line 3: started_at: 2026-03-29T02:30 does not exist in Europe/Berlin "
                      "(the clocks went forward); give the time with its UTC offset"]


def test_a_local_time_that_happens_twice_asks_for_the_offset():
    errors = _errors(HEADER + "2026-10-25T02:30,,migraine,fold\n")
    assert errors == [
        "line 2: started_at: 2026-10-25T02:30 happens twice in Europe/Berlin (the clocks went "
        "back); add the UTC offset: 2026-10-25T02:30+02:00 for the first, "
        "2026-10-25T02:30+01:00 for the second"]
    parsed = parse_attacks_csv(HEADER + "2026-10-25T02:30+01:00,,migraine,fold\n",
                               "Europe/Berlin", now=NOW)
    assert parsed[0][1].started_at.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0001-01-01T08:00", "9999-12-31T23:00",
                                   "9999-12-31T23:00-05:00", "0001-01-01T00:00+05:00"])
def test_years_outside_the_diary_are_line_numbered_errors(value):
    errors = _errors(HEADER + f"{value},,migraine,x\n")
    assert len(errors) == 1 and errors[0].startswith("line 2: started_at:")
    assert "outside 1940-01-01..2100-12-31" in errors[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("started_at,notes,notes\n", "column(s) given more than once: notes"),
        ("started_at, kind ,kind\n", "column(s) given more than once: kind"),
        ("started_at,notes,\n", "column(s) without a name: number 3"),
    ],
)
def test_repeated_or_unnamed_columns_are_refused(header, expected):
    errors = _errors(header + "2026-03-01T08:00,a,b\n")
    assert errors == [f"line 1: {expected}"]


def test_a_lone_carriage_return_cannot_smuggle_a_record():
    text = HEADER + "2026-03-01T08:00,,migraine,ok\r=cmd|' /C calc'!A0\n"
    errors = _errors(text)
    assert errors and errors[0].startswith("line 3: started_at:")


def test_a_csv_syntax_error_is_line_numbered():
    text = HEADER + "2026-03-01T08:00,,migraine,ok\n" + '2026-03-02T08:00,,migraine,"' + (
        "x" * 200_000) + '"\n'
    errors = _errors(text)
    assert len(errors) == 1 and errors[0].startswith("line 3: not readable as CSV")


# --- overlaps ----------------------------------------------------------------------------


def test_every_overlap_in_the_file_is_reported_with_both_lines():
    text = ("started_at,ended_at\n"
            "2026-03-01T00:00,2026-03-01T10:00\n"  # line 2: long
            "2026-03-01T01:00,2026-03-01T02:00\n"  # line 3: inside line 2
            "2026-03-01T03:00,2026-03-01T04:00\n"  # line 4: also inside line 2
            "2026-03-02T03:00,\n"                  # line 5: a point
            "2026-03-02T03:00,2026-03-02T05:00\n"  # line 6: same start as line 5
            "2026-03-02T05:00,\n")                 # line 7: at line 6's end: no clash
    assert _errors(text, "UTC") == [
        "line 3: started_at: it overlaps the attack on line 2 of the file",
        "line 4: started_at: it overlaps the attack on line 2 of the file",
        "line 6: started_at: it overlaps the attack on line 5 of the file",
    ]


def _stored(session, patient):
    day = datetime(2026, 3, 10, tzinfo=UTC)
    for start, end in [(0, 4), (6, None), (8, 8), (12, 20)]:
        record_attack(session, patient, AttackInput(
            started_at=day + timedelta(hours=start),
            ended_at=None if end is None else day + timedelta(hours=end)), now=NOW)
    session.flush()
    return day


#: Candidates (start, end) in hours after the day of _stored, around every edge.
CANDIDATES = [(a, b) for a in (-1, 0, 2, 4, 5, 6, 7, 8, 11, 12, 19, 20, 21)
              for b in (None, a, a + 1, a + 3)]


def test_the_import_uses_the_diarys_overlap_rule(session):
    patient = _patient(session)
    day = _stored(session, patient)
    for start, end in CANDIDATES:
        data = AttackInput(started_at=day + timedelta(hours=start),
                           ended_at=None if end is None else day + timedelta(hours=end))
        try:
            check_overlap(session, patient, data, None)
            clashes = False
        except ConflictError:
            clashes = True
        ended = "" if end is None else data.ended_at.isoformat()
        text = f"started_at,ended_at\n{data.started_at.isoformat()},{ended}\n"
        nested = session.begin_nested()
        try:
            import_attacks(session, patient, text, now=NOW)
            imported = True
        except CSVImportError as exc:
            imported = False
            assert str(exc.errors[0]).startswith("line 2: started_at: it overlaps the attack "
                                                 "that started 2026-03-10T")
        nested.rollback()
        assert imported is not clashes, (start, end)


def test_an_import_overlapping_stored_attacks_writes_nothing(session):
    patient = _patient(session)
    _stored(session, patient)
    text = ("started_at,ended_at\n2026-03-20T10:00Z,2026-03-20T12:00Z\n"
            "2026-03-10T13:00Z,2026-03-10T14:00Z\n2026-03-21T10:00Z,\n"
            "2026-03-10T06:00Z,\n")
    with pytest.raises(CSVImportError) as info:
        import_attacks(session, patient, text, now=NOW)
    assert [str(e) for e in info.value.errors] == [
        "line 3: started_at: it overlaps the attack that started 2026-03-10T12:00+00:00",
        "line 5: started_at: it overlaps the attack that started 2026-03-10T06:00+00:00",
    ]
    assert _count(session) == 4


def test_a_large_import_is_a_few_statements_and_stamps_the_diary(session, engine):
    patient = _patient(session)
    _stored(session, patient)
    session.commit()
    profile = session.get(PatientProfile, patient.id)
    before = profile.diary_changed_at
    rows = [f"{(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=5 * k)).isoformat()},"
            f"{(datetime(2020, 1, 1, 2, tzinfo=UTC) + timedelta(hours=5 * k)).isoformat()},"
            f"headache,note {k}\n" for k in range(3000)]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        stored = import_attacks(session, patient, HEADER + "".join(rows), now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    session.commit()
    assert len(statements) < 20  # not a query (and a flush) per row
    assert stored == 3000
    assert _count(session) == 3004
    session.expire_all()
    stamped = session.get(PatientProfile, patient.id).diary_changed_at
    assert stamped is not None and (before is None or stamped > before)
    notes = session.scalars(select(Attack.notes).where(Attack.kind == "headache")
                            .order_by(Attack.started_at)).all()
    assert notes[0] == "note 0" and notes[-1] == "note 2999"
    sources = set(session.scalars(select(Attack.source).where(Attack.kind == "headache")))
    assert sources == {"import"}
