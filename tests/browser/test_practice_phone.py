"""Issue #16 on a 390 x 844 phone: the practice page saves an entry and shows the calm
7-day count, trigger chips (turned on in settings) are 44 px targets that toggle in one tap
and are stored with the attack, the dashboard draws the practice chart, and nothing scrolls
sideways."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

PATIENT = "patient1@demo.example"
WIDTH = "() => document.scrollingElement.scrollWidth"


def _fits(v) -> None:
    assert v.page.evaluate(WIDTH) <= PHONE["width"], v.page.url


def test_practice_page_and_trigger_chips_on_a_phone(visit):
    v = visit(viewport=PHONE, is_mobile=True, has_touch=True)
    v.login(PATIENT)
    v.page.goto(v.base + "/practice")
    _fits(v)
    v.page.fill("input[name=somatic_tracking_minutes]", "12")
    v.page.fill("input[name=weather_worry]", "3")
    v.page.get_by_role("button", name="Save practice").click()
    v.page.wait_for_load_state("load")
    assert re.search(r"Practised [1-7] of the last 7 days\.", v.page.content())
    assert "12 min, weather worry 3/10" in v.page.content()
    _fits(v)

    v.page.goto(v.base + "/settings")
    if not v.page.locator("input[name=tracks_triggers]").is_checked():  # the demo may have it
        v.page.locator("label.chip", has_text="What may have set off").click()
    v.page.get_by_role("button", name="Save these options").click()
    v.page.wait_for_load_state("load")
    v.page.goto(v.base + "/attacks")
    chips = v.page.locator("fieldset.triggers label.chip")
    assert chips.count() == 8
    for i in range(chips.count()):
        box = chips.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
    weather = chips.filter(has_text="Weather")
    weather.tap()
    assert weather.locator("input").is_checked()
    chips.filter(has_text="Stress").tap()
    _fits(v)
    v.page.get_by_role("button", name="Save attack").click()
    v.page.wait_for_load_state("load")
    edit = v.page.locator("a[href$='/edit']").first.get_attribute("href")
    v.page.goto(v.base + edit)
    checked = v.page.locator("fieldset.triggers input:checked")
    assert sorted(checked.evaluate_all("els => els.map(e => e.value)")) == ["stress", "weather"]
    _fits(v)

    v.page.goto(v.base + "/dashboard")
    assert v.page.locator("[data-chart='spec-practice']").count() == 1
    v.charts_rendered()
    assert re.search(r"Practised [1-7] of the last 7 days\.", v.page.content())
    _fits(v)
