"""The questionnaire on a phone (390 x 844): every item on one screen without sideways
scrolling, choices at least 44 px high, answered in taps and stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.browser.conftest import PHONE, Visit, browser_settings, serve_app

pytestmark = pytest.mark.browser
EMAIL = "due@example.org"


@pytest.fixture(scope="module")
def due_server(tmp_path_factory) -> Iterator[str]:
    """The app on SQLite with one patient whose course starts in three days (baseline open)."""
    from migrations.runner import upgrade
    from tracker.accounts.users import create_user
    from tracker.database import make_engine, make_session_factory
    from tracker.diary.courses import record_course
    from tracker.diary.profile import local_today

    url = f"sqlite:///{tmp_path_factory.mktemp('questionnaire') / 'q.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        patient = create_user(session, email=EMAIL, password="demo-password", role="patient",
                              name="Due Patient", timezone="Europe/Oslo", latitude=59.91,
                              longitude=10.75)
        start = local_today("Europe/Oslo") + timedelta(days=3)
        record_course(session, patient, started_on=start, ended_on=start + timedelta(days=56))
    with serve_app(browser_settings(url), engine) as base:
        yield base
    engine.dispose()


#: Sizes of the choices and how far the page reaches sideways.
MEASURE = r"""() => ({
  heights: [...document.querySelectorAll('.q-choice')].map(c => c.getBoundingClientRect().height),
  widths: [...document.querySelectorAll('.q-choice')].map(c => c.getBoundingClientRect().width),
  scrollWidth: document.documentElement.scrollWidth,
  fieldsets: document.querySelectorAll('fieldset.q-item').length,
})"""


def test_the_questionnaire_is_answered_on_a_phone(browser, due_server):
    v = Visit(browser, due_server, PHONE, is_mobile=True, has_touch=True)
    try:
        v.login(EMAIL)
        v.page.goto(due_server + "/dashboard")
        assert v.page.get_by_text("A short questionnaire is due").is_visible()
        v.page.click("text=GAD-7")
        v.page.wait_for_load_state("load")
        found = v.page.evaluate(MEASURE)
        assert found["fieldsets"] == 7 and len(found["heights"]) == 28
        assert min(found["heights"]) >= 44 and min(found["widths"]) >= 44, found
        assert found["scrollWidth"] <= PHONE["width"], found
        for n in range(7):
            v.page.locator("fieldset.q-item").nth(n).locator(".q-choice").nth(n % 4).tap()
        v.page.click("form.questionnaire button[type=submit]")
        v.page.wait_for_load_state("load")
        # answers 0,1,2,3,0,1,2 -> 9: the top of the mild band
        assert v.page.get_by_text("score 9, Mild anxiety").is_visible()
        assert v.page.get_by_text("Questionnaire answered").is_visible()
    finally:
        v.close()
