"""GET /places/search: open to everyone, JSON, never cached, length- and rate-limited."""

from __future__ import annotations

import pytest

from tests.web.conftest import login, make_world
from tracker.places import MAX_QUERY_LENGTH
from web import places as web_places
from web.places import FixedWindow

KEYS = {"name", "region", "country", "country_code", "latitude", "longitude", "timezone",
        "population", "also_known_as", "label"}


def test_anyone_can_search_and_gets_json_that_is_not_stored(client):
    response = client.get("/places/search", query_string={"q": "tromsø"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store, private"
    assert "Content-Security-Policy" in response.headers
    body = response.get_json()
    assert body["query"] == "tromsø"
    first = body["places"][0]
    assert set(first) == KEYS
    assert (first["name"], first["country"], first["timezone"]) == (
        "Tromsø", "Norway", "Europe/Oslo")
    assert first["latitude"] == pytest.approx(69.65, abs=0.01)
    assert first["label"] == "Tromsø, Norway"


def test_a_logged_in_patient_gets_the_same_answer(app, session_factory):
    world = make_world(session_factory, ("a",))
    patient = app.test_client()
    assert login(patient, world.emails["a"]).status_code == 302
    mine = patient.get("/places/search?q=bergen").get_json()
    anyone = app.test_client().get("/places/search?q=bergen").get_json()
    assert mine == anyone and mine["places"][0]["label"] == "Bergen, Norway"


@pytest.mark.parametrize("query", ["", "   ", "zzzzqqq"])
def test_nothing_found_is_an_empty_list(client, query):
    response = client.get("/places/search", query_string={"q": query})
    assert response.status_code == 200
    assert response.get_json() == {"query": query, "places": []}


def test_no_query_at_all_is_an_empty_list(client):
    assert client.get("/places/search").get_json()["places"] == []


def test_a_query_over_the_limit_is_refused(client):
    assert client.get("/places/search", query_string={
        "q": "x" * MAX_QUERY_LENGTH}).status_code == 200
    response = client.get("/places/search", query_string={"q": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store, private"
    error = response.get_json()["error"]
    assert error["field"] == "q" and str(MAX_QUERY_LENGTH) in error["message"]


def test_only_get_is_answered(client):
    assert client.post("/places/search", data={"q": "bergen"}).status_code == 405


def test_too_many_searches_from_one_address_wait(app, monkeypatch):
    monkeypatch.setattr(web_places, "SEARCHES_PER_MINUTE", 3)
    one = app.test_client()
    statuses = [one.get("/places/search?q=oslo").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = one.get("/places/search?q=oslo")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"]["message"].startswith("too many searches")
    other = app.test_client()
    assert other.get("/places/search?q=oslo",
                     environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200


def test_the_window_starts_again_after_a_minute():
    window = FixedWindow(limit=2, seconds=60)
    assert [window.retry_after("a", now=t) for t in (0.0, 1.0)] == [None, None]
    assert window.retry_after("a", now=20.0) == 40
    assert window.retry_after("b", now=20.0) is None
    assert window.retry_after("a", now=60.0) is None


def test_a_full_window_forgets_every_address_rather_than_growing():
    window = FixedWindow(limit=1, seconds=60, max_keys=3)
    for key in "abc":
        assert window.retry_after(key, now=0.0) is None
    assert window.retry_after("a", now=1.0) is None  # the table was full: a new window
    assert window.retry_after("a", now=2.0) == 59
