"""A live demo server on 127.0.0.1 and headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium (CHROMIUM_PATH, else on PATH)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app on a fresh SQLite database with the demo data, served on 127.0.0.1."""
    import dataclasses

    from migrations.runner import upgrade
    from tracker.database import make_engine, make_session_factory
    from tracker.demo import seed_demo
    from tracker.settings import Settings
    from web import create_app

    db = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        seed_demo(session, password="demo-password")
    base = Settings()
    settings = dataclasses.replace(
        base, database=dataclasses.replace(base.database, url=url),
        web=dataclasses.replace(base.web, secret_key="browser-test"),
    )
    app = create_app({"SETTINGS": settings, "ENGINE": engine})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    engine.dispose()


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
