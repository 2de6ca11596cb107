"""The report's pressure credit: Open-Meteo's once their data is stored for the patient's
cell (CC BY 4.0), otherwise the stored readings' own line."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from tests.web.conftest import login, make_world
from weather.grid import get_or_create_cell
from weather.observations import upsert_observations

CREDIT = 'weather data by <a href="https://open-meteo.com/">Open-Meteo.com</a>'


def _store(session_factory, grid_degrees: float, source: str, day: int) -> None:
    with session_factory.begin() as s:
        cell = get_or_create_cell(s, 59.91, 10.75, grid_degrees)
        first = int(datetime(2026, 1, day, tzinfo=UTC).timestamp())
        hours = np.arange(first, first + 3600 * 48, 3600, dtype=np.int64)
        upsert_observations(s, cell.id, hours, np.full(48, 1005.0), np.full(48, 1017.0),
                            source, datetime(2026, 1, 3, tzinfo=UTC))


def test_the_credit_follows_the_data_stored_for_the_cell(session_factory, settings, client):
    world = make_world(session_factory, ("a",))
    login(client, world.emails["a"])
    report = f"/patients/{world.ids['a']}/report"
    _store(session_factory, settings.weather.grid_degrees, "measured", 1)
    page = client.get(report).text
    assert CREDIT not in page and "simulated or measured readings" in page
    _store(session_factory, settings.weather.grid_degrees, "archive", 5)
    assert CREDIT in client.get(report).text
