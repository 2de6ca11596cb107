"""Printing the report and the dashboard on A4 and Letter (issue #13): every chart is drawn
within the printed page, the bar chart's "After" label reaches the PDF, no page is blank."""

from __future__ import annotations

import io

import pytest

from tests.browser.conftest import DEMO_CHARTS

pytestmark = pytest.mark.browser

#: Paper widths in CSS px (96 per inch) and the @page margin of dashboard.css (14 mm).
PAPERS = {"A4": 210 / 25.4 * 96, "Letter": 8.5 * 96}
MARGIN_PX = 14 / 25.4 * 96

#: Right edge of every chart's drawing, and how often "After" is in page text and in charts.
MEASURE = r"""() => {
  const boxes = [...document.querySelectorAll('[data-chart]')];
  const rights = boxes.map(b => {
    const el = b.querySelector('svg, canvas');
    return el ? el.getBoundingClientRect().right : Infinity;
  });
  const svgAfter = [...document.querySelectorAll('[data-chart] svg text')]
    .filter(t => t.textContent.trim() === 'After').length;
  const count = text => text.split(/\s+/).filter(w => w.replace(/[.,:;()]/g, '') === 'After')
    .length;
  const inCharts = boxes.map(b => count(b.innerText)).reduce((a, b) => a + b, 0);
  return {rights, svgAfter, textAfter: count(document.body.innerText) - inCharts};
}"""


def _pdf_pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _print_checks(v, paper: str) -> None:
    """Print ``v.page`` on ``paper`` and check the charts, the PDF text and blank pages."""
    # with print media emulated, the viewport stands for the page's content box
    content = int(PAPERS[paper] - 2 * MARGIN_PX)
    v.page.set_viewport_size({"width": content, "height": 1100})
    v.page.emulate_media(media="print")
    v.page.wait_for_selector("html[data-print-ready=true]", timeout=15_000)
    found = v.page.evaluate(MEASURE)
    assert found["rights"] and all(r <= content for r in found["rights"]), (paper, found)
    assert found["svgAfter"] >= 1, "the bar chart has no 'After' label"
    pdf = v.page.pdf(format=paper, print_background=False)
    pages = _pdf_pages(pdf)
    assert all(text.strip() for text in pages), f"blank page on {paper}: {len(pages)} pages"
    text = "\n".join(pages)
    # every "After" of the charts is in the PDF, beside those of the tables and sentences
    in_pdf = sum(1 for w in text.split() if w.strip(".,:;()") == "After")
    assert in_pdf >= found["textAfter"] + found["svgAfter"], (paper, in_pdf, found)
    assert "Not medical advice" in text
    v.page.emulate_media(media="screen")


@pytest.mark.parametrize("paper", list(PAPERS))
def test_the_report_prints_within_the_page(visit, paper):
    v = visit()
    v.login("clinician@demo.example")
    v.page.click("text=Demo patient 1 (Oslo)")
    assert v.charts_rendered() == DEMO_CHARTS
    _print_checks(v, paper)


@pytest.mark.parametrize("paper", list(PAPERS))
def test_the_dashboard_prints_within_the_page(visit, paper):
    v = visit()
    v.login("patient1@demo.example")
    assert v.charts_rendered() == DEMO_CHARTS
    _print_checks(v, paper)
