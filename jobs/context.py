"""What a job run needs, built once by the entry point (the CLI) and handed to the jobs.

Nothing here runs at import: ``build_context`` makes the engine, the session factory, the
HTTP session and the Open-Meteo client from the settings it is given. The scheduler stores
its jobs as textual references without arguments (they must pickle), so the scheduler
process installs its context with :func:`install` before starting, and the scheduled
functions fetch it with :func:`current`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tracker.database import make_engine, make_writer_session_factory
from tracker.settings import Settings
from weather.open_meteo import OpenMeteoClient, client_from_settings


@dataclass
class JobContext:
    """Settings, database and provider client of one process running jobs."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    http: requests.Session
    client: OpenMeteoClient
    #: Set when the process is stopping: a running job ends after its current batch.
    stop: threading.Event = field(default_factory=threading.Event)
    #: Seconds on a monotonic clock: what the backfill's time budget is measured with.
    clock: Callable[[], float] = time.monotonic

    def reader(self) -> Session:
        """Return a session for reads only (on SQLite a deferred transaction: it never takes
        the write lock, so planning a long backfill does not hold up the other jobs)."""
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Close the HTTP session (the engine belongs to whoever created it)."""
        self.http.close()


def open_meteo_client(settings: Settings, http: requests.Session) -> OpenMeteoClient:
    """Return the Open-Meteo client configured by ``settings.weather.open_meteo``."""
    return client_from_settings(settings.weather.open_meteo, http)


def build_context(settings: Settings, engine: Engine | None = None) -> JobContext:
    """Build a job context from settings (an engine is made from them unless given)."""
    if engine is None:
        engine = make_engine(settings.database.url, echo=settings.database.echo)
    http = requests.Session()
    return JobContext(
        settings=settings,
        engine=engine,
        session_factory=make_writer_session_factory(engine),
        http=http,
        client=open_meteo_client(settings, http),
    )


_lock = threading.Lock()
_current: JobContext | None = None


def install(context: JobContext | None) -> None:
    """Make ``context`` the one the scheduled job functions use (None uninstalls)."""
    global _current
    with _lock:
        _current = context


def current() -> JobContext:
    """Return the installed context, or raise RuntimeError if the entry point set none."""
    with _lock:
        if _current is None:
            raise RuntimeError(
                "no job context installed: start jobs with `migraine-weather scheduler`"
            )
        return _current
