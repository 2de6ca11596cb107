"""Racing write requests through the app: real threads, one test client each.

The same request sent by several clients at the same moment must be answered as if they came
one after the other: one attack stored and the others refused with the usual 409; same-day
check-ins and location periods replacing each other; never a 500. A write refused by a
database constraint (the safety net behind the domain's locks) is a 409 with the usual error
envelope, or the form with its message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from tests.threads import run_in_threads
from tests.web.conftest import bearer, login, make_world
from tracker.models import Attack, CheckIn, LocationPeriod

THREADS = 5
STARTED = "2026-01-20T08:00:00+01:00"


def race(app: Flask, send: Callable, clients: list | None = None) -> list:
    """Call ``send(client)`` in one thread per client, all released at once; return answers."""
    clients = clients or [app.test_client() for _ in range(THREADS)]
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            answers[index] = send(clients[index])
        except Exception as exc:  # noqa: BLE001 - an escaped error is what the test looks for
            answers[index] = exc

    run_in_threads(run, len(clients))
    escaped = [a for a in answers if isinstance(a, Exception)]
    assert not escaped, escaped
    return answers


def _count(session_factory, model, *where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_racing_api_attacks_store_one_and_refuse_the_rest(app, session_factory):
    world = make_world(session_factory, ("a",))
    answers = race(app, lambda c: c.post("/api/v1/attacks", headers=bearer(world.tokens["a"]),
                                         json={"started_at": STARTED, "intensity": 5}))
    assert sorted(a.status_code for a in answers) == [201] + [409] * (THREADS - 1)
    for answer in answers:
        if answer.status_code == 409:
            error = answer.get_json()["error"]
            assert error["field"] == "started_at"
            assert error["message"].startswith("it overlaps the attack that started")
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 2


def test_racing_api_checkins_and_locations_replace_each_other(app, session_factory):
    world = make_world(session_factory, ("a",))
    headers = bearer(world.tokens["a"])
    answers = race(app, lambda c: c.post("/api/v1/checkins", headers=headers,
                                         json={"day": "2026-01-21", "note": "fine"}))
    assert [a.status_code for a in answers] == [201] * THREADS
    assert _count(session_factory, CheckIn, CheckIn.patient_id == world.ids["a"]) == 2
    location = {"starts_on": "2026-01-22", "latitude": 48.1, "longitude": 11.6,
                "timezone": "Europe/Berlin"}
    answers = race(app, lambda c: c.post("/api/v1/locations", headers=headers, json=location))
    assert [a.status_code for a in answers] == [201] * THREADS
    assert _count(session_factory, LocationPeriod,
                  LocationPeriod.patient_id == world.ids["a"]) == 2


def test_racing_attack_forms_store_one_and_show_the_clash(app, session_factory):
    world = make_world(session_factory, ("a",))
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        assert login(client, world.emails["a"]).status_code == 302
    form = {"started_at": "2026-01-20T08:00", "kind": "migraine", "medication_helped": "",
            "expected_weather": ""}
    answers = race(app, lambda c: c.post("/attacks", data=form), clients)
    assert sorted(a.status_code for a in answers) == [302, 400, 400]
    for answer in answers:
        if answer.status_code == 400:
            assert "overlaps the attack that started" in answer.get_data(as_text=True)
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 2


def _add_duplicate_checkins(patient_id: int) -> str:
    """Insert the same day's check-in twice, past the domain's checks (a unique violation)."""
    from datetime import UTC, date, datetime

    from web.db import db_session

    session = db_session()
    for _ in range(2):
        session.add(CheckIn(patient_id=patient_id, day=date(2026, 1, 25), headache_free=True,
                            note="", created_at=datetime.now(UTC)))
    session.flush()
    return "not reached"


def test_a_unique_violation_is_a_409_with_the_error_envelope(app, session_factory):
    world = make_world(session_factory, ("a",))
    app.add_url_rule("/api/v1/test-clash", "test_clash_api",
                     lambda: _add_duplicate_checkins(world.ids["a"]), methods=["POST"])
    app.add_url_rule("/test-clash", "test_clash_page",
                     lambda: _add_duplicate_checkins(world.ids["a"]), methods=["POST"])
    client = app.test_client()
    answer = client.post("/api/v1/test-clash")
    assert answer.status_code == 409
    assert answer.get_json() == {"error": {
        "message": "this clashes with a change saved at the same moment; reload and try again",
        "field": None}}
    page = client.post("/test-clash")
    assert page.status_code == 409
    assert "saved at the same moment" in page.get_data(as_text=True)
    assert _count(session_factory, CheckIn, CheckIn.patient_id == world.ids["a"]) == 1
