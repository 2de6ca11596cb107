"""refresh-reports with [jobs] processes = 1 and 2: the speed-up of the worker pool (issue #17).

40 simulated patients with two years of hourly pressure each; every run starts with no stored
snapshot, so each patient's report is computed and stored. Runs alternate between 1 and 2
processes (so a busy machine slows both alike); prints the median of each and the speed-up.
The pool's start (spawned workers import numpy and SciPy) is part of the run, as it is in the
scheduler. On SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (in a temporary
schema, dropped afterwards). The speed-up is bounded by what stays in the parent process:
reading each series and writing each snapshot (see jobs/reports.py).

Run: .venv/bin/python benchmarks/bench_refresh.py
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import UTC, datetime

import bench_web
from databases import each_database
from sqlalchemy import delete

from jobs.context import build_context
from jobs.reports import cores
from jobs.tasks import run_job
from migrations.runner import upgrade
from tracker.database import make_engine, make_session_factory
from tracker.models import ReportSnapshot
from tracker.settings import Settings

PATIENTS = 40
RUNS = 3


def bench(url: str, name: str) -> None:
    """Seed ``url``, then time refresh-reports with 1 and 2 processes in turn."""
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    factory = make_session_factory(engine)
    bench_web.PATIENTS = PATIENTS
    t0 = time.perf_counter()
    bench_web.seed(factory, now)
    print(f"== {name}: seeded {PATIENTS} patients x {bench_web.DAYS} days in "
          f"{time.perf_counter() - t0:.1f} s")
    base = Settings()
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(RUNS):
        for processes in (1, 2):
            with factory.begin() as session:
                session.execute(delete(ReportSnapshot))
            settings = dataclasses.replace(
                base, database=dataclasses.replace(base.database, url=url),
                jobs=dataclasses.replace(base.jobs, processes=processes))
            ctx = build_context(settings, engine)
            try:
                t0 = time.perf_counter()
                result = run_job(ctx, "refresh-reports", now=now)
                seconds[processes].append(time.perf_counter() - t0)
            finally:
                ctx.close()
            assert (result.status, result.rows_written) == ("ok", PATIENTS), result
    one, two = (statistics.median(seconds[p]) for p in (1, 2))
    print(f"refresh-reports, {PATIENTS} patients: 1 process {one:.2f} s "
          f"({PATIENTS / one:.1f} patients/s), 2 processes {two:.2f} s "
          f"({PATIENTS / two:.1f} patients/s); speed-up {one / two:.2f}x "
          f"(median of {RUNS}; {cores()} cores here)")
    engine.dispose()


def main() -> None:
    """Run on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
    each_database(bench, "mw-bench-refresh-")

if __name__ == "__main__":
    main()
