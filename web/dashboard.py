"""Dashboards: the patient's own, a patient's report for clinicians, the cohort, CSV exports,
and the chart bundle (served by the app itself, so every page works offline)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import markdown
import numpy as np
import vl_convert
from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from correlation.cohort import first_guardrail_reason
from correlation.progress import guardrail_progress
from correlation.wording import course_words, fit_range, sensitivity_in_words, times_as_often
from tracker.cells import patient_cell_ids
from tracker.models import User
from tracker.reports.access import ReportView, clinician_summaries, view_report
from tracker.reports.access import export_csv as export_file
from weather.models import GridCell
from web import charts
from web.access import me, role_required
from web.chart_specs import script_json
from web.cohort_pages import BadQuery, cohort_context, power_context
from web.db import db_session, settings
from web.downloads import csv_download
from web.imports import history_status
from web.practice import practice_streak
from web.practice_chart import practice_chart

bp = Blueprint("dashboard", __name__)

#: One year: the bundle's URL carries its hash, so a new bundle gets a new URL.
BUNDLE_MAX_AGE = 365 * 24 * 3600
#: Hourly points drawn in the pressure timeline (every n-th hour beyond this).
MAX_TIMELINE_POINTS = 4000


@dataclass
class PatientView:
    """What a dashboard shows for one patient."""

    patient: Any
    report: dict[str, Any] | None
    charts: dict[str, dict[str, Any]]
    unit: str
    open_meteo: bool
    #: Unmet guardrails with progress (amendment A2): shown instead of headline numbers.
    progress: list[dict[str, Any]] = field(default_factory=list)


@bp.app_template_filter("num")
def num(value: Any, digits: int = 1, sign: bool = False) -> str:
    """Format a number for a page: fixed digits, optional sign, a dash when missing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


#: Findings a patient's own pages leave to the clinician's report: their sentences carry
#: rate ratios, "95% CI" and p-values; the patient sees the sensitivity in words instead.
CLINICIAN_ONLY_FINDINGS = frozenset({
    "weather_linked_change", "non_weather_change", "ratio_of_rate_ratios",
    "weather_sensitivity_change",
})


@bp.app_template_filter("patient_findings")
def patient_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings shown on a patient's own pages (no statistics jargon)."""
    return [f for f in findings if f["code"] not in CLINICIAN_ONLY_FINDINGS]


@bp.app_context_processor
def wording_helpers() -> dict[str, Any]:
    """Sentences about numbers for the templates, from correlation.wording (one place)."""
    return {"sensitivity_in_words": sensitivity_in_words, "fit_range": fit_range,
            "times_as_often": times_as_often, "course_words": course_words}


def _bundle() -> tuple[str, str]:
    """Return (JavaScript, short hash) of the vega-embed bundle, built once per process."""
    cached = current_app.extensions.get("mw_vega_bundle")
    if cached is None:
        text = vl_convert.javascript_bundle()
        cached = (text, hashlib.sha256(text.encode()).hexdigest()[:16])
        current_app.extensions["mw_vega_bundle"] = cached
    return cached


def bundle_text() -> str:
    """The chart bundle's JavaScript (the PDF's Chromium reads it from a local file)."""
    return _bundle()[0]


def bundle_url() -> str:
    """URL of the chart bundle (content-addressed, cached for a year)."""
    return url_for("dashboard.vega_bundle", digest=_bundle()[1])


