"""The ``[weather]`` settings: the grid and the Open-Meteo provider, typed, with ranges.

Each numeric field carries its allowed range in its metadata (:func:`ranged`); the settings
loader (``tracker.settings.load_settings``) reads it there, so a range is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Metadata key of a numeric setting's allowed range (low, high), both inclusive.
RANGE = "range"


def ranged(default: Any, low: float, high: float) -> Any:
    """A dataclass field with a default and its allowed range (read by the loader)."""
    return field(default=default, metadata={RANGE: (low, high)})


@dataclass(frozen=True)
class OpenMeteoSettings:
    """The Open-Meteo provider (URLs are configurable for self-hosted or commercial hosts)."""

    forecast_url: str = "https://api.open-meteo.com/v1/forecast"
    archive_url: str = "https://archive-api.open-meteo.com/v1/archive"
    api_key: str = ""
    timeout_seconds: float = ranged(10.0, 0.1, 600)
    user_agent: str = "migraine-weather/0.1 (open-source; self-hosted)"
    batch_size: int = ranged(50, 1, 1000)
    max_calls_per_minute: int = ranged(500, 1, 100_000)
    max_retries: int = ranged(4, 0, 20)
    backoff_seconds: float = ranged(1.0, 0, 600)
    past_days: int = ranged(7, 1, 92)
    archive_lag_days: int = ranged(5, 0, 60)


@dataclass(frozen=True)
class WeatherSettings:
    """Weather storage and providers."""

    grid_degrees: float = ranged(0.1, 0.01, 5.0)
    open_meteo: OpenMeteoSettings = field(default_factory=OpenMeteoSettings)
