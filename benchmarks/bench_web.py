"""Server time of the patient dashboard and the clinician list (prints medians and ratios).

50 simulated patients with two years of hourly pressure each (one grid cell each), all linked
to one clinician. The clinician list reads the stored report snapshots (as after the nightly
refresh-reports job); the first, cold request computes and stores them. Target: median under
150 ms for both pages.

For one two-year patient it also prints (issue #17): the dashboard's server time divided by
``correlation.analyze``'s time on the same series (goal: at most 8x; the two are timed in
turn, so a busy machine slows both alike), where the rest of the request goes, and the time
to load the two years of pressure (goal: under 10 ms on SQLite). On SQLite, and on
PostgreSQL too when TEST_DATABASE_URL is set (in a temporary schema, dropped afterwards).

Run: .venv/bin/python benchmarks/bench_web.py
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
from databases import each_database

from correlation.simulate import simulate_patient
from migrations.runner import upgrade
from tracker.accounts.users import create_user
from tracker.database import make_engine, make_session_factory
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.courses import record_course
from tracker.diary.profile import add_location_period
from tracker.models import CareLink
from tracker.settings import Settings
from weather.grid import get_or_create_cell
from weather.observations import upsert_observations

PATIENTS = 50
DAYS = 730
RUNS = 15
#: When the seeded pressure arrived: before today, as in a running service, where the pulls
#: stored it over the past days and today's list reads the snapshots of the nightly refresh.
ARRIVED = datetime.now(UTC) - timedelta(days=1)


def seed(factory, now: datetime) -> None:
    """Create the clinician and the patients with their diaries and pressure."""
    with factory.begin() as s:
        clinician = create_user(s, email="c@bench.example", password="bench-password",
                                role="clinician", now=now)
        for i in range(PATIENTS):
            lat, lon = 40.0 + i * 0.3, -3.0 + (i % 10) * 0.4
            sim = simulate_patient(i, report_date=now.date(), days=DAYS, timezone="UTC")
            p = create_user(s, email=f"p{i}@bench.example", password="bench-password",
                            role="patient", timezone="UTC", now=now)
            p.profile.tracking_started_on = sim.tracking_start
            add_location_period(s, p, starts_on=sim.tracking_start, latitude=lat, longitude=lon,
                                timezone="UTC")
            record_course(s, p, started_on=sim.course.started_on, ended_on=sim.course.ended_on)
            for a in sim.attacks:
                if a.started_at < now and (a.ended_at is None or a.ended_at < now):
                    record_attack(s, p, AttackInput(started_at=a.started_at, ended_at=a.ended_at,
                                                    kind=a.kind), source="import", now=now)
            cell = get_or_create_cell(s, lat, lon, 0.1)
            hours = int(sim.pressure_start.timestamp()) + 3600 * np.arange(len(sim.pressure_hpa))
            keep = hours <= now.timestamp()
            upsert_observations(s, cell.id, hours[keep], sim.pressure_hpa[keep],
                                sim.pressure_hpa[keep] + 10, "simulated", ARRIVED)
            s.add(CareLink(patient_id=p.id, clinician_id=clinician.id, created_at=now))


def timed(client, url: str, runs: int = RUNS) -> list[float]:
    """Milliseconds of ``runs`` GETs (each must answer 200)."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - t0) * 1e3)
        assert response.status_code == 200, (url, response.status_code)
    return out


def login(client, email: str) -> None:
    """Log a test client in."""
    response = client.post("/login", data={"email": email, "password": "bench-password"})
    assert response.status_code == 302


