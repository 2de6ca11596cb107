"""Sessions, redirects, enumeration, caching and share codes, through the real app."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from tests.tracker.test_login_lockout import CountingHasher
from tests.web.conftest import PASSWORD, bearer, login, make_world
from tracker import clock
from tracker.accounts import users as accounts


def _client(app, email: str, **extra):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _copy(app, source, names=("session", "remember_token")):
    """A second browser holding a copy of ``source``'s cookies."""
    copy = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            copy.set_cookie(name, cookie.value)
    return copy


def _logged_out(client) -> bool:
    response = client.get("/attacks")
    return response.status_code == 302 and "/login" in response.headers["Location"]


# --- Item 10: logout, password change, idle timeout and "log out everywhere" end sessions.

def test_a_cookie_copied_before_logout_stops_working(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = _client(app, world.emails["a"])
    copy = _copy(app, client)
    assert copy.get("/attacks").status_code == 200
    assert client.post("/logout").status_code == 302
    assert _logged_out(copy)
    assert _logged_out(client)


def test_the_remember_cookie_maps_to_a_session_that_logout_ends(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = _client(app, world.emails["a"], remember="y")
    assert client.get_cookie("remember_token") is not None
    only_remember = _copy(app, client, names=("remember_token",))  # a restarted browser
    assert only_remember.get("/attacks").status_code == 200
    client.post("/logout")
    assert _logged_out(_copy(app, only_remember, names=("remember_token",)))


def test_a_password_change_ends_other_sessions_and_revokes_tokens(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = _client(app, world.emails["a"])
    other = _client(app, world.emails["a"])
    old_cookie = _copy(app, client)
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(world.tokens["a"])).status_code == 200
    page = client.get("/account/password").get_data(as_text=True)
    assert "API tokens" in page and "revoked" in page  # said beforehand
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": "another password"})
    assert response.status_code == 302
    assert client.get("/attacks").status_code == 200  # this browser stays, with a new session
    assert _logged_out(other)
    assert _logged_out(old_cookie)
    assert api.get("/api/v1/me", headers=bearer(world.tokens["a"])).status_code == 401
    assert "changed the password" in client.get("/audit").get_data(as_text=True)


def test_an_idle_session_expires(app, session_factory, monkeypatch):
    world = make_world(session_factory, ("a",))
    client = _client(app, world.emails["a"])
    remembered = _client(app, world.emails["a"], remember="y")
    start = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(hours=11))
    assert client.get("/attacks").status_code == 200  # touched: idle counts from now
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(hours=11 + 12, minutes=1))
    assert _logged_out(client)
    assert remembered.get("/attacks").status_code == 200  # 14 days for "keep me logged in"
    monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(days=11 + 15))
    assert _logged_out(remembered)


def test_log_out_everywhere_ends_every_session(app, session_factory):
    world = make_world(session_factory, ("a",))
    first, second = _client(app, world.emails["a"]), _client(app, world.emails["a"])
    assert "Log out everywhere" in first.get("/account/password").get_data(as_text=True)
    assert first.post("/account/logout-everywhere").status_code == 302
    assert _logged_out(second)
    assert _logged_out(first)
    assert _client(app, world.emails["a"]).get("/attacks").status_code == 200


# --- Item 9: only a path on this site is a place to go after logging in.

NASTY = [
    "//evil.example", "/\t/evil.example", "/%09/evil.example", "/\r\n/x", "/\n/evil.example",
    "\\\\evil.example", "/\\evil.example", "\\/evil.example", "/\\/evil.example",
    "https://evil.example", "http:/evil.example", "https:evil.example", "javascript:alert(1)",
    " //evil.example", "\t//evil.example", "\x00//evil.example", "\x01/\\evil.example",
    "///evil.example", "/\x7f/x", "evil.example", "%2F%2Fevil.example", "/\t\\evil.example",
]


@pytest.mark.parametrize("target", NASTY)
def test_login_never_redirects_off_site(app, session_factory, target):
    world = make_world(session_factory, ("admin",))
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"email": world.emails["admin"], "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/attacks", "/patients/1/report?sort=name"])
def test_login_follows_a_path_on_this_site(app, session_factory, target):
    world = make_world(session_factory, ("admin",))
    response = app.test_client().post("/login", query_string={"next": target}, data={
        "email": world.emails["admin"], "password": PASSWORD})
    assert response.headers["Location"] == target


