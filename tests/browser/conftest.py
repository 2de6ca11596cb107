"""A live demo server on 127.0.0.1, headless Chromium (Debian's, driven by Playwright), and one
browser context per visit that records console errors and refuses the network."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

#: Charts on a demo patient's dashboard and report: calendar, pressure timeline, the periods'
#: bars and the weekly migraine days with practice minutes (issue #16).
DEMO_CHARTS = 4

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium (CHROMIUM_PATH, else on PATH)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def browser_settings(url: str, **sections):
    """Settings for a served test app on ``url``'s database (``sections`` replace others)."""
    import dataclasses

    from tracker.settings import Settings

    base = Settings()
    return dataclasses.replace(
        base, database=dataclasses.replace(base.database, url=url),
        web=dataclasses.replace(base.web, secret_key="browser-test"), **sections)


@contextmanager
def serve_app(settings, engine) -> Iterator[str]:
    """Serve the app on 127.0.0.1 in a thread; yields its base URL, stops it afterwards."""
    from web import create_app

    app = create_app({"SETTINGS": settings, "ENGINE": engine})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def demo_site(directory: Path) -> Iterator[tuple[str, object]]:
    """The app on a fresh SQLite database with the demo data: (base URL, engine)."""
    from migrations.runner import upgrade
    from tracker.database import make_engine, make_session_factory
    from tracker.demo import seed_demo

    url = f"sqlite:///{directory / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        seed_demo(session, password="demo-password")
    try:
        with serve_app(browser_settings(url), engine) as base:
            yield base, engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app on a fresh SQLite database with the demo data, served on 127.0.0.1."""
    with demo_site(tmp_path_factory.mktemp("browser")) as (base, _engine):
        yield base


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium; CI must have it (it fails there), elsewhere the tests skip."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


#: `make screenshots` refreshes the README's pictures; other runs write to a temporary folder.
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MW_SAVE_SCREENSHOTS") else Path(tempfile.mkdtemp(prefix="mw-shots-"))
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


class Visit:
    """One browser context: a page, its console errors, and every request it made."""

    def __init__(self, browser, base: str, viewport: dict, **kwargs) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, accept_downloads=True, **kwargs)
        self.requests: list[str] = []
        self.errors: list[str] = []
        # The network is off: anything not on 127.0.0.1 is refused (and recorded).
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console",
                     lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        if url.startswith(self.base + "/"):
            route.continue_()
        else:
            route.abort()

    def login(self, email: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", "demo-password")
        self.page.click("form button[type=submit]")
        self.page.wait_for_load_state("load")

    def charts_rendered(self) -> int:
        """Wait for every chart container to render and return how many there are."""
        self.page.wait_for_load_state("load")  # after a click, the new page is fully parsed
        boxes = self.page.locator("[data-chart]")
        count = boxes.count()
        for i in range(count):
            box = boxes.nth(i)
            box.locator("svg, canvas").first.wait_for(state="attached", timeout=15_000)
            assert box.get_attribute("data-rendered") == "true"
        return count

    def close(self) -> None:
        assert not self.errors, self.errors
        outside = [u for u in self.requests if not u.startswith(self.base + "/")]
        assert not outside, outside
        self.context.close()


@pytest.fixture
def visit(browser, live_server):
    opened: list[Visit] = []

    def make(viewport=DESKTOP, **kwargs) -> Visit:
        v = Visit(browser, live_server, viewport, **kwargs)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()
