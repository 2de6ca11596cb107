"""Issue #15 on a phone (points 1, 2 and 4): every patient page fits 360 and 390 px without a
sideways scroll and every visible button is at least 44 x 44 px; an attack is logged in two
taps from the dashboard, ended, deleted after a confirmation and restored with Undo (checked
in the database); dark mode darkens the pages and the charts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import text

from tests.browser.conftest import DEMO_CHARTS, SHOTS, demo_site

pytestmark = pytest.mark.browser

PHONES = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
PHONE_IDS = ["360x740", "390x844"]
PATIENT = "patient1@demo.example"

#: Buttons and links that act as buttons; each visible one must be at least 44 x 44 px.
TAP_TARGETS = """() => {
  const sel = 'button, a.btn, a.btn-link, summary, input[type=submit], input[type=button], '
    + '[role=button], label.chip, header.top a';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') { continue; }
    if (r.width < 43.99 || r.height < 43.99) {
      small.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" `
        + `${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""

WIDTH = "() => document.scrollingElement.scrollWidth"
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The demo app on 127.0.0.1 (as conftest's live_server) and its engine, for DB checks."""
    with demo_site(tmp_path_factory.mktemp("phone")) as served:
        yield served


@pytest.fixture(scope="module")
def live_server(served) -> str:
    """conftest's visits go to this module's server."""
    return served[0]


@pytest.fixture
def live_db(served):
    """The live server's database engine."""
    return served[1]


def _patient_pages(v) -> list[str]:
    """Every page a patient reaches (their own report, edit, follow-up and confirm pages too)."""
    v.page.goto(v.base + "/attacks")
    attack = re.search(r"/attacks/(\d+)/edit", v.page.content()).group(1)
    v.page.goto(v.base + "/courses")
    course = re.search(r"/courses/(\d+)/edit", v.page.content()).group(1)
    v.page.goto(v.base + "/dashboard")
    report = v.page.locator("a", has_text="Full report").get_attribute("href")
    checkin = None
    v.page.goto(v.base + "/checkins")
    found = re.search(r"/checkins/(\d+)/delete", v.page.content())
    if found:
        checkin = found.group(1)
    pages = ["/dashboard", report, "/attacks", f"/attacks/{attack}/edit",
             f"/attacks/{attack}/now", f"/attacks/{attack}/delete", "/checkins", "/courses",
             f"/courses/{course}/edit", f"/courses/{course}/delete", "/locations", "/settings",
             "/sharing", "/audit", "/tokens", "/account/password", "/about", "/method"]
    if checkin:
        pages.append(f"/checkins/{checkin}/delete")
    return pages


def _check_page(v, path: str, viewport: dict) -> list[str]:
    v.page.goto(v.base + path)
    problems = []
    if v.page.locator("[data-chart]").count():
        v.charts_rendered()
    width = v.page.evaluate(WIDTH)
    if width > viewport["width"]:
        problems.append(f"{path}: {width} px wide")
    problems += [f"{path}: {p}" for p in v.page.evaluate(TAP_TARGETS)]
    menu = v.page.locator("details.nav-narrow > summary")
    if menu.is_visible():  # the menu's entries too
        menu.click()
        problems += [f"{path} (menu open): {p}" for p in v.page.evaluate(TAP_TARGETS)]
        if v.page.evaluate(WIDTH) > viewport["width"]:
            problems.append(f"{path}: the open menu makes the page wider")
    return problems


@pytest.mark.parametrize("viewport", PHONES, ids=PHONE_IDS)
def test_every_patient_page_fits_the_phone_with_big_enough_buttons(visit, viewport):
    v = visit(viewport=viewport, is_mobile=True, has_touch=True)
    v.login(PATIENT)
    problems = []
    for path in _patient_pages(v):
        problems += _check_page(v, path, viewport)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", PHONES, ids=PHONE_IDS)
def test_the_phone_header_is_compact_and_tables_are_cards(visit, viewport):
    v = visit(viewport=viewport, is_mobile=True, has_touch=True)
    v.login(PATIENT)
    v.page.goto(v.base + "/attacks")
    header = v.page.locator("header.top").bounding_box()
    assert header["height"] <= 64, header  # one row: name, "Log attack", "Menu"
    assert v.page.locator("header.top .nav-wide").is_hidden()
    assert v.page.locator("header.top .log-now button").inner_text() == "Log attack"
    menu = v.page.locator("details.nav-narrow")
    assert v.page.get_by_role("link", name="API tokens").count() == 0  # hidden in the menu
    menu.locator("summary").click()
    assert v.page.get_by_role("link", name="API tokens").is_visible()
    assert v.page.get_by_role("link", name="Access log").is_visible()
    row = v.page.locator("table.attacks tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    label = row.locator("td[data-label='Started']").evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert "Started" in label
    assert row.get_by_role("link", name=re.compile("^Delete")).is_visible()


def _ongoing(conn, patient_email: str) -> list[tuple]:
    return list(conn.execute(text(
        "SELECT a.id, a.intensity, a.ended_at, a.notes FROM attacks a JOIN users u "
        "ON u.id = a.patient_id WHERE u.email = :e ORDER BY a.started_at DESC LIMIT 1"),
        {"e": patient_email}))


def test_two_taps_log_an_attack_then_end_delete_and_undo(visit, live_db):
    email = "patient3@demo.example"
    v = visit(viewport=PHONES[1], is_mobile=True, has_touch=True)
    v.login(email)
    assert v.page.url.endswith("/dashboard")
    with live_db.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM attacks a JOIN users u ON "
                                  "u.id = a.patient_id WHERE u.email = :e"), {"e": email}).scalar()
    v.page.tap("header.top .log-now button")  # tap 1: stored as ongoing
    v.page.wait_for_url(re.compile(r"/attacks/\d+/now$"))
    attack_id = int(re.search(r"/attacks/(\d+)/now$", v.page.url).group(1))
    with live_db.connect() as conn:
        [(latest, intensity, ended, _)] = _ongoing(conn, email)
    assert (latest, intensity, ended) == (attack_id, None, None)
    with v.page.expect_navigation():
        v.page.tap("fieldset.scale button[value='6']")  # tap 2: its intensity
    assert v.page.locator("fieldset.scale button[aria-pressed=true]").inner_text() == "6"
    v.page.screenshot(path=str(SHOTS / "phone-log-attack.png"), full_page=False)
    with live_db.connect() as conn:
        assert _ongoing(conn, email)[0][:3] == (attack_id, 6, None)
        total = conn.execute(text("SELECT count(*) FROM attacks a JOIN users u ON "
                                  "u.id = a.patient_id WHERE u.email = :e"), {"e": email}).scalar()
    assert total == count + 1
    # It has ended
    with v.page.expect_navigation():
        v.page.tap("text=It has ended")
    assert "Attack ended" in v.page.inner_text("main")
    with live_db.connect() as conn:
        assert _ongoing(conn, email)[0][2] is not None
    # Delete asks first; "Keep it" keeps it
    with v.page.expect_navigation():
        v.page.tap("a.btn >> text=Delete")
    assert "Delete this attack?" in v.page.inner_text("h1")
    with v.page.expect_navigation():
        v.page.tap("text=Keep it")
    with live_db.connect() as conn:
        assert _ongoing(conn, email)[0][0] == attack_id
    v.page.goto(v.base + f"/attacks/{attack_id}/delete")
    with v.page.expect_navigation():
        v.page.tap("button.danger")
    assert "Attack deleted" in v.page.inner_text("h1")
    with live_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attacks WHERE id = :i"),
                            {"i": attack_id}).scalar() == 0
    # Undo on that page brings it back (a new row with the same fields)
    with v.page.expect_navigation():
        v.page.tap("button >> text=Undo")
    assert "Attack restored" in v.page.inner_text("main")
    with live_db.connect() as conn:
        rows = list(conn.execute(text(
            "SELECT a.intensity, a.ended_at IS NOT NULL FROM attacks a JOIN users u ON "
            "u.id = a.patient_id WHERE u.email = :e ORDER BY a.started_at DESC LIMIT 1"),
            {"e": email}))
        total = conn.execute(text("SELECT count(*) FROM attacks a JOIN users u ON "
                                  "u.id = a.patient_id WHERE u.email = :e"), {"e": email}).scalar()
    assert rows == [(6, True)] and total == count + 1


BACKGROUND = """() => {
  const rgb = c => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  return {bg: lum(rgb(getComputedStyle(document.body).backgroundColor)),
          fg: lum(rgb(getComputedStyle(document.body).color)),
          header: lum(rgb(getComputedStyle(document.querySelector('header.top')).backgroundColor))};
}"""

#: The luminance of each chart's axis and legend labels (light text on a dark page).
CHART_TEXT = """() => [...document.querySelectorAll('[data-chart] svg .role-axis-label text, '
    + '[data-chart] svg .role-legend-label text')].map(t => {
  const c = getComputedStyle(t).fill.match(/\\d+/g).map(Number);
  return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
})"""


def test_dark_mode_follows_the_phone_and_draws_the_charts_dark(visit):
    v = visit(viewport=PHONES[1], is_mobile=True, has_touch=True, color_scheme="dark")
    v.login(PATIENT)
    assert v.charts_rendered() == DEMO_CHARTS
    colours = v.page.evaluate(BACKGROUND)
    assert colours["bg"] < 0.15 and colours["header"] < 0.2 and colours["fg"] > 0.8, colours
    themes = v.page.evaluate(
        "[...document.querySelectorAll('[data-chart]')].map(c => c.dataset.theme)")
    assert themes == ["dark"] * DEMO_CHARTS
    labels = v.page.evaluate(CHART_TEXT)
    assert labels and min(labels) > 0.6, labels  # light chart text
    v.page.screenshot(path=str(SHOTS / "phone-dashboard-dark.png"), full_page=False)
    # the same phone in light mode draws dark chart text on a light page
    v.page.emulate_media(color_scheme="light")
    assert v.charts_rendered() == DEMO_CHARTS
    v.page.wait_for_function("[...document.querySelectorAll('[data-chart]')]"
                             ".every(c => c.dataset.theme === 'light')")
    assert v.page.evaluate(BACKGROUND)["bg"] > 0.9
    assert max(v.page.evaluate(CHART_TEXT)) < 0.5


def test_the_device_choice_overrides_the_phone(visit):
    v = visit(viewport=PHONES[0], is_mobile=True, has_touch=True, color_scheme="light")
    v.login(PATIENT)
    assert v.charts_rendered() == DEMO_CHARTS
    control = Environment(loader=FileSystemLoader(TEMPLATES)).get_template(
        "_appearance.html").render()
    # the settings page includes the control; here it is added to the dashboard, where the
    # charts show that a change is applied at once
    v.page.evaluate("html => document.querySelector('main').insertAdjacentHTML('beforeend', html)",
                    control)
    v.page.evaluate("document.querySelector('.appearance').hidden = false")
    v.page.check("input[name=mw-theme][value=dark]")
    v.page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every(c => "
                             "c.dataset.theme === 'dark' && c.dataset.rendered === 'true')")
    assert v.page.evaluate(BACKGROUND)["bg"] < 0.15
    assert v.page.evaluate("localStorage.getItem('mw-theme')") == "dark"
    v.page.goto(v.base + "/attacks")  # kept on this device, applied before drawing
    assert v.page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert v.page.evaluate(BACKGROUND)["bg"] < 0.15
    v.page.evaluate("localStorage.setItem('mw-theme', 'light')")
    v.page.emulate_media(color_scheme="dark")
    v.page.reload()
    assert v.page.evaluate(BACKGROUND)["bg"] > 0.9  # the choice wins over the phone
    v.page.evaluate("localStorage.removeItem('mw-theme')")
    v.page.reload()
    assert v.page.evaluate(BACKGROUND)["bg"] < 0.15  # follow the phone again

