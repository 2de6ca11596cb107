"""Issue #15 (points 1 and 2) through the pages: errors in local time, "Log attack now" and its
follow-up, "It has ended", deleting with a confirmation page and Undo."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.courses import record_course
from tracker.models import Attack, CheckIn, TreatmentCourse
from web.undo import UNDO_MINUTES


@pytest.fixture
def people(session_factory) -> dict[str, int]:
    """Patient a (Europe/Oslo) with one attack, a check-in and a course; patient b."""
    with session_factory.begin() as s:
        a = create_user(s, email="a@example.org", password="password-a", role="patient",
                        timezone="Europe/Oslo", latitude=59.9, longitude=10.7)
        b = create_user(s, email="b@example.org", password="password-b", role="patient",
                        timezone="UTC")
        attack = record_attack(s, a, AttackInput(
            started_at=datetime(2026, 11, 29, 22, 41, tzinfo=UTC),
            ended_at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC), intensity=6, medication="tea",
            notes="kept note"))
        checkin = record_checkin(s, a, date(2026, 11, 20), note="calm day")
        course = record_course(s, a, started_on=date(2026, 12, 1), ended_on=None, sessions=4)
        return {"a": a.id, "b": b.id, "attack": attack.id, "checkin": checkin.id,
                "course": course.id}


def _login(client, who: str) -> None:
    response = client.post("/login", data={"email": f"{who}@example.org",
                                           "password": f"password-{who}"})
    assert response.status_code == 302


def _attacks(session_factory, patient_id: int) -> list[Attack]:
    with session_factory() as s:
        rows = list(s.scalars(select(Attack).where(Attack.patient_id == patient_id)
                              .order_by(Attack.started_at)))
        s.expunge_all()
        return rows


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_overlap_error_names_the_other_attack_in_local_time(client, people):
    _login(client, "a")
    response = client.post("/attacks", data={
        "started_at": "2026-11-30T01:00", "kind": "migraine", "medication_helped": "",
        "expected_weather": ""})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    # 22:41 UTC is 23:41 in Oslo (UTC+1 in winter), as the form and the list show it
    assert "it overlaps the attack that started 2026-11-29 23:41 (Europe/Oslo time)" in text
    assert "22:41" not in text and "+00:00" not in text


def test_log_now_stores_an_ongoing_attack_once_and_takes_details(client, people,
                                                                session_factory):
    _login(client, "a")
    before = datetime.now(UTC)
    first = client.post("/attacks/now")
    assert first.status_code == 302
    follow = first.headers["Location"]
    new = [a for a in _attacks(session_factory, people["a"]) if a.id != people["attack"]]
    assert len(new) == 1 and new[0].ended_at is None and new[0].source == "web"
    assert before - timedelta(seconds=1) <= new[0].started_at <= datetime.now(UTC)
    assert follow.endswith(f"/attacks/{new[0].id}/now")
    # a second tap (or a double tap) opens the same attack instead of adding one
    again = client.post("/attacks/now")
    assert again.headers["Location"] == follow
    assert len(_attacks(session_factory, people["a"])) == 2
    page = client.get(follow).get_data(as_text=True)
    assert "It has ended" in page and "going on" in page
    # one tap saves the intensity; kind and medication are saved together; nothing else moves
    assert client.post(follow, data={"intensity": "7"}).status_code == 302
    assert client.post(follow, data={"kind": "headache",
                                     "medication": "ibuprofen"}).status_code == 302
    stored = _attacks(session_factory, people["a"])[-1]
    assert (stored.intensity, stored.kind, stored.medication) == (7, "headache", "ibuprofen")
    assert stored.ended_at is None
    refused = client.post(follow, data={"intensity": "11"})
    assert refused.status_code == 400 and "0..10" in refused.get_data(as_text=True)
    # "It has ended" from the follow-up page comes back to it
    ended = client.post(f"/attacks/{stored.id}/end", data={"back": "now"})
    assert ended.headers["Location"].endswith(follow)
    assert _attacks(session_factory, people["a"])[-1].ended_at is not None


def test_log_now_asks_on_a_day_marked_headache_free(client, people, session_factory):
    from tracker.diary.profile import local_today

    today = local_today("Europe/Oslo")
    with session_factory.begin() as s:
        from tracker.models import User

        record_checkin(s, s.get(User, people["a"]), today)
    _login(client, "a")
    asked = client.post("/attacks/now")
    assert asked.status_code == 409 and "headache-free" in asked.get_data(as_text=True)
    assert len(_attacks(session_factory, people["a"])) == 1
    assert client.post("/attacks/now", data={"confirm": "yes"}).status_code == 302
    assert len(_attacks(session_factory, people["a"])) == 2
    with session_factory() as s:
        checkin = s.scalar(select(CheckIn).where(CheckIn.day == today))
        assert checkin.headache_free is False


def test_delete_asks_first_and_undo_restores_the_attack_once(client, people, session_factory):
    _login(client, "a")
    url = f"/attacks/{people['attack']}/delete"
    asked = client.get(url)
    assert asked.status_code == 200
    assert "Delete this attack?" in asked.get_data(as_text=True)
    assert "Sun 29 Nov 2026 23:41" in asked.get_data(as_text=True)  # local time
    assert len(_attacks(session_factory, people["a"])) == 1  # asking deletes nothing
    deleted = client.post(url)
    assert deleted.status_code == 200 and "Undo" in deleted.get_data(as_text=True)
    assert _attacks(session_factory, people["a"]) == []
    token = _token(deleted.get_data(as_text=True))
    assert "kept note" not in client.get("/attacks").get_data(as_text=True)
    restored = client.post("/restore", data={"token": token, "back": "diary.attacks"})
    assert restored.status_code == 302
    [back] = _attacks(session_factory, people["a"])
    assert (back.started_at, back.ended_at, back.intensity, back.medication, back.notes) == (
        datetime(2026, 11, 29, 22, 41, tzinfo=UTC), datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        6, "tea", "kept note")
    # the same Undo again stores no second copy
    assert client.post("/restore", data={"token": token}).status_code == 302
    assert len(_attacks(session_factory, people["a"])) == 1


def test_undo_is_refused_to_others_when_late_or_altered(client, app, people, session_factory,
                                                        monkeypatch):
    _login(client, "a")
    token = _token(client.post(f"/attacks/{people['attack']}/delete").get_data(as_text=True))
    other = app.test_client()
    _login(other, "b")
    refused = other.post("/restore", data={"token": token}, follow_redirects=True)
    assert "Not restored" in refused.get_data(as_text=True)
    assert _attacks(session_factory, people["b"]) == []
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert "Not restored" in client.post("/restore", data={"token": altered},
                                         follow_redirects=True).get_data(as_text=True)
    late = int(time.time()) + UNDO_MINUTES * 60 + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: late)
    page = client.post("/restore", data={"token": token}, follow_redirects=True)
    assert f"for {UNDO_MINUTES} minutes only" in page.get_data(as_text=True)
    assert _attacks(session_factory, people["a"]) == []


def test_check_ins_and_courses_ask_and_undo_too(client, people, session_factory):
    _login(client, "a")
    for url, model in ((f"/checkins/{people['checkin']}/delete", CheckIn),
                       (f"/courses/{people['course']}/delete", TreatmentCourse)):
        assert "Delete this" in client.get(url).get_data(as_text=True)
        page = client.post(url).get_data(as_text=True)
        with session_factory() as s:
            assert s.scalars(select(model)).first() is None
        assert client.post("/restore", data={"token": _token(page)}).status_code == 302
        with session_factory() as s:
            row = s.scalars(select(model)).one()
            if model is CheckIn:
                assert (row.day, row.note, row.headache_free) == (date(2026, 11, 20),
                                                                  "calm day", True)
            else:
                assert (row.started_on, row.ended_on, row.sessions) == (date(2026, 12, 1),
                                                                        None, 4)


def test_another_patients_entries_cannot_be_asked_about(client, people):
    _login(client, "b")
    assert client.get(f"/attacks/{people['attack']}/delete").status_code == 404
    assert client.get(f"/attacks/{people['attack']}/now").status_code == 404
    assert client.post(f"/attacks/{people['attack']}/now", data={"intensity": "1"}
                       ).status_code == 404
