"""Benchmark of the Migraine Buddy import (issue #14): 100,000 rows, all or nothing.

Generates a Migraine Buddy export (an ongoing-attacks table, a blank line, the attack
table with offsets, geohashes, medication, triggers and notes with commas and line breaks)
and imports it the way the CLI does: ``plan_import`` (parse, compare with the diary) then
``apply_plan`` (lock, compare again, bulk insert) and a commit, on a temporary SQLite file.
It prints the median of 3 runs of:

- the first import of 100,000 rows (the goal of issue #14: under 10 s);
- importing the same file again (every row a duplicate: nothing added);
- the file with one bad last line: refused, nothing stored;

and the peak memory of one first import (tracemalloc, Python objects; that run is not
timed) with the process's peak resident set size. With TEST_DATABASE_URL set, the first
import is also timed on PostgreSQL.

    .venv/bin/python benchmarks/bench_import_formats.py [ROWS]
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_import import _pg_schemas  # noqa: E402
from migrations.metadata import create_all  # noqa: E402
from tracker.accounts.users import create_user  # noqa: E402
from tracker.database import make_engine  # noqa: E402
from tracker.diary.imports import CSVImportError, apply_plan, plan_import  # noqa: E402
from tracker.diary.imports.migraine_buddy import ATTACK_COLUMNS  # noqa: E402
from tracker.models import Attack, User  # noqa: E402

RUNS = 3
ROWS = 100_000
GOAL_SECONDS = 10.0
ZONE = ZoneInfo("Europe/Berlin")
#: Local start hours of the generated attacks: five a day, two hours each (no overlaps).
HOURS = (1, 6, 11, 16, 21)
FIRST_DAY = datetime(1970, 1, 1)
#: Home and a place visited every fifth month (geohashes of Berlin and Munich).
PLACES = ("u33dc0c", "u281z7h")
#: The commas after the four medication cells: the four non-drug cells, then the notes.
REST_EMPTY = "," * (len(ATTACK_COLUMNS) - ATTACK_COLUMNS.index("Unsure Medication") - 1)


def _offset(local: datetime) -> int:
    """Minutes east of UTC of a Berlin wall time (the first reading in a fold)."""
    return int(local.replace(tzinfo=ZONE).utcoffset().total_seconds()) // 60  # type: ignore


def mb_export(rows: int, bad_last: bool = False) -> str:
    """A Migraine Buddy export of ``rows`` attacks, five a day from FIRST_DAY."""
    out = ['"Date","Time Period","Description","Notes"',
           '"01/01/69 08:00","Morning","Migraine","still going"', "",
           ",".join(ATTACK_COLUMNS)]
    for k in range(rows):
        start = FIRST_DAY + timedelta(days=k // len(HOURS), hours=HOURS[k % len(HOURS)])
        end = start + timedelta(hours=2)
        place = PLACES[1] if start.month % 5 == 0 else PLACES[0]
        note = '"woke up, again\nsecond line"' if k % 7 == 0 else ""
        medication = "Ibuprofen,,," if k % 3 else ",,Paracetamol,"
        out.append(f"{k + 1},{start:%m/%d/%y %H:%M},02h 00m,{_offset(start)},{_offset(end)},"
                   f"{place},Migraine,Home,{k % 11},Work,\"Weather, Stress\",Nausea,Nausea,,"
                   f"Left temple,{medication}{REST_EMPTY}{note}")
    if bad_last:
        out[-1] = out[-1].replace(",02h 00m,", ",2 hours,")
    return "\n".join(out) + "\n"


@contextmanager
def _patient(url: str) -> Iterator[tuple[Session, User]]:
    engine = make_engine(url)
    create_all(engine)
    try:
        with Session(engine) as session:
            patient = create_user(session, email="p@example.org", password="long enough",
                                  role="patient", timezone=ZONE.key, latitude=52.5,
                                  longitude=13.4)
            session.commit()
            yield session, patient
    finally:
        engine.dispose()


def _import(session: Session, patient: User, data: bytes) -> int:
    plan = plan_import(session, patient, data)
    result = apply_plan(session, patient, plan)
    session.commit()
    return result.added


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Attack)) or 0


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _clock() -> Timing:
    return time.perf_counter(), time.process_time()


def _since(start: Timing) -> Timing:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def _first(rows: int, data: bytes) -> Callable[[Session, User], Timing]:
    def run(session: Session, patient: User) -> Timing:
        t = _clock()
        added = _import(session, patient, data)
        took = _since(t)
        assert added == rows + 1 and _count(session) == rows + 1, added
        return took
    return run


def _again(rows: int, data: bytes) -> Callable[[Session, User], Timing]:
    def run(session: Session, patient: User) -> Timing:
        _import(session, patient, data)
        t = _clock()
        added = _import(session, patient, data)
        took = _since(t)
        assert added == 0 and _count(session) == rows + 1
        return took
    return run


def _refused(rows: int, bad: bytes) -> Callable[[Session, User], Timing]:
    def run(session: Session, patient: User) -> Timing:
        t = _clock()
        try:
            _import(session, patient, bad)
        except CSVImportError as exc:
            assert [e.line for e in exc.errors] == [bad.count(b"\n")], exc.errors[:3]
        else:
            raise AssertionError("the bad file was imported")
        took = _since(t)
        session.rollback()
        assert _count(session) == 0
        return took
    return run


def _median(make_url: Callable[[], str], action: Callable[[Session, User], Timing]) -> Timing:
    times = []
    for _ in range(RUNS):
        with _patient(make_url()) as (session, patient):
            times.append(action(session, patient))
    return (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))


def _shown(timing: Timing) -> str:
    return f"{timing[0]:6.2f} s  (CPU {timing[1]:5.2f} s)"


def _memory(url: str, data: bytes) -> tuple[float, float]:
    with _patient(url) as (session, patient):
        tracemalloc.start()
        _import(session, patient, data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak / 2**20, rss


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    data = mb_export(rows).encode()
    bad = mb_export(rows, bad_last=True).encode()
    print(f"Migraine Buddy import benchmark: {rows:,} rows ({len(data) / 2**20:.1f} MiB), "
          f"timezone {ZONE.key}, median of {RUNS}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPU(s) (wall time grows with the load, CPU time does not)")
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))

        def fresh() -> str:
            return f"sqlite:///{Path(tmp) / f'b{next(counter)}.sqlite3'}"

        first = _median(fresh, _first(rows, data))
        verdict = "meets" if first[0] < GOAL_SECONDS else "MISSES"
        print(f"SQLite: first import      {_shown(first)}  {rows / first[0]:,.0f} rows/s; "
              f"{verdict} the {GOAL_SECONDS:.0f} s goal")
        print(f"SQLite: same file again   {_shown(_median(fresh, _again(rows, data)))}  "
              "every row a duplicate, nothing added")
        print(f"SQLite: bad last line     {_shown(_median(fresh, _refused(rows, bad)))}  "
              "refused, nothing stored")
        peak, rss = _memory(fresh(), data)
        print(f"peak memory of one first import (SQLite): {peak:,.0f} MiB traced Python "
              f"allocations; process peak RSS so far {rss:,.0f} MiB")
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        with _pg_schemas(pg) as fresh_pg:
            print(f"PostgreSQL: first import  {_shown(_median(fresh_pg, _first(rows, data)))}")
    else:
        print("PostgreSQL: skipped (TEST_DATABASE_URL is not set)")
    print(f"finished {datetime.now(UTC).isoformat(timespec='seconds')}, load average "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
