"""Issue #16 on a 390 x 844 phone: a medication of the patient's list is picked in one tap on
the attack form (a 44 px chip; doses and "did it help?" appear under it), stored with the
attack, and added in one tap on the "log attack now" follow-up; nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

PATIENT = "patient2@demo.example"
WIDTH = "() => document.scrollingElement.scrollWidth"


def _fits(v) -> None:
    assert v.page.evaluate(WIDTH) <= PHONE["width"], v.page.url


def _add(v, name: str, drug_class: str) -> None:
    v.page.goto(v.base + "/medications")
    v.page.fill("input[name=name]", name)
    v.page.select_option("select#drug_class", drug_class)
    v.page.get_by_role("button", name="Add", exact=True).click()
    v.page.wait_for_load_state("load")


def test_pick_a_medication_in_one_tap_on_a_phone(visit):
    v = visit(viewport=PHONE, is_mobile=True, has_touch=True)
    v.login(PATIENT)
    _add(v, "Rizatriptan 10 mg", "triptan")
    _add(v, "Naproxen 500", "simple_analgesic")
    assert "Rizatriptan 10 mg" in v.page.content()
    _fits(v)

    v.page.goto(v.base + "/attacks")
    chip = v.page.locator("fieldset.medication-chips label.chip",
                          has_text="Rizatriptan 10 mg")
    box = chip.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    extra = chip.locator("xpath=following-sibling::div[contains(@class,'med-extra')]")
    assert not extra.is_visible()
    chip.tap()  # the one tap
    assert chip.locator("input").is_checked() and extra.is_visible()
    partly = extra.locator("label.chip", has_text="Partly")
    assert partly.bounding_box()["height"] >= 44
    partly.tap()
    _fits(v)
    v.page.get_by_role("button", name="Save attack").click()
    v.page.wait_for_load_state("load")
    edit = v.page.locator("a[href$='/edit']").first.get_attribute("href")
    v.page.goto(v.base + edit)
    checked = v.page.locator("fieldset.medication-chips input[name=medications]:checked")
    assert checked.count() == 1
    chosen = v.page.locator("fieldset.medication-chips label.chip",
                            has_text="Rizatriptan 10 mg")
    assert chosen.locator("input").is_checked()
    assert v.page.locator("input[type=radio][value=partly]:checked").count() == 1

    # "Log attack now" opens the ongoing attack's follow-up: one tap adds Ibuprofen
    with v.page.expect_navigation():
        v.page.locator("form.log-now button").click()
    button = v.page.locator("fieldset.medication-now button", has_text="Naproxen 500")
    assert button.bounding_box()["height"] >= 44
    with v.page.expect_navigation():
        button.tap()
    button = v.page.locator("fieldset.medication-now button", has_text="Naproxen 500")
    assert button.get_attribute("aria-pressed") == "true"
    assert v.page.get_by_text("Did Naproxen 500 help?").is_visible()
    _fits(v)