# --- Item 11: registering and failing to log in tell nothing about who has an account.

@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_HASHER", counting)
    return counting


def _register(app, email: str):
    client = app.test_client()
    response = client.post("/register", data={
        "email": email, "password": "a new password", "name": "Someone",
        "timezone": "Europe/Oslo", "latitude": "59.9", "longitude": "10.7"})
    page = client.get(response.headers.get("Location", "/login")).get_data(as_text=True)
    return client, response, page


def test_registering_a_taken_email_answers_like_a_new_one(app, session_factory, hasher):
    world = make_world(session_factory, ("a",))
    hasher.hashes = 0
    taken_client, taken, taken_page = _register(app, world.emails["a"])
    taken_hashes, hasher.hashes = hasher.hashes, 0
    new_client, new, new_page = _register(app, "new@example.org")
    assert (taken.status_code, taken.headers["Location"]) == (new.status_code,
                                                               new.headers["Location"])
    assert taken.get_data() == new.get_data() and taken_page == new_page
    assert taken_hashes == hasher.hashes == 1
    assert _logged_out(taken_client) and _logged_out(new_client)  # nobody is logged in
    assert login(app.test_client(), world.emails["a"]).status_code == 302  # unchanged
    assert login(app.test_client(), "new@example.org", "a new password").status_code == 302


def test_locked_unknown_and_wrong_password_answer_alike(app, session_factory, hasher):
    world = make_world(session_factory, ("a", "b"))
    for _ in range(settings_of(app).web.login_max_failures):
        login(app.test_client(), world.emails["b"], "wrong password")
    answers = {}
    for case, email, password in (("unknown", "nobody@example.org", "wrong password"),
                                  ("wrong", world.emails["a"], "wrong password"),
                                  ("locked", world.emails["b"], PASSWORD)):
        hasher.calls.clear()
        response = login(app.test_client(), email, password)
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        answers[case] = (response.status_code, body, len(hasher.calls))
    assert answers["unknown"] == answers["wrong"] == answers["locked"]
    assert answers["wrong"][0] == 401 and answers["wrong"][2] == 1


def settings_of(app):
    return app.extensions["mw_settings"]


# --- Item 16: nothing with health data is stored by a browser or a shared cache.

