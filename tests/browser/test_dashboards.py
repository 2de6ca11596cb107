"""Dashboards in a real browser: every chart renders, no console errors, nothing leaves
127.0.0.1 (the network is cut for everything else), prints, downloads; screenshots kept."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import DEMO_CHARTS, PHONE, SHOTS

pytestmark = pytest.mark.browser


def test_patient_dashboard_renders_every_chart(visit):
    v = visit()
    v.login("patient1@demo.example")
    assert v.page.url.endswith("/dashboard")
    assert v.charts_rendered() == DEMO_CHARTS
    text = v.page.inner_text("main")
    assert "weather-linked" in text.lower() and "times as often on pressure-fall days" in text
    assert "95% CI" not in text and "p = " not in text  # statistics stay in the clinician's report
    assert "Not medical advice" in v.page.inner_text("footer")
    for word in ("danger", "alarm", "warning!"):
        assert word not in text.lower()
    # The timeline zooms to one period: its x axis then starts at the follow-up.
    v.page.click("p.zoom >> text=after")
    assert v.charts_rendered() == DEMO_CHARTS
    assert "zoom=followup" in v.page.url
    assert v.page.locator("p.zoom strong").inner_text() == "after"
    # Each chart has its numbers in text too.
    assert v.page.locator("table.alt-table").count() >= 1
    v.page.screenshot(path=str(SHOTS / "patient-dashboard.png"), full_page=True)


def test_patient_logs_attacks_from_a_phone(visit):
    v = visit(viewport=PHONE, is_mobile=True, has_touch=True)
    v.login("patient3@demo.example")
    v.page.goto(v.base + "/attacks")
    for hour in ("07", "08", "09"):
        v.page.fill("input[name=started_at]", f"2026-01-1{hour[-1]}T{hour}:15")
        v.page.fill("input[name=intensity]", "5")
        v.page.click("form.quick button[type=submit]")
        assert "Attack saved" in v.page.inner_text("main")
    assert v.page.locator("text=2026-01-19 09:15").count() == 1
    width = v.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"
    v.page.screenshot(path=str(SHOTS / "phone-attack-log.png"), full_page=False)


def test_clinician_list_report_print_and_download(visit, tmp_path):
    v = visit()
    v.login("clinician@demo.example")
    assert v.page.url.endswith("/patients")
    rows = v.page.locator("table.patients tbody tr")
    assert rows.count() == 3
    summaries = [rows.nth(i).locator("td.verdict-cell").inner_text() for i in range(3)]
    assert summaries == ["weather link weakened", "weather link not settled",
                         "weather link not settled"]
    v.page.screenshot(path=str(SHOTS / "clinician-patients.png"), full_page=True)
    v.page.click("text=MMD after")  # sortable
    first = v.page.locator("table.patients tbody tr").first.locator("th").inner_text()
    assert "patient 2" in first

    v.page.goto(v.base + "/patients")
    v.page.click("text=Demo patient 1 (Oslo)")
    assert v.charts_rendered() == DEMO_CHARTS
    assert v.page.locator("table.stats").count() == 4  # periods, comparison, two clinical
    v.page.screenshot(path=str(SHOTS / "clinician-report.png"), full_page=True)

    v.page.emulate_media(media="print")
    assert v.page.locator("header.top nav").is_hidden()
    for paper in ("A4", "Letter"):
        pdf = v.page.pdf(format=paper, print_background=False)
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    v.page.emulate_media(media="screen")

    with v.page.expect_download() as info:
        v.page.click("text=Daily table (CSV)")
    saved = tmp_path / "daily.csv"
    info.value.save_as(saved)
    table = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert len(table) >= 260 and {"date", "classification", "window"} <= set(table[0])


def test_cohort_page_draws_the_forest_plot(visit):
    v = visit()
    v.login("clinician@demo.example")
    v.page.goto(v.base + "/cohort")
    assert v.charts_rendered() == 1
    assert "50% responders" in v.page.inner_text("main")
    v.page.screenshot(path=str(SHOTS / "clinician-cohort.png"), full_page=True)
