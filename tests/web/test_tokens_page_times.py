"""The tokens page shows a patient's times in their own timezone (issue #15: never UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from tests.web.conftest import login, make_world
from tracker.models import ApiToken


def test_token_times_are_in_the_patients_own_zone(client, session_factory):
    world = make_world(session_factory, ("a", "linked"))
    with session_factory.begin() as s:  # 22:41 UTC is 23:41 in Oslo (winter)
        s.execute(update(ApiToken).values(created_at=datetime(2026, 11, 29, 22, 41, tzinfo=UTC)))
    login(client, world.emails["a"])
    page = client.get("/tokens").get_data(as_text=True)
    assert "2026-11-29 23:41" in page and "Europe/Oslo" in page
    assert "22:41" not in page and " UTC" not in page
    client.post("/logout")
    login(client, world.emails["linked"])  # a clinician has no diary timezone: UTC, said so
    page = client.get("/tokens").get_data(as_text=True)
    assert "2026-11-29 22:41" in page and "Times in UTC" in page