@bp.route("/assets/vega-<digest>.js")
def vega_bundle(digest: str) -> ResponseReturnValue:
    """Vega, Vega-Lite and vega-embed in one file, from vl-convert (no CDN)."""
    text, actual = _bundle()
    if digest != actual:
        return redirect(url_for("dashboard.vega_bundle", digest=actual))
    response = Response(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={BUNDLE_MAX_AGE}, immutable"
    response.set_etag(actual)
    return response


def _report_view(patient_id: int, detail: str) -> ReportView:
    """The report of a patient the person asking may see (404 otherwise), audit-logged."""
    s = settings()
    return view_report(db_session(), me(), patient_id, settings=s.reports, detail=detail)


def _patient_view(seen: ReportView) -> PatientView:
    """The patient's report with its charts (pressure in the patient's unit)."""
    patient, series = seen.patient, seen.series
    unit = patient.profile.pressure_unit
    if series is None or seen.report is None:
        return PatientView(patient, None, {}, unit, False)
    report = seen.report.to_dict(include_days=True)
    days = report["days"]
    hours = timeline_points(series.pressure_start, series.pressure_hpa)
    attacks = [{"start": a.started_at.isoformat(), "kind": a.kind} for a in series.attacks]
    fall_days = [d["date"] for d in days if d["window"]]
    zoom = report["periods"].get(request.args.get("zoom", ""))
    window = (zoom["start"], zoom["end"]) if zoom and zoom["start"] and zoom["end"] else None
    chart_specs = {
        "calendar": charts.calendar_chart(days),
        "pressure": charts.pressure_chart(hours, attacks, fall_days, unit, report["periods"],
                                          window),
        "periods": charts.period_bars(report),
        # phones draw daily falls instead of thousands of hourly points (charts.js picks)
        "pressure_phone": charts.daily_fall_chart(days, attacks, unit,
                                                  report["config"]["drop_threshold_hpa"]),
    }
    practice = practice_chart(report)  # issue #16: practice beside the outcome
    if practice is not None:
        chart_specs["practice"] = practice
    progress = [p.to_dict() for p in guardrail_progress(seen.report, settings().analysis,
                                                        series.report_date)]
    return PatientView(patient, report, chart_specs, unit, _uses_open_meteo(patient), progress)


def timeline_points(start: datetime, pressure: np.ndarray) -> list[tuple[str, float]]:
    """(ISO instant, hPa) of every n-th known hour, at most about MAX_TIMELINE_POINTS; the
    instants are formatted by numpy at once (a datetime per point cost more than analyze)."""
    index = np.arange(0, len(pressure), max(1, len(pressure) // MAX_TIMELINE_POINTS))
    index = index[~np.isnan(pressure[index])]
    first = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "s")
    stamps = np.char.add(np.datetime_as_string(first + index.astype("timedelta64[h]"),
                                               unit="s"), "+00:00")
    return list(zip(stamps.tolist(), pressure[index].tolist(), strict=True))


def _uses_open_meteo(patient: User) -> bool:
    """Whether Open-Meteo data was ever stored for one of the patient's cells (the credit)."""
    session = db_session()
    cell_ids = patient_cell_ids(session, patient.id, settings().weather.grid_degrees)
    return cell_ids != [] and session.scalar(
        select(GridCell.id)
        .where(GridCell.id.in_(cell_ids), GridCell.open_meteo_at.is_not(None))
        .limit(1)
    ) is not None


def _chart_blocks(view: PatientView) -> dict[str, str]:
    """The chart specs as JSON text for <script type="application/json"> blocks."""
    return {name: script_json(spec) for name, spec in view.charts.items()}


#: Columns of the clinician's list a user can sort by -> how to read the value from a row.
SORT_KEYS = ("name", "followup_days", "mmd_baseline", "mmd_followup", "weather_linked_change",
             "non_weather_change", "sensitivity_ratio", "responder_50", "verdict")
FLAG_LABELS = {
    "insufficient_data": "insufficient data",
    "low_pressure_coverage": "low pressure coverage",
    "assumed_completeness": "completeness assumed",
    "travel_days": "travel days",
}


def _flags(report: dict[str, Any]) -> list[dict[str, str]]:
    """Data-quality flags of a report: a short label and the caveat's own sentence."""
    texts: dict[str, str] = {}
    for w in report["warnings"]:
        texts.setdefault(w["code"], w["text"])
    return [{"label": label, "text": texts[code]} for code, label in FLAG_LABELS.items()
            if code in texts]


def patient_row(patient: User, report: dict[str, Any] | None) -> dict[str, Any]:
    """One line of the clinician's list: course, headline numbers and data-quality flags."""
    row: dict[str, Any] = {"patient": patient, "name": patient.name or patient.email,
                           "report": report is not None}
    if report is None:
        return {**row, "flags": [{"label": "no course yet", "text": ""}], "verdict": None}
    base, fu = report["periods"]["baseline"], report["periods"]["followup"]
    comp = report["comparison"]

    def change(key: str) -> float | None:
        return None if base[key] is None or fu[key] is None else fu[key] - base[key]

    return {
        **row,
        "course": report["course"],
        # follow-up diary days so far (0 before it starts) out of the analysis' follow-up
        "followup_days": fu["covered_days"] if fu["start"] else 0,
        "followup_target": report["config"]["followup_days"],
        "mmd_baseline": base["mmd"], "mmd_followup": fu["mmd"],
        "weather_linked_change": change("weather_linked_mmd"),
        "non_weather_change": change("non_weather_mmd"),
        "sensitivity": comp["sensitivity_ratio"],
        "sensitivity_ratio": comp["sensitivity_ratio"]["estimate"],
        "responder_50": comp["responder_50"],
        "verdict": report["findings"][0]["code"],
        "verdict_text": report["findings"][0]["text"],
        # A2: no responder value or verdict without enough data, only the reason
        "enough_data": report["findings"][0]["code"] != "insufficient_data",
        "data_reason": first_guardrail_reason(report["warnings"]),
        "flags": _flags(report),
    }


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool) -> list[dict[str, Any]]:
    """Sort the list by a column; rows without a value go last whatever the direction."""
    if key not in SORT_KEYS:
        key = "name"
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (str(r[key]).lower() if key in ("name", "verdict") else r[key]),
                 reverse=descending)
    return present + missing


