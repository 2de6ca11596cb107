"""Password reset by e-mail end to end (a real SMTP server), the reminder settings page and
the reminders API, with and without [mail]."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.smtp_server import SmtpSink, text_part
from tests.web.conftest import PASSWORD, bearer, login, make_world
from tracker.reminder_models import PasswordReset, ReminderPreference
from web import create_app


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_app(settings, engine, smtp):
    """The app with [mail] sending to the in-process server (CSRF off, as in ``app``)."""
    return create_app({"SETTINGS": dataclasses.replace(settings, mail=smtp.settings()),
                       "ENGINE": engine, "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def people(session_factory):
    return make_world(session_factory, ("a", "linked"))


def _link(message) -> str:
    found = re.search(r"https://diary\.example\.org(/reset-password\?token=\S+)",
                      text_part(message))
    assert found, text_part(message)
    return found.group(1)


def test_the_login_page_links_to_forgot_password(client):
    page = client.get("/login")
    assert 'href="/forgot-password">Forgot password?</a>' in page.text


def test_without_mail_the_pages_say_it_is_unavailable(client, people):
    page = client.get("/forgot-password")
    assert page.status_code == 200 and "not available on this installation" in page.text
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]
    login(client, people.emails["a"])
    page = client.get("/settings/reminders")
    assert "E-mail reminders are not available on this installation" in page.text
    assert client.post("/settings/reminders", data={"reminder-daily": "y"}).status_code == 400
    api = client.put("/api/v1/reminders", json={"daily": True},
                     headers=bearer(people.tokens["a"]))
    assert api.status_code == 200 and api.get_json()["available"] is False


def test_reset_by_email_end_to_end(mail_app, people, smtp, session_factory):
    client = mail_app.test_client()
    other = mail_app.test_client()
    assert login(other, people.emails["a"]).status_code == 302  # a session to be ended
    known = client.post("/forgot-password", data={"email": "A@example.org"})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    flashes = [client.get("/login").text for _ in range(1)]
    assert "If an account uses this e-mail address" in flashes[0]
    [message] = smtp.wait_for(1)
    assert message["To"] == "a@example.org"
    assert message["Subject"] == "Reset your migraine-weather password"
    assert "List-Unsubscribe" not in message
    link = _link(message)

    assert client.get(link).status_code == 200
    short = client.post(link, data={"new_password": "short"})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    done = client.post(link, data={"new_password": "a brand new password"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Your password is changed" in client.get("/login").text
    assert client.get(link).status_code == 400  # used once
    assert "expired or has been used" in client.post(
        link, data={"new_password": "yet another one"}).text
    assert other.get("/attacks").status_code == 302  # the old session has ended
    assert login(client, people.emails["a"], PASSWORD).status_code == 401
    assert login(client, people.emails["a"], "a brand new password").status_code == 302
    assert client.get("/api/v1/me", headers=bearer(people.tokens["a"])).status_code == 401
    assert len(smtp.messages) == 1  # the unknown address got nothing


def test_an_expired_link_is_refused(mail_app, people, smtp, session_factory):
    client = mail_app.test_client()
    client.post("/forgot-password", data={"email": people.emails["linked"]})
    link = _link(smtp.wait_for(1)[0])
    with session_factory.begin() as session:
        session.execute(update(PasswordReset).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    page = client.get(link)
    assert page.status_code == 400 and "Ask for a new link" in page.text
    assert client.post(link, data={"new_password": "a brand new password"}).status_code == 400


def test_reset_requests_are_limited_per_address(mail_app, people, smtp):
    client = mail_app.test_client()
    statuses = [client.post("/forgot-password", data={"email": people.emails["a"]}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert "too many attempts" in client.post(
        "/forgot-password", data={"email": people.emails["a"]}).text
    assert len(smtp.wait_for(3)) == 3


def test_the_reminder_settings_page_saves_the_choices(mail_app, people, session_factory):
    client = mail_app.test_client()
    login(client, people.emails["a"])
    page = client.get("/settings/reminders")
    assert page.status_code == 200 and "Europe/Oslo" in page.text
    assert 'id="reminder-daily"' in page.text and "Save reminders" in page.text
    saved = client.post("/settings/reminders", data={
        "reminder-daily": "y", "reminder-time": "07:45", "reminder-weekday": "friday"})
    assert saved.status_code == 302
    with session_factory() as session:
        row = session.get(ReminderPreference, people.ids["a"])
        assert (row.daily, row.weekly, row.send_at.strftime("%H:%M"), row.weekday) == (
            True, False, "07:45", 4)
    bad = client.post("/settings/reminders", data={"reminder-time": "07:44"})
    assert bad.status_code == 400 and "Not a valid choice" in bad.text
    clinician = mail_app.test_client()
    login(clinician, people.emails["linked"])
    assert clinician.get("/settings/reminders").status_code == 403


def test_the_reminders_api_reads_and_replaces_the_choices(mail_app, people):
    client = mail_app.test_client()
    headers = bearer(people.tokens["a"])
    assert client.get("/api/v1/reminders", headers=headers).get_json() == {
        "daily": False, "weekly": False, "time": "20:00", "weekday": "sunday",
        "available": True}
    put = client.put("/api/v1/reminders", headers=headers,
                     json={"weekly": True, "weekday": "monday", "time": "06:30"})
    assert put.status_code == 200 and put.get_json() == {
        "daily": False, "weekly": True, "time": "06:30", "weekday": "monday",
        "available": True}
    wrong = client.put("/api/v1/reminders", headers=headers, json={"time": "6:30"})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["field"] == "time"
    extra = client.put("/api/v1/reminders", headers=headers, json={"email": "x"})
    assert extra.status_code == 400
    assert client.get("/api/v1/reminders",
                      headers=bearer(people.tokens["linked"])).status_code == 403
    spec = client.get("/api/openapi.json").get_json()
    time_schema = spec["components"]["schemas"]["ReminderInput"]["properties"]["time"]
    assert "07:45" in time_schema["enum"] and "07:44" not in time_schema["enum"]
