"""A clinician's patients together: each linked patient's report and the cohort summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from correlation import CohortSummary, MethodConfig, Report, cohort_summary
from tracker.audit import record_access
from tracker.models import User
from tracker.report import patient_report
from tracker.sharing import patients_of_clinician


def clinician_reports(
    session: Session,
    clinician: User,
    *,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime | None = None,
) -> list[tuple[User, Report | None]]:
    """Return each linked patient with their report (None without a course); audit-logged."""
    out = []
    for patient in patients_of_clinician(session, clinician):
        report = patient_report(session, patient, config=config, grid_degrees=grid_degrees,
                                now=now)
        record_access(session, clinician, patient, "view_report", "cohort")
        out.append((patient, report))
    return out


def clinician_cohort(
    session: Session,
    clinician: User,
    *,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime | None = None,
) -> CohortSummary:
    """Summarise the linked patients who have a report (DESIGN method 11)."""
    pairs = [(p, r) for p, r in clinician_reports(
        session, clinician, config=config, grid_degrees=grid_degrees, now=now) if r is not None]
    return cohort_summary([r for _, r in pairs], labels=[p.name or p.email for p, _ in pairs])
