"""Benchmark: the scheduler's cost grows with grid cells, not with patients.

Runs the ``pull-recent`` job (the hourly one) against the fake Open-Meteo server of the tests
(127.0.0.1, no network) on a temporary SQLite database, for:

- 100 cells with 200 patients, and with 2,000 patients (10x patients, same cells);
- 1,000 cells with 2,000 patients (10x cells).

For each it prints the HTTP requests made, the locations they carried, Open-Meteo's weighted
call count (a location counts as one call per started 14 days), the wall time of the first
pull (new rows) and of a second pull in the same hour (nothing new: the steady state), and
the rows written. Batch size is the default (50 locations per request); the client's rate
limiter is lifted (it is what paces the real service; see docs/operations.md).

    .venv/bin/python benchmarks/bench_jobs_scale.py
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.context import build_context  # noqa: E402
from jobs.tasks import run_job  # noqa: E402
from migrations.metadata import create_all  # noqa: E402
from tests.fakes.open_meteo import FakeOpenMeteo  # noqa: E402
from tracker.database import make_engine  # noqa: E402
from tracker.models import LocationPeriod, PatientProfile, User  # noqa: E402
from tracker.settings import Settings  # noqa: E402

SCENARIOS = [(100, 200), (100, 2_000), (1_000, 2_000)]
DAYS_PER_CALL = 14


def _cell_point(k: int) -> tuple[float, float]:
    """A point inside the k-th distinct 0.1-degree cell (a 40-wide block over Europe)."""
    return 40.05 + (k // 40) * 0.1, -9.95 + (k % 40) * 0.1


def _settings(url: str, fake: FakeOpenMeteo) -> Settings:
    base = Settings()
    om = dataclasses.replace(
        base.weather.open_meteo,
        forecast_url=f"{fake.base_url}/v1/forecast",
        archive_url=f"{fake.base_url}/v1/archive",
        backoff_seconds=0.0,
        max_calls_per_minute=100_000,
    )
    return dataclasses.replace(
        base,
        database=dataclasses.replace(base.database, url=url),
        weather=dataclasses.replace(base.weather, open_meteo=om),
    )


def _add_patients(session_factory, cells: int, patients: int) -> None:
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        for i in range(patients):
            # Patients scattered inside their cell: same cell, different coordinates.
            lat, lon = _cell_point(i % cells)
            jitter = (i // cells) * 0.001
            user = User(email=f"p{i}@bench.example", password_hash="-", role="patient",
                        name="", is_active=True, created_at=now, failed_logins=0)
            user.profile = PatientProfile(timezone="UTC", pressure_unit="hPa",
                                          checkins_in_use=False)
            session.add(user)
            session.flush()
            session.add(LocationPeriod(patient_id=user.id, starts_on=now.date(),
                                       latitude=lat + jitter, longitude=lon + jitter,
                                       timezone="UTC", label="home"))


def run_scenario(cells: int, patients: int) -> dict[str, float]:
    """Return the measurements of one scenario."""
    fake = FakeOpenMeteo().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            settings = _settings(url, fake)
            engine = make_engine(url)
            create_all(engine)
            ctx = build_context(settings, engine)
            _add_patients(ctx.session_factory, cells, patients)
            t0 = time.perf_counter()
            first = run_job(ctx, "pull-recent")
            t1 = time.perf_counter()
            requests = len(fake.requests)
            locations = sum(len(q["latitude"].split(",")) for _, q in fake.requests)
            days = settings.weather.open_meteo.past_days + 1
            second = run_job(ctx, "pull-recent")
            t2 = time.perf_counter()
            assert first.status == "ok" and second.status == "ok", (first.errors, second.errors)
            ctx.close()
            engine.dispose()
            return {
                "cells": cells,
                "patients": patients,
                "requests": requests,
                "locations": locations,
                "weighted_calls": locations * math.ceil(days / DAYS_PER_CALL),
                "first_s": t1 - t0,
                "rows": first.rows_written,
                "second_s": t2 - t1,
                "second_requests": len(fake.requests) - requests,
                "second_rows": second.rows_written,
            }
    finally:
        fake.stop()


def main() -> None:
    """Run every scenario and print a table and the ratios."""
    results = [run_scenario(c, p) for c, p in SCENARIOS]
    print("pull-recent on SQLite against the fake Open-Meteo (batch 50, past_days 7)")
    print(f"{'cells':>6} {'patients':>8} {'requests':>8} {'locations':>9} {'om calls':>8} "
          f"{'first s':>8} {'rows':>8} {'again s':>8} {'again req':>9} {'again rows':>10}")
    for r in results:
        print(f"{r['cells']:>6} {r['patients']:>8} {r['requests']:>8} {r['locations']:>9} "
              f"{r['weighted_calls']:>8} {r['first_s']:>8.2f} {r['rows']:>8} "
              f"{r['second_s']:>8.2f} {r['second_requests']:>9} {r['second_rows']:>10}")
    a, b, c = results
    print(f"10x patients, same cells: requests x{b['requests'] / a['requests']:.2f}, "
          f"time x{b['first_s'] / a['first_s']:.2f}")
    print(f"10x cells:                requests x{c['requests'] / b['requests']:.2f}, "
          f"time x{c['first_s'] / b['first_s']:.2f}")


if __name__ == "__main__":
    main()
