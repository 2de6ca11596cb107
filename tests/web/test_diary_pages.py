"""The first pages: log in, log attacks, see only your own; CSRF and security headers."""

from __future__ import annotations

import re

import pytest

from tracker.accounts.users import create_user
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack


@pytest.fixture
def people(session_factory):
    from datetime import UTC, datetime

    with session_factory.begin() as s:
        a = create_user(s, email="a@example.org", password="password-a", role="patient",
                        timezone="Europe/Oslo", latitude=59.9, longitude=10.7)
        create_user(s, email="b@example.org", password="password-b", role="patient",
                    timezone="UTC")
        create_user(s, email="c@example.org", password="password-c", role="clinician")
        record_attack(s, a, AttackInput(started_at=datetime(2026, 1, 2, 9, tzinfo=UTC),
                                        notes="secret-of-a"))


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_anonymous_users_are_sent_to_login(client, people):
    for url in ("/", "/attacks", "/patients"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_patient_logs_an_attack(client, people):
    assert login(client, "a@example.org", "password-a").status_code == 302
    page = client.get("/attacks")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "secret-of-a" in text and "Not medical advice" in text
    assert re.search(r'name="started_at"[^>]*value="\d{4}-\d\d-\d\dT\d\d:\d\d"', text)
    response = client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "kind": "migraine", "intensity": "6",
        "threat": "2", "expected_weather": "yes", "medication_helped": "", "notes": "new one",
    })
    assert response.status_code == 302
    text = client.get("/attacks").get_data(as_text=True)
    assert "2026-02-03 07:15" in text and "new one" in text


def test_form_errors_are_shown_next_to_the_field(client, people):
    login(client, "a@example.org", "password-a")
    response = client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "ended_at": "2026-02-03T06:00", "kind": "migraine",
        "medication_helped": "", "expected_weather": "",
    })
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="ended_at-error"' in text and "before the start" in text
    response = client.post("/attacks", data={
        "started_at": "2026-02-03T07:15", "kind": "migraine", "intensity": "14",
        "medication_helped": "", "expected_weather": "",
    })
    assert response.status_code == 400
    assert 'id="intensity-error"' in response.get_data(as_text=True)


def test_patients_see_only_their_own_attacks(client, people):
    login(client, "b@example.org", "password-b")
    text = client.get("/attacks").get_data(as_text=True)
    assert "secret-of-a" not in text
    assert client.post("/attacks/1/delete").status_code == 404


def test_clinicians_cannot_open_the_patient_diary_page(client, people):
    login(client, "c@example.org", "password-c")
    assert client.get("/attacks").status_code == 403
    assert client.get("/").headers["Location"].endswith("/patients")


def test_wrong_password_is_refused(client, people):
    response = login(client, "a@example.org", "wrong-password")
    assert response.status_code == 401
    assert "wrong email or password" in response.get_data(as_text=True)


def test_register_a_patient(client, people):
    response = client.post("/register", data={
        "email": "new@example.org", "password": "new password", "timezone": "Asia/Kolkata",
        "latitude": "12.97", "longitude": "77.59",
    })
    assert response.status_code == 302
    assert login(client, "new@example.org", "new password").status_code == 302
    assert client.get("/attacks").status_code == 200
    response = client.post("/register", data={
        "email": "bad@example.org", "password": "new password", "timezone": "Moon/Base",
        "latitude": "12.97", "longitude": "77.59",
    })
    assert response.status_code == 400
    assert 'id="timezone-error"' in response.get_data(as_text=True)


def test_csrf_is_enforced(settings, engine, people):
    from web import create_app

    app = create_app({"SETTINGS": settings, "ENGINE": engine, "TESTING": True})
    client = app.test_client()
    assert login(client, "a@example.org", "password-a").status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "a@example.org", "password": "password-a",
                                           "csrf_token": token})
    assert response.status_code == 302


def test_security_headers_and_cookie_flags(client, people):
    response = login(client, "a@example.org", "password-a")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
