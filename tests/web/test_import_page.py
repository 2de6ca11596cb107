"""The import pages (issue #14): upload, preview, mapping, confirm, cancel, limits, access."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.conftest import login, make_world
from tracker.models import Attack, AuditEvent, ImportUpload, LocationPeriod

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"
OTHER_APP = ("When,Pain,Comment\n"
             "14.03.2024 08:30,6,after lunch\n"
             "20.03.2024 21:00,3,\n")


@pytest.fixture
def world(session_factory):
    return make_world(session_factory, ("a", "b", "linked"))


def _count(session_factory, model, *where) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _upload(client, data: bytes, name: str = "export.csv", **fields):
    form = {"file": (io.BytesIO(data), name), "format": "auto", **fields}
    return client.post("/import", data=form, content_type="multipart/form-data")


def _id(response) -> str:
    match = re.search(r"/import/([A-Za-z0-9_-]{43})", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def test_upload_preview_confirm_and_the_same_file_again(app, world, session_factory):
    client = app.test_client()
    login(client, world.emails["a"])
    page = client.get("/import")
    assert page.status_code == 200 and 'value="Europe/Oslo"' in page.get_data(as_text=True)

    upload_id = _id(_upload(client, FIXTURE.read_bytes()))
    html = client.get(f"/import/{upload_id}").get_data(as_text=True)
    assert (_text(html, "count-attacks"), _text(html, "count-new"),
            _text(html, "count-duplicates")) == ("9", "9", "0")
    assert "15 Jan 2024 to 2 Nov 2024" in html and "Migraine Buddy CSV export" in html
    assert 'name="location" value="2024-03-09"' in html  # Munich, to confirm
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 1

    done = client.post(f"/import/{upload_id}/confirm", data={"location": ["2024-03-09"]})
    assert done.status_code == 302 and done.headers["Location"].endswith("/dashboard")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "9 attacks added, 0 duplicates already in your diary skipped" in dashboard
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 10
    with session_factory() as s:
        firsts = sorted(s.scalars(select(LocationPeriod.starts_on)
                                  .where(LocationPeriod.patient_id == world.ids["a"])))
        assert firsts[0].isoformat() == "2024-01-15"  # home covers the imported days
        assert s.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "diary_imported")).startswith("9 attack(s) added")
    assert client.get(f"/import/{upload_id}").status_code == 404  # forgotten once done

    again = _id(_upload(client, FIXTURE.read_bytes()))
    html = client.get(f"/import/{again}").get_data(as_text=True)
    assert (_text(html, "count-new"), _text(html, "count-duplicates")) == ("0", "9")
    assert "already in your diary: skipped" in html
    client.post(f"/import/{again}/confirm")
    assert "0 attacks added, 9 duplicates" in client.get("/dashboard").get_data(as_text=True)
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 10


def test_a_file_with_a_bad_line_cannot_be_confirmed(app, world, session_factory):
    client = app.test_client()
    login(client, world.emails["a"])
    bad = b"started_at,intensity\n2024-03-01T08:00,7\n2024-03-05T08:00,eleven\n"
    upload_id = _id(_upload(client, bad))
    html = client.get(f"/import/{upload_id}").get_data(as_text=True)
    assert "Line 3, intensity" in html and 'id="confirm-form"' not in html
    response = client.post(f"/import/{upload_id}/confirm")
    assert response.status_code == 400 and "Line 3" in response.get_data(as_text=True)
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 1


def test_another_apps_csv_goes_through_the_mapping(app, world, session_factory):
    client = app.test_client()
    login(client, world.emails["a"])
    upload_id = _id(_upload(client, OTHER_APP.encode()))
    response = client.get(f"/import/{upload_id}")
    assert response.headers["Location"].endswith(f"/import/{upload_id}/mapping")
    html = client.get(f"/import/{upload_id}/mapping").get_data(as_text=True)
    assert '<option selected value="When">' in html or 'value="When" selected' in html
    assert "js/import.js" in html

    choices = {"start": "When", "intensity": "Pain", "notes": "Comment",
               "date_format": "%d.%m.%Y %H:%M", "timezone": "Europe/Oslo",
               "intensity_max": "10"}
    part = client.get(f"/import/{upload_id}/mapping", query_string={**choices, "partial": "1"})
    fragment = part.get_data(as_text=True)
    assert part.status_code == 200 and "<footer" not in fragment
    assert "2 attack(s) read" in fragment and "2024-03-14 08:30" in fragment
    wrong = client.get(f"/import/{upload_id}/mapping",
                       query_string={**choices, "date_format": "%m/%d/%Y %H:%M", "partial": "1"})
    assert "does not look like" in wrong.get_data(as_text=True)

    saved = client.post(f"/import/{upload_id}/mapping", data=choices)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(upload_id)
    html = client.get(f"/import/{upload_id}").get_data(as_text=True)
    assert _text(html, "count-new") == "2"
    client.post(f"/import/{upload_id}/confirm")
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 3


def test_cancel_forgets_the_file(app, world, session_factory):
    client = app.test_client()
    login(client, world.emails["a"])
    upload_id = _id(_upload(client, FIXTURE.read_bytes()))
    response = client.post(f"/import/{upload_id}/cancel")
    assert response.status_code == 302
    assert _count(session_factory, ImportUpload) == 0
    assert _count(session_factory, Attack, Attack.patient_id == world.ids["a"]) == 1


def test_only_the_owner_sees_an_upload(app, world, session_factory):
    owner = app.test_client()
    login(owner, world.emails["a"])
    upload_id = _id(_upload(owner, FIXTURE.read_bytes()))
    other = app.test_client()
    login(other, world.emails["b"])
    for method, url in (("GET", ""), ("POST", "/confirm"), ("POST", "/cancel"),
                        ("GET", "/mapping"), ("POST", "/mapping")):
        response = other.open(f"/import/{upload_id}{url}", method=method)
        assert response.status_code == 404, (method, url)
        assert "secret" not in response.get_data(as_text=True)
    clinician = app.test_client()
    login(clinician, world.emails["linked"])
    assert clinician.get(f"/import/{upload_id}").status_code == 403
    assert clinician.get("/import").status_code == 403
    anonymous = app.test_client().get(f"/import/{upload_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _count(session_factory, ImportUpload) == 1


def test_a_file_over_the_limit_is_refused_with_a_clear_message(settings, engine,
                                                                session_factory):
    from web import create_app

    small = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                  import_max_mb=1))
    app = create_app({"SETTINGS": small, "ENGINE": engine, "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    world = make_world(session_factory, ("a",))
    client = app.test_client()
    login(client, world.emails["a"])
    response = _upload(client, b"started_at\n" + b"2024-03-01T08:00\n" * 70_000)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.get_data(as_text=True)
    assert _count(session_factory, ImportUpload) == 0
    # under the limit, and above the site's 5 MB body cap for other requests: accepted
    big = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                import_max_mb=8))
    app = create_app({"SETTINGS": big, "ENGINE": engine, "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login(client, world.emails["a"])
    padding = b"started_at,notes\n" + b"2024-03-01T08:00," + b"x" * (6 * 2**20) + b"\n"
    assert _upload(client, padding).status_code == 302


def test_the_dashboard_says_the_history_pressure_is_arriving(app, world, session_factory):
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from weather.grid import get_or_create_cell
    from weather.models import FetchLog

    client = app.test_client()
    login(client, world.emails["a"])
    upload_id = _id(_upload(client, FIXTURE.read_bytes()))
    client.post(f"/import/{upload_id}/confirm")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    html = client.get("/dashboard").get_data(as_text=True)
    assert (f"Pressure for 15 Jan 2024 to {yesterday.day} {yesterday:%b %Y}: fetching (0%)"
            in html)

    failed = datetime.now(UTC).replace(microsecond=0)
    with session_factory.begin() as s:
        cell = get_or_create_cell(s, 59.91, 10.75, 0.1)
        s.add(FetchLog(started_at=failed, finished_at=failed, provider="open-meteo",
                       endpoint="archive", cell_ids=str(cell.id), status="error"))
    html = client.get("/dashboard").get_data(as_text=True)
    retry = (failed + timedelta(minutes=15)).astimezone(ZoneInfo("Europe/Oslo"))
    assert "the weather service could not be reached" in html
    assert f"{retry:%H:%M} (your time)" in html and "fetching" not in html
