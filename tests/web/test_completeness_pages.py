"""Issue #13 (amendment A1) on the pages and the API: stated date, clash, 14-day fill."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, bearer, login
from tracker.accounts.tokens import create_token
from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.profile import local_today
from tracker.models import CheckIn, PatientProfile

ZONE = "America/New_York"


@pytest.fixture
def patient(session_factory):
    """A patient in New York (local days differ from UTC days) with an API token.

    Her only entry: an attack at 21:30 local time four days ago (01:30 UTC the next day).
    """
    today = local_today(ZONE)
    start = datetime.combine(today - timedelta(days=4), time(21, 30), ZoneInfo(ZONE))
    with session_factory.begin() as s:
        user = create_user(s, email="p@example.org", password=PASSWORD, role="patient",
                           timezone=ZONE, latitude=40.7, longitude=-74.0)
        record_attack(s, user, AttackInput(started_at=start, ended_at=start
                                           + timedelta(hours=1)))
        token, _ = create_token(s, user, "phone")
    return {"id": user.id, "token": token, "today": today, "attack_day": start.date(),
            "start": start}


def _checkins(session_factory, patient_id: int) -> list[tuple]:
    with session_factory() as s:
        return [(c.day, c.headache_free) for c in s.scalars(
            select(CheckIn).where(CheckIn.patient_id == patient_id).order_by(CheckIn.day))]


def test_settings_page_states_and_clears_the_date(app, session_factory, patient):
    client = app.test_client()
    login(client, "p@example.org")
    page = client.get("/checkins").get_data(as_text=True)
    assert "Days without an entry count as days without migraine" in page
    day = patient["today"] - timedelta(days=10)
    form = {"timezone": ZONE, "pressure_unit": "hPa"}
    future = (patient["today"] + timedelta(days=2)).isoformat()
    response = client.post("/settings", data={**form, "records_every_day_from": future})
    assert response.status_code == 400
    assert 'id="records_every_day_from-error"' in response.get_data(as_text=True)
    assert client.post("/settings", data={**form, "records_every_day_from": day.isoformat()}
                       ).status_code == 302
    with session_factory() as s:
        assert s.get(PatientProfile, patient["id"]).records_every_day_from == day
    assert f'value="{day.isoformat()}"' in client.get("/settings").get_data(as_text=True)
    page = client.get("/checkins").get_data(as_text=True)
    assert f"You record every day since {day:%a} {day.day} {day:%b} {day.year}" in page
    assert client.post("/settings", data=form).status_code == 302
    with session_factory() as s:
        assert s.get(PatientProfile, patient["id"]).records_every_day_from is None


def test_checkin_on_an_attack_day_is_refused_with_local_time(app, session_factory, patient):
    client = app.test_client()
    login(client, "p@example.org")
    day = patient["attack_day"]
    response = client.post("/checkins", data={"day": day.isoformat()})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="day-error"' in text and "21:30" in text and "your local time" in text
    answer = app.test_client().post("/api/v1/checkins", headers=bearer(patient["token"]),
                                    json={"day": day.isoformat()})
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["field"] == "headache_free" and "21:30" in error["message"]
    assert "01:30" not in error["message"]  # not the UTC time
    # the UTC day of the attack (the next local day) is free
    next_day = (day + timedelta(days=1)).isoformat()
    assert client.post("/checkins", data={"day": next_day}).status_code == 302
    assert _checkins(session_factory, patient["id"]) == [(day + timedelta(days=1), True)]


def test_attack_page_asks_before_changing_a_headache_free_day(app, session_factory, patient):
    client = app.test_client()
    login(client, "p@example.org")
    day = patient["today"] - timedelta(days=1)
    assert client.post("/checkins", data={"day": day.isoformat()}).status_code == 302
    form = {"started_at": f"{day.isoformat()}T08:00", "kind": "migraine",
            "medication_helped": "", "expected_weather": "", "notes": "after all"}
    response = client.post("/attacks", data=form)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Save again to log the attack" in text and f"{day:%a} {day.day} {day:%b}" in text
    assert f'name="confirm" type="hidden" value="{day.isoformat()}"' in text
    assert _checkins(session_factory, patient["id"]) == [(day, True)]
    response = client.post("/attacks", data={**form, "confirm": day.isoformat()})
    assert response.status_code == 302
    assert _checkins(session_factory, patient["id"]) == [(day, False)]
    assert "after all" in client.get("/attacks").get_data(as_text=True)
    assert "(not headache-free)" in client.get("/checkins").get_data(as_text=True)


def test_api_attack_on_a_headache_free_day_needs_replace_checkin(app, session_factory,
                                                                patient):
    client = app.test_client()
    h = bearer(patient["token"])
    day = patient["today"] - timedelta(days=1)
    assert client.post("/api/v1/checkins", headers=h, json={"day": day.isoformat()}
                       ).status_code == 201
    started = datetime.combine(day, time(8), ZoneInfo(ZONE)).isoformat()
    answer = client.post("/api/v1/attacks", headers=h, json={"started_at": started})
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["field"] == "replace_checkin" and "replace_checkin: true" in error["message"]
    assert client.post("/api/v1/attacks", headers=h, json={
        "started_at": started, "replace_checkin": "yes"}).status_code == 400
    answer = client.post("/api/v1/attacks", headers=h, json={"started_at": started,
                                                             "replace_checkin": True})
    assert answer.status_code == 201
    assert "replace_checkin" not in answer.get_json()
    assert _checkins(session_factory, patient["id"]) == [(day, False)]
    doc = client.get("/api/openapi.json").get_json()
    body = doc["paths"]["/api/v1/attacks"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["$ref"].endswith("/AttackCreate")
    assert doc["components"]["schemas"]["AttackCreate"]["properties"]["replace_checkin"][
        "default"] is False


def test_fill_shows_the_days_and_records_them_in_one_tap(app, session_factory, patient):
    client = app.test_client()
    login(client, "p@example.org")
    days = [patient["attack_day"] + timedelta(days=i) for i in range(1, 5)]
    assert days[-1] == patient["today"]
    page = client.get("/checkins").get_data(as_text=True)
    listed = ", ".join(f"{d:%a} {d.day} {d:%b}" for d in days)
    assert listed in page and "No headache on these 4 days" in page
    value = ",".join(d.isoformat() for d in days)
    assert f'value="{value}"' in page
    stale = client.post("/checkins/fill", data={"days": ",".join(d.isoformat()
                                                                  for d in days[1:])})
    assert stale.status_code == 302
    assert _checkins(session_factory, patient["id"]) == []
    assert client.post("/checkins/fill", data={"days": value}).status_code == 302
    assert _checkins(session_factory, patient["id"]) == [(d, True) for d in days]
    page = client.get("/checkins").get_data(as_text=True)
    assert "Noted: no headache on 4 days" in page
    assert "No headache on these" not in page
    assert f"You record every day since {days[0]:%a} {days[0].day}" in page


def test_fill_needs_the_csrf_token(app, session_factory, patient):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": "p@example.org", "password": PASSWORD,
                                "csrf_token": token})
    client.post("/checkins/fill", data={"days": patient["today"].isoformat()})
    assert _checkins(session_factory, patient["id"]) == []

