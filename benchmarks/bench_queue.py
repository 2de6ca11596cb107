"""Benchmark: queue mode (issue #17) with 1, 2 and 4 worker processes on PostgreSQL.

Simulated patients (a PRT course each) spread over distinct 0.1-degree cells; the tests' fake
Open-Meteo on 127.0.0.1 answers every request after a fixed latency. For each worker count it
enqueues, the way the scheduler does, a full back-fill (``backfill_days`` back: an archive
chunk and the last days from the forecast per batch of cells, into an emptied pressure table)
and then refresh-reports (into an emptied snapshot table), with that many ``migraine-weather
worker`` processes already waiting, and times each run from enqueueing to its last task
counted. It prints throughput (cells/s, patients/s), the speed-up over one worker and its share
of linear, and the provider requests made against ``cells / batch_size``.

The issue asks 20,000 patients in 4,000 cells (``--patients 20000 --cells 4000``); the default
is a tenth of that, which a small shared machine finishes in minutes. The figures printed say
what was used. Needs PostgreSQL: ``BENCH_DATABASE_URL`` or ``TEST_DATABASE_URL``
(``postgresql+psycopg://user@host/db``); it works in a schema of its own and drops it.

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/bench_queue.py [--patients N --cells N --latency S]
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from jobs.context import build_context  # noqa: E402
from jobs.models import JobRun  # noqa: E402
from jobs.queue import enqueue_job  # noqa: E402
from migrations.runner import upgrade  # noqa: E402
from tests.jobs.conftest import SlowFakeOpenMeteo  # noqa: E402
from tracker.database import make_engine  # noqa: E402
from tracker.models import LocationPeriod, PatientProfile, TreatmentCourse, User  # noqa: E402
from tracker.settings import load_settings  # noqa: E402

BATCH = 50


def _cell_point(k: int) -> tuple[float, float]:
    """A point inside the k-th distinct 0.1-degree cell (100 wide, from 20N 0E)."""
    return 20.05 + (k // 100) * 0.1, 0.05 + (k % 100) * 0.1


def _schema_url(base: str, schema: str) -> str:
    url = make_url(base).set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def _add_patients(engine, patients: int, cells: int, days: int) -> None:
    """Insert patients (tracking for ``days``, a course that ended a week ago) in bulk."""
    now = datetime.now(UTC)
    created = now - timedelta(days=days)
    today = now.date()
    with engine.begin() as conn:
        ids = conn.execute(insert(User).returning(User.id), [
            {"email": f"b{i}@bench.example", "password_hash": "-", "role": "patient", "name": "",
             "is_active": True, "created_at": created, "failed_logins": 0}
            for i in range(patients)]).scalars().all()
        conn.execute(insert(PatientProfile), [
            {"user_id": uid, "timezone": "UTC", "pressure_unit": "hPa", "checkins_in_use": False,
             "diary_changed_at": created} for uid in ids])
        conn.execute(insert(LocationPeriod), [
            {"patient_id": uid, "starts_on": created.date(), "latitude": _cell_point(i % cells)[0],
             "longitude": _cell_point(i % cells)[1], "timezone": "UTC", "label": "home"}
            for i, uid in enumerate(ids)])
        conn.execute(insert(TreatmentCourse), [
            {"patient_id": uid, "kind": "PRT", "started_on": today - timedelta(days=days // 2),
             "ended_on": today - timedelta(days=7), "sessions": 4, "notes": "",
             "created_at": created} for uid in ids])


def _config(path: Path, fake: SlowFakeOpenMeteo, days: int) -> None:
    path.write_text(fake.config_toml(batch_size=BATCH, max_retries=0,
                                     max_calls_per_minute=100_000)
                    + "[jobs]\n" + f'executor = "queue"\nbackfill_days = {days}\n'
                    + f"task_cells = {BATCH}\ntask_patients = 200\n"
                    + "worker_heartbeat_seconds = 5\nbackfill_horizon_years = 1\n")


def _start_workers(k: int, env: dict[str, str], log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for n in range(k):
        log = open(log_dir / f"worker-{k}-{n}.log", "w")  # noqa: SIM115 - closed with the proc
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "worker"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log))
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_registered(engine, k: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM procrastinate_workers")) >= k:
                return
        time.sleep(0.2)
    raise RuntimeError("workers did not start")


def _timed_run(ctx, engine, job: str) -> tuple[float, JobRun]:
    t0 = time.perf_counter()
    run_id = enqueue_job(ctx, job)
    while True:
        with engine.connect() as conn:
            status = conn.scalar(select(JobRun.status).where(JobRun.id == run_id))
        if status != "running":
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0
    with ctx.reader() as session:
        return elapsed, session.get(JobRun, run_id)


def measure(args: argparse.Namespace, base_url: str) -> list[dict[str, float]]:
    """Set up the schema and data once, then time both jobs for each worker count."""
    schema = f"bench_q_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    fake = SlowFakeOpenMeteo().start()
    fake.delay = args.latency
    url = _schema_url(base_url, schema)
    engine = make_engine(url)
    results = []
    try:
        upgrade(engine)
        _add_patients(engine, args.patients, args.cells, args.days)
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.toml"
            _config(config, fake, args.days)
            settings = load_settings(config, environ={"DATABASE_URL": url})
            ctx = build_context(settings, engine)
            env = {**os.environ, "DATABASE_URL": url, "MIGRAINE_WEATHER_CONFIG": str(config)}
            for k in args.workers:
                with engine.begin() as conn:
                    conn.execute(text("TRUNCATE pressure_observations, fetch_log, "
                                      "report_snapshots"))
                before = len(fake.requests)
                procs = _start_workers(k, env, Path(tmp))
                try:
                    _wait_registered(engine, k)
                    fill_s, fill = _timed_run(ctx, engine, "backfill")
                    requests = len(fake.requests) - before
                    reports_s, reports = _timed_run(ctx, engine, "refresh-reports")
                finally:
                    _stop(procs)
                assert fill.status == "ok" and reports.status == "ok", (fill.error, reports.error)
                with engine.connect() as conn:
                    rows = conn.scalar(select(func.count()).select_from(
                        text("pressure_observations")))
                results.append({"workers": k, "fill_s": fill_s, "cells": fill.cells_done,
                                "fill_tasks": fill.tasks_total, "requests": requests,
                                "rows": rows, "reports_s": reports_s,
                                "patients": reports.cells_done,
                                "report_tasks": reports.tasks_total})
            ctx.close()
    finally:
        fake.stop()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return results


def main() -> None:
    """Parse the scale, run, and print the table and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--cells", type=int, default=400)
    parser.add_argument("--days", type=int, default=30, help="backfill_days and tracking days")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 2, 4])
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        sys.exit("bench_queue: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL URL")
    cores = len(os.sched_getaffinity(0))
    print(f"queue mode on PostgreSQL: {args.patients} patients in {args.cells} cells, "
          f"back-fill of {args.days} days, fake provider {args.latency:.2f} s a request, "
          f"batch {BATCH} cells, tasks of {BATCH} cells / 200 patients, worker processes "
          f"with --concurrency 1; {cores} core(s) here (shared with the fake, the database "
          f"and this process)")
    results = measure(args, base)
    one = results[0]
    print(f"{'workers':>7} {'fill s':>7} {'cells/s':>8} {'x1':>5} {'linear':>6} {'tasks':>5} "
          f"{'requests':>8} {'cells/batch':>11} {'rows':>8} | {'reports s':>9} "
          f"{'patients/s':>10} {'x1':>5} {'linear':>6} {'tasks':>5}")
    for r in results:
        fill_x = one["fill_s"] / r["fill_s"]
        rep_x = one["reports_s"] / r["reports_s"]
        print(f"{r['workers']:>7} {r['fill_s']:>7.1f} {r['cells'] / r['fill_s']:>8.1f} "
              f"{fill_x:>5.2f} {fill_x / r['workers']:>6.0%} {r['fill_tasks']:>5} "
              f"{r['requests']:>8} {math.ceil(r['cells'] / BATCH):>11} {r['rows']:>8} | "
              f"{r['reports_s']:>9.1f} {r['patients'] / r['reports_s']:>10.1f} {rep_x:>5.2f} "
              f"{rep_x / r['workers']:>6.0%} {r['report_tasks']:>5}")
    print("requests per run / (cells / batch) = "
          + ", ".join(f"{r['requests'] / math.ceil(r['cells'] / BATCH):.2f}" for r in results)
          + " (one archive chunk and one forecast request per batch of cells)")
    print(f"as of {date.today().isoformat()}; speed-up goal: within 80% of linear up to the "
          f"cores available")


if __name__ == "__main__":
    main()
