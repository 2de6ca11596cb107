"""The report JSON carries the questionnaire scores side by side (issue #16 point 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tracker.accounts.users import create_user
from tracker.diary.courses import record_course
from tracker.questionnaires.definitions import load_instruments
from tracker.questionnaires.store import save_answers
from tracker.reports.series import patient_report
from tracker.reports.settings import ReportSettings


def test_scores_before_and_at_the_end_of_the_course_are_in_the_report(session):
    patient = create_user(session, email="q@example.org", password="long enough",
                          role="patient", timezone="Europe/Oslo", latitude=59.9,
                          longitude=10.7)
    record_course(session, patient, started_on=date(2026, 1, 10), ended_on=date(2026, 3, 6))
    gad7 = load_instruments()["gad7"]
    high = {item.id: 3 for item in gad7.items}
    low = {item.id: 0 for item in gad7.items}
    save_answers(session, patient, gad7, "baseline", high, today=date(2026, 1, 5))
    save_answers(session, patient, gad7, "course_end", low, today=date(2026, 3, 6))
    report = patient_report(session, patient, settings=ReportSettings(),
                            now=datetime(2026, 4, 1, 12, tzinfo=UTC)).to_dict()
    [row] = report["clinical"]["questionnaires"]["instruments"]
    assert row["instrument"] == "gad7" and row["max_score"] == 21
    scores = row["scores"]
    assert scores["baseline"]["score"] == 21 and scores["course_end"]["score"] == 0
    assert scores["baseline"]["band"] != scores["course_end"]["band"]
    assert scores["followup_12w"] is None
