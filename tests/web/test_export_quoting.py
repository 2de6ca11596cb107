"""The CSV exports the pages and the API serve: every break quoted, formulas guarded after
line breaks too, and each body re-reads (attacks: re-imports) unchanged (issue #10, item 1)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from tests.tracker.test_csv_hardening import (
    PROBE_NOTE,
    assert_no_line_starts_a_formula,
    plain_text,
    records_by_lines,
    records_universal,
)
from tests.web.conftest import bearer, login, make_world
from tracker.csvfmt import unescape_cell
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.attacks_csv import parse_attacks_csv
from tracker.diary.courses import update_course
from tracker.models import User
from tracker.reports.exports import CLINICAL_DAY_COLUMNS, DAY_KEYS, SUMMARY_COLUMNS, summary_rows
from weather.grid import get_or_create_cell
from weather.observations import upsert_observations

NOTES = [PROBE_NOTE, "'\r=1+1", "two\r\nlines\n@SUM(A1)", 'quote "=1"\r"=2"']
COURSE_KIND = "PRT\r=cmd|' /C calc'!A0"
KINDS = ("attacks", "daily", "pressure", "summary")


def _seed(session_factory, grid_degrees: float) -> dict[str, int]:
    """Patient a and a linked clinician; a has nasty notes, a nasty course kind, pressure."""
    world = make_world(session_factory, ("a", "linked"))
    with session_factory.begin() as s:
        a = s.get(User, world.ids["a"])
        for k, note in enumerate(NOTES):
            start = datetime(2026, 1, 20 + k, 9, tzinfo=UTC)
            record_attack(s, a, AttackInput(started_at=start,
                                            ended_at=start + timedelta(hours=4),
                                            medication=note[:200], notes=note))
        update_course(s, a, world.records["course"], started_on=date(2026, 1, 10),
                      ended_on=date(2026, 2, 20), kind=COURSE_KIND, sessions=8)
        cell = get_or_create_cell(s, 59.91, 10.75, grid_degrees)
        first = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
        hours = np.arange(first, first + 3600 * 24 * 120, 3600, dtype=np.int64)
        values = 1005.0 + 8.0 * np.sin(hours / 90_000.0)
        upsert_observations(s, cell.id, hours, values, values + 12.0, "archive",
                            datetime(2026, 4, 1, tzinfo=UTC))
    return {"a": world.ids["a"], "token": world.tokens["a"], "linked": world.tokens["linked"],
            "email": world.emails["a"]}


def _bodies(app, client, seeded) -> dict[tuple[str, str], str]:
    """Every export, from the page route (patient logged in) and the API (clinician)."""
    login(client, seeded["email"])
    out = {}
    for kind in KINDS:
        page = client.get(f"/patients/{seeded['a']}/export/{kind}.csv")
        api = app.test_client().get(f"/api/v1/patients/{seeded['a']}/export/{kind}",
                                    headers=bearer(seeded["linked"]))
        for route, response in (("page", page), ("api", api)):
            assert response.status_code == 200, (route, kind, response.data[:200])
            assert response.mimetype == "text/csv"
            out[(route, kind)] = response.get_data(as_text=True)
    return out


@pytest.fixture
def seeded(session_factory, settings):
    return _seed(session_factory, settings.weather.grid_degrees)


@pytest.fixture
def bodies(app, client, seeded):
    return _bodies(app, client, seeded)


def test_every_export_is_safe_for_line_readers(bodies):
    for body in bodies.values():
        assert_no_line_starts_a_formula(body)


def test_every_export_reads_back_unchanged(bodies):
    for key, body in bodies.items():
        header, *rows = records_universal(body)
        assert rows and all(len(r) == len(header) for r in rows), key
        assert records_by_lines(body) == [header, *rows], key


def test_daily_and_summary_carry_the_report_values(app, bodies, seeded):
    response = app.test_client().get(f"/api/v1/patients/{seeded['a']}/report?days=true",
                                     headers=bearer(seeded["token"]))
    report = response.get_json()
    expected = {
        # the clinical diary's day columns (issue #16) are empty: no practice in this diary
        "daily": [[plain_text(day.get(k)) for k in DAY_KEYS] + [""] * len(CLINICAL_DAY_COLUMNS)
                  for day in report["days"]],
        "summary": [[plain_text(r.get(k)) for k in SUMMARY_COLUMNS] for r in summary_rows(report)
                    if r["name"] != "generated_at"],
    }
    for (route, kind), body in bodies.items():
        if kind in expected:
            rows = [[unescape_cell(c) for c in r] for r in records_universal(body)[1:]]
            rows = [r for r in rows if r[1] != "generated_at"]
            assert sorted(rows) == sorted(expected[kind]), (route, kind)  # JSON sorts keys


def test_the_attack_export_reimports_unchanged(bodies):
    for route in ("page", "api"):
        parsed = parse_attacks_csv(bodies[(route, "attacks")], "Europe/Oslo",
                                   now=datetime(2027, 1, 1, tzinfo=UTC))
        assert [a.notes for _, a in parsed][1:] == NOTES  # the first is the world's attack
        assert [a.medication for _, a in parsed][1:] == NOTES
        assert "\"ok\r'=cmd|' /C calc'!A0\"" in bodies[(route, "attacks")]


def test_the_summary_carries_the_course_kind_unchanged(bodies):
    for route in ("page", "api"):
        rows = list(csv.DictReader(io.StringIO(bodies[(route, "summary")], newline="")))
        kinds = [unescape_cell(r["value"]) for r in rows
                 if r["section"] == "course" and r["name"] == "kind"]
        assert kinds == [COURSE_KIND]
        assert len(records_by_lines(bodies[(route, "pressure")])) > 24  # pressure was exported
