"""Registration shows every field's error at once and keeps what was typed (not the
password); the town search is on the registration, settings and locations pages; /about
credits GeoNames."""

from __future__ import annotations

import re

from tests.web.conftest import login, make_world

GOOD = {"name": "Kari", "email": "kari@example.org", "password": "a new password",
        "timezone": "Europe/Oslo", "latitude": "69.6489", "longitude": "18.95508"}


def _errors(page: str) -> set[str]:
    """The ids of the fields shown with an error."""
    return set(re.findall(r'<p class="error" id="([a-z_]+)-error">', page))


def test_every_error_shows_at_once_and_what_was_typed_stays(client):
    typed = {"name": "Kari Nordmann", "email": "not-an-email", "password": "short7!",
             "timezone": "Moon/Base", "latitude": "91", "longitude": "east"}
    response = client.post("/register", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _errors(page) == {"email", "password", "timezone", "latitude", "longitude"}
    assert "Please check these 5 fields" in page
    for name in ("name", "email", "timezone", "latitude", "longitude"):
        assert re.search(rf'<input [^>]*id="{name}"[^>]* value="{re.escape(typed[name])}"',
                         page), name
    assert "short7!" not in page  # never the password
    assert page.count('id="longitude-error"') == 1  # "not a number", not a range error too
    assert login(client, "not-an-email", "short7!").status_code == 401  # nothing created


def test_missing_fields_and_a_domain_refusal_show_together(client):
    response = client.post("/register", data={**GOOD, "timezone": "Mars/Olympus",
                                              "latitude": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _errors(page) == {"timezone", "latitude", "password"}
    assert "unknown timezone" in page and 'value="kari@example.org"' in page


def test_one_wrong_field_is_named_alone(client):
    page = client.post("/register", data={**GOOD, "longitude": "200"}).get_data(as_text=True)
    assert _errors(page) == {"longitude"} and "Please check this field" in page


def test_a_decimal_comma_is_read_as_a_point(client):
    response = client.post("/register", data={**GOOD, "latitude": "69,6489",
                                              "longitude": " 18,95508 "})
    assert response.status_code == 302
    assert login(client, GOOD["email"], GOOD["password"]).status_code == 302
    page = client.get("/locations").get_data(as_text=True)
    assert ">69.6489</td>" in page and ">18.9551</td>" in page


def test_a_taken_email_with_a_wrong_field_answers_like_a_new_one(app, session_factory):
    world = make_world(session_factory, ("a",))
    answers = []
    for email in (world.emails["a"], "new@example.org"):
        response = app.test_client().post("/register", data={
            **GOOD, "email": email, "timezone": "Moon/Base"})
        answers.append((response.status_code,
                        response.get_data(as_text=True).replace(email, "EMAIL")))
    assert answers[0] == answers[1] and answers[0][0] == 400


def test_the_pages_carry_the_town_search_without_inline_script(app, session_factory):
    world = make_world(session_factory, ("a",))
    anonymous = app.test_client()
    patient = app.test_client()
    assert login(patient, world.emails["a"]).status_code == 302
    pages = {"/register": anonymous, "/settings": patient, "/locations": patient}
    for url, client in pages.items():
        page = client.get(url).get_data(as_text=True)
        box = re.search(r"<div class=\"field place-search\"[^>]*>", page)
        assert box and " hidden>" in box.group(0), url  # shown by the script only
        assert 'data-url="/places/search"' in box.group(0)
        assert 'data-timezone="timezone"' in box.group(0)
        assert ('data-latitude="latitude"' in box.group(0)) == (url != "/settings")
        assert '<script src="/static/js/places.js"></script>' in page
        assert "/static/places.css" in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url  # no inline script
    assert client.get("/static/js/places.js").status_code == 200


def test_about_credits_geonames(client):
    page = client.get("/about").get_data(as_text=True)
    assert "GeoNames" in page and "CC BY 4.0" in page
    assert "https://creativecommons.org/licenses/by/4.0/" in page
