"""CSV exports of a patient's data: attacks, the daily table, hourly pressure, report summary.

Every export is formula-escaped (tracker.csvfmt); the caller logs the export in the audit log
when the person exporting is not the patient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from correlation.days import DAY_KEYS
from tracker.csvfmt import write_csv
from tracker.diary.attacks import list_attacks
from tracker.diary.attacks_csv import export_attacks_csv
from tracker.diary.medications import medications_text
from tracker.diary.profile import list_location_periods, require_patient
from tracker.models import User
from tracker.reports.clinical import DAILY_MEDICATION_COLUMNS, daily_medication
from tracker.reports.clinical_practice import DAILY_COLUMNS, daily_clinical
from tracker.reports.series import cell_spans, local_midnight_utc, patient_report
from tracker.reports.settings import ReportSettings
from weather.observations import iter_export_rows

#: What can be exported for a patient (each a CSV).
EXPORT_KINDS = ("attacks", "daily", "pressure", "summary")
PRESSURE_COLUMNS = ("observed_at", "surface_pressure_hpa", "msl_hpa", "source", "location")
SUMMARY_COLUMNS = ("section", "name", "value", "ci_low", "ci_high", "p_value")
PERIOD_FIELDS = (
    "start", "end", "covered_days", "migraine_days", "mmd", "weather_linked_days",
    "weather_linked_mmd", "non_weather_days", "non_weather_mmd", "unclassified_days",
    "window_days", "nonwindow_days", "onsets_window", "at_risk_window_days",
    "onsets_nonwindow", "at_risk_nonwindow_days", "migraine_window_days",
    "migraine_nonwindow_days", "attributable_mmd", "pressure_coverage",
)


def attacks_csv(session: Session, patient: User) -> str:
    """The patient's attacks in the import format (with their medications)."""
    return export_attacks_csv(list_attacks(session, patient), medications_text(session, patient))


#: The clinical diary's day columns after the report's (issue #16).
CLINICAL_DAY_COLUMNS = DAILY_MEDICATION_COLUMNS + DAILY_COLUMNS