def ratios(app, engine, now: datetime, settings: Settings) -> None:
    """Dashboard / analyze for one two-year patient, the share of its series, and the
    two-year pressure load; each timed in turn with the dashboard."""
    from correlation import analyze
    from tracker.accounts.users import require_user
    from tracker.diary.profile import list_location_periods
    from tracker.reports.series import cell_spans, patient_series
    from weather.loading import load_series

    client = app.test_client()
    login(client, "p7@bench.example")
    factory = make_session_factory(engine)
    with factory() as s:
        patient = require_user(s, "p7@bench.example")
        series = patient_series(s, patient, settings=settings.reports, now=now)
        [span] = cell_spans(s, list_location_periods(s, patient), series.tracking_start,
                            series.report_date, settings.reports.grid_degrees)
    start = series.pressure_start
    end = start + timedelta(hours=len(series.pressure_hpa))
    timings: dict[str, list[float]] = {k: [] for k in ("dashboard", "analyze", "series",
                                                       "load")}
    client.get("/dashboard")
    for _ in range(RUNS):
        timings["dashboard"] += timed(client, "/dashboard", runs=1)
        t0 = time.perf_counter()
        analyze(series, settings.analysis, generated_at=now)
        timings["analyze"].append((time.perf_counter() - t0) * 1e3)
        with factory() as s:
            t0 = time.perf_counter()
            patient_series(s, require_user(s, "p7@bench.example"), settings=settings.reports,
                           now=now)
            timings["series"].append((time.perf_counter() - t0) * 1e3)
        with factory() as s:
            t0 = time.perf_counter()
            values = load_series(s, span.cell_id, start, end)
            timings["load"].append((time.perf_counter() - t0) * 1e3)
    assert np.array_equal(values, series.pressure_hpa, equal_nan=True), "load differs"
    med = {k: statistics.median(v) for k, v in timings.items()}
    rest = med["dashboard"] - med["series"] - med["analyze"]
    print(f"dashboard / analyze, one patient ({len(values)} hours): "
          f"{med['dashboard']:.1f} ms / {med['analyze']:.1f} ms = "
          f"{med['dashboard'] / med['analyze']:.1f}x (goal at most 8x)")
    print(f"  of the dashboard: series from the database {med['series']:.1f} ms (pressure "
          f"{med['load']:.1f} ms of it), analyze {med['analyze']:.1f} ms, the rest (login, "
          f"charts, JSON, template, attribution) {rest:.1f} ms")
    print(f"two years of pressure loaded in {med['load']:.1f} ms (median of {RUNS}; "
          f"goal under 10 ms on SQLite)")


def run(url: str, name: str) -> None:
    """Seed a database at ``url`` and print every figure for it."""
    from web import create_app

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    seed(make_session_factory(engine), now)
    print(f"== {name}: seeded {PATIENTS} patients x {DAYS} days in "
          f"{time.perf_counter() - t0:.1f} s")
    base = Settings()
    settings = dataclasses.replace(
        base, database=dataclasses.replace(base.database, url=url),
        web=dataclasses.replace(base.web, secret_key="bench"),
    )
    app = create_app({"SETTINGS": settings, "ENGINE": engine, "WTF_CSRF_ENABLED": False})

    clinician = app.test_client()
    login(clinician, "c@bench.example")
    cold = timed(clinician, "/patients", runs=1)[0]
    warm = timed(clinician, "/patients")
    cohort = timed(clinician, "/cohort", runs=5)
    patient = app.test_client()
    login(patient, "p7@bench.example")
    dashboard = timed(patient, "/dashboard")
    with make_session_factory(engine)() as s:
        from tracker.accounts.users import require_user

        own_id = require_user(s, "p7@bench.example").id
    report = timed(patient, f"/patients/{own_id}/report")

    first = patient.get("/assets/vega-0.js", follow_redirects=True)
    t0 = time.perf_counter()
    again = patient.get(first.request.path)
    bundle_ms = (time.perf_counter() - t0) * 1e3

    def line(name: str, values: list[float]) -> str:
        med = statistics.median(values)
        return (f"{name}: median {med:.1f} ms (min {min(values):.1f}, max {max(values):.1f}, "
                f"{len(values)} runs; target 150 ms: {150 / med:.2f}x)")

    print(f"clinician list, cold (computes and stores {PATIENTS} snapshots): {cold:.0f} ms")
    print(line(f"clinician list, {PATIENTS} patients, snapshots fresh", warm))
    print(line(f"cohort page, {PATIENTS} patients", cohort))
    print(line(f"patient dashboard, {DAYS} days of hourly pressure", dashboard))
    print(line("patient report page", report))
    print(f"chart bundle: {len(again.data) / 1e6:.2f} MB, served from memory in {bundle_ms:.1f} ms"
          f", Cache-Control: {again.headers['Cache-Control']}")
    ratios(app, engine, now, settings)
    engine.dispose()


def main() -> None:
    """Run on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
    each_database(run, "mw-bench-web-")

if __name__ == "__main__":
    main()
