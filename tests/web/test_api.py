"""The JSON API: tokens, attacks with date filters, validation errors, conflicts, reports."""

from __future__ import annotations

from tests.web.conftest import SECRET_A, bearer, make_world


def _api(app, session_factory, who=("a",)):
    world = make_world(session_factory, who)
    return world, app.test_client()


def test_tokens_are_stored_hashed_and_record_their_use(app, session_factory):
    from tracker.accounts.tokens import hash_token
    from tracker.models import ApiToken

    world, client = _api(app, session_factory)
    raw = world.tokens["a"]
    assert client.get("/api/v1/me", headers=bearer(raw)).get_json()["role"] == "patient"
    with session_factory() as s:
        tokens = s.query(ApiToken).all()
        assert all(raw != t.token_hash for t in tokens)
        used = [t for t in tokens if t.token_hash == hash_token(raw)]
        assert used and used[0].last_used_at is not None
    for header in ({}, {"Authorization": "Bearer mwt_nope"}, {"Authorization": f"Basic {raw}"}):
        response = client.get("/api/v1/me", headers=header)
        assert response.status_code == 401
        assert set(response.get_json()["error"]) == {"message", "field"}


def test_attack_crud_and_date_filters(app, session_factory):
    world, client = _api(app, session_factory)
    h = bearer(world.tokens["a"])
    created = client.post("/api/v1/attacks", headers=h, json={
        "started_at": "2026-01-20T23:30:00+00:00", "intensity": 4, "aura": True,
        "expected_weather": True, "notes": "api note"})
    assert created.status_code == 201
    attack = created.get_json()
    assert attack["started_at"] == "2026-01-21T00:30:00+01:00"  # the patient's local offset
    assert attack["source"] == "api" and attack["ended_at"] is None
    # from/to are local days (Europe/Oslo): 00:30 local on the 21st counts on the 21st.
    days = [a["id"] for a in client.get("/api/v1/attacks?from=2026-01-21&to=2026-01-21",
                                        headers=h).get_json()["items"]]
    assert days == [attack["id"]]
    everything = client.get("/api/v1/attacks", headers=h).get_json()["items"]
    assert len(everything) == 2 and SECRET_A in {a["notes"] for a in everything}
    assert client.get("/api/v1/attacks?to=2026-01-20", headers=h).get_json()["items"][0][
        "notes"] == SECRET_A
    bad = client.get("/api/v1/attacks?from=21.01.2026", headers=h)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "from"

    url = f"/api/v1/attacks/{attack['id']}"
    patched = client.patch(url, headers=h, json={"ended_at": "2026-01-21T06:00:00+01:00"})
    assert patched.status_code == 200 and patched.get_json()["intensity"] == 4
    put = client.put(url, headers=h, json={"started_at": "2026-01-21T00:30:00+01:00"})
    assert put.status_code == 200
    assert put.get_json()["intensity"] is None and put.get_json()["aura"] is False
    assert client.get(url, headers=h).get_json()["notes"] == ""
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_validation_errors_name_the_field(app, session_factory):
    world, client = _api(app, session_factory)
    h = bearer(world.tokens["a"])
    cases = [
        ({"started_at": "2026-01-20T10:00:00"}, "started_at", "offset"),
        ({"started_at": "2026-01-20T10:00:00Z", "intensity": 11}, "intensity", "0..10"),
        ({"started_at": "2026-01-20T10:00:00Z", "ended_at": "2026-01-20T09:00:00Z"},
         "ended_at", "before the start"),
        ({"started_at": "2999-01-20T10:00:00Z"}, "started_at", "outside"),
        ({"started_at": "2026-01-20T10:00:00Z", "aura": "yes"}, "aura", "true or false"),
        ({"started_at": "2026-01-20T10:00:00Z", "colour": "red"}, "colour", "unknown field"),
        ({"started_at": "2026-01-20T10:00:00Z", "notes": "a\x00b"}, "notes", "NUL"),
        ({}, "started_at", "required"),
    ]
    for payload, field, words in cases:
        response = client.post("/api/v1/attacks", headers=h, json=payload)
        assert response.status_code == 400, payload
        error = response.get_json()["error"]
        assert error["field"] == field and words in error["message"], error
    response = client.post("/api/v1/attacks", headers=h, data="not json")
    assert response.status_code == 400
    overlap = client.post("/api/v1/attacks", headers=h,
                          json={"started_at": "2026-01-02T10:00:00Z"})
    assert overlap.status_code == 409 and overlap.get_json()["error"]["field"] == "started_at"