def clinician_rows(sort: str = "name", descending: bool = False) -> list[dict[str, Any]]:
    """The logged-in clinician's patients with their numbers (each view audit-logged)."""
    session = db_session()
    s = settings()
    found = clinician_summaries(session, me(), settings=s.reports)
    session.commit()
    return sort_rows([patient_row(p, summary) for p, summary in found], sort, descending)


@bp.route("/dashboard")
@role_required("patient")
def patient_dashboard() -> ResponseReturnValue:
    """The patient's own dashboard: calendar, pressure timeline, period bars, summary."""
    view = _patient_view(_report_view(me().id, "page"))  # the patient's own: not logged
    return render_template("dashboard.html", view=view, charts=_chart_blocks(view),
                           own=True, bundle=bundle_url(), history=history_status(),
                           streak=practice_streak(db_session(), me()))


@bp.route("/patients/<id:patient_id>/report")
@role_required("clinician", "patient")
def patient_report_page(patient_id: int) -> ResponseReturnValue:
    """One patient's full report: charts, the statistics table, findings and caveats."""
    return report_page(patient_id, "page")


def report_page(patient_id: int, detail: str, pdf: bool = False) -> str:
    """The report page's HTML for a patient the person asking may see (404 otherwise); the
    view is audit-logged with ``detail`` and committed. ``pdf``: rendered for web.pdf."""
    seen = _report_view(patient_id, detail)
    db_session().commit()
    view = _patient_view(seen)
    return render_template("report.html", view=view, charts=_chart_blocks(view),
                           own=seen.patient.id == me().id, bundle=bundle_url(), pdf=pdf)


@bp.route("/patients/<id:patient_id>/export/<kind>.csv")
@role_required("clinician", "patient")
def export_csv(patient_id: int, kind: str) -> ResponseReturnValue:
    """CSV exports: ``attacks``, ``daily``, ``pressure`` or ``summary`` (audit-logged)."""
    return send_export(patient_id, kind)


def send_export(patient_id: int, kind: str) -> Response:
    """The one page export: the domain checks access and logs it; the file as a download."""
    session = db_session()
    s = settings()
    export = export_file(session, me(), patient_id, kind, settings=s.reports, detail="csv")
    session.commit()
    return csv_download(export)


@bp.route("/cohort")
@role_required("clinician")
def cohort() -> ResponseReturnValue:
    """The clinician's question (issue #13) for the weather-sensitive patients or all of them:
    pooled ratio, medians, responders, tests, forest plot, comparison patients (A8)."""
    session = db_session()
    try:
        context = cohort_context(session, me(), settings().reports, request.args)
    except BadQuery as exc:
        return Response(render_template("error.html", message=f"{exc}."), 400,
                        mimetype="text/html")
    session.commit()
    return render_template("cohort.html", bundle=bundle_url(), **context)


@bp.route("/cohort/power")
@role_required("clinician")
def cohort_power() -> ResponseReturnValue:
    """Power to detect a weakened weather link for the clinic's baselines (a simulation)."""
    session = db_session()
    context = power_context(session, me(), settings().reports, request.args)
    session.commit()
    return render_template("power.html", **context)


@bp.route("/method")
def method() -> ResponseReturnValue:
    """How the numbers are made: docs/method.md rendered as a page."""
    return render_template("method.html", body=_method_html())


def _method_html() -> str | None:
    """docs/method.md as HTML (read once), or None when the docs are not installed."""
    cached = current_app.extensions.get("mw_method_html")
    if cached is None:
        path = Path(__file__).resolve().parents[1] / "docs" / "method.md"
        if not path.exists():
            return None
        cached = markdown.markdown(path.read_text(encoding="utf-8"),
                                   extensions=["tables", "toc"])
        current_app.extensions["mw_method_html"] = cached
    return cached
