"""refresh-reports' per-patient work: in this process, or with a pool of worker processes.

``[jobs] processes`` (0: one per core) decides. With one process each patient is checked,
computed and stored in one short write transaction, as before. With more, the work is split
by what may cross a process boundary (``correlation`` is pure numpy; database connections
are never shared between processes):

- this process reads: whether the patient's snapshot is fresh and, if not, the plain
  :class:`~correlation.PatientSeries` (a read-only transaction, so on SQLite no write lock);
- a worker process (``spawn``ed: no forked threads or connections) computes the report and
  its two JSON forms from the series alone;
- this process writes each snapshot in a short transaction of its own, with the diary stamp
  the series was read at (a diary change meanwhile leaves the snapshot stale, not wrong).

Reading the next patients overlaps with the workers' computing; at most two series per worker
wait in the queue. Both paths yield one :class:`Outcome` per patient checked.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from jobs.context import JobContext
from tracker.models import User
from tracker.reports.compute import compute_snapshot
from tracker.reports.snapshots import (
    SnapshotInput,
    refresh_snapshot,
    snapshot_input,
    write_snapshot,
)

#: Series queued per worker process (bounds the memory held for waiting patients).
QUEUED_PER_PROCESS = 2


@dataclass(frozen=True)
class Outcome:
    """One patient: whether a snapshot was written (or removed), or the error; ``checked``
    is False for a patient deleted while the job ran."""

    patient_id: int
    written: bool = False
    error: str | None = None
    checked: bool = True


#: With ``[jobs] processes = 0``, a worker process per this many patients (at most one per
#: core): starting the pool costs about 1.9 s (each spawned worker imports numpy and SciPy;
#: bench_refresh.py: 40 patients took 0.84 s in one process, 2.69 s with two), which a worker
#: earns back only over a few hundred patients.
PATIENTS_PER_PROCESS = 250


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pool_size(configured: int, patients: int | None = None) -> int:
    """Worker processes for ``[jobs] processes``: the value itself; for 0, one per core, but
    (given the number of ``patients``) no more than one per PATIENTS_PER_PROCESS."""
    if configured > 0:
        return configured if patients is None else max(1, min(configured, patients))
    if patients is None:
        return cores()
    return max(1, min(cores(), patients // PATIENTS_PER_PROCESS))


def _error(patient_id: int, exc: BaseException) -> Outcome:
    """The outcome of a patient whose refresh raised ``exc``."""
    return Outcome(patient_id, error=f"{type(exc).__name__}: {exc}")


def refresh_in_process(
    ctx: JobContext, patient_ids: Sequence[int], now: datetime
) -> Iterator[Outcome]:
    """Check, compute and store each patient's snapshot here, one transaction each; stops
    early (yielding nothing more) when the process is stopping."""
    settings = ctx.settings.reports
    for patient_id in patient_ids:
        if ctx.stop.is_set():
            return
        try:
            with ctx.session_factory.begin() as session:
                patient = session.get(User, patient_id)
                written = patient is not None and refresh_snapshot(session, patient, settings,
                                                                   now)
        except Exception as exc:
            yield _error(patient_id, exc)
        else:
            yield Outcome(patient_id, written, checked=patient is not None)


def _read(ctx: JobContext, patient_id: int, now: datetime) -> SnapshotInput | Outcome:
    """What the patient's refresh needs, or its Outcome already (fresh, deleted meanwhile,
    or an error), read without taking a write lock."""
    try:
        with ctx.reader() as session:
            patient = session.get(User, patient_id)
            if patient is None:
                return Outcome(patient_id, checked=False)
            todo = snapshot_input(session, patient, ctx.settings.reports, now)
    except Exception as exc:
        return _error(patient_id, exc)
    return Outcome(patient_id) if todo is None else todo


def _store(ctx: JobContext, todo: SnapshotInput, now: datetime,
           computed: Future | None) -> Outcome:
    """Write the snapshot the worker computed (or remove it when there is no series)."""
    try:
        result = None if computed is None else computed.result()
        with ctx.session_factory.begin() as session:
            written = write_snapshot(session, todo, ctx.settings.reports, now, result)
    except Exception as exc:
        return _error(todo.patient_id, exc)
    return Outcome(todo.patient_id, written)


def refresh_in_pool(
    ctx: JobContext, patient_ids: Sequence[int], now: datetime, processes: int
) -> Iterator[Outcome]:
    """Refresh with ``processes`` worker processes computing the reports (module docstring);
    stops early (queued work cancelled) when the process is stopping."""
    settings = ctx.settings.reports
    context = multiprocessing.get_context("spawn")
    queued: deque[tuple[SnapshotInput, Future]] = deque()
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        try:
            for patient_id in patient_ids:
                if ctx.stop.is_set():
                    return
                todo = _read(ctx, patient_id, now)
                if isinstance(todo, Outcome):
                    yield todo
                elif todo.series is None:  # no course: remove a stored snapshot
                    yield _store(ctx, todo, now, None)
                else:
                    queued.append((todo, pool.submit(compute_snapshot, todo.series, settings,
                                                     now)))
                while len(queued) >= QUEUED_PER_PROCESS * processes:
                    todo, computed = queued.popleft()
                    yield _store(ctx, todo, now, computed)
            while queued and not ctx.stop.is_set():
                todo, computed = queued.popleft()
                yield _store(ctx, todo, now, computed)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
