"""Power to detect a change in weather sensitivity, for a clinician's own patients (issue #12).

The CLI's ``power --from-clinician`` and the clinician's /cohort/power page both use these
functions: the clinic's baseline rates and pressure climate come from the stored report
summaries of the linked patients (each view audit-logged, detail ``power``).
"""

from __future__ import annotations

from collections.abc import Sequence
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
