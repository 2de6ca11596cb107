"""The town search in a real browser (issue 14, point 3): register on a phone by typing a
town's name and picking it; pick with the keyboard on the locations page; without JavaScript
the form is typed as before."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, SHOTS

pytestmark = pytest.mark.browser

OPTIONS = "#place-results [role=option]"


def test_register_on_a_phone_by_town_name(visit):
    v = visit(viewport=PHONE, is_mobile=True, has_touch=True, timezone_id="America/Chicago")
    page = v.page
    page.goto(v.base + "/register")
    assert page.input_value("#timezone") == "America/Chicago"  # the browser's own zone
    page.fill("#name", "Kari")
    page.fill("#email", "kari.tromso@demo.example")
    page.fill("#password", "demo-password")
    search = page.locator("#place-query")
    assert search.is_visible()
    search.press_sequentially("tromso", delay=30)
    first = page.locator(OPTIONS).first
    first.wait_for()
    assert first.inner_text().startswith("Tromsø, Norway")
    assert search.get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(SHOTS / "phone-register-town-results.png"))
    first.tap()
    assert page.locator(OPTIONS).count() == 0
    assert page.input_value("#latitude") == "69.6489"
    assert page.input_value("#longitude") == "18.95508"
    assert page.input_value("#timezone") == "Europe/Oslo"
    assert page.input_value("#place-query") == "Tromsø, Norway"
    assert "Europe/Oslo" in page.locator(".place-status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "phone-register-town.png"), full_page=True)
    page.click("form button[type=submit]")
    page.wait_for_url("**/login")
    assert "If this email address had no account" in page.inner_text("main")

    v.login("kari.tromso@demo.example")
    page.goto(v.base + "/settings")
    assert page.input_value("#timezone") == "Europe/Oslo"
    page.goto(v.base + "/locations")
    home = page.locator("table tbody tr").first.inner_text()
    for expected in ("home", "69.6489", "18.9551", "Europe/Oslo"):
        assert expected in home, home


def test_pick_with_the_keyboard_on_the_locations_page(visit):
    v = visit()
    v.login("patient1@demo.example")
    page = v.page
    page.goto(v.base + "/locations")
    before = page.locator("table tbody tr").count()
    page.fill("#label", "")
    page.locator("#place-query").press_sequentially("cologne", delay=30)
    page.locator(OPTIONS).first.wait_for()
    assert "also called Cologne" in page.locator(OPTIONS).first.inner_text()
    page.keyboard.press("ArrowDown")
    assert page.locator(OPTIONS).first.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")  # picks; the search box never submits the form
    assert page.url.endswith("/locations")
    assert page.input_value("#label") == "Köln"
    assert page.input_value("#timezone") == "Europe/Berlin"
    assert float(page.input_value("#latitude")) == pytest.approx(50.93, abs=0.01)
    page.fill("#longitude", "6.96")  # typing coordinates still works
    page.click("form:has(#label) button[type=submit]")
    page.wait_for_load_state("load")
    assert page.locator("table tbody tr").count() == before + 1
    assert "Köln" in page.locator("table tbody").inner_text()
    assert "6.9600" in page.locator("table tbody").inner_text()


def test_without_javascript_the_form_is_typed(visit):
    v = visit(viewport=PHONE, java_script_enabled=False)
    page = v.page
    page.goto(v.base + "/register")
    assert not page.locator("#place-query").is_visible()
    assert page.input_value("#timezone") == ""
    page.fill("#email", "nojs@demo.example")
    page.fill("#password", "demo-password")
    page.fill("#timezone", "Europe/Oslo")
    page.fill("#latitude", "60.39")
    page.fill("#longitude", "5.32")
    page.click("form button[type=submit]")
    page.wait_for_url("**/login")
    assert "If this email address had no account" in page.inner_text("main")
