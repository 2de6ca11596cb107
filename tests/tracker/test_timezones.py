"""Only IANA place names are timezones: not the host's "localtime" (issue #10 item 13).

``zoneinfo.available_timezones()`` lists every TZif file under the zoneinfo directories, and
on many hosts that includes ``localtime`` (a copy of /etc/localtime): a zone whose meaning
depends on the server. Registration, settings, locations, the API and the CLI all refuse it.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.conftest import bearer, login, make_world
from tracker.accounts.users import create_user
from tracker.diary.profile import add_location_period, set_timezone
from tracker.diary.validation import check_timezone, timezone_names
from tracker.errors import ValidationError

NOT_PLACES = ("localtime", "posixrules", "Factory", "posix/Europe/Oslo", "right/UTC",
              "Europe/../UTC", "", "europe/oslo")


@pytest.mark.parametrize("name", NOT_PLACES)
def test_names_that_are_not_iana_places_are_refused(name):
    with pytest.raises(ValidationError) as caught:
        check_timezone(name)
    assert caught.value.field == "timezone"
    assert name not in timezone_names()


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "Europe/Oslo", "America/Argentina/Salta"])
def test_iana_names_are_accepted(name):
    assert check_timezone(name).key == name
    assert name in timezone_names()


def test_the_domain_refuses_localtime_everywhere(session):
    with pytest.raises(ValidationError) as caught:
        create_user(session, email="new@example.org", password="password-1234",
                    role="patient", timezone="localtime", latitude=1.0, longitude=2.0)
    assert caught.value.field == "timezone"
    session.rollback()
    patient = create_user(session, email="p@example.org", password="password-1234",
                          role="patient", timezone="UTC", latitude=1.0, longitude=2.0)
    with pytest.raises(ValidationError, match="unknown timezone 'localtime'"):
        set_timezone(session, patient, "localtime")
    with pytest.raises(ValidationError, match="unknown timezone 'localtime'"):
        add_location_period(session, patient, starts_on=date(2026, 1, 1), latitude=1.0,
                            longitude=2.0, timezone="localtime")
    assert patient.profile.timezone == "UTC"


def test_pages_and_api_refuse_localtime(app, session_factory):
    world = make_world(session_factory, ("a",))
    client = app.test_client()
    answer = client.post("/api/v1/locations", headers=bearer(world.tokens["a"]), json={
        "starts_on": "2026-01-05", "latitude": 1.0, "longitude": 2.0, "timezone": "localtime"})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == {"message": "unknown timezone 'localtime'",
                                          "field": "timezone"}
    page = client.post("/register", data={"email": "new@example.org", "timezone": "localtime",
                                          "password": "password-1234", "latitude": "1",
                                          "longitude": "2"})
    assert page.status_code == 400 and "unknown timezone" in page.get_data(as_text=True)
    login(client, world.emails["a"])
    page = client.post("/settings", data={"timezone": "localtime", "pressure_unit": "hPa"})
    assert page.status_code == 400 and "unknown timezone" in page.get_data(as_text=True)
    page = client.post("/locations", data={"starts_on": "2026-01-05", "latitude": "1",
                                           "longitude": "2", "timezone": "localtime"})
    assert page.status_code == 400 and "unknown timezone" in page.get_data(as_text=True)


def test_the_cli_refuses_localtime(runner):
    result = runner.invoke("users", "create", "--email", "p@example.org", "--password",
                           "long enough", "--role", "patient", "--timezone", "localtime",
                           "--lat", "1", "--lon", "2")
    assert result.exit_code != 0
    assert "unknown timezone 'localtime'" in result.output
