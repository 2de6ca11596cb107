"""tracker.reports.access: the access rule, the computation and the audit entry in one call."""

from __future__ import annotations

import pytest

from tests.web.conftest import make_world
from tracker.accounts.audit import events_for_patient
from tracker.errors import NotFoundError
from tracker.models import User
from tracker.reports.access import (
    NO_COURSE,
    clinician_summaries,
    export_csv,
    view_diary,
    view_report,
)
from tracker.reports.settings import ReportSettings

GRID = 0.25


@pytest.fixture
def people(session_factory, settings, session):
    world = make_world(session_factory, ("a", "b", "linked", "unlinked"))
    users = {name: session.get(User, i) for name, i in world.ids.items()}
    return users, settings.analysis


def _log(session, patient: User) -> list[tuple[int | None, str, str]]:
    return [(e.actor_id, e.action, e.detail) for e in events_for_patient(session, patient)
            if e.action.startswith(("view_", "export_"))]


def test_an_export_checks_access_computes_and_audits_once(session, people):
    users, config = people
    a, linked = users["a"], users["linked"]
    for kind in ("attacks", "daily", "pressure", "summary"):
        got = export_csv(session, linked, a.id, kind, settings=ReportSettings(config, GRID),
                         detail="csv")
        assert got.filename == f"migraine-weather-{kind}-{a.id}.csv"
        assert got.mimetype == "text/csv" and got.text.count("\n") >= 1
    assert sorted(_log(session, a)) == sorted(
        (linked.id, f"export_{k}", "csv") for k in ("attacks", "daily", "pressure", "summary"))
    export_csv(session, a, a.id, "attacks", settings=ReportSettings(config, GRID), detail="api")
    assert len(_log(session, a)) == 4  # the patient's own export is not logged


@pytest.mark.parametrize("who", ["b", "unlinked"])
def test_others_get_not_found_and_nothing_is_logged(session, people, who):
    users, config = people
    a = users["a"]
    with pytest.raises(NotFoundError) as caught:
        export_csv(session, users[who], a.id, "attacks", settings=ReportSettings(config, GRID),
                   detail="csv")
    assert caught.value.field == "patient"
    settings = ReportSettings(config, GRID)
    for read in (lambda: view_report(session, users[who], a.id, settings=settings,
                                     detail="page"),
                 lambda: view_diary(session, users[who], a.id)):
        with pytest.raises(NotFoundError):
            read()
    assert _log(session, a) == []


def test_an_unknown_kind_is_refused_before_the_access_rule(session, people):
    users, config = people
    with pytest.raises(NotFoundError) as caught:
        export_csv(session, users["unlinked"], users["a"].id, "secrets",
                   settings=ReportSettings(config, GRID), detail="csv")
    assert caught.value.field == "kind" and "attacks, daily" in caught.value.message


def test_without_a_course_a_view_is_logged_but_an_export_is_not(session, people):
    users, config = people
    b = users["b"]  # no treatment course
    view = view_report(session, b, b.id, settings=ReportSettings(config, GRID), detail="page")
    assert view.patient is b and view.series is None and view.report is None
    with pytest.raises(NotFoundError) as caught:
        export_csv(session, b, b.id, "daily", settings=ReportSettings(config, GRID), detail="csv")
    assert caught.value.message == NO_COURSE
    assert export_csv(session, b, b.id, "attacks", settings=ReportSettings(config, GRID),
                      detail="csv").text  # the attacks need no course


def test_views_and_the_list_are_logged_for_the_clinician(session, people):
    users, config = people
    a, linked = users["a"], users["linked"]
    view = view_report(session, linked, a.id, settings=ReportSettings(config, GRID), detail="page")
    assert view.report is not None and view.series is not None
    assert view_diary(session, linked, a.id) is a
    rows = clinician_summaries(session, linked, settings=ReportSettings(config, GRID))
    assert [p.id for p, _ in rows] == [a.id] and rows[0][1] is not None
    assert clinician_summaries(session, users["unlinked"],
                               settings=ReportSettings(config, GRID)) == []
    assert sorted(_log(session, a)) == sorted([
        (linked.id, "view_report", "page"), (linked.id, "view_diary", ""),
        (linked.id, "view_report", "list")])


def test_the_list_reads_the_same_statements_for_any_number_of_patients(session, settings):
    """One query for the profiles, one flush for the audit entries: 3 or 7 patients alike
    (each patient's profile was read, and each entry flushed, on its own)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import event

    from tracker.accounts.users import create_user
    from tracker.diary.courses import record_course
    from tracker.models import CareLink

    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    clinician = create_user(session, email="doc@example.org", password="long enough",
                            role="clinician", now=now)
    report_settings = ReportSettings(settings.analysis, GRID)
    engine = session.get_bind()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def add_patients(n: int) -> None:
        for _ in range(n):
            p = create_user(session, email=f"p{len(patients)}@example.org",
                            password="long enough", role="patient", now=now)
            record_course(session, p, started_on=date(2026, 1, 1), ended_on=date(2026, 2, 1))
            session.add(CareLink(patient_id=p.id, clinician_id=clinician.id, created_at=now))
            patients.append(p.id)
        session.commit()
        clinician_summaries(session, clinician, settings=report_settings, now=now)
        session.commit()  # the snapshots are stored; the next list reads them
        session.expire_all()

    def listed() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            found = clinician_summaries(session, clinician, settings=report_settings, now=now)
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert sorted(p.id for p, _ in found) == sorted(patients)
        return len(statements)

    patients: list[int] = []
    add_patients(3)
    few = listed()
    add_patients(4)
    assert listed() == few
