"""Issue #15 point 3 in headless Chromium: with "Keep me logged in" (ticked by default) the
login survives closing the browser: a new browser context that gets only the persistent
cookies of the first is still logged in; unticked, it is not."""

from __future__ import annotations

import pytest

from tests.browser.test_offline import PASSWORD, PATIENT, PHONE, live_server, served

pytestmark = pytest.mark.browser
__all__ = ["live_server", "served"]  # this module's server: the offline tests' one


def _reopened(v):
    """A new context (the browser restarted) holding only the cookies that outlive it."""
    kept = [c for c in v.context.cookies() if c["expires"] > 0]
    context = v.context.browser.new_context(viewport=PHONE)
    context.add_cookies(kept)
    return context, kept


def _log_in(v, tick: bool | None) -> None:
    v.page.goto(v.base + "/login")
    box = v.page.locator("input[name=remember]")
    assert box.is_checked()  # ticked by default
    if tick is False:
        box.uncheck()
    v.page.fill("input[name=email]", PATIENT)
    v.page.fill("input[name=password]", PASSWORD)
    v.page.click("form button[type=submit]")
    v.page.wait_for_load_state("load")


def test_closing_the_browser_keeps_the_login(visit):
    v = visit(PHONE)
    _log_in(v, tick=None)
    context, kept = _reopened(v)
    assert {c["name"] for c in kept} >= {"session", "remember_token"}
    try:
        page = context.new_page()
        page.goto(v.base + "/attacks")
        assert "/login" not in page.url
        assert page.locator("h1").first.inner_text() != "Log in"
    finally:
        context.close()


def test_without_the_box_closing_the_browser_logs_out(visit):
    v = visit(PHONE)
    _log_in(v, tick=False)
    context, kept = _reopened(v)
    assert not {c["name"] for c in kept} & {"session", "remember_token"}
    try:
        page = context.new_page()
        page.goto(v.base + "/attacks")
        assert "/login" in page.url
    finally:
        context.close()
