"""Typed settings read from a TOML file and the environment.

The entry points (the CLI, the web app factory, the scheduler) call :func:`load_settings`;
everything below them receives the values as arguments.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from correlation.config import MethodConfig
from tracker.reports.settings import ReportSettings

CONFIG_ENV = "MIGRAINE_WEATHER_CONFIG"
DEFAULT_SQLITE_URL = "sqlite:///instance/migraine-weather.sqlite3"


class ConfigError(ValueError):
    """A configuration key is unknown or has an invalid value; the message names the key."""


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives."""

    url: str = DEFAULT_SQLITE_URL
    echo: bool = False


@dataclass(frozen=True)
class WebSettings:
    """The web application."""

    secret_key: str = ""
    session_cookie_secure: bool = False
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    share_code_hours: int = 72
    session_idle_hours: int = 12
    remember_idle_days: int = 14
    share_code_attempts_per_account: int = 10
    share_code_attempts_per_address: int = 30
    proxy_hops: int = 0


@dataclass(frozen=True)
class OpenMeteoSettings:
    """The Open-Meteo provider (URLs are configurable for self-hosted or commercial hosts)."""

    forecast_url: str = "https://api.open-meteo.com/v1/forecast"
    archive_url: str = "https://archive-api.open-meteo.com/v1/archive"
    api_key: str = ""
    timeout_seconds: float = 10.0
    user_agent: str = "migraine-weather/0.1 (open-source; self-hosted)"
    batch_size: int = 50
    max_calls_per_minute: int = 500
    max_retries: int = 4
    backoff_seconds: float = 1.0
    past_days: int = 7
    archive_lag_days: int = 5


@dataclass(frozen=True)
class WeatherSettings:
    """Weather storage and providers."""

    grid_degrees: float = 0.1
    open_meteo: OpenMeteoSettings = field(default_factory=OpenMeteoSettings)


@dataclass(frozen=True)
class JobsSettings:
    """The scheduler process."""

    pull_recent_minute: int = 7
    backfill_hour: int = 3
    refresh_reports_hour: int = 4
    misfire_grace_seconds: int = 3600
    backfill_days: int = 365
    backfill_horizon_years: int = 5
    backfill_budget_minutes: int = 30


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    weather: WeatherSettings = field(default_factory=WeatherSettings)
    jobs: JobsSettings = field(default_factory=JobsSettings)
    analysis: MethodConfig = field(default_factory=MethodConfig)
    source: str | None = None

    @property
    def reports(self) -> ReportSettings:
        """The method and the grid as the one value every report function takes."""
        return ReportSettings(self.analysis, self.weather.grid_degrees)


_RANGES: dict[str, tuple[float, float]] = {
    "web.login_max_failures": (1, 1000),
    "web.login_lockout_minutes": (0, 10_000),
    "web.share_code_hours": (1, 24 * 90),
    "web.session_idle_hours": (1, 24 * 365),
    "web.remember_idle_days": (1, 365),
    "web.share_code_attempts_per_account": (1, 10_000),
    "web.share_code_attempts_per_address": (1, 100_000),
    "web.proxy_hops": (0, 10),
    "weather.grid_degrees": (0.01, 5.0),
    "weather.open_meteo.timeout_seconds": (0.1, 600),
    "weather.open_meteo.batch_size": (1, 1000),
    "weather.open_meteo.max_calls_per_minute": (1, 100_000),
    "weather.open_meteo.max_retries": (0, 20),
    "weather.open_meteo.backoff_seconds": (0, 600),
    "weather.open_meteo.past_days": (1, 92),
    "weather.open_meteo.archive_lag_days": (0, 60),
    "jobs.pull_recent_minute": (0, 59),
    "jobs.backfill_hour": (0, 23),
    "jobs.refresh_reports_hour": (0, 23),
    "jobs.misfire_grace_seconds": (1, 86_400),
    "jobs.backfill_days": (1, 36_500),
    "jobs.backfill_horizon_years": (1, 100),
    "jobs.backfill_budget_minutes": (1, 24 * 60),
}


def _check_value(key: str, value: Any, kind: Any) -> Any:
    """Return ``value`` converted to ``kind`` or raise ConfigError naming ``key``."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
    elif kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
    if key in _RANGES:
        low, high = _RANGES[key]
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value!r} is outside {low}..{high}")
    return value


def _build(cls: type, data: Mapping[str, Any], prefix: str) -> Any:
    """Build the settings dataclass ``cls`` from a TOML table, rejecting unknown keys."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}: expected a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    for key in data:
        if key not in names:
            raise ConfigError(f"{prefix}.{key}: unknown key" if prefix else f"{key}: unknown key")
    values: dict[str, Any] = {}
    for name in names:
        if name not in data:
            continue
        key = f"{prefix}.{name}" if prefix else name
        kind = hints[name]
        if kind is MethodConfig:
            try:
                values[name] = MethodConfig.from_mapping(dict(data[name]))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{key}: {exc}") from exc
        elif dataclasses.is_dataclass(kind):
            values[name] = _build(kind, data[name], key)
        else:
            if isinstance(kind, types.UnionType):
                kind = next(a for a in typing.get_args(kind) if a is not type(None))
            values[name] = _check_value(key, data[name], kind)
    return cls(**values)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings from ``path`` (or $MIGRAINE_WEATHER_CONFIG), then DATABASE_URL/SECRET_KEY."""
    environ = os.environ if environ is None else environ
    chosen = path if path is not None else environ.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    if chosen is not None:
        file = Path(chosen)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {file} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from exc
    settings = _build(Settings, data, "")
    db = settings.database
    web = settings.web
    if environ.get("DATABASE_URL"):
        db = dataclasses.replace(db, url=environ["DATABASE_URL"])
    if environ.get("SECRET_KEY"):
        web = dataclasses.replace(web, secret_key=environ["SECRET_KEY"])
    return dataclasses.replace(
        settings, database=db, web=web, source=str(chosen) if chosen else None
    )
