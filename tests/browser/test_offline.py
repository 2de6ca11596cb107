"""Issue #15 point 5 in headless Chromium: the manifest is valid and its icons load, the
service worker registers at the root scope, the shell loads offline, and an attack logged
offline (on the offline page, or with the header's "Log attack now") is stored once after
going online, even when its first send reached the server but the answer was lost."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.browser.conftest import browser_settings, serve_app

pytestmark = pytest.mark.browser

PATIENT = "offline@example.org"
PASSWORD = "demo-password"  # conftest's Visit.login types this one
SAVED = "Saved on this phone, will be sent when you're online."
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app on 127.0.0.1 with one patient who has no attacks yet, and its engine."""
    from migrations.metadata import create_all
    from tracker.accounts.users import create_user
    from tracker.database import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path_factory.mktemp('offline') / 'offline.sqlite3'}"
    engine = make_engine(url)
    create_all(engine)
    with make_session_factory(engine).begin() as session:
        create_user(session, email=PATIENT, password=PASSWORD, role="patient",
                    name="Offline patient", timezone="Europe/Oslo", latitude=59.91,
                    longitude=10.75)
    with serve_app(browser_settings(url), engine) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture(scope="module")
def live_server(served) -> str:
    """conftest's visits go to this module's server."""
    return served[0]


def _stored(engine, client_id: str | None = None) -> list:
    from sqlalchemy.orm import Session

    from tracker.models import Attack, User

    with Session(engine) as s:
        patient = s.scalar(select(User).where(User.email == PATIENT))
        stmt = select(Attack).where(Attack.patient_id == patient.id)
        if client_id is not None:
            stmt = stmt.where(Attack.client_id == client_id)
        return list(s.scalars(stmt))


def _clear_attacks(engine) -> None:
    from sqlalchemy.orm import Session

    from tracker.models import Attack

    with Session(engine) as s, s.begin():
        s.query(Attack).delete()


def _queue(page) -> list[dict]:
    """The entries waiting in the page's IndexedDB queue."""
    return page.evaluate("() => self.mwQueue.entries()")


def _controlled(page) -> None:
    """Wait until the service worker is active and controls the page."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_is_valid_and_its_icons_load(visit):
    v = visit(PHONE)
    v.page.goto(v.base + "/login")
    href = v.page.get_attribute("link[rel=manifest]", "href")
    response = v.page.request.get(v.base + href)
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.body())
    for member in ("name", "short_name", "start_url", "scope", "display", "icons",
                   "theme_color", "background_color"):
        assert manifest.get(member), member
    assert manifest["display"] in ("standalone", "fullscreen", "minimal-ui")
    assert manifest["start_url"].startswith("/") and manifest["scope"] == "/"
    sizes = set()
    for icon in manifest["icons"]:
        got = v.page.request.get(v.base + icon["src"])
        assert got.ok, icon
        assert got.headers["content-type"].startswith(icon["type"]), icon
        if icon["type"] == "image/png":
            width, height = _png_size(got.body())
            assert f"{width}x{height}" == icon["sizes"], icon
            sizes.add(width)
    assert {192, 512} <= sizes  # what browsers ask of an installable app
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])


def test_the_service_worker_registers_and_the_shell_loads_offline(visit):
    v = visit(PHONE)
    v.login(PATIENT)
    response = v.page.request.get(v.base + "/sw.js")
    assert response.headers["service-worker-allowed"] == "/"
    csp = response.headers["content-security-policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    _controlled(v.page)
    scope = v.page.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == v.base + "/"
    v.context.set_offline(True)
    v.page.reload()
    assert v.page.locator("h1").inner_text() == "Log an attack"
    # the stylesheet came from the worker's copy: the button is styled (44 px tall at least)
    assert v.page.locator("#offline-log").bounding_box()["height"] >= 44
    v.page.goto(v.base + "/checkins")  # any page: the offline page stands in for it
    assert v.page.locator("h1").inner_text() == "Log an attack"
    assert "Not medical advice" in v.page.content()
    v.context.set_offline(False)
    v.page.goto(v.base + "/attacks")
    assert v.page.locator("h1").inner_text() != "Log an attack"  # pages come from the network


def test_an_attack_logged_offline_is_stored_once_when_online(visit, served):
    engine = served[1]
    _clear_attacks(engine)
    v = visit(PHONE)
    v.login(PATIENT)
    _controlled(v.page)
    v.context.set_offline(True)
    v.page.goto(v.base + "/attacks")  # offline: the offline page
    v.page.click("#offline-log")
    v.page.get_by_text(SAVED).first.wait_for()
    [entry] = _queue(v.page)
    assert entry["kind"] == "start" and len(entry["client_id"]) == 36
    v.page.click("text=It has ended")
    v.page.wait_for_function("() => self.mwQueue.entries().then(l => l.length === 2)")
    assert not _stored(engine)
    # The first send reaches the server, but its answer is lost on the way back.
    lost: list[str] = []

    def lose_answer(route) -> None:
        if not lost:
            route.fetch()  # the server stores the attack
            lost.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    v.page.route("**/offline/attacks", lose_answer)
    with v.page.expect_request("**/offline/attacks"):
        v.context.set_offline(False)  # the "online" event sends the queue
    v.page.evaluate("() => self.mwQueue.flush()")  # the round under way: wait for its end
    assert lost and len(_stored(engine, entry["client_id"])) == 1
    assert len(_queue(v.page)) == 2  # both wait: the start's answer never came
    v.page.evaluate("() => self.mwQueue.flush()")  # the retry
    assert _queue(v.page) == []
    [attack] = _stored(engine)
    assert attack.client_id == entry["client_id"] and attack.ended_at is not None
    v.errors[:] = [e for e in v.errors if "ERR_FAILED" not in e]  # the lost answer


def test_the_header_button_offline_keeps_the_attack_on_the_phone(visit, served):
    engine = served[1]
    _clear_attacks(engine)
    v = visit(PHONE)
    v.login(PATIENT)
    _controlled(v.page)
    v.page.goto(v.base + "/checkins")
    v.context.set_offline(True)
    v.page.click("form.log-now button")
    v.page.get_by_text(SAVED).first.wait_for()
    [entry] = _queue(v.page)
    assert entry["kind"] == "start"
    v.context.set_offline(False)
    v.page.get_by_text("Sent: what was saved on this phone is now in your diary.").wait_for()
    assert [a.client_id for a in _stored(engine)] == [entry["client_id"]]


def test_a_form_whose_send_fails_is_kept_by_the_service_worker(visit, served):
    """The phone thinks it is online (so the page sends the form), but the send fails."""
    engine = served[1]
    _clear_attacks(engine)
    v = visit(PHONE)
    v.login(PATIENT)
    _controlled(v.page)
    v.page.goto(v.base + "/checkins")
    v.context.set_offline(True)
    v.page.evaluate("() => Object.defineProperty(navigator, 'onLine', {get: () => true})")
    v.page.click("form.log-now button")
    v.page.wait_for_url("**/offline?saved=1")
    v.page.get_by_text(SAVED).first.wait_for()
    assert len(_queue(v.page)) == 1 and not _stored(engine)
    v.context.set_offline(False)
    v.page.get_by_text("Sent: what was saved on this phone is now in your diary.").wait_for()
    assert len(_stored(engine)) == 1
