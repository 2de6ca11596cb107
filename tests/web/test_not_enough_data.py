"""Amendment A2 on pages: progress instead of headlines when a guardrail fails."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, make_world


@pytest.fixture
def world(session_factory):
    """Patient a (one attack, a course, one check-in: far too little data) and a clinician."""
    return make_world(session_factory, ("a", "linked"))


def test_the_dashboard_shows_progress_not_headlines(client, world):
    login(client, world.emails["a"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Not enough diary data yet" in page
    assert re.search(r"Follow-up: \d+ of 28 diary days", page)
    assert "Baseline: " in page and "of 28 diary days" in page
    for headline in ("50% responder", "Change in weather sensitivity", "Preliminary numbers"):
        assert headline not in page


def test_the_report_puts_partial_numbers_under_preliminary(client, world):
    login(client, world.emails["linked"])
    page = client.get(f"/patients/{world.ids['a']}/report").get_data(as_text=True)
    assert "Not enough diary data yet" in page and "Preliminary numbers" in page


def test_the_clinician_list_shows_the_reason_and_no_responder_value(client, world):
    login(client, world.emails["linked"])
    page = client.get("/patients").get_data(as_text=True)
    row = page[page.index("Person A"):]
    row = row[:row.index("</tr>")]
    assert 'class="no-responder">–<' in row
    assert "not enough data:" in row
    assert not re.search(r"<td>(yes|no)</td>", row)
    assert "weather link" not in row
