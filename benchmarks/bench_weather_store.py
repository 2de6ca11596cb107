"""Benchmark of weather storage: ten years of hourly pressure for one cell.

Prints the median of 3 runs of: the first insert (87,672 rows; goal under 1 s on both
databases, issue #17), an idempotent re-upsert of the same rows, and ``load_series`` over two
years (17,544 hours; 1% of them missing, so the loader reads (hour, value) pairs; an unbroken
run, the usual case, is timed by bench_web.py), on SQLite (a temporary file) and on
PostgreSQL when reachable (TEST_DATABASE_URL or the local default), in a temporary schema
that is dropped afterwards. Also prints the ORM query that ``load_series``
avoids, as a ratio. Wall-clock times: on a busy machine they vary from run to run.

    .venv/bin/python benchmarks/bench_weather_store.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.database import make_engine  # noqa: E402
from weather.grid import get_or_create_cell  # noqa: E402
from weather.models import Base, PressureObservation  # noqa: E402
from weather.observations import load_series, upsert_observations  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2015, 1, 1, tzinfo=UTC)
YEARS = 10
RUNS = 3


def _series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ten years of plausible hourly pressure with 1% gaps."""
    n = int((START.replace(year=START.year + YEARS) - START).total_seconds()) // 3600
    hours = int(START.timestamp()) + 3600 * np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(1)
    surface = 1000 + np.cumsum(rng.normal(0, 0.4, n)) * 0.1 + 8 * np.sin(np.arange(n) / 90)
    surface[rng.random(n) < 0.01] = np.nan
    return hours, surface, surface + 12.5


def _orm_series(session: Session, cell_id: int, start: datetime, end: datetime) -> np.ndarray:
    """The straightforward ORM query (datetime objects per row), for comparison."""
    out = np.full(int((end - start).total_seconds()) // 3600, np.nan)
    rows = session.execute(
        select(PressureObservation.observed_at, PressureObservation.surface_pressure_hpa).where(
            PressureObservation.cell_id == cell_id,
            PressureObservation.observed_at >= start,
            PressureObservation.observed_at < end,
        )
    )
    for at, value in rows:
        if value is not None:
            out[int((at - start).total_seconds()) // 3600] = value
    return out


def _time(fn: Callable[..., object], *args: object) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def bench(url: str) -> dict[str, float]:
    """Run the benchmark on a database URL; return medians in seconds."""
    hours, surface, msl = _series()
    fetched = datetime.now(UTC)
    engine = make_engine(url)
    timings: dict[str, list[float]] = {
        "insert": [],
        "reupsert": [],
        "load_series": [],
        "orm_load": [],
    }
    try:
        for _ in range(RUNS):
            Base.metadata.drop_all(engine)
            Base.metadata.create_all(engine)
            with Session(engine) as session:
                cell = get_or_create_cell(session, 52.52, 13.41)
                session.commit()
                seconds, written = _time(
                    upsert_observations, session, cell.id, hours, surface, msl, "archive", fetched
                )
                session.commit()
                assert written == int((~(np.isnan(surface) & np.isnan(msl))).sum()), written
                timings["insert"].append(seconds)

                seconds, written = _time(
                    upsert_observations, session, cell.id, hours, surface, msl, "archive", fetched
                )
                session.commit()
                assert written == 0, written
                timings["reupsert"].append(seconds)

                start = START + timedelta(days=365 * 4)
                end = start + timedelta(days=731)
                seconds, fast = _time(load_series, session, cell.id, start, end)
                timings["load_series"].append(seconds)
                seconds, slow = _time(_orm_series, session, cell.id, start, end)
                timings["orm_load"].append(seconds)
                np.testing.assert_array_equal(fast, slow)
                session.rollback()
        Base.metadata.drop_all(engine)
    finally:
        engine.dispose()
    return {name: statistics.median(values) for name, values in timings.items()}


def _report(name: str, medians: dict[str, float], rows: int) -> None:
    print(f"{name}:")
    print(
        f"  first insert      {medians['insert']:7.3f} s  ({rows / medians['insert']:,.0f} rows/s;"
        f" goal 1 s: {1 / medians['insert']:.2f}x)"
    )
    print(f"  idempotent upsert {medians['reupsert']:7.3f} s")
    print(f"  load_series 2 y   {medians['load_series'] * 1000:7.1f} ms  (1% of hours missing)")
    ratio = medians["orm_load"] / medians["load_series"]
    print(f"  ORM load 2 y      {medians['orm_load'] * 1000:7.1f} ms  ({ratio:.1f}x load_series)")


def _pg_schema(url: str) -> tuple[str, Callable[[], None]] | None:
    """Create a temporary schema; return its URL and a function that drops it."""
    base = make_url(url)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    try:
        admin = create_engine(base, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        print(f"PostgreSQL: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        return None

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


def main() -> None:
    rows = _series()[0].size
    print(f"weather store benchmark: {rows:,} hourly rows (10 years), median of {RUNS} runs")
    with tempfile.TemporaryDirectory() as tmp:
        _report("SQLite", bench(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"), rows)
    target = _pg_schema(os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT)
    if target is not None:
        url, drop = target
        try:
            _report("PostgreSQL", bench(url), rows)
        finally:
            drop()


if __name__ == "__main__":
    main()
