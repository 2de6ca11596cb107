"""Typed settings read from a TOML file and the environment.

Each section is a dataclass owned, where the layering allows it, by the package that uses it:
``[weather]`` in :mod:`weather.settings`, ``[analysis]`` is :class:`correlation.MethodConfig`,
the report pair is :class:`tracker.reports.settings.ReportSettings`, ``[mail]`` is
:class:`tracker.mail.MailSettings`. ``[web]`` and ``[jobs]``
are declared here: ``tracker`` may not import ``web`` or ``jobs`` (DESIGN's table), and the
aggregate below must know every section to refuse unknown keys. A numeric field's range lives
in its metadata (:func:`weather.settings.ranged`), next to its default.

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
from tracker.mail import MailSettings
from tracker.reports.settings import ReportSettings
from weather.settings import RANGE, WeatherSettings, ranged

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
    login_max_failures: int = ranged(5, 1, 1000)
    login_lockout_minutes: int = ranged(15, 0, 10_000)
    share_code_hours: int = ranged(72, 1, 24 * 90)
    session_idle_hours: int = ranged(12, 1, 24 * 365)
    remember_idle_days: int = ranged(14, 1, 365)
    #: whether clinician and admin accounts may use "keep me logged in" (patients always may)
    remember_staff: bool = False
    share_code_attempts_per_account: int = ranged(10, 1, 10_000)
    share_code_attempts_per_address: int = ranged(30, 1, 100_000)
    proxy_hops: int = ranged(0, 0, 10)
    #: the largest diary file the import page and API accept
    import_max_mb: int = ranged(10, 1, 1000)
    #: how long an uploaded file waits for its preview to be confirmed
    import_preview_minutes: int = ranged(60, 5, 7 * 24 * 60)
    #: a folder of extra questionnaire definitions (*.toml, e.g. licensed ones such as HIT-6);
    #: "" for the shipped ones only (docs/questionnaires.md)
    questionnaire_dir: str = ""
    #: the Chromium that renders "Download PDF"; when it is missing the report page offers
    #: the browser's own print instead
    chromium_path: str = "/usr/bin/chromium"
    #: how long one PDF may take to render before it is given up
    pdf_timeout_seconds: int = ranged(60, 5, 600)


#: The choices of ``[jobs] executor``.
EXECUTORS = ("inline", "queue")


@dataclass(frozen=True)
class JobsSettings:
    """The scheduler process."""

    pull_recent_minute: int = ranged(7, 0, 59)
    backfill_hour: int = ranged(3, 0, 23)
    refresh_reports_hour: int = ranged(4, 0, 23)
    misfire_grace_seconds: int = ranged(3600, 1, 86_400)
    backfill_days: int = ranged(365, 1, 36_500)
    backfill_horizon_years: int = ranged(5, 1, 100)
    backfill_budget_minutes: int = ranged(30, 1, 24 * 60)
    #: how often the scheduler looks for new diary history whose pressure is missing
    history_poll_seconds: int = ranged(60, 5, 3600)
    #: after a failed history fill, how long before the next try (the provider may be down)
    history_retry_minutes: int = ranged(15, 1, 24 * 60)
    #: inline refresh-reports: processes computing reports (0: one per 250 patients, at most
    #: one per core; 1: no pool)
    processes: int = ranged(0, 0, 256)
    #: who does the work: "inline" (the scheduler process itself; the only choice on SQLite)
    #: or "queue" (the scheduler enqueues tasks that `migraine-weather worker` processes run)
    executor: str = "inline"
    #: queue: cells per pressure task (pull-recent, backfill, fill-history)
    task_cells: int = ranged(50, 1, 1000)
    #: queue: patients per refresh-reports task
    task_patients: int = ranged(200, 1, 100_000)
    #: queue: runs of a task whose provider calls keep failing before it fails for good
    task_attempts: int = ranged(5, 1, 50)
    #: queue: seconds between a worker's heartbeats; one silent for 3 is taken as dead
    worker_heartbeat_seconds: int = ranged(10, 1, 300)

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor: {self.executor!r} is not one of {', '.join(EXECUTORS)}")


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    weather: WeatherSettings = field(default_factory=WeatherSettings)
    jobs: JobsSettings = field(default_factory=JobsSettings)
    analysis: MethodConfig = field(default_factory=MethodConfig)
    mail: MailSettings = field(default_factory=MailSettings)
    source: str | None = None

    @property
    def reports(self) -> ReportSettings:
        """The method and the grid as the one value every report function takes."""
        return ReportSettings(self.analysis, self.weather.grid_degrees)




def _check_value(
    key: str, value: Any, kind: Any, allowed: tuple[float, float] | None = None
) -> Any:
    """Return ``value`` converted to ``kind`` (within ``allowed``) or raise ConfigError."""
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
    if allowed is not None:
        low, high = allowed
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value!r} is outside {low}..{high}")
    return value


def _build(cls: type, data: Mapping[str, Any], prefix: str) -> Any:
    """Build the settings dataclass ``cls`` from a TOML table, rejecting unknown keys."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}: expected a table")
    hints = typing.get_type_hints(cls)
    fields_by_name = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    names = set(fields_by_name)
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
            values[name] = _check_value(key, data[name], kind,
                                        fields_by_name[name].metadata.get(RANGE))
    try:
        return cls(**values)
    except ConfigError:
        raise
    except ValueError as exc:  # a section's own check across its keys (e.g. [mail])
        raise ConfigError(f"{prefix}.{exc}" if prefix else str(exc)) from exc


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings from ``path`` (or $MIGRAINE_WEATHER_CONFIG), then the environment's
    DATABASE_URL, SECRET_KEY and MAIL_PASSWORD."""
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
    mail = settings.mail
    if environ.get("DATABASE_URL"):
        db = dataclasses.replace(db, url=environ["DATABASE_URL"])
    if environ.get("SECRET_KEY"):
        web = dataclasses.replace(web, secret_key=environ["SECRET_KEY"])
    if environ.get("MAIL_PASSWORD"):
        mail = dataclasses.replace(mail, password=environ["MAIL_PASSWORD"])
    if settings.jobs.executor == "queue" and not db.url.startswith("postgresql"):
        raise ConfigError('jobs.executor: "queue" needs PostgreSQL (the task queue lives there);'
                          ' database.url is not a PostgreSQL URL: use "inline"')
    return dataclasses.replace(
        settings, database=db, web=web, mail=mail, source=str(chosen) if chosen else None
    )
