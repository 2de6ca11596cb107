"""Layouts of issue #13 in a real browser: the clinician's list fits 1280 px and turns into
cards on a phone; a phone's pressure timeline is a daily bar chart with its whole title; the
calendar has month labels and the periods marked."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DEMO_CHARTS, PHONE, SHOTS

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 800}

#: Where the chart's title text and its drawing sit, in page coordinates.
TITLE_BOX = """sel => {
  const box = document.querySelector(sel);
  const svg = box.querySelector('svg');
  const title = [...svg.querySelectorAll('.role-title-text text, .role-title text')];
  const lines = title.flatMap(t => t.querySelectorAll('tspan').length
    ? [...t.querySelectorAll('tspan')] : [t]);
  const r = b => { const q = b.getBoundingClientRect();
    return {left: q.left, right: q.right, top: q.top, bottom: q.bottom}; };
  return {box: r(box), svg: r(svg), titles: lines.map(r),
          lines: lines.map(t => t.textContent),
          bars: svg.querySelectorAll('.mark-rect path, .mark-rect rect').length,
          lineMarks: svg.querySelectorAll('.mark-line path').length,
          variant: box.getAttribute('data-variant')};
}"""


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "390"])
def test_the_clinician_list_fits_without_cut_columns(visit, viewport):
    v = visit(viewport=viewport)
    v.login("clinician@demo.example")
    assert v.page.url.endswith("/patients")
    widths = v.page.evaluate("""() => ({
      table: document.querySelector('table.patients').scrollWidth,
      scroller: document.querySelector('.table-scroll').clientWidth,
      page: document.documentElement.scrollWidth})""")
    assert widths["table"] <= viewport["width"], widths
    assert widths["table"] <= widths["scroller"], widths  # nothing hidden in a side scroll
    assert widths["page"] <= viewport["width"], widths
    first = v.page.locator("table.patients tbody tr").first
    assert "of 84 days" in first.inner_text() and "PRT" in first.inner_text()
    display = first.evaluate("tr => getComputedStyle(tr).display")
    assert display == ("block" if viewport is PHONE else "table-row")
    if viewport is PHONE:
        label = first.locator("td[data-label='Course']").evaluate(
            "td => getComputedStyle(td, '::before').content")
        assert "Course" in label
        v.page.screenshot(path=str(SHOTS / "phone-clinician-patients.png"), full_page=True)


def test_a_phone_draws_daily_falls_with_the_whole_title(visit):
    v = visit(viewport=PHONE, is_mobile=True, has_touch=True)
    v.login("patient1@demo.example")
    assert v.charts_rendered() == DEMO_CHARTS
    found = v.page.evaluate(TITLE_BOX, "[data-chart='spec-pressure']")
    assert found["variant"] == "narrow"
    assert found["bars"] > 200 and found["lineMarks"] == 0, found  # a day a bar, no hours
    assert len(found["titles"]) == 2, found["lines"]
    for t in found["titles"]:
        assert found["box"]["left"] <= t["left"] and t["right"] <= found["box"]["right"], found
        assert found["svg"]["top"] <= t["top"], found
    assert v.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    v.page.screenshot(path=str(SHOTS / "phone-dashboard.png"), full_page=False)


def test_the_desktop_timeline_stays_hourly_and_the_calendar_is_labelled(visit):
    v = visit(viewport=WIDE)
    v.login("patient1@demo.example")
    assert v.charts_rendered() == DEMO_CHARTS
    found = v.page.evaluate(TITLE_BOX, "[data-chart='spec-pressure']")
    assert found["variant"] == "wide" and found["lineMarks"] >= 1
    texts = v.page.evaluate("""[...document.querySelectorAll(
        "[data-chart='spec-calendar'] svg text")].map(t => t.textContent)""")
    months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec"}
    assert len(months & set(texts)) >= 6, texts
    for label in ("Before", "Course", "After", "Period"):
        assert label in texts, texts
