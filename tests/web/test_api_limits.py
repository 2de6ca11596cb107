"""Request bodies past the API's limits: too deeply nested (400) or too large (413)."""

from __future__ import annotations

import pytest

from tests.web.conftest import bearer, make_world


@pytest.fixture
def token(session_factory) -> str:
    """The API token of patient ``a``."""
    return make_world(session_factory, ("a",)).tokens["a"]


def _post(client, token: str, raw: str | bytes, path: str = "/api/v1/attacks"):
    return client.post(path, data=raw, content_type="application/json", headers=bearer(token))


def test_a_body_of_nested_brackets_is_a_400_not_a_500(client, token):
    response = _post(client, token, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"message": "the JSON body is nested too deeply",
                                             "field": None}}
    response = _post(client, token, '{"notes": ' + "[" * 100_000)  # not even well-formed
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "the JSON body is nested too deeply"


def test_nesting_past_the_depth_limit_is_refused_before_the_fields(client, token):
    from web.api.core import MAX_JSON_DEPTH

    too_deep = '{"started_at": "2026-01-02T09:00:00Z", "notes": ' + (
        "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) + "}"
    response = _post(client, token, too_deep)
    assert response.status_code == 400
    assert response.get_json()["error"] == {"message": "the JSON body is nested too deeply",
                                            "field": None}
    at_limit = '{"started_at": "2026-01-02T09:00:00Z", "notes": ' + (
        "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)) + "}"
    response = _post(client, token, at_limit)
    assert response.status_code == 400
    assert response.get_json()["error"] == {"message": "expected a string", "field": "notes"}


def test_a_body_past_the_size_limit_is_a_413_with_the_error_envelope(client, token):
    notes = "x" * (5 * 1024 * 1024)
    raw = f'{{"started_at": "2026-01-02T09:00:00Z", "notes": "{notes}"}}'
    response = _post(client, token, raw)
    assert response.status_code == 413
    assert response.get_json() == {"error": {"message": "the request body is larger than 5 MB",
                                             "field": None}}
    assert "no-store" in response.headers["Cache-Control"]


def test_a_body_that_is_not_json_is_still_a_400(client, token):
    for raw in ("", "{", '"text"', "[1, 2]", b"\xff\xfe{"):
        response = _post(client, token, raw)
        assert response.status_code == 400, raw
        assert response.get_json()["error"]["message"] == (
            "send a JSON object (Content-Type: application/json)")
    response = client.post("/api/v1/checkins", data="{}", content_type="text/plain",
                           headers=bearer(token))
    assert response.status_code == 400
