"""The import API (issue #14): the page's steps over bearer tokens, with the error envelope."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.conftest import bearer, make_world
from tracker.models import Attack, ImportUpload

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"


@pytest.fixture
def world(session_factory):
    return make_world(session_factory, ("a", "b", "linked"))


def _count(session_factory, model, *where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _post(client, token: str, data: bytes, **fields):
    return client.post("/api/v1/imports", headers=bearer(token),
                       data={"file": (io.BytesIO(data), "mb.csv"), **fields},
                       content_type="multipart/form-data")


def test_upload_preview_confirm_and_again(app, world, session_factory):
    client = app.test_client()
    token = world.tokens["a"]
    created = _post(client, token, FIXTURE.read_bytes())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    preview = body["preview"]
    assert len(body["id"]) == 43 and body["ready"] and not body["needs_mapping"]
    assert (preview["attacks"], preview["new"], preview["duplicates"]) == (9, 9, 0)
    assert preview["first_day"] == "2024-01-15" and preview["timezone"] == "Europe/Oslo"
    assert len(preview["rows"]) == 9 and preview["rows"][0]["line"] == 2
    assert client.get(f"/api/v1/imports/{body['id']}", headers=bearer(token)).get_json() == body

    done = client.post(f"/api/v1/imports/{body['id']}/confirm", headers=bearer(token),
                       json={"locations": ["2024-03-09"]})
    assert done.status_code == 200
    assert done.get_json() == {"added": 9, "duplicates": 0, "locations_added": 1}
    assert client.get(f"/api/v1/imports/{body['id']}", headers=bearer(token)).status_code == 404

    again = _post(client, token, FIXTURE.read_bytes()).get_json()
    assert (again["preview"]["new"], again["preview"]["duplicates"]) == (0, 9)
    done = client.post(f"/api/v1/imports/{again['id']}/confirm", headers=bearer(token),
                       json={})
    assert done.get_json() == {"added": 0, "duplicates": 9, "locations_added": 0}
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 10


def test_mapping_bad_lines_unknown_places_and_deletion(app, world, session_factory):
    client = app.test_client()
    token = world.tokens["a"]
    other = b"When,Pain\n14.03.2024 08:30,6\n20.03.2024 21:00,x\n"
    unknown = _post(client, token, other).get_json()
    assert unknown["needs_mapping"] and unknown["preview"] is None
    assert unknown["columns"] == ["When", "Pain"] and unknown["problems"]

    mapping = {"start": "When", "intensity": "Pain", "date_format": "%d.%m.%Y %H:%M"}
    mapped = _post(client, token, other, format="mapped", timezone="Europe/Berlin",
                   mapping=json.dumps(mapping)).get_json()
    assert mapped["preview"]["attacks"] == 1 and not mapped["ready"]
    assert [p["line"] for p in mapped["preview"]["problems"]] == [3]
    refused = client.post(f"/api/v1/imports/{mapped['id']}/confirm", headers=bearer(token),
                          json={})
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "file"
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 1

    bad = _post(client, token, other, format="mapped", mapping='{"begin": "When"}')
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "mapping"
    good = _post(client, token, FIXTURE.read_bytes()).get_json()
    nowhere = client.post(f"/api/v1/imports/{good['id']}/confirm", headers=bearer(token),
                          json={"locations": ["2020-01-01"]})
    assert nowhere.status_code == 400 and nowhere.get_json()["error"]["field"] == "locations"
    assert client.delete(f"/api/v1/imports/{good['id']}",
                         headers=bearer(token)).status_code == 204
    assert client.get(f"/api/v1/imports/{good['id']}", headers=bearer(token)).status_code == 404


def test_only_the_owner_and_only_patients(app, world, session_factory):
    client = app.test_client()
    upload_id = _post(client, world.tokens["a"], FIXTURE.read_bytes()).get_json()["id"]
    b = bearer(world.tokens["b"])
    assert client.get(f"/api/v1/imports/{upload_id}", headers=b).status_code == 404
    assert client.post(f"/api/v1/imports/{upload_id}/confirm", headers=b,
                       json={}).status_code == 404
    assert client.delete(f"/api/v1/imports/{upload_id}", headers=b).status_code == 404
    assert _post(client, world.tokens["linked"], b"x").status_code == 403
    assert client.get(f"/api/v1/imports/{upload_id}").status_code == 401
    assert _count(session_factory, ImportUpload) == 1
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 1


def test_over_the_limit_is_413_in_the_envelope(settings, engine, session_factory):
    from web import create_app

    small = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                  import_max_mb=1))
    app = create_app({"SETTINGS": small, "ENGINE": engine, "TESTING": True})
    world = make_world(session_factory, ("a",))
    response = _post(app.test_client(), world.tokens["a"], b"x" * (2**20 + 10))
    assert response.status_code == 413
    assert response.get_json()["error"] == {
        "message": "the file is larger than 1 MB; export a shorter period or split the file",
        "field": "file"}
    assert _count(session_factory, ImportUpload) == 0