def daily_csv(report: Mapping[str, Any],
              clinical: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """One row per day with every column of the report's ``days`` (needs include_days), then
    the clinical diary's day columns (medication day, classes, function, practice, worry,
    period day, triggers; issue #16)."""
    empty = dict.fromkeys(CLINICAL_DAY_COLUMNS)
    rows = [{**day, **empty, **(clinical or {}).get(day["date"], {})}
            for day in report.get("days") or []]
    return write_csv(DAY_KEYS + CLINICAL_DAY_COLUMNS, rows)


def daily_clinical_rows(session: Session, patient: User) -> dict[str, dict[str, Any]]:
    """The clinical day columns of every day with an entry (practice and medication parts)."""
    rows: dict[str, dict[str, Any]] = {}
    for part in (daily_clinical(session, patient), daily_medication(session, patient)):
        for day, values in part.items():
            rows.setdefault(day, {}).update(values)
    return rows


def _interval_row(section: str, name: str, iv: Mapping[str, Any]) -> dict[str, Any]:
    return {"section": section, "name": name, "value": iv.get("estimate"),
            "ci_low": iv.get("ci_low"), "ci_high": iv.get("ci_high"),
            "p_value": iv.get("p_value")}


def summary_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report as long rows: section, name, value, interval and p-value where they exist."""
    rows: list[dict[str, Any]] = [
        {"section": "report", "name": "schema", "value": report["schema"]},
        {"section": "report", "name": "generated_at", "value": report["generated_at"]},
    ]
    rows += [{"section": "config", "name": k, "value": v} for k, v in report["config"].items()]
    rows += [{"section": "course", "name": k, "value": v} for k, v in report["course"].items()]
    for period, stats in report["periods"].items():
        for name in PERIOD_FIELDS:
            rows.append({"section": period, "name": name, "value": stats.get(name)})
        rows.append(_interval_row(period, "exposure_rate_ratio", stats["exposure_rate_ratio"]))
    comparison = report["comparison"]
    for name in ("mmd_change", "mmd_change_pct", "responder_50"):
        rows.append({"section": "comparison", "name": name, "value": comparison[name]})
    for kind, iv in comparison["rate_ratio"].items():
        rows.append(_interval_row("comparison", f"rate_ratio_{kind}", iv))
    for name in ("ratio_of_rate_ratios", "sensitivity_ratio"):
        rows.append(_interval_row("comparison", name, comparison[name]))
    for section in ("findings", "warnings"):
        rows += [{"section": section, "name": f["code"], "value": f["text"]}
                 for f in report[section]]
    return rows + clinical_summary_rows(report.get("clinical") or {})


def clinical_summary_rows(clinical: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The medication and function numbers of the report's ``clinical`` object as long rows
    (section ``clinical.<part>.<period>``); the overuse note comes with its context row."""
    rows: list[dict[str, Any]] = []
    med = clinical.get("medication") or {}
    if med.get("context"):
        rows.append({"section": "clinical.medication", "name": "context",
                     "value": med["context"]})
    for period, stats in (med.get("periods") or {}).items():
        section = f"clinical.medication.{period}"
        rows += [{"section": section, "name": name, "value": stats[name]}
                 for name in ("medication_days", "medication_days_per_28")]
        rows += [{"section": section, "name": f"{cls}_days", "value": v["days"]}
                 for cls, v in stats["by_class"].items()]
        rows.append({"section": section, "name": "overuse_at_or_above",
                     "value": stats["overuse"]["at_or_above"]})
        if stats["overuse"]["note"]:
            rows.append({"section": section, "name": "overuse_note",
                         "value": stats["overuse"]["note"]})
    for period, stats in ((clinical.get("function") or {}).get("periods") or {}).items():
        rows += [{"section": f"clinical.function.{period}", "name": name, "value": value}
                 for name, value in stats.items()]
    return rows


def summary_csv(report: Mapping[str, Any]) -> str:
    """The report summary as CSV (section, name, value, ci_low, ci_high, p_value)."""
    return write_csv(SUMMARY_COLUMNS, summary_rows(report))


def pressure_rows(
    session: Session, patient: User, report: Mapping[str, Any], grid_degrees: float
) -> Iterator[dict[str, Any]]:
    """Hourly pressure the report used: each location period's cell over its days (UTC, hPa)."""
    profile = require_patient(patient)
    zone = ZoneInfo(profile.timezone)
    days = report.get("days") or []
    if not days:
        return
    first, last = date.fromisoformat(days[0]["date"]), date.fromisoformat(days[-1]["date"])
    periods = list_location_periods(session, patient)
    for span in cell_spans(session, periods, first, last, grid_degrees):
        if span.cell_id is None:
            continue
        lo = local_midnight_utc(span.first_day, zone)
        hi = local_midnight_utc(span.last_day + timedelta(days=1), zone)
        label = f"{span.latitude:.4f},{span.longitude:.4f}"
        for row in iter_export_rows(session, span.cell_id, lo, hi):
            yield {**row, "location": label}


def pressure_csv(
    session: Session, patient: User, report: Mapping[str, Any], grid_degrees: float
) -> str:
    """The hourly pressure export as CSV."""
    return write_csv(PRESSURE_COLUMNS, pressure_rows(session, patient, report, grid_degrees))


def patient_export(
    session: Session,
    patient: User,
    kind: str,
    *,
    settings: ReportSettings,
) -> str | None:
    """One of EXPORT_KINDS as CSV text; None when a report is needed and there is no course."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(EXPORT_KINDS)}")
    if kind == "attacks":
        return attacks_csv(session, patient)
    report = patient_report(session, patient, settings=settings)
    if report is None:
        return None
    data = report.to_dict(include_days=True)
    if kind == "daily":
        return daily_csv(data, daily_clinical_rows(session, patient))
    if kind == "summary":
        return summary_csv(data)
    return pressure_csv(session, patient, data, settings.grid_degrees)
