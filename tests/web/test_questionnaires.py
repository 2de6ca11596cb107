"""The questionnaire page, the dashboard's notice, the API and the scores in the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.web.conftest import bearer, login, make_world
from tracker.clinical_models import QuestionnaireResponse
from tracker.diary.courses import record_course
from tracker.diary.profile import local_today
from tracker.models import User

ITEMS = ("nervous", "control", "worrying", "relaxing", "restless", "irritable", "afraid")


@pytest.fixture
def world(session_factory):
    """a (course long past: no window open), b (a course starting in 3 days: baseline open),
    the clinician linked to a, and one who is not."""
    world = make_world(session_factory, ("a", "b", "linked", "unlinked"))
    start = local_today("Europe/Oslo") + timedelta(days=3)
    with session_factory.begin() as s:
        record_course(s, s.get(User, world.ids["b"]), started_on=start,
                      ended_on=start + timedelta(days=60))
    return world


def _rows(session_factory, who_id: int) -> list[QuestionnaireResponse]:
    with session_factory() as s:
        return list(s.scalars(select(QuestionnaireResponse)
                              .where(QuestionnaireResponse.patient_id == who_id)))


def test_the_dashboard_says_a_questionnaire_is_due_and_the_page_stores_it_once(
        client, world, session_factory):
    login(client, world.emails["b"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "A short questionnaire is due" in page
    assert 'href="/questionnaires/gad7/baseline"' in page
    form = client.get("/questionnaires/gad7/baseline")
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and text.count('type="radio"') == 7 * 4
    assert "No permission required to reproduce" in text
    partial = client.post("/questionnaires/gad7/baseline", data={"nervous": "3"})
    assert partial.status_code == 400 and "Please answer every question" in partial.text
    assert _rows(session_factory, world.ids["b"]) == []
    assert client.post("/questionnaires/gad7/baseline",
                       data=dict.fromkeys(ITEMS, "2")).status_code == 302
    again = client.post("/questionnaires/gad7/baseline", data=dict.fromkeys(ITEMS, "1"),
                        follow_redirects=True)
    assert "score 7, Mild anxiety" in again.text
    assert "Questionnaire answered" in again.text
    rows = _rows(session_factory, world.ids["b"])
    assert [(r.timepoint, r.score, r.band) for r in rows] == [("baseline", 7, "Mild anxiety")]
    assert 'value="1" required checked' in client.get("/questionnaires/gad7/baseline").text


def test_a_closed_window_or_unknown_questionnaire_is_not_found(client, world):
    login(client, world.emails["a"])
    assert "questionnaire is due" not in client.get("/dashboard").text
    assert client.get("/questionnaires/gad7/baseline").status_code == 404
    assert client.post("/questionnaires/gad7/course_end",
                       data=dict.fromkeys(ITEMS, "1")).status_code == 404
    assert client.get("/questionnaires/hit6/baseline").status_code == 404
    assert client.get("/questionnaires/gad7/someday").status_code == 404


def test_the_api_lists_and_stores_answers(client, world, session_factory):
    headers = bearer(world.tokens["b"])
    got = client.get("/api/v1/questionnaires", headers=headers).get_json()
    assert [q["id"] for q in got["instruments"]] == ["gad7"]
    assert got["instruments"][0]["terms"].startswith("No permission required")
    assert [(d["timepoint"], d["answered"]) for d in got["due"]] == [("baseline", False)]
    body = {"instrument": "gad7", "timepoint": "baseline", "answers": dict.fromkeys(ITEMS, 3)}
    put = client.put("/api/v1/questionnaires", json=body, headers=headers)
    assert put.status_code == 200, put.get_json()
    scores = put.get_json()["scores"][0]["scores"]
    assert scores["baseline"]["score"] == 21 and scores["baseline"]["band"] == "Severe anxiety"
    assert scores["course_end"] is None
    body["answers"] = dict.fromkeys(ITEMS, 0)
    assert client.put("/api/v1/questionnaires", json=body, headers=headers).get_json()[
        "scores"][0]["scores"]["baseline"]["band"] == "Minimal anxiety"
    assert len(_rows(session_factory, world.ids["b"])) == 1
    bad = client.put("/api/v1/questionnaires", headers=headers,
                     json={**body, "answers": {"nervous": 1}})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "answers"
    for wrong in ({**body, "instrument": "hit6"}, {**body, "timepoint": "course_end"}):
        assert client.put("/api/v1/questionnaires", json=wrong, headers=headers).status_code == 404
    assert client.get("/api/v1/questionnaires",
                      headers=bearer(world.tokens["linked"])).status_code == 403


def test_the_report_puts_the_scores_side_by_side_for_the_linked_clinician(
        client, world, session_factory):
    with session_factory.begin() as s:
        for timepoint, score, band in (("baseline", 12, "Moderate anxiety"),
                                       ("followup_12w", 4, "Minimal anxiety")):
            s.add(QuestionnaireResponse(patient_id=world.ids["a"], instrument="gad7",
                                        timepoint=timepoint, answers={}, score=score, band=band,
                                        answered_at=datetime(2026, 5, 1, tzinfo=UTC)))
    login(client, world.emails["linked"])
    page = client.get(f"/patients/{world.ids['a']}/report").text
    first = page[page.index('class="doctor-page"'):page.index("</section>",
                                                               page.index('class="doctor-page"'))]
    assert "For the clinician: Person A" in first
    assert "12/21 <span class=\"dp-band\">Moderate anxiety</span>" in first
    assert "4/21 <span class=\"dp-band\">Minimal anxiety</span>" in first
    assert "Migraine days (MMD)" in first and "Caveats" in first
    assert page.index('class="doctor-page"') < page.index("<h1>Report:")