def test_checkins_courses_and_locations(app, session_factory):
    world, client = _api(app, session_factory)
    h = bearer(world.tokens["a"])
    checkin = client.post("/api/v1/checkins", headers=h, json={"day": "2026-01-04"})
    assert checkin.status_code == 201 and checkin.get_json()["headache_free"] is True
    assert len(client.get("/api/v1/checkins", headers=h).get_json()["items"]) == 2
    course = client.post("/api/v1/courses", headers=h,
                         json={"started_on": "2026-05-01", "sessions": 4})
    assert course.status_code == 201 and course.get_json()["kind"] == "PRT"
    url = f"/api/v1/courses/{course.get_json()['id']}"
    bad = client.put(url, headers=h, json={"started_on": "2026-05-01", "ended_on": "2026-04-01"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "ended_on"
    assert client.get(url, headers=h).get_json()["ended_on"] is None  # nothing half-saved
    assert client.put(url, headers=h, json={"started_on": "2026-05-02"}).status_code == 200
    assert client.delete(url, headers=h).status_code == 204
    location = client.post("/api/v1/locations", headers=h, json={
        "starts_on": "2099-06-01", "latitude": 40.4, "longitude": -3.7,
        "timezone": "Europe/Madrid", "label": "Madrid"})
    assert location.status_code == 201
    assert [p["label"] for p in client.get("/api/v1/locations", headers=h).get_json()[
        "items"]] == ["home", "Madrid"]
    assert client.delete(f"/api/v1/locations/{location.get_json()['id']}",
                         headers=h).status_code == 204


def test_report_for_the_patient_and_a_linked_clinician(app, session_factory):
    from tracker.models import AuditEvent

    world, client = _api(app, session_factory, ("a", "b", "linked"))
    url = f"/api/v1/patients/{world.ids['a']}/report"
    report = client.get(url, headers=bearer(world.tokens["a"])).get_json()
    assert report["schema"] == "migraine-weather/report/v2" and "days" not in report
    assert report["course"]["started_on"] == "2026-01-10"
    with_days = client.get(url + "?days=true", headers=bearer(world.tokens["linked"]))
    assert with_days.status_code == 200 and with_days.get_json()["days"]
    assert client.get(url + "?days=maybe", headers=bearer(world.tokens["a"])).status_code == 400
    none = client.get(f"/api/v1/patients/{world.ids['b']}/report",
                      headers=bearer(world.tokens["b"]))
    assert none.status_code == 404 and "no treatment course" in none.get_json()["error"][
        "message"]
    patients = client.get("/api/v1/patients", headers=bearer(world.tokens["linked"])).get_json()
    assert [p["id"] for p in patients["items"]] == [world.ids["a"]]
    with session_factory() as s:
        actions = [e.action for e in s.query(AuditEvent).filter_by(
            patient_id=world.ids["a"], actor_id=world.ids["linked"])]
    assert actions.count("view_report") == 1


def test_openapi_document_lists_every_api_route(app):
    doc = app.test_client().get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(path, method.upper()) for path, item in doc["paths"].items()
                  for method in item if method != "parameters"}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<id:{name}>", "{" + name + "}")
                path = path.replace(f"<{name}>", "{" + name + "}")
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served


def test_operator_status_is_for_admins(app, session_factory):
    world, client = _api(app, session_factory, ("a", "admin"))
    response = client.get("/api/v1/admin/status", headers=bearer(world.tokens["admin"]))
    assert response.status_code == 200
    status = response.get_json()
    assert status["cells_in_use"] == 1 and status["cells"][0]["missing_hours_7d"] > 0
    assert SECRET_A not in response.get_data(as_text=True)
    assert client.get("/api/v1/admin/status",
                      headers=bearer(world.tokens["a"])).status_code == 403
