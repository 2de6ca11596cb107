"""Power to detect a change in weather sensitivity, for a clinician's own patients (issue #12).

The CLI's ``power --from-clinician`` and the clinician's /cohort/power page both use these
functions: the clinic's baseline rates and pressure climate come from the stored report
summaries of the linked patients (each view audit-logged, detail ``power``).

The page asks :data:`ANSWERS` (:class:`PowerAnswers`): an answer is computed once per process
for its inputs (the scenario's values, the grid, the simulations and the seed), in one
background thread, and kept; a request waits a little for a cold answer and otherwise shows
that it is being computed. The answer is the same function of its inputs as the CLI's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import astuple
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from correlation.power import Scenario, power_table, scenario_from_counts, weeks_needed
from tracker.models import User
from tracker.reports.access import clinician_summaries
from tracker.reports.settings import ReportSettings

#: Baseline keys of report v1 that scenario_from_counts reads, in its order.
BASELINE_KEYS = ("onsets_window", "at_risk_window_days", "onsets_nonwindow",
                 "at_risk_nonwindow_days", "window_days", "nonwindow_days")
#: Entered values when neither the clinic nor the person asking gives them (the demo's scale).
DEFAULTS = {"base_rate": 0.12, "sensitivity": 3.0, "window_share": 0.33}


def clinic_baseline_rows(session: Session, clinician: User, *, settings: ReportSettings,
                         now: datetime | None = None) -> list[list[float]]:
    """Baseline counts (BASELINE_KEYS) of the clinician's patients with a stored report."""
    found = clinician_summaries(session, clinician, settings=settings, detail="power", now=now)
    rows = []
    for _patient, summary in found:
        base = (summary or {}).get("periods", {}).get("baseline") or {}
        if all(isinstance(base.get(k), int | float) for k in BASELINE_KEYS):
            rows.append([float(base[k]) for k in BASELINE_KEYS])
    return rows


def scenario_for(rows: Sequence[Sequence[float]] | None, entered: dict[str, float | None],
                 **extra: Any) -> Scenario:
    """The clinic's pooled baseline (``rows``) or DEFAULTS, under the values entered.

    ValueError (naming the value) when the rows hold no onsets or a value is out of range.
    """
    given = {k: v for k, v in entered.items() if v is not None}
    if rows is not None:
        return scenario_from_counts(rows, **given, **extra)
    return Scenario(**{**DEFAULTS, **given, **extra})


def power_answer(scenario: Scenario, *, ratios: Sequence[float], patients: Sequence[int],
                 weeks: Sequence[int], simulations: int, seed: int = 0, target: float = 0.8,
                 max_weeks: int = 156, single_simulations: int = 4000,
                 clinic_patients: int | None = None) -> dict[str, Any]:
    """The cohort power table and the one-patient 'how many more weeks', as JSON-safe data."""
    cells = power_table(scenario, ratios, patients, weeks, simulations, seed)
    current = min(weeks)
    singles = [weeks_needed(scenario, r, current_weeks=current, target=target,
                            max_weeks=max(max_weeks, current), simulations=single_simulations,
                            seed=seed) for r in ratios]
    return {
        "inputs": {"base_rate": scenario.base_rate, "sensitivity": scenario.sensitivity,
                   "window_share": scenario.window_share, "tau": scenario.tau,
                   "baseline_weeks": scenario.baseline_weeks},
        "clinic_patients": clinic_patients, "simulations": simulations, "seed": seed,
        "cohort": [c.to_dict() for c in cells],
        "one_patient": [s.to_dict() for s in singles],
    }


def answer_key(scenario: Scenario, **grid: Any) -> tuple[Hashable, ...]:
    """What a power answer depends on: every scenario value and every argument of the grid."""
    return (astuple(scenario), *sorted((k, tuple(v) if isinstance(v, list | tuple) else v)
                                       for k, v in grid.items()))


class PowerAnswers:
    """Power answers by their inputs, computed once per process in a background thread.

    One worker thread computes (so a clinic's requests never run several simulations at once
    on a web worker); finished answers are kept, the ``size`` most recently used. A
    computation that fails is forgotten, so the next request tries again, and its error
    reaches the request that waits for it.
    """

    def __init__(self, size: int = 32) -> None:
        """An empty store of at most ``size`` answers."""
        self.size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._running: dict[Hashable, Future[dict[str, Any]]] = {}
        self._executor: ThreadPoolExecutor | None = None

    def get(self, key: Hashable, compute: Callable[[], dict[str, Any]],
            wait: float) -> dict[str, Any] | None:
        """The answer for ``key``; computed (in the background) when new. None if it is not
        ready within ``wait`` seconds (ask again later: the computation goes on)."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            future = self._running.get(key)
            if future is None:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="power")
                future = self._executor.submit(self._compute, key, compute)
                self._running[key] = future
        try:
            return future.result(timeout=max(wait, 0.0))
        except FutureTimeout:
            return None

    def _compute(self, key: Hashable, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            answer = compute()
        except BaseException:
            with self._lock:
                self._running.pop(key, None)
            raise
        with self._lock:  # stored and no longer running in one step: never computed twice
            self._done[key] = answer
            while len(self._done) > self.size:
                self._done.popitem(last=False)
            self._running.pop(key, None)
        return answer

    def clear(self) -> None:
        """Forget every finished answer (running computations finish and are kept)."""
        with self._lock:
            self._done.clear()


#: The process's power answers (the clinician's /cohort/power page).
ANSWERS = PowerAnswers()


def cached_power_answer(scenario: Scenario, *, wait: float, answers: PowerAnswers = ANSWERS,
                        **grid: Any) -> dict[str, Any] | None:
    """:func:`power_answer` for these inputs from ``answers`` (computed once), or None while
    it is still being computed after ``wait`` seconds."""
    return answers.get(answer_key(scenario, **grid),
                       lambda: power_answer(scenario, **grid), wait)
