"""Fixtures for the job tests: a (slowable) fake Open-Meteo, settings pointing at it, a job
context on the test database, patients, and a way to run ``migraine-weather`` in a process."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jobs.context import JobContext, build_context, install
from tests.fakes.open_meteo import FakeOpenMeteo, _Handler
from tracker.models import LocationPeriod, PatientProfile, User
from weather.hours import floor_hour
from weather.models import GridCell
from weather.observations import find_gaps

ROOT = Path(__file__).resolve().parents[2]
#: Sites in distinct grid cells (0.1 degree grid).
SITES = [(59.91, 10.75), (41.88, -87.63), (51.45, -2.59), (-33.87, 151.21), (35.68, 139.69),
         (48.86, 2.35)]


class _SlowHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(self.server.delay)
        super().do_GET()


class SlowFakeOpenMeteo(FakeOpenMeteo):
    """The fake server, answering each request after ``delay`` seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.RequestHandlerClass = _SlowHandler
        self.delay = 0.0

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        """Serve, noticing a shutdown request quickly."""
        super().serve_forever(poll_interval)

    def handle_error(self, request, client_address) -> None:
        """A client killed mid-request is expected here; stay quiet."""


@pytest.fixture
def fake() -> Iterator[SlowFakeOpenMeteo]:
    server = SlowFakeOpenMeteo().start()
    yield server
    server.stop()


def with_jobs(settings, **changes):
    """Return settings with ``[jobs]`` values changed."""
    return dataclasses.replace(settings, jobs=dataclasses.replace(settings.jobs, **changes))


@pytest.fixture
def job_settings(settings, fake):
    """Test settings pointing at the fake: one cell per request, no backoff, 3 days back."""
    om = dataclasses.replace(
        settings.weather.open_meteo,
        forecast_url=f"{fake.base_url}/v1/forecast",
        archive_url=f"{fake.base_url}/v1/archive",
        backoff_seconds=0.0,
        max_retries=1,
        batch_size=1,
        max_calls_per_minute=100_000,
    )
    weather = dataclasses.replace(settings.weather, open_meteo=om)
    return with_jobs(dataclasses.replace(settings, weather=weather), backfill_days=3)


@pytest.fixture
def ctx(job_settings, engine) -> Iterator[JobContext]:
    context = build_context(job_settings, engine)
    yield context
    context.stop.set()
    install(None)
    context.close()


def add_patient(session, email: str, lat: float, lon: float, *, created: datetime | None = None,
                timezone: str = "UTC") -> User:
    """Store a patient with a home location (no password hashing: fast)."""
    created = created or datetime.now(UTC)
    user = User(email=email, password_hash="-", role="patient", name="", is_active=True,
                created_at=created, failed_logins=0)
    user.profile = PatientProfile(timezone=timezone, pressure_unit="hPa", checkins_in_use=False)
    session.add(user)
    session.flush()
    session.add(LocationPeriod(patient_id=user.id, starts_on=created.date(), latitude=lat,
                               longitude=lon, timezone=timezone, label="home"))
    session.flush()
    return user


@pytest.fixture
def patients(session_factory) -> list[int]:
    """Three patients in three cells; returns their ids."""
    with session_factory.begin() as session:
        return [add_patient(session, f"p{i}@example.org", lat, lon).id
                for i, (lat, lon) in enumerate(SITES[:3])]


def missing_hours(session_factory, start: datetime, end: datetime) -> dict[int, int]:
    """Return the missing hours of every stored cell in [start, end)."""
    start, end = floor_hour(start), floor_hour(end)
    with session_factory() as session:
        out = {}
        for cell_id in session.scalars(select(GridCell.id).order_by(GridCell.id)):
            gaps = find_gaps(session, cell_id, start, end)
            out[cell_id] = sum(int((b - a).total_seconds() // 3600) for a, b in gaps)
        return out


def count(session_factory, model, *where) -> int:
    """Count rows of ``model`` matching ``where``."""
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def day_start(day: date) -> datetime:
    """UTC midnight of a day."""
    return datetime.combine(day, datetime.min.time(), UTC)


def wait_for(condition: Callable[[], object], timeout: float = 15.0, step: float = 0.05):
    """Poll ``condition`` until it is truthy (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        time.sleep(step)


class Processes:
    """Starts ``migraine-weather`` in child processes against the test database."""

    def __init__(self, db_url: str, config: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": db_url, "MIGRAINE_WEATHER_CONFIG": str(config),
                    "PYTHONUNBUFFERED": "1"}
        self.started: list[subprocess.Popen] = []

    def command(self, *args: str) -> list[str]:
        """The argv of ``migraine-weather ARGS`` in this interpreter."""
        return [sys.executable, "-c", "from cli.main import main; main()", *args]

    def start(self, *args: str) -> subprocess.Popen:
        """Start a command; its standard error is a pipe of text lines."""
        proc = subprocess.Popen(self.command(*args), env=self.env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.started.append(proc)
        return proc

    def run(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a command to its end."""
        return subprocess.run(self.command(*args), env=self.env, cwd=ROOT, text=True,
                              capture_output=True, timeout=timeout)

    def wait_for_line(self, proc: subprocess.Popen, needle: str, timeout: float = 20.0) -> str:
        """Read ``proc``'s standard error until a line contains ``needle``."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                if proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r}; got:\n{''.join(seen)}")

    def cleanup(self) -> None:
        """Kill whatever is still running."""
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()


@pytest.fixture
def processes(db_url, engine, fake, tmp_path) -> Iterator[Processes]:
    """Child processes configured for the fake server (one cell per request, 3 days back)."""
    config = tmp_path / "config.toml"
    config.write_text(fake.config_toml(batch_size=1, max_retries=1, max_calls_per_minute=100_000)
                      + "[jobs]\nbackfill_days = 3\n")
    procs = Processes(db_url, config)
    yield procs
    procs.cleanup()
