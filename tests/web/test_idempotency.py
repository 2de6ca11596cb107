"""Issue #15 point 5: a create or an end sent again with the same device id (client_id, or the
Idempotency-Key header) stores the attack once, on both databases; through the API (bearer
tokens) and through the phone's offline queue (/offline/..., a browser session and CSRF)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.web.conftest import bearer, login, make_world
from tracker.models import Attack

START = "2026-01-20T08:00:00+01:00"
KEY = "0b6f8c1e-3d5a-4f7e-9a2b-1c3d5e7f9a0b"


def _count(session_factory, patient_id: int, client_id: str) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(Attack).where(
            Attack.patient_id == patient_id, Attack.client_id == client_id))


def test_the_same_client_id_twice_stores_one_attack(client, session_factory):
    world = make_world(session_factory, ("a",))
    headers = bearer(world.tokens["a"])
    first = client.post("/api/v1/attacks", headers=headers,
                        json={"started_at": START, "client_id": KEY, "intensity": 5})
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/attacks", headers=headers,
                        json={"started_at": START, "client_id": KEY, "intensity": 5})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["client_id"] == KEY
    assert _count(session_factory, world.ids["a"], KEY) == 1
    # The stored attack is answered as it is now, whatever the repeat says.
    other_body = client.post("/api/v1/attacks", headers=headers,
                             json={"started_at": "2026-01-21T08:00:00+01:00", "client_id": KEY})
    assert other_body.status_code == 200
    assert other_body.get_json()["started_at"].startswith("2026-01-20T08:00")
    # Without a client id, every create is a new attack (and a same-start one overlaps).
    plain = client.post("/api/v1/attacks", headers=headers, json={"started_at": START})
    assert plain.status_code == 409


def test_the_idempotency_key_header_works_like_client_id(client, session_factory):
    world = make_world(session_factory, ("a",))
    headers = {**bearer(world.tokens["a"]), "Idempotency-Key": KEY}
    first = client.post("/api/v1/attacks", headers=headers, json={"started_at": START})
    assert first.status_code == 201
    assert first.get_json()["client_id"] == KEY
    second = client.post("/api/v1/attacks", headers=headers, json={"started_at": START})
    assert (second.status_code, second.get_json()["id"]) == (200, first.get_json()["id"])
    # the body's id and the header's must agree
    clash = client.post("/api/v1/attacks", headers=headers,
                        json={"started_at": START, "client_id": "another"})
    assert clash.status_code == 400
    assert clash.get_json()["error"]["field"] == "client_id"
    assert _count(session_factory, world.ids["a"], KEY) == 1


def test_different_patients_may_use_the_same_client_id(client, session_factory):
    world = make_world(session_factory, ("a", "b"))
    for who in ("a", "b"):
        response = client.post("/api/v1/attacks", headers=bearer(world.tokens[who]),
                               json={"started_at": START, "client_id": KEY})
        assert response.status_code == 201, response.get_json()
    assert _count(session_factory, world.ids["a"], KEY) == 1
    assert _count(session_factory, world.ids["b"], KEY) == 1
    # b ending "its" KEY ends b's attack only.
    ended = client.post("/api/v1/attacks/end", headers=bearer(world.tokens["b"]),
                        json={"client_id": KEY, "ended_at": "2026-01-20T12:00:00+01:00"})
    assert ended.status_code == 200
    with session_factory() as s:
        by_patient = {a.patient_id: a.ended_at for a in s.scalars(
            select(Attack).where(Attack.client_id == KEY))}
    assert by_patient[world.ids["a"]] is None and by_patient[world.ids["b"]] is not None


def test_ending_by_client_id_is_idempotent(client, session_factory):
    world = make_world(session_factory, ("a",))
    headers = bearer(world.tokens["a"])
    client.post("/api/v1/attacks", headers=headers, json={"started_at": START, "client_id": KEY})
    first = client.post("/api/v1/attacks/end", headers=headers,
                        json={"client_id": KEY, "ended_at": "2026-01-20T11:00:00+01:00"})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["ended_at"].startswith("2026-01-20T11:00")
    later = client.post("/api/v1/attacks/end", headers=headers,
                        json={"client_id": KEY, "ended_at": "2026-01-20T13:00:00+01:00"})
    assert later.status_code == 200
    assert later.get_json()["ended_at"].startswith("2026-01-20T11:00")  # not moved
    unknown = client.post("/api/v1/attacks/end", headers=headers, json={"client_id": "nope"})
    assert unknown.status_code == 404
    blank = client.post("/api/v1/attacks/end", headers=headers, json={"client_id": "  "})
    assert blank.status_code == 400


def test_the_document_states_the_idempotency_key(client):
    doc = client.get("/api/openapi.json").get_json()
    create = doc["paths"]["/api/v1/attacks"]["post"]
    assert "200" in create["responses"] and "201" in create["responses"]
    assert "Idempotency-Key" in create["description"]
    member = doc["components"]["schemas"]["AttackCreate"]["properties"]["client_id"]
    assert member["maxLength"] == 64
    assert "/api/v1/attacks/end" in doc["paths"]


def test_parallel_sends_of_one_attack_store_it_once(app, session_factory):
    """Two sends of the same queued attack at once (a retry racing the first try)."""
    world = make_world(session_factory, ("a",))
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        with app.test_client() as c:
            barrier.wait()
            statuses.append(c.post("/api/v1/attacks", headers=bearer(world.tokens["a"]),
                                   json={"started_at": START, "client_id": KEY}).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200, 200, 200, 201]
    assert _count(session_factory, world.ids["a"], KEY) == 1


# --- The phone's queue: the same rules through the browser session.

def test_the_offline_queue_stores_a_retried_attack_once(client, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    assert client.post("/offline/attacks", json={"client_id": KEY}).status_code == 401
    login(client, world.emails["a"])
    state = client.get("/offline/state")
    assert state.status_code == 200 and state.get_json()["account"] == world.ids["a"]
    body = {"client_id": KEY, "started_at": "2026-01-20T07:00:00Z"}
    first = client.post("/offline/attacks", json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post("/offline/attacks", json=body)
    assert (again.status_code, again.get_json()["id"]) == (200, first.get_json()["id"])
    end = {"client_id": KEY, "ended_at": "2026-01-20T09:00:00Z"}
    assert client.post("/offline/attacks/end", json=end).status_code == 200
    repeat = client.post("/offline/attacks/end", json={**end, "ended_at": "2026-01-20T10:00:00Z"})
    assert repeat.get_json()["ended_at"].startswith("2026-01-20T09:00")
    assert _count(session_factory, world.ids["a"], KEY) == 1
    with session_factory() as s:
        stored = s.scalar(select(Attack).where(Attack.client_id == KEY))
        assert stored.source == "web" and stored.intensity is None
    # An attack logged online, ended from the queue by its server id, twice.
    record = world.records["attack"]
    with session_factory.begin() as s:
        s.get(Attack, record).ended_at = None
    by_id = client.post("/offline/attacks/end", json={"attack_id": record,
                                                      "ended_at": "2026-01-02T16:00:00Z"})
    assert by_id.status_code == 200
    assert client.post("/offline/attacks/end", json={
        "attack_id": record, "ended_at": "2026-01-02T18:00:00Z"}).get_json()["ended_at"] \
        .startswith("2026-01-02T16:00")
    # Refusals answer JSON, naming the field.
    bad = client.post("/offline/attacks", json={"client_id": "x", "started_at": "tomorrow"})
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (400, "started_at")
    assert client.post("/offline/attacks/end", json={"attack_id": 10**6}).status_code == 404
    clinician = make_client_for(client.application, world.emails["linked"])
    assert clinician.post("/offline/attacks", json=body).status_code == 403


def test_the_queue_asks_before_changing_a_headache_free_day(client, session_factory):
    world = make_world(session_factory, ("a",))
    login(client, world.emails["a"])
    body = {"client_id": KEY, "started_at": "2026-01-03T10:00:00Z"}  # a's check-in day
    refused = client.post("/offline/attacks", json=body)
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (409, "replace_checkin")
    assert "headache-free" in refused.get_json()["error"]["message"]
    assert client.post("/offline/attacks", json={**body, "replace_checkin": True}) \
        .status_code == 201


def test_the_queue_needs_the_csrf_token(app, session_factory):
    world = make_world(session_factory, ("a",))
    app.config["WTF_CSRF_ENABLED"] = True
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    c.post("/login", data={"email": world.emails["a"], "password": "password-1234",
                           "csrf_token": token})
    body = {"client_id": KEY, "started_at": START}
    assert c.post("/offline/attacks", json=body).status_code == 400
    csrf = c.get("/offline/state").get_json()["csrf_token"]
    assert c.post("/offline/attacks", json=body, headers={"X-CSRFToken": csrf}).status_code == 201


def make_client_for(app, email: str):
    """A test client logged in as ``email``."""
    c = app.test_client()
    login(c, email)
    return c
