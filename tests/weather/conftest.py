"""Helpers for the weather tests: Open-Meteo reply bodies and a client with fake time."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import requests

from weather.open_meteo import OpenMeteoClient

FORECAST = "http://open-meteo.test/v1/forecast"
ARCHIVE = "http://archive.open-meteo.test/v1/archive"
#: 2024-01-01T00:00:00Z in unix seconds.
T0 = 1_704_067_200


def om_location(
    lat: float,
    lon: float,
    *,
    start: int = T0,
    hours: int = 3,
    surface: Sequence[float | None] | None = None,
    msl: Sequence[float | None] | None = None,
) -> dict[str, Any]:
    """One location's reply object as Open-Meteo sends it with timeformat=unixtime."""
    surface = list(surface) if surface is not None else [1000.0 + i for i in range(hours)]
    msl = list(msl) if msl is not None else [1013.0 + i for i in range(len(surface))]
    return {
        "latitude": lat + 0.01,  # the model grid point, not what we asked
        "longitude": lon - 0.02,
        "generationtime_ms": 0.1,
        "utc_offset_seconds": 0,
        "timezone": "GMT",
        "timezone_abbreviation": "GMT",
        "elevation": 34.0,
        "hourly_units": {"time": "unixtime", "surface_pressure": "hPa", "pressure_msl": "hPa"},
        "hourly": {
            "time": [start + 3600 * i for i in range(len(surface))],
            "surface_pressure": surface,
            "pressure_msl": msl,
        },
    }


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time) -> Callable[..., OpenMeteoClient]:
    """Build a client on a fresh requests.Session with instant, recorded sleeps."""
    sessions: list[requests.Session] = []

    def build(**kwargs: Any) -> OpenMeteoClient:
        http = requests.Session()
        sessions.append(http)
        options: dict[str, Any] = {
            "forecast_url": FORECAST,
            "archive_url": ARCHIVE,
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "rng": random.Random(7),
        }
        options.update(kwargs)
        return OpenMeteoClient(http, **options)

    yield build
    for http in sessions:
        http.close()


@pytest.fixture
def om():
    """The reply builder and the fake endpoints, for tests (conftest is not importable)."""

    class OM:
        forecast = FORECAST
        archive = ARCHIVE
        t0 = T0
        location = staticmethod(om_location)

    return OM
