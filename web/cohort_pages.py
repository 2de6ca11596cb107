"""What the clinician's cohort and power pages compute (their routes live in web.dashboard).

/cohort answers the clinician's question (issue #13) for the weather-sensitive subgroup or all
patients, with comparison patients (DESIGN A8); /cohort/power runs the power simulation
(issue #12) for the clinic's own baselines or entered values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlation.subgroup import (
    MIN_BASELINE_RATIO,
    MIN_BASELINE_WINDOW_ONSETS,
    SUBGROUPS,
    SubgroupRule,
    answer_sentence,
)
from tracker.models import User
from tracker.reports.cohort import clinician_cohort
from tracker.reports.power import cached_power_answer, clinic_baseline_rows, scenario_for
from tracker.reports.settings import ReportSettings
from web import charts
from web.chart_specs import script_json
from web.forms import PowerForm

#: The power page's grid (issue #12): patients, follow-up weeks, true sensitivity ratios.
POWER_PATIENTS = (10, 20, 50, 100)
POWER_WEEKS = (12, 24, 52)
POWER_RATIOS = (0.5, 0.75)
#: Simulated patients per follow-up length for the one-patient answer (vectorised, fast).
SINGLE_SIMULATIONS = 1000
#: Seconds a request waits for an answer not yet computed; after that the page says it is
#: being computed and refreshes itself every POWER_REFRESH_SECONDS (the work goes on).
POWER_WAIT_SECONDS = 2.5
POWER_REFRESH_SECONDS = 3


class BadQuery(ValueError):
    """A query parameter of the cohort page that cannot be used (names the parameter)."""


def _number(args: Mapping[str, str], name: str, kind: type, default: float) -> Any:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        raise BadQuery(f"{name} must be a {'whole ' if kind is int else ''}number") from exc


def cohort_options(args: Mapping[str, str]) -> tuple[SubgroupRule, bool]:
    """The subgroup rule and include_insufficient from the query (BadQuery names a bad one)."""
    name = args.get("group", "sensitive") or "sensitive"
    if name not in SUBGROUPS:
        raise BadQuery(f"group must be one of {', '.join(SUBGROUPS)}")
    min_ratio = _number(args, "min_ratio", float, MIN_BASELINE_RATIO)
    min_onsets = _number(args, "min_onsets", int, MIN_BASELINE_WINDOW_ONSETS)
    try:
        rule = SubgroupRule(name, min_ratio, min_onsets)
    except ValueError as exc:
        raise BadQuery(str(exc)) from exc
    return rule, args.get("include_insufficient", "") in ("1", "true", "yes")


def cohort_context(session: Any, clinician: User, settings: ReportSettings,
                   args: Mapping[str, str]) -> dict[str, Any]:
    """Everything cohort.html shows, for the tab and rule the query asks for."""
    rule, include = cohort_options(args)
    summary = clinician_cohort(session, clinician, settings=settings,
                               subgroup=None if rule.name == "all" else rule,
                               include_insufficient=include).to_dict()
    if summary["subgroup"] is None:
        summary["subgroup"] = rule.to_dict()
    treated_only = {**summary, "rows": [r for r in summary["rows"] if r["group"] == "treated"]}
    spec = charts.forest_plot(treated_only)
    keep = {"min_ratio": f"{rule.min_ratio:g}", "min_onsets": str(rule.min_onsets)}
    return {
        "summary": summary, "rule": rule, "include": include, "keep": keep,
        "answer": answer_sentence(summary["pooled_sensitivity_ratio"], summary["n_analysed"],
                                  settings.method.confidence),
        "charts": {"forest": script_json(spec)},
        "forest": charts.forest_rows(treated_only),
    }


def power_context(session: Any, clinician: User, settings: ReportSettings,
                  args: Mapping[str, str]) -> dict[str, Any]:
    """The power form, the clinic's baseline (if any) and, when asked, the power table."""
    form = PowerForm(args)
    rows = clinic_baseline_rows(session, clinician, settings=settings)
    # the views are audit-logged: commit before the simulation, so that no write transaction
    # stays open while the page waits for it
    session.commit()
    clinic = None
    if rows:
        try:
            clinic = scenario_for(rows, {})
        except ValueError:
            rows = []
    out: dict[str, Any] = {"form": form, "clinic": clinic, "clinic_patients": len(rows),
                           "result": None, "grid": (POWER_PATIENTS, POWER_WEEKS, POWER_RATIOS)}
    if "run" not in args or not form.validate():
        return out
    entered = {"base_rate": form.base_rate.data, "sensitivity": form.sensitivity.data,
               "window_share": form.window_share.data}
    use_clinic = form.source.data == "clinic" and bool(rows)
    try:
        scenario = scenario_for(rows if use_clinic else None, entered, tau=form.tau.data,
                                baseline_weeks=form.baseline_weeks.data)
    except ValueError as exc:
        form.source.errors = [*form.source.errors, str(exc)]
        return out
    out["result"] = cached_power_answer(
        scenario, wait=POWER_WAIT_SECONDS, ratios=POWER_RATIOS, patients=POWER_PATIENTS,
        weeks=POWER_WEEKS, simulations=form.simulations.data,
        single_simulations=SINGLE_SIMULATIONS,
        clinic_patients=len(rows) if use_clinic else None)
    if out["result"] is None:
        out["refresh_seconds"] = POWER_REFRESH_SECONDS
    else:
        out["table"] = power_rows(out["result"])
    return out


def power_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One table per ratio: rows by patients, cells by weeks."""
    tables = []
    for ratio in POWER_RATIOS:
        cells = {(c["patients"], c["weeks"]): c for c in result["cohort"]
                 if c["ratio"] == ratio}
        tables.append({"ratio": ratio, "rows": [
            {"patients": k, "cells": [cells[k, w] for w in POWER_WEEKS]}
            for k in POWER_PATIENTS]})
    return tables
