"""The CLI against a real database: users, all-or-nothing imports, round-trip exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.models import Attack

HEADER = ("started_at,ended_at,kind,intensity,aura,medication,medication_helped,threat,"
          "expected_weather,notes\n")
GOOD = HEADER + '''\
2026-03-01T08:00,2026-03-01T20:00,migraine,7,yes,ibuprofen,yes,4,no,"woke, ""classic"""
2026-03-05T22:30:00+01:00,2026-03-06T06:00:00+01:00,migraine,5,no,,,,yes,
2026-03-09T14:00,,headache,3,,,,,,=1+1 looks like a formula
'''


def _create_patient(runner, email="p@example.org", tz="Europe/Berlin"):
    result = runner.invoke("users", "create", "--email", email, "--password", "long enough",
                           "--role", "patient", "--timezone", tz, "--lat", "52.5",
                           "--lon", "13.4")
    assert result.exit_code == 0, result.output
    return email


def _count(session_factory) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Attack))


def test_users_create_reports_bad_input(runner):
    result = runner.invoke("users", "create", "--email", "x@example.org", "--password",
                           "long enough", "--role", "patient", "--timezone", "Nowhere/Land")
    assert result.exit_code != 0
    assert "timezone" in result.output


def test_import_then_export_round_trips(runner, tmp_path, session_factory):
    email = _create_patient(runner)
    src = tmp_path / "attacks.csv"
    src.write_text(GOOD)
    result = runner.invoke("import", "attacks", str(src), "--patient", email)
    assert result.exit_code == 0, result.output
    assert "imported 3" in result.output
    assert _count(session_factory) == 3
    with session_factory() as s:
        first = s.scalars(select(Attack).order_by(Attack.started_at)).first()
        assert first.started_at.isoformat() == "2026-03-01T07:00:00+00:00"  # Berlin, UTC+1
        assert first.notes == 'woke, "classic"'

    out = tmp_path / "export.csv"
    result = runner.invoke("export", "attacks", "--patient", email, "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[2]["notes"] == "'=1+1 looks like a formula"  # escaped for spreadsheets
    assert rows[0]["started_at"] == "2026-03-01T07:00:00+00:00"

    # Import the export into a second patient: same attacks, unchanged.
    other = _create_patient(runner, "q@example.org", "America/New_York")
    assert runner.invoke("import", "attacks", str(out), "--patient", other).exit_code == 0
    again = tmp_path / "again.csv"
    runner.invoke("export", "attacks", "--patient", other, "--output", str(again))
    assert again.read_text() == out.read_text()


def test_a_bad_line_rejects_the_whole_file(runner, tmp_path, session_factory):
    email = _create_patient(runner)
    bad = GOOD + (
        "2026-03-12T10:00,2026-03-12T09:00,migraine,5,,,,,,\n"  # line 5: end before start
        "2026-03-13T10:00,,cluster,5,,,,,,\n"  # line 6: unknown kind
        "yesterday,,migraine,11,,,,,,\n"  # line 7: bad time
        "2026-03-14T10:00,,migraine,11,,,,,,\n"  # line 8: intensity
        "2099-01-01T10:00,,migraine,1,,,,,,\n"  # line 9: future
    )
    src = tmp_path / "bad.csv"
    src.write_text(bad)
    result = runner.invoke("import", "attacks", str(src), "--patient", email)
    assert result.exit_code != 0
    for expected in ("line 5: ended_at", "line 6: kind", "line 7: started_at",
                     "line 8: intensity", "line 9: started_at"):
        assert expected in result.output
    assert "nothing was imported" in result.output
    assert _count(session_factory) == 0


def test_overlaps_with_stored_attacks_reject_the_file(runner, tmp_path, session_factory):
    email = _create_patient(runner)
    first = tmp_path / "a.csv"
    first.write_text(GOOD)
    runner.invoke("import", "attacks", str(first), "--patient", email)
    second = tmp_path / "b.csv"
    second.write_text("started_at,ended_at\n2026-03-20T10:00,2026-03-20T12:00\n"
                      "2026-03-01T09:00,2026-03-01T10:00\n")
    result = runner.invoke("import", "attacks", str(second), "--patient", email)
    assert result.exit_code != 0
    assert "line 3: started_at: it overlaps" in result.output
    assert _count(session_factory) == 3


@pytest.mark.parametrize(
    ("header", "message"),
    [("start,kind\n", "missing column(s): started_at"), ("started_at,mood\n", "unknown column")],
)
def test_bad_headers(runner, tmp_path, header, message):
    email = _create_patient(runner)
    src = tmp_path / "h.csv"
    src.write_text(header + "2026-03-01T08:00,x\n")
    result = runner.invoke("import", "attacks", str(src), "--patient", email)
    assert result.exit_code != 0 and message in result.output


def test_unknown_patient(runner, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(GOOD)
    result = runner.invoke("import", "attacks", str(src), "--patient", "ghost@example.org")
    assert result.exit_code != 0 and "no user" in result.output


def test_db_upgrade_and_current(db_url):
    from tests.conftest import CliRunner

    fresh = CliRunner(db_url)
    result = fresh.invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    current = fresh.invoke("db", "current").output.split()
    assert current[1] == current[3] != "None"  # "current: REV  head: REV"


def test_bad_config_stops_with_the_key(tmp_path):
    from click.testing import CliRunner as ClickRunner

    from cli.main import main

    cfg = tmp_path / "c.toml"
    cfg.write_text("[database]\nurl = 3\n")
    result = ClickRunner().invoke(main, ["--config", str(cfg), "db", "current"])
    assert result.exit_code != 0
    assert "database.url" in result.output


# --- other formats (issue #14): --format auto on each fixture, mapping, duplicates ---------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def test_the_cli_offers_the_declared_formats():
    from cli.diary_io import FORMAT_NAMES
    from tracker.diary.imports import FORMAT_CHOICES

    assert FORMAT_NAMES == FORMAT_CHOICES


@pytest.mark.parametrize(
    ("name", "count", "fmt", "span"),
    [("ours.csv", 4, "ours", "2024-01-10 to 2024-03-31"),
     ("migraine_buddy.csv", 9, "migraine-buddy", "2024-01-15 to 2024-11-02")],
)
def test_format_auto_imports_each_fixture_once(runner, session_factory, name, count, fmt, span):
    email = _create_patient(runner)
    src = str(FIXTURES / name)
    result = runner.invoke("import", "attacks", src, "--patient", email)
    assert result.exit_code == 0, result.output
    assert (f"imported {count} attack(s) for p@example.org (read as UTF-8); format {fmt}, "
            f"timezone Europe/Berlin, {span}, 0 already stored (skipped)") in result.output
    again = runner.invoke("import", "attacks", src, "--patient", email, "--format", "auto")
    assert again.exit_code == 0, again.output
    assert "imported 0 attack(s) for p@example.org" in again.output
    assert f"{count} already stored (skipped)" in again.output
    assert _count(session_factory) == count


def test_migraine_buddy_places_are_listed_and_added_on_request(runner, session_factory):
    from tracker.models import LocationPeriod

    email = _create_patient(runner)
    src = str(FIXTURES / "migraine_buddy.csv")
    dry = runner.invoke("import", "attacks", src, "--patient", email, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would import 9 attack(s)" in dry.output
    assert "proposed location period(s) (add them with --add-locations):" in dry.output
    assert "from 2024-06-20: 40.7500, -74.0500 (Europe/Berlin; line 10, 1 attack(s))" in (
        dry.output)
    assert _count(session_factory) == 0
    result = runner.invoke("import", "attacks", src, "--patient", email, "--add-locations")
    assert result.exit_code == 0, result.output
    assert "added location period(s):" in result.output
    with session_factory() as s:
        labels = s.scalars(select(LocationPeriod.label).order_by(LocationPeriod.starts_on))
        # Berlin from 15 Jan is left out: the home period (Berlin) covers the days before it.
        assert list(labels) == ["from import"] * 3 + ["home"]


def test_format_mapped_with_column_options(runner, session_factory):
    email = _create_patient(runner)
    src = str(FIXTURES / "other_app.csv")
    refused = runner.invoke("import", "attacks", src, "--patient", email)
    assert refused.exit_code != 0
    assert "line 1: the columns (Start, End, Pain level, Type, Medicine, Triggers, Comment) " \
           "match no format we know" in refused.output
    assert 'the mapping (format "mapped"' in refused.output
    args = ["import", "attacks", src, "--patient", email, "--start-column", "Start",
            "--end-column", "End", "--intensity-column", "Pain level", "--kind-column", "Type",
            "--medication-column", "Medicine", "--notes-column", "Comment"]
    ambiguous = runner.invoke(*args)
    assert ambiguous.exit_code == 0, ambiguous.output  # 20/04 settles day/month
    assert "imported 5 attack(s)" in ambiguous.output and "format mapped" in ambiguous.output
    again = runner.invoke(*args, "--format", "mapped", "--date-format", "%d/%m/%Y %H:%M",
                          "--timezone", "Europe/Berlin")
    assert "imported 0 attack(s)" in again.output and "5 already stored" in again.output
    assert _count(session_factory) == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "mapped"], "--format mapped needs --start-column"),
        (["--format", "ours", "--start-column", "Start"], "apply to --format mapped"),
        (["--start-column", "Start", "--date-format", "%Y"], "'%Y' is not one of: iso"),
        (["--format", "xls"], "'xls' is not one of"),
        (["--timezone", "CET-1"], "unknown timezone"),
    ],
)
def test_bad_import_options(runner, tmp_path, extra, message):
    email = _create_patient(runner)
    src = tmp_path / "a.csv"
    src.write_text(GOOD)
    result = runner.invoke("import", "attacks", str(src), "--patient", email, *extra)
    assert result.exit_code != 0 and message in result.output


def test_a_bad_migraine_buddy_line_stops_the_cli_import(runner, tmp_path, session_factory):
    email = _create_patient(runner)
    text = (FIXTURES / "migraine_buddy.csv").read_text().replace("05h 30m", "5 hours")
    src = tmp_path / "mb.csv"
    src.write_text(text)
    result = runner.invoke("import", "attacks", str(src), "--patient", email)
    assert result.exit_code != 0
    assert "line 5: Lasted: '5 hours' is not a duration" in result.output
    assert "nothing was imported" in result.output
    assert _count(session_factory) == 0
