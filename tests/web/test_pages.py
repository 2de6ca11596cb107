"""The diary, sharing and account pages: saving, errors next to the field, nothing half-saved."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.conftest import PASSWORD, bearer, login, make_world
from tracker.clock import utcnow


def _patient(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = app.test_client()
    login(client, world.emails["a"])
    return world, client


def test_edit_and_end_an_attack(app, session_factory):
    world, client = _patient(app, session_factory)
    attack = world.records["attack"]
    page = client.get(f"/attacks/{attack}/edit").get_data(as_text=True)
    assert 'value="2026-01-02T10:00"' in page  # 09:00 UTC in Oslo
    assert '<label for="notes">Notes</label>' in page
    response = client.post(f"/attacks/{attack}/edit", data={
        "started_at": "2026-01-02T11:00", "kind": "headache", "medication_helped": "",
        "expected_weather": "", "notes": "changed",
    })
    assert response.status_code == 302
    page = client.get("/attacks").get_data(as_text=True)
    assert "2026-01-02 11:00" in page and "changed" in page and "It has ended" in page
    assert client.post(f"/attacks/{attack}/end").status_code == 302
    assert "It has ended" not in client.get("/attacks").get_data(as_text=True)
    bad = client.post(f"/attacks/{attack}/edit", data={
        "started_at": "2026-01-02T11:00", "ended_at": "2026-01-02T10:00", "kind": "migraine",
        "medication_helped": "", "expected_weather": "",
    })
    assert bad.status_code == 400
    assert 'id="ended_at-error"' in bad.get_data(as_text=True)


def test_no_headache_today_is_one_tap(app, session_factory):
    _, client = _patient(app, session_factory)
    response = client.post("/checkins", data={"back": "attacks"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/attacks")
    assert "Noted: no headache on" in client.get("/attacks").get_data(as_text=True)
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    response = client.post("/checkins", data={"day": future})
    assert response.status_code == 400 and 'id="day-error"' in response.get_data(as_text=True)


def test_treatment_courses(app, session_factory):
    world, client = _patient(app, session_factory)
    response = client.post("/courses", data={"kind": "PRT", "started_on": "2026-03-01",
                                              "ended_on": "2026-02-01"})
    assert response.status_code == 400
    assert 'id="ended_on-error"' in response.get_data(as_text=True)
    assert "2026-03-01" not in client.get("/courses").get_data(as_text=True)
    assert client.post("/courses", data={"kind": "PRT", "started_on": "2026-03-01",
                                         "ended_on": "2026-04-01", "sessions": "6"}
                       ).status_code == 302
    course = world.records["course"]
    page = client.get(f"/courses/{course}/edit").get_data(as_text=True)
    assert 'value="2026-01-10"' in page
    assert client.post(f"/courses/{course}/edit", data={
        "kind": "PRT", "started_on": "2026-01-11", "ended_on": "2026-02-21"}).status_code == 302
    page = client.get("/courses").get_data(as_text=True)
    assert "2026-01-11" in page and "2026-03-01" in page
    deleted = client.post(f"/courses/{course}/delete")  # answers with its Undo button
    assert deleted.status_code == 200 and "Undo" in deleted.get_data(as_text=True)
    assert "2026-01-11" not in client.get("/courses").get_data(as_text=True)


def test_locations_and_settings(app, session_factory):
    world, client = _patient(app, session_factory)
    response = client.post("/locations", data={"starts_on": "2026-05-01", "latitude": "48.85",
                                               "longitude": "2.35", "timezone": "Paris"})
    assert response.status_code == 400
    assert 'id="timezone-error"' in response.get_data(as_text=True)
    assert client.post("/locations", data={
        "starts_on": "2026-05-01", "latitude": "48.85", "longitude": "2.35",
        "timezone": "Europe/Paris", "label": "Paris trip"}).status_code == 302
    page = client.get("/locations").get_data(as_text=True)
    assert "Paris trip" in page and "48.8500" in page
    period = max(int(i) for i in re.findall(r'action="/locations/(\d+)/delete"', page))
    assert period != world.records["location"]
    assert client.post(f"/locations/{period}/delete").status_code == 302
    assert "Paris trip" not in client.get("/locations").get_data(as_text=True)
    # Settings: a bad unit saves nothing, not even the (valid) timezone.
    response = client.post("/settings", data={"timezone": "Asia/Tokyo", "pressure_unit": "bar"})
    assert response.status_code == 400
    assert 'id="pressure_unit-error"' in response.get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(world.tokens["a"])).get_json()[
        "timezone"] == "Europe/Oslo"
    assert client.post("/settings", data={"timezone": "Asia/Tokyo",
                                          "pressure_unit": "mmHg"}).status_code == 302
    me = api.get("/api/v1/me", headers=bearer(world.tokens["a"])).get_json()
    assert (me["timezone"], me["pressure_unit"]) == ("Asia/Tokyo", "mmHg")


def test_share_codes_expire_and_work_once(app, session_factory):
    from tracker.accounts.sharing import create_invitation

    world = make_world(session_factory, ("a", "unlinked"))
    with session_factory.begin() as s:
        from tracker.models import User

        a = s.get(User, world.ids["a"])
        old, _ = create_invitation(s, a, valid_hours=1, now=utcnow() - timedelta(hours=2))
    clinician = app.test_client()
    login(clinician, world.emails["unlinked"])
    response = clinician.post("/patients/redeem", data={"code": old})
    assert response.status_code == 400
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert "Person A" not in clinician.get("/patients").get_data(as_text=True)


def test_change_password(app, session_factory):
    world, client = _patient(app, session_factory)
    response = client.post("/account/password", data={"current_password": "wrong-one",
                                                      "new_password": "another password"})
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": "short"})
    assert response.status_code == 400
    assert 'id="new_password-error"' in response.get_data(as_text=True)
    assert client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "another password"}).status_code == 302
    assert client.get("/attacks").status_code == 200  # this session stays logged in
    other = app.test_client()
    assert login(other, world.emails["a"]).status_code == 401
    assert login(other, world.emails["a"], "another password").status_code == 302


def test_tokens_page_shows_a_token_once_and_revokes_it(app, session_factory):
    _, client = _patient(app, session_factory)
    response = client.post("/tokens", data={"name": "my script"})
    assert response.status_code == 201
    raw = re.search(r"<code>(mwt_[A-Za-z0-9_-]+)</code>", response.get_data(as_text=True))
    assert raw
    token = raw.group(1)
    page = client.get("/tokens").get_data(as_text=True)
    assert token not in page and "my script" in page and "never" in page
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    page = client.get("/tokens").get_data(as_text=True)
    assert "my script" in page
    ids = re.findall(r'action="/tokens/(\d+)/revoke"', page)
    assert client.post(f"/tokens/{max(map(int, ids))}/revoke").status_code == 302
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.post("/tokens", data={"name": ""}).status_code == 400


def test_error_pages_keep_the_footer(app, session_factory):
    _, client = _patient(app, session_factory)
    for url in ("/no-such-page", "/attacks/999/edit", "/patients"):
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert "Not medical advice" in response.get_data(as_text=True)


def test_csrf_on_pages_but_not_for_tokens(settings, engine, session_factory):
    from web import create_app

    world = make_world(session_factory, ("a",))
    app = create_app({"SETTINGS": settings, "ENGINE": engine, "TESTING": True})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": world.emails["a"], "password": PASSWORD,
                                "csrf_token": token})
    assert client.post("/checkins", data={}).status_code == 400  # no CSRF token
    assert client.post("/sharing/code", data={}).status_code == 400
    response = app.test_client().post("/api/v1/checkins", json={},
                                      headers=bearer(world.tokens["a"]))
    assert response.status_code == 201
