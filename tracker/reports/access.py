"""May see, compute, audit: every read of a patient's diary, report or exports goes through here.

Each function checks the access rule once (tracker.accounts.sharing.require_view: the patient
themself or a linked clinician; anyone else gets NotFoundError, as if the patient did not
exist), computes what was asked, and writes the audit entry when the viewer is someone else
(tracker.accounts.audit.record_access). Functions flush, never commit: the caller (a request)
commits, so the audit entry is kept with the answer it describes.

``detail`` says where the read came from (``page``, ``csv``, ``api``, ``list``); it is kept in
the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from correlation import PatientSeries, Report, analyze
from tracker.accounts.audit import record_access, record_accesses
from tracker.accounts.sharing import patients_of_clinician, require_view
from tracker.clock import utcnow
from tracker.errors import NotFoundError
from tracker.models import User
from tracker.reports.exports import EXPORT_KINDS, patient_export
from tracker.reports.series import patient_series
from tracker.reports.settings import ReportSettings
from tracker.reports.snapshots import current_summaries

#: The message of a report or export asked for before a treatment course is recorded.
NO_COURSE = "no treatment course is recorded for this patient yet"


@dataclass(frozen=True)
class ExportFile:
    """A CSV download: the file name every route gives it, and its text."""

    filename: str
    text: str
    mimetype: str = "text/csv"


@dataclass(frozen=True)
class ReportView:
    """A patient's report as one viewer may see it: the input series and the report (both
    None when no treatment course is recorded)."""

    patient: User
    series: PatientSeries | None
    report: Report | None


def export_filename(kind: str, patient_id: int) -> str:
    """The one file name rule of the CSV exports: ``migraine-weather-<kind>-<patient>.csv``."""
    return f"migraine-weather-{kind}-{patient_id}.csv"


def view_diary(session: Session, viewer: User, patient_id: int, *, detail: str = "") -> User:
    """Return the patient whose diary ``viewer`` may read (else NotFoundError); audit-logged."""
    patient = require_view(session, viewer, patient_id)
    record_access(session, viewer, patient, "view_diary", detail)
    return patient


def view_report(
    session: Session,
    viewer: User,
    patient_id: int,
    *,
    settings: ReportSettings,
    detail: str,
    now: datetime | None = None,
) -> ReportView:
    """Compute the patient's report for ``viewer`` (NotFoundError if they may not see it).

    The view is audit-logged even when there is no treatment course yet (the report is then
    None), as the viewer did look.
    """
    patient = require_view(session, viewer, patient_id)
    now = now or utcnow()
    series = patient_series(session, patient, settings=settings, now=now)
    report = None if series is None else analyze(series, settings.method, generated_at=now)
    record_access(session, viewer, patient, "view_report", detail)
    return ReportView(patient, series, report)


def export_csv(
    session: Session,
    viewer: User,
    patient_id: int,
    kind: str,
    *,
    settings: ReportSettings,
    detail: str,
) -> ExportFile:
    """One of EXPORT_KINDS of the patient's data as a CSV file for ``viewer``; audit-logged.

    NotFoundError (field ``kind``) for an unknown kind, before anything else; NotFoundError
    when the viewer may not see the patient, or when a report is needed and there is no
    treatment course (then nothing is logged, as nothing was exported).
    """
    if kind not in EXPORT_KINDS:
        raise NotFoundError(f"unknown export {kind!r}; one of {', '.join(EXPORT_KINDS)}",
                            "kind")
    patient = require_view(session, viewer, patient_id)
    text = patient_export(session, patient, kind, settings=settings)
    if text is None:
        raise NotFoundError(NO_COURSE, None)
    record_access(session, viewer, patient, f"export_{kind}", detail)
    return ExportFile(export_filename(kind, patient.id), text)


def clinician_summaries(
    session: Session,
    clinician: User,
    *,
    settings: ReportSettings,
    detail: str = "list",
    now: datetime | None = None,
) -> list[tuple[User, dict[str, Any] | None]]:
    """The clinician's linked patients with each one's current report summary (None without a
    course); every patient's view is audit-logged."""
    patients = patients_of_clinician(session, clinician)
    summaries = current_summaries(session, patients, settings, now or utcnow())
    record_accesses(session, clinician, patients, "view_report", detail)
    return [(patient, summaries[patient.id]) for patient in patients]
