"""Issue #15 point 5 without a browser: the service worker's headers, the offline page, the
CSP directives for workers and the manifest, and icons that match their drawing code."""

from __future__ import annotations

import json

from tests.web.conftest import login, make_world
from web import pwa_icons


def test_the_icons_in_the_repository_are_what_the_module_draws():
    for size in pwa_icons.SIZES:
        on_disk = (pwa_icons.ICONS / f"icon-{size}.png").read_bytes()
        assert on_disk == pwa_icons.draw(size), f"run python -m web.pwa_icons ({size})"


def test_the_worker_is_served_from_the_root_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert 'importScripts("/static/js/offline.js")' in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    assert "unsafe" not in csp


def test_the_offline_page_is_the_same_for_everyone(app, session_factory):
    world = make_world(session_factory, ("a",))
    anonymous = app.test_client().get("/offline").get_data(as_text=True)
    patient = app.test_client()
    login(patient, world.emails["a"])
    page = patient.get("/offline").get_data(as_text=True)
    assert page == anonymous  # nothing personal: the worker may keep it
    assert "Not medical advice" in page and 'id="offline-log"' in page
    assert "<script>" not in page  # no inline script under the CSP


def test_every_page_links_the_manifest_and_the_queue_script(app, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    patient, clinician = app.test_client(), app.test_client()
    login(patient, world.emails["a"])
    login(clinician, world.emails["linked"])
    mine = patient.get("/attacks").get_data(as_text=True)
    assert 'rel="manifest"' in mine and 'data-patient="1"' in mine
    assert 'data-patient="0"' in clinician.get("/patients").get_data(as_text=True)
    manifest = json.loads(app.test_client().get("/static/manifest.webmanifest").get_data())
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
