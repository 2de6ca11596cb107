""""Download PDF": the report printed on the server by headless Chromium, with the same access
checks and audit entry as the report page; without Chromium the page offers the browser's
print and says so."""

from __future__ import annotations

import dataclasses
import io

import pytest

from tests.browser.conftest import chromium_path
from tests.web.conftest import login, make_world
from tracker.accounts.audit import events_for_patient
from tracker.models import User
from web.pdf import NO_PDF

pytestmark = pytest.mark.browser


def _app(settings, engine, chromium: str):
    from web import create_app

    settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                     chromium_path=chromium))
    return create_app({"SETTINGS": settings, "ENGINE": engine, "TESTING": True,
                       "WTF_CSRF_ENABLED": False})


@pytest.fixture
def world(session_factory):
    return make_world(session_factory, ("a", "b", "linked", "unlinked"))


def _pdf_views(session_factory, patient_id: int) -> list[tuple[int | None, str]]:
    with session_factory() as s:
        return [(e.actor_id, e.action) for e in events_for_patient(s, s.get(User, patient_id))
                if e.detail == "pdf"]


def test_the_linked_clinician_downloads_a_real_pdf_with_the_first_page(
        settings, engine, world, session_factory):
    from pypdf import PdfReader

    binary = chromium_path()
    if not binary:
        pytest.skip("no Chromium")
    client = _app(settings, engine, binary).test_client()
    login(client, world.emails["linked"])
    a = world.ids["a"]
    assert "Download PDF" in client.get(f"/patients/{a}/report").text
    got = client.get(f"/patients/{a}/report.pdf")
    assert got.status_code == 200, got.text[:500]
    assert got.mimetype == "application/pdf" and got.data.startswith(b"%PDF-")
    assert got.headers["Cache-Control"] == "no-store, private"
    assert f"migraine-weather-report-{a}.pdf" in got.headers["Content-Disposition"]
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages]
    assert "For the clinician: Person A" in pages[0]
    assert "Migraine days (MMD)" in pages[0] and "Caveats" in pages[0]
    # exactly one page: the full report starts on the second page
    assert "Report: Person A" not in pages[0] and "Report: Person A" in pages[1]
    assert "Not medical advice" in pages[-1]
    assert _pdf_views(session_factory, a) == [(world.ids["linked"], "view_report")]
    letter = client.get(f"/patients/{a}/report.pdf?paper=letter")
    box = PdfReader(io.BytesIO(letter.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    box = PdfReader(io.BytesIO(got.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


@pytest.mark.parametrize(("who", "status"), [("b", 404), ("unlinked", 404)])
def test_others_cannot_download_it_and_nothing_is_logged(settings, engine, world,
                                                         session_factory, who, status):
    client = _app(settings, engine, chromium_path() or "/usr/bin/chromium").test_client()
    login(client, world.emails[who])
    assert client.get(f"/patients/{world.ids['a']}/report.pdf").status_code == status
    assert _pdf_views(session_factory, world.ids["a"]) == []


@pytest.mark.parametrize("who", ["b", "unlinked"])
def test_without_chromium_others_still_get_not_found(settings, engine, world, tmp_path, who):
    """The access check comes before the fallback: no 302 that tells a patient exists."""
    client = _app(settings, engine, str(tmp_path / "no-chromium")).test_client()
    login(client, world.emails[who])
    assert client.get(f"/patients/{world.ids['a']}/report.pdf").status_code == 404


def test_without_chromium_the_page_falls_back_to_the_browsers_print(
        settings, engine, world, tmp_path):
    client = _app(settings, engine, str(tmp_path / "no-chromium")).test_client()
    login(client, world.emails["linked"])
    a = world.ids["a"]
    page = client.get(f"/patients/{a}/report").text
    assert "Download PDF" not in page and 'id="print-report"' in page
    assert NO_PDF in page
    back = client.get(f"/patients/{a}/report.pdf")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/patients/{a}/report")
    assert NO_PDF in client.get(back.headers["Location"]).text


def test_the_patient_prints_the_clinicians_page_that_their_screen_leaves_out(
        settings, engine, world, session_factory):
    from pypdf import PdfReader

    binary = chromium_path()
    if not binary:
        pytest.skip("no Chromium")
    client = _app(settings, engine, binary).test_client()
    login(client, world.emails["a"])
    a = world.ids["a"]
    assert 'class="doctor-page"' not in client.get(f"/patients/{a}/report").text
    got = client.get(f"/patients/{a}/report.pdf")
    assert got.status_code == 200
    first = PdfReader(io.BytesIO(got.data)).pages[0].extract_text()
    assert "For the clinician: Person A" in first
    assert _pdf_views(session_factory, a) == []  # the patient's own view is not logged


#: The first page's box in print: nothing may be cut off by its one-page limit.
FIRST_PAGE = r"""() => {
  const el = document.querySelector('.doctor-page');
  const next = el.nextElementSibling;
  return {scroll: el.scrollHeight, client: el.clientHeight,
          breakAfter: getComputedStyle(el).breakAfter, next: next && next.tagName};
}"""


def test_the_first_page_fits_one_page_for_a_demo_patient(visit):
    v = visit()
    v.login("clinician@demo.example")
    v.page.click("text=Demo patient 1 (Oslo)")
    v.charts_rendered()
    v.page.set_viewport_size({"width": 688, "height": 1000})  # A4 less the 14 mm margins
    v.page.emulate_media(media="print")
    found = v.page.evaluate(FIRST_PAGE)
    assert found["scroll"] <= found["client"], found
    assert found["breakAfter"] == "page" and found["next"] == "H1"
    v.page.emulate_media(media="screen")


@pytest.mark.parametrize("kind", ["fails", "hangs"])
def test_a_chromium_that_fails_or_hangs_falls_back_to_print(settings, engine, world, tmp_path,
                                                            kind):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n" + ("exit 3\n" if kind == "fails" else "sleep 60\n"))
    fake.chmod(0o755)
    settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                     pdf_timeout_seconds=5))
    client = _app(settings, engine, str(fake)).test_client()
    login(client, world.emails["linked"])
    a = world.ids["a"]
    assert "Download PDF" in client.get(f"/patients/{a}/report").text
    back = client.get(f"/patients/{a}/report.pdf")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/patients/{a}/report")
    assert NO_PDF in client.get(back.headers["Location"]).text
