"""CSV exports a spreadsheet cannot be tricked by: quoting of every line break, the formula
guard after line breaks inside a cell, and exports that read back unchanged (issue #10, 1)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.csvfmt import escape_cell, unescape_cell, write_csv
from tracker.diary.attack_input import ATTACK_RULES
from tracker.diary.attacks_csv import COLUMNS, export_attacks_csv, parse_attacks_csv
from tracker.models import Attack

FORMULA_START = ("=", "+", "-", "@", "\t")
#: The note of the probe: a lone carriage return, then a formula.
PROBE_NOTE = "ok\r=cmd|' /C calc'!A0"
NASTY = [
    PROBE_NOTE,
    "\r=1+1",
    "'\r=1+1",
    "line one\n@SUM(A1)",
    "a\r\n+1",
    "x\n\n-2",
    'say "hi"\r"=1+1"',
    "tab\n\tthen",
    "\u2028=HYPERLINK(1)",
    "comma, then\r\n'quote",
    "=plain formula",
    "'already quoted",
    "",
]
BREAKS = re.compile(r"\r\n|\r|\n")


def plain_text(value: object) -> str:
    """A value as the text its CSV cell holds once the formula guard is removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def physical_lines(body: str) -> list[str]:
    """The lines a reader sees that breaks at every \\r, \\n and \\r\\n."""
    return BREAKS.split(body)


def first_cell(line: str) -> str:
    """The first cell of a physical line read as if a record started there."""
    if not line.startswith('"'):
        return line.split(",", 1)[0]
    out, i = [], 1
    while i < len(line):
        if line[i] == '"':
            if line[i + 1 : i + 2] != '"':  # the closing quote: the rest of the cell follows
                return "".join(out) + line[i + 1 :].split(",", 1)[0]
            i += 1
        out.append(line[i])
        i += 1
    return "".join(out)


def assert_no_line_starts_a_formula(body: str) -> None:
    """No physical line, read as the start of a record, has a first cell that runs."""
    for number, line in enumerate(physical_lines(body), 1):
        assert not first_cell(line).startswith(FORMULA_START), (number, line)


def records_by_lines(body: str) -> list[list[str]]:
    """Records from a reader that reads line by line (\\r, \\n, \\r\\n), honouring quotes."""
    parts = re.split(r"(\r\n|\r|\n)", body)
    records, pending = [], ""
    for i in range(0, len(parts), 2):
        pending += parts[i]
        if pending.count('"') % 2 == 0:  # outside a quoted field: the record ends here
            if pending:
                records.append(next(csv.reader([pending])))
            pending = ""
        elif i + 1 < len(parts):
            pending += parts[i + 1]  # inside a quoted field the break is data
    assert pending == "", "unbalanced quotes"
    return records


def records_universal(body: str) -> list[list[str]]:
    """Records from Python's csv reader in universal-newline mode."""
    return list(csv.reader(io.StringIO(body, newline="")))


def _attack(k: int, notes: str = "", medication: str = "") -> Attack:
    start = datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(days=k)
    return Attack(started_at=start, ended_at=start + timedelta(hours=3), kind="migraine",
                  intensity=k % 11, aura=bool(k % 2), medication=medication,
                  medication_helped=None, threat=None, expected_weather=True, notes=notes)


@pytest.mark.parametrize("text", NASTY)
def test_escape_then_unescape_is_the_identity(text):
    assert unescape_cell(escape_cell(text)) == text


def test_the_probe_note_is_quoted_and_guarded_after_the_carriage_return():
    body = export_attacks_csv([_attack(0, notes=PROBE_NOTE)])
    assert "\"ok\r'=cmd|' /C calc'!A0\"" in body
    assert_no_line_starts_a_formula(body)
    assert len(records_universal(body)) == 2
    assert len(records_by_lines(body)) == 2


def test_every_cell_with_a_break_delimiter_or_quote_is_quoted():
    cells = ["a\rb", "a\nb", "a\r\nb", "a,b", 'a"b', "a\u2028b", "plain", "-1"]
    body = write_csv(["c"], [{"c": c} for c in cells])
    lines = body.split("\n")
    for c in cells[:-2]:
        quoted = '"' + escape_cell(c).replace('"', '""') + '"'
        assert quoted in body, c
    assert "plain" in lines and "'-1" in lines  # text "-1" is guarded, not quoted


@pytest.mark.parametrize(("line", "cell"), [
    ('"a""b",c', 'a"b'), ('""=cmd"', '=cmd"'), ("=x,y", "=x"), ('"""="', '"='), ('"open', "open"),
])
def test_first_cell_reads_like_a_lenient_csv_reader(line, cell):
    assert first_cell(line) == cell
    if not line.startswith('"open'):
        assert next(csv.reader([line]))[0] == cell


def test_numbers_are_not_guarded():
    body = write_csv(["n", "f"], [{"n": -3, "f": -1.5}])
    assert body == "n,f\n-3,-1.5\n"


@pytest.mark.parametrize("reader", [records_universal, records_by_lines])
def test_nasty_notes_survive_both_readers(reader):
    attacks = [_attack(k, notes=n, medication=n[:200]) for k, n in enumerate(NASTY)]
    body = export_attacks_csv(attacks)
    assert_no_line_starts_a_formula(body)
    records = reader(body)
    assert records[0] == list(COLUMNS)
    notes = [unescape_cell(r[COLUMNS.index("notes")]) for r in records[1:]]
    assert notes == NASTY


def test_nasty_notes_import_back_unchanged():
    attacks = [_attack(k, notes=n, medication=n) for k, n in enumerate(NASTY)]
    parsed = parse_attacks_csv(export_attacks_csv(attacks), "UTC",
                               now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [a.notes for _, a in parsed] == NASTY
    assert [a.medication for _, a in parsed] == NASTY


#: Characters that matter to CSV, spreadsheets and line readers, plus ordinary text.
_SPECIAL = st.sampled_from(list("=+-@\t\r\n'\",; a\u2028\u2029\x0b\x0c\x85"))
_ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_TEXT = st.one_of(st.text(_SPECIAL, max_size=30), st.text(_ANY, max_size=60))


@settings(max_examples=300, deadline=None)
@given(notes=st.lists(_TEXT, min_size=1, max_size=5), medication=_TEXT)
def test_export_then_import_gives_identical_attacks(notes, medication):
    attacks = [_attack(k, notes=n, medication=medication) for k, n in enumerate(notes)]
    body = export_attacks_csv(attacks)
    assert_no_line_starts_a_formula(body)
    parsed = parse_attacks_csv(body, "Europe/Oslo", now=datetime(2027, 1, 1, tzinfo=UTC))
    assert len(parsed) == len(attacks)
    for original, (_, back) in zip(attacks, parsed, strict=True):
        for name in ATTACK_RULES:
            assert getattr(back, name) == getattr(original, name), name
        assert back.medications == []
    by_lines = records_by_lines(body)
    assert by_lines == records_universal(body)
    assert [unescape_cell(r[-1]) for r in by_lines[1:]] == notes


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_TEXT, min_size=1, max_size=4))
def test_any_text_export_reads_back_unchanged(values):
    columns = [f"c{i}" for i in range(len(values))]
    body = write_csv(columns, [dict(zip(columns, values, strict=True))])
    assert_no_line_starts_a_formula(body)
    for reader in (records_universal, records_by_lines):
        header, row = reader(body)
        assert [unescape_cell(c) for c in row] == [plain_text(v) for v in values]
