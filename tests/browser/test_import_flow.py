"""Issue #14's "done when", on a phone: register by town name, import the Migraine Buddy
fixture (preview, counts, duplicates skipped the second time), and see the dashboard's
analysis once the fill-history job has fetched the history's pressure from a fake archive."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, SHOTS, browser_settings, serve_app
from tests.fakes.open_meteo import FakeOpenMeteo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "migraine_buddy.csv"
EMAIL = "importer@example.org"
PASSWORD = "long enough password"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenMeteo]:
    server = FakeOpenMeteo().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, fake):
    """The app on an empty database, and the settings the jobs use (the fake archive)."""
    from migrations.runner import upgrade
    from tracker.database import make_engine
    from tracker.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('import') / 'app.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    weather = Settings().weather
    om = dataclasses.replace(weather.open_meteo, forecast_url=f"{fake.base_url}/v1/forecast",
                             archive_url=f"{fake.base_url}/v1/archive", backoff_seconds=0.0)
    settings = browser_settings(url, weather=dataclasses.replace(weather, open_meteo=om))
    with serve_app(settings, engine) as base:
        yield {"base": base, "settings": settings, "engine": engine}
    engine.dispose()


@pytest.fixture(scope="module")
def live_server(site) -> str:
    """The conftest's visits go to this module's server."""
    return site["base"]


def _fill_history(site) -> str:
    """Run the fill-history job once, as the scheduler would."""
    from jobs.context import build_context
    from jobs.tasks import run_job

    ctx = build_context(site["settings"], site["engine"])
    try:
        return run_job(ctx, "fill-history").status
    finally:
        ctx.close()


def _upload(page, base: str, path: Path) -> None:
    page.goto(base + "/import")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-summary")


def test_import_on_a_phone(visit, site, tmp_path):
    from playwright.sync_api import expect

    v = visit(PHONE)
    page, base = v.page, site["base"]

    # Register by town name: the search fills the coordinates and the timezone.
    page.goto(base + "/register")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.fill("#place-query", "Berlin")
    page.locator(".place-option").first.click()
    assert page.input_value("input[name=timezone]") == "Europe/Berlin"
    assert page.input_value("input[name=latitude]").startswith("52.5")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(base + "/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")

    # Upload, preview with its counts and the places found, confirm.
    _upload(page, base, FIXTURE)
    assert page.inner_text("#count-attacks") == "9"
    assert (page.inner_text("#count-new"), page.inner_text("#count-duplicates")) == ("9", "0")
    assert "15 Jan 2024 to 2 Nov 2024" in page.inner_text("#import-summary")
    assert page.locator("input[name=location]").count() >= 2  # Munich, New York, ...
    assert page.locator("table.import-rows tbody tr").count() == 9
    page.screenshot(path=str(SHOTS / "phone-import-preview.png"))
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "9 attacks added, 0 duplicates" in page.inner_text(".flash")
    history = page.inner_text("#history-pressure")
    assert "Pressure for 15 Jan 2024 to" in history and "fetching (0%)" in history

    # The same file again: every attack is a duplicate, nothing is added.
    _upload(page, base, FIXTURE)
    assert (page.inner_text("#count-new"), page.inner_text("#count-duplicates")) == ("0", "9")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert "0 attacks added, 9 duplicates" in page.inner_text(".flash")

    # Another app's file: the first rows follow the chosen date format (import.js).
    other = tmp_path / "other.csv"
    other.write_text("When,Pain\n03/04/2024 08:30,6\n", encoding="utf-8")
    page.goto(base + "/import")
    page.set_input_files("input[name=file]", str(other))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#mapping-form")
    page.select_option("select[name=date_format]", "%d/%m/%Y %H:%M")
    expect(page.locator("#import-rows")).to_contain_text("2024-04-03 08:30")
    page.select_option("select[name=date_format]", "%m/%d/%Y %H:%M")
    expect(page.locator("#import-rows")).to_contain_text("2024-03-04 08:30")
    page.click("text=Cancel the import")
    page.wait_for_url(re.compile(r"/import$"))

    # A course after the history, then the scheduler's quick fill of the history's pressure.
    page.goto(base + "/courses")
    page.fill("input[name=started_on]", "2024-11-10")
    page.fill("input[name=ended_on]", "2025-01-05")
    page.click("main form button:has-text('Save course')")
    page.wait_for_load_state("load")
    assert _fill_history(site) == "ok"

    page.goto(base + "/dashboard")
    assert page.locator("#history-pressure").count() == 0
    assert v.charts_rendered() >= 3
    body = page.inner_text("main")
    assert "Not medical advice" in page.inner_text("footer")
    assert "Open-Meteo" in page.inner_text("footer")  # the fake archive's data is shown
    baseline = page.locator("table.alt-table tbody tr").first.inner_text()
    assert baseline.split()[-1] == "84", baseline  # the imported baseline's diary days
    assert "migraine" in body.lower()
