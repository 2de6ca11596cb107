"""Issue #15 point 3 through the app: "keep me logged in" is ticked by default and honoured
for patients (staff only where the operator allows), its cookies outlive the browser, its
token rotates on use with a short grace for requests on their way, and a phone that changes
networks or restarts its browser stays logged in."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import timedelta

from sqlalchemy import select

from tests.web.conftest import PASSWORD, make_world
from tracker import clock
from tracker.accounts.sessions import ROTATE_EVERY, ROTATION_GRACE
from tracker.accounts.tokens import hash_token
from tracker.models import UserSession

COOKIES = ("session", "remember_token")


def _login(app, email: str, **extra):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 302
    return client, response


def _set_cookies(response) -> dict[str, str]:
    """name -> the Set-Cookie header of that cookie."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _browser(app, cookies: dict[str, str]):
    """A client holding exactly ``cookies`` (name -> value)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _held(client) -> dict[str, str]:
    return {n: client.get_cookie(n).value for n in COOKIES if client.get_cookie(n)}


def _logged_in(client, **kwargs) -> bool:
    return client.get("/attacks", **kwargs).status_code == 200


def _token(cookie_value: str) -> str:
    return cookie_value.split("|", 1)[0]


def _at(monkeypatch, moment) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_the_box_is_ticked_by_default_and_a_patient_stays(app, session_factory):
    world = make_world(session_factory, ("a",))
    page = app.test_client().get("/login").get_data(as_text=True)
    assert re.search(r'<input [^>]*\bchecked\b[^>]*name="remember"', page)
    assert "Forgot password?" in page
    _, response = _login(app, world.emails["a"], remember="y")
    cookies = _set_cookies(response)
    # both cookies have an explicit expiry (14 days), so closing the browser keeps them
    assert "Expires=" in cookies["remember_token"] and "Expires=" in cookies["session"]
    _, unticked = _login(app, world.emails["a"])  # the box sent unticked
    cookies = _set_cookies(unticked)
    assert "remember_token" not in cookies and "Expires=" not in cookies["session"]


def test_staff_keep_a_browser_session_unless_the_operator_allows(app, session_factory,
                                                                 settings, engine):
    from web import create_app

    world = make_world(session_factory, ("linked",))
    _, response = _login(app, world.emails["linked"], remember="y")
    assert "remember_token" not in _set_cookies(response)
    assert "Clinician and admin accounts stay logged in only" in \
        app.test_client().get("/login").get_data(as_text=True)
    allowed = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                    remember_staff=True))
    app2 = create_app({"SETTINGS": allowed, "ENGINE": engine, "TESTING": True,
                       "WTF_CSRF_ENABLED": False})
    _, response = _login(app2, world.emails["linked"], remember="y")
    assert "remember_token" in _set_cookies(response)


def test_the_token_rotates_and_the_old_cookie_stops_after_the_grace(app, session_factory,
                                                                    monkeypatch):
    world = make_world(session_factory, ("a",))
    start = clock.utcnow()
    phone, _ = _login(app, world.emails["a"], remember="y")
    old = _held(phone)
    _at(monkeypatch, start + timedelta(minutes=5))
    response = phone.get("/attacks")
    assert "remember_token" not in _set_cookies(response)  # not yet
    turn = start + ROTATE_EVERY + timedelta(seconds=1)
    _at(monkeypatch, turn)
    response = phone.get("/attacks")
    assert response.status_code == 200
    rotated = _set_cookies(response)["remember_token"]
    assert "Expires=" in rotated
    new = _held(phone)
    assert _token(new["remember_token"]) != _token(old["remember_token"])
    with session_factory() as s:
        row = s.scalar(select(UserSession).where(
            UserSession.token_hash == hash_token(_token(new["remember_token"]))))
        assert row.previous_token_hash == hash_token(_token(old["remember_token"]))
    # a copy of the old cookies (another tab's request on its way) works during the grace
    _at(monkeypatch, turn + ROTATION_GRACE - timedelta(seconds=5))
    assert _logged_in(_browser(app, old))
    assert "remember_token" not in _set_cookies(_browser(app, old).get("/attacks"))
    # ... and not after it: a stolen old cookie is useless
    _at(monkeypatch, turn + ROTATION_GRACE + timedelta(seconds=1))
    assert not _logged_in(_browser(app, old))
    assert _logged_in(phone)
    # the browser that kept the old session cookie but got the new remember cookie (two
    # answers crossing) falls back to the remember cookie and stays
    crossed = {"session": old["session"], "remember_token": new["remember_token"]}
    assert _logged_in(_browser(app, crossed))


def test_parallel_requests_during_a_rotation_stay_logged_in(app, session_factory,
                                                            monkeypatch):
    world = make_world(session_factory, ("a",))
    start = clock.utcnow()
    phone, _ = _login(app, world.emails["a"], remember="y")
    old = _held(phone)
    turn = start + ROTATE_EVERY + timedelta(seconds=1)
    _at(monkeypatch, turn)
    barrier = threading.Barrier(4)
    results: list[tuple[int, str | None]] = []

    def tab() -> None:
        client = _browser(app, old)
        barrier.wait()
        response = client.get("/attacks")
        results.append((response.status_code, _set_cookies(response).get("remember_token")))

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [status for status, _ in results] == [200] * 4
    new_cookies = {c for _, c in results if c}
    assert len(new_cookies) == 1  # one rotation; the other tabs went on with the old token
    with session_factory() as s:
        assert s.query(UserSession).filter(UserSession.ended_at.is_(None)).count() == 1


def test_a_phone_that_changes_network_or_restarts_its_browser_stays(app, session_factory):
    world = make_world(session_factory, ("a",))
    phone, _ = _login(app, world.emails["a"], remember="y")
    assert _logged_in(phone, environ_base={"REMOTE_ADDR": "10.1.2.3"})  # wifi -> mobile
    assert _logged_in(phone, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    restarted = _browser(app, {"remember_token": _held(phone)["remember_token"]})
    assert _logged_in(restarted)
    assert _logged_in(restarted)  # the second page too (it used to log out here)
    # a login without "keep me logged in" keeps Flask-Login's strong protection
    desk, _ = _login(app, world.emails["a"])
    assert not _logged_in(desk, environ_base={"REMOTE_ADDR": "10.1.2.3"})


def test_logout_ends_the_rotated_and_the_old_token(app, session_factory, monkeypatch):
    world = make_world(session_factory, ("a",))
    start = clock.utcnow()
    phone, _ = _login(app, world.emails["a"], remember="y")
    old = _held(phone)
    _at(monkeypatch, start + ROTATE_EVERY + timedelta(seconds=1))
    phone.get("/attacks")
    assert _logged_in(_browser(app, old))  # in its grace
    assert phone.post("/logout").status_code == 302
    assert not _logged_in(_browser(app, old))
    assert not _logged_in(phone)


def test_a_remembered_login_expires_after_the_idle_days(app, session_factory, monkeypatch):
    world = make_world(session_factory, ("a",))
    start = clock.utcnow()
    phone, _ = _login(app, world.emails["a"], remember="y")
    _at(monkeypatch, start + timedelta(days=13))
    assert _logged_in(phone)  # used: rotated, idle counts from now
    _at(monkeypatch, start + timedelta(days=13 + 14, minutes=1))
    assert not _logged_in(phone)
