"""Issue #13 on pages: patients see one weather-sensitivity figure in words (A3), clinicians
keep the statistics with a "how to read" line, and the clinician's list shows the course."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.web.conftest import login
from tracker.demo import seed_demo
from tracker.models import User

PASSWORD = "demo-password"


@pytest.fixture
def demo(session_factory) -> dict[str, int]:
    """The demo data (three patients with a course and a clinician): email -> user id."""
    with session_factory.begin() as session:
        seed_demo(session, password=PASSWORD)
        return {u.email: u.id for u in session.scalars(select(User))}


def _text(html: str) -> str:
    """The visible text of a page (scripts and tags removed, whitespace collapsed)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_patient_pages_say_the_sensitivity_in_words_without_jargon(client, demo):
    login(client, "patient1@demo.example", PASSWORD)
    own = demo["patient1@demo.example"]
    for url in ("/dashboard", f"/patients/{own}/report"):
        text = _text(client.get(url).get_data(as_text=True))
        assert re.search(r"Attacks began [\d.]+ times as often on pressure-fall days as on "
                         r"other days before the course, [\d.]+ times after\.", text), url
        assert re.search(r"the data fit anything from [\d.]+ to [\d.]+", text), url
        for jargon in ("95% CI", "p = ", "p < ", "rate ratio", "Ratio of rate ratios",
                       "Sensitivity ratio", "danger"):
            assert jargon not in text, (url, jargon)
        # the verdict sentence and the change summary stay
        assert "the link between attacks and pressure falls became weaker" in text
        assert "Since the course, all migraine days" in text
        assert "Not medical advice" in text


def test_the_clinician_report_keeps_the_statistics_with_how_to_read(client, demo):
    login(client, "clinician@demo.example", PASSWORD)
    page = client.get(f"/patients/{demo['patient1@demo.example']}/report").get_data(
        as_text=True)
    text = _text(page)
    assert "95% CI" in text and "p = " in text
    assert "Ratio of rate ratios" in text and "Sensitivity ratio" in text
    assert page.count('class="how-to-read"') == 2  # one under each statistics table
    assert "times as often on pressure-fall days" in text


def test_the_clinician_list_shows_course_and_follow_up_so_far(client, demo):
    login(client, "clinician@demo.example", PASSWORD)
    page = client.get("/patients").get_data(as_text=True)
    assert page.count('data-label="Course"') == 3
    assert re.search(r'data-label="Follow-up so far" class="num">\d+ of 84 days<', page)
    assert re.search(r"PRT <span class=\"dates\">\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d</span>",
                     page)
    assert 'class="how-to-read"' in page
    # every cell of a row carries its heading, for the phone's card layout
    row = page[page.index("<tbody>"):page.index("</tbody>")].split("</tr>")[0]
    assert row.count("<td") == row.count("data-label=") - 1  # plus the row's <th>
