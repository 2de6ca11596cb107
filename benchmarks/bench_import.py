"""Benchmark of the attack CSV import: 100,000 rows, all or nothing.

For each database (a temporary SQLite file; PostgreSQL in a temporary schema when
TEST_DATABASE_URL is set) it prints the median of 3 runs of:

- importing 10,000 and 100,000 rows into a patient who already has 1,000 stored attacks
  (local times without offsets, so every row goes through the DST checks), and the ratio of
  the two (10 means linear; the per-row import this replaced grew with the square);
- the same 100,000-row file with one bad last line: refused, nothing stored;
- the per-row path the import used before (``check_overlap`` and ``record_attack`` per row)
  for 2,000 rows, for comparison.

Then the peak memory of one 100,000-row import on SQLite (tracemalloc, Python objects; that
run is not timed) and the process's peak resident set size.

    .venv/bin/python benchmarks/bench_import.py
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrations.metadata import create_all  # noqa: E402
from tracker.accounts.users import create_user
from tracker.database import make_engine  # noqa: E402
from tracker.diary.attacks_csv import COLUMNS, CSVImportError, import_attacks
from tracker.models import Attack, User  # noqa: E402

RUNS = 3
SIZES = (10_000, 100_000)
STORED = 1_000
PER_ROW = 2_000
ZONE = "Europe/Berlin"
#: Local wall times of the generated attacks (none near a clock change).
HOURS = (6, 14, 22)
FIRST_DAY = datetime(1930, 1, 1)


def _csv(n: int, first: int = 0, bad_last: bool = False) -> str:
    """``n`` attacks of 2 hours, three a day from FIRST_DAY, local times without offsets."""
    lines = [",".join(COLUMNS)]
    for k in range(first, first + n):
        start = FIRST_DAY + timedelta(days=k // 3, hours=HOURS[k % 3])
        end = start + timedelta(hours=2)
        note = f'"woke up, row {k}"' if k % 5 == 0 else ""
        lines.append(f"{start.isoformat()},{end.isoformat()},migraine,{k % 11},"
                     f"{'yes' if k % 2 else 'no'},ibuprofen,yes,{k % 7},,{note}")
    if bad_last:
        lines[-1] = lines[-1].replace(",migraine,", ",cluster,")
    return "\n".join(lines) + "\n"


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Attack)) or 0


@contextmanager
def _patient(url: str) -> Iterator[tuple[Session, User]]:
    """A fresh schema with one patient holding STORED attacks (after every generated row)."""
    engine = make_engine(url)
    create_all(engine)
    try:
        with Session(engine) as session:
            patient = create_user(session, email="p@example.org", password="long enough",
                                  role="patient", timezone=ZONE, latitude=52.5, longitude=13.4)
            import_attacks(session, patient, _csv(STORED, first=3 * 33_500))
            session.commit()
            yield session, patient
    finally:
        engine.dispose()


def _timed(url: str, action: Callable[[Session, User], object]) -> float:
    with _patient(url) as (session, patient):
        t = time.perf_counter()
        action(session, patient)
        session.commit()
        return time.perf_counter() - t


def _import(n: int) -> Callable[[Session, User], object]:
    body = _csv(n)

    def run(session: Session, patient: User) -> None:
        assert import_attacks(session, patient, body) == n
        assert _count(session) == n + STORED

    return run


def _refused(session: Session, patient: User) -> None:
    try:
        import_attacks(session, patient, _csv(SIZES[-1], bad_last=True))
    except CSVImportError as exc:
        assert len(exc.errors) == 1 and exc.errors[0].line == SIZES[-1] + 1, exc.errors[:3]
    else:
        raise AssertionError("the bad file was imported")
    session.rollback()
    assert _count(session) == STORED


def _per_row(session: Session, patient: User) -> None:
    """The import before the bulk path: a query and a flush per row."""
    from tracker.diary.attacks import check_overlap, record_attack
    from tracker.diary.attacks_csv import parse_attacks_csv

    parsed = parse_attacks_csv(_csv(PER_ROW), ZONE)
    for _, data in parsed:
        check_overlap(session, patient, data, None)
    for _, data in parsed:
        record_attack(session, patient, data, source="import")


def bench(make_url_: Callable[[], str]) -> dict[str, float]:
    """Median seconds of each measurement; ``make_url_`` gives an empty database per run."""
    actions = {f"import {n:,}": _import(n) for n in SIZES}
    actions["refused 100,000"] = _refused
    actions[f"per-row {PER_ROW:,}"] = _per_row
    return {name: statistics.median(_timed(make_url_(), action) for _ in range(RUNS))
            for name, action in actions.items()}


def _report(name: str, medians: dict[str, float]) -> None:
    small, large = (medians[f"import {n:,}"] for n in SIZES)
    per_row = medians[f"per-row {PER_ROW:,}"]
    print(f"{name} (median of {RUNS}; {STORED:,} attacks stored before):")
    for n in SIZES:
        seconds = medians[f"import {n:,}"]
        print(f"  import {n:>7,} rows   {seconds:7.2f} s  ({n / seconds:,.0f} rows/s)")
    print(f"  ratio 100,000 / 10,000   {large / small:5.1f}x  (10x rows; linear = 10)")
    print(f"  refused 100,000 (bad last line, nothing stored) {medians['refused 100,000']:6.2f} s")
    speedup = (per_row / PER_ROW) / (large / SIZES[-1])
    print(f"  per-row path, {PER_ROW:,} rows  {per_row:7.2f} s  ({PER_ROW / per_row:,.0f} rows/s;"
          f" the bulk import of 100,000 is {speedup:.0f}x faster per row)")


def _memory(url: str) -> None:
    body = _csv(SIZES[-1])
    with _patient(url) as (session, patient):
        tracemalloc.start()
        import_attacks(session, patient, body)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        session.commit()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of one {SIZES[-1]:,}-row import (SQLite): {peak / 2**20:,.0f} MiB "
          f"traced Python allocations (file text {len(body) / 2**20:.1f} MiB); "
          f"process peak RSS so far {rss:,.0f} MiB")


@contextmanager
def _pg_schemas(url: str) -> Iterator[Callable[[], str]]:
    """Yield a maker of fresh PostgreSQL schemas (URLs); drop them all afterwards."""
    base = make_url(url)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    made: list[str] = []

    def fresh() -> str:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
        return scoped.render_as_string(hide_password=False)

    try:
        yield fresh
    finally:
        with admin.begin() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    print(f"attack import benchmark: {SIZES[-1]:,} rows, timezone {ZONE}")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))
        _report("SQLite", bench(lambda: f"sqlite:///{Path(tmp) / f'b{next(counter)}.sqlite3'}"))
        _memory(f"sqlite:///{Path(tmp) / 'memory.sqlite3'}")
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        with _pg_schemas(pg) as fresh:
            _report("PostgreSQL", bench(fresh))
    else:
        print("PostgreSQL: skipped (TEST_DATABASE_URL is not set)")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"finished {stamp}")


if __name__ == "__main__":
    main()