def test_exports_and_pages_are_not_cached(app, session_factory):
    from web.dashboard import bundle_url

    world = make_world(session_factory, ("a",))
    client = _client(app, world.emails["a"])
    a = world.ids["a"]
    urls = [f"/patients/{a}/attacks.csv", "/dashboard", f"/patients/{a}/report", "/attacks"]
    urls += [f"/patients/{a}/export/{kind}.csv"
             for kind in ("attacks", "daily", "pressure", "summary")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store, private", url
    api = app.test_client()
    for url in [f"/api/v1/patients/{a}/export/{kind}"
                for kind in ("attacks", "daily", "pressure", "summary")] + ["/api/v1/me"]:
        response = api.get(url, headers=bearer(world.tokens["a"]))
        assert response.status_code == 200, url
        assert response.headers.get("Cache-Control") == "no-store, private", url
    with app.test_request_context():
        bundle = bundle_url()
    assert "max-age" in client.get(bundle).headers["Cache-Control"]  # kept on purpose


# --- Item 3: ending a clinician's access revokes every unused share code.

def _new_code(client) -> str:
    page = client.post("/sharing/code").get_data(as_text=True)
    return re.search(r'<p class="code">([A-Z0-9]{5}-[A-Z0-9]{5})</p>', page).group(1)


def test_ending_access_revokes_spare_codes(app, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    patient = _client(app, world.emails["a"])
    clinician = _client(app, world.emails["linked"])
    spare = _new_code(patient)
    _new_code(patient)
    page = patient.get("/sharing").get_data(as_text=True)
    assert len(re.findall(r'action="/sharing/codes/\d+/revoke"', page)) == 2
    assert patient.post(f"/sharing/{world.records['link']}/revoke").status_code == 302
    assert "No unused share codes." in patient.get("/sharing").get_data(as_text=True)
    assert clinician.post("/patients/redeem", data={"code": spare}).status_code == 400
    assert "Person A" not in clinician.get("/patients").get_data(as_text=True)


def test_a_patient_lists_and_revokes_codes_on_the_page_and_in_the_api(app, session_factory):
    world = make_world(session_factory, ("a", "unlinked"))
    patient = _client(app, world.emails["a"])
    api, token = app.test_client(), bearer(world.tokens["a"])
    first, second = _new_code(patient), _new_code(patient)
    items = api.get("/api/v1/sharing/codes", headers=token).get_json()["items"]
    assert len(items) == 2 and set(items[0]) == {"id", "created_at", "expires_at"}
    assert api.delete(f"/api/v1/sharing/codes/{items[0]['id']}", headers=token).status_code == 204
    assert api.delete(f"/api/v1/sharing/codes/{items[0]['id']}", headers=token).status_code == 404
    page_id = re.search(r'action="/sharing/codes/(\d+)/revoke"',
                        patient.get("/sharing").get_data(as_text=True)).group(1)
    assert patient.post(f"/sharing/codes/{page_id}/revoke").status_code == 302
    assert api.get("/api/v1/sharing/codes", headers=token).get_json() == {"items": []}
    clinician = bearer(world.tokens["unlinked"])
    for code in (first, second):
        response = api.post("/api/v1/sharing/redeem", json={"code": code}, headers=clinician)
        assert response.status_code == 400


def test_a_clinician_redeems_through_the_api(app, session_factory):
    world = make_world(session_factory, ("a", "unlinked"))
    code = _new_code(_client(app, world.emails["a"]))
    response = app.test_client().post("/api/v1/sharing/redeem", json={"code": code},
                                      headers=bearer(world.tokens["unlinked"]))
    assert response.status_code == 201
    assert response.get_json()["id"] == world.ids["a"]


# --- Item 18: share-code attempts are limited per account and per address.

def test_share_code_attempts_are_limited_per_account(app, session_factory):
    world = make_world(session_factory, ("linked", "unlinked"))
    limit = settings_of(app).web.share_code_attempts_per_account
    page = _client(app, world.emails["linked"])
    for _ in range(limit):
        assert page.post("/patients/redeem", data={"code": "AAAAA-AAAAA"}).status_code == 400
    response = page.post("/patients/redeem", data={"code": "AAAAA-AAAAA"})
    assert response.status_code == 429
    assert "too many attempts" in response.get_data(as_text=True)
    api, token = app.test_client(), bearer(world.tokens["unlinked"])
    for _ in range(limit):
        response = api.post("/api/v1/sharing/redeem", json={"code": "AAAAA-AAAAA"},
                            headers=token)
        assert response.status_code == 400
    response = api.post("/api/v1/sharing/redeem", json={"code": "AAAAA-AAAAA"}, headers=token)
    assert response.status_code == 429
    assert "too many attempts" in response.get_json()["error"]["message"]


def test_share_code_attempts_are_limited_per_address(settings, engine, session_factory):
    from web import create_app

    limited = dataclasses.replace(settings, web=dataclasses.replace(
        settings.web, share_code_attempts_per_address=3))
    app = create_app({"SETTINGS": limited, "ENGINE": engine, "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    world = make_world(session_factory, ("linked", "unlinked"))
    first, second = _client(app, world.emails["linked"]), _client(app, world.emails["unlinked"])
    statuses = [c.post("/patients/redeem", data={"code": "AAAAA-AAAAA"}).status_code
                for c in (first, second, first, second)]
    assert statuses == [400, 400, 400, 429]


def test_proxy_hops_make_the_forwarded_address_the_client(settings, engine):
    """Behind one trusted proxy, share-code limits count the real client address."""
    import dataclasses

    from flask import request

    from web import create_app

    trusted = dataclasses.replace(settings, web=dataclasses.replace(settings.web, proxy_hops=1))
    for cfg, expected in ((settings, "127.0.0.1"), (trusted, "203.0.113.9")):
        app = create_app({"SETTINGS": cfg, "ENGINE": engine, "TESTING": True})
        app.add_url_rule("/_addr", "addr", lambda: request.remote_addr or "")
        answer = app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"})
        assert answer.get_data(as_text=True) == expected
