"""A clinician's patients together: the cohort summary over their stored reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from correlation import CohortSummary, MethodConfig
from correlation.cohort import CohortRow, summarise_rows
from tracker.accounts.audit import record_access
from tracker.accounts.sharing import patients_of_clinician
from tracker.clock import utcnow
from tracker.models import User
from tracker.reports.snapshots import current_summaries


def clinician_cohort(
    session: Session,
    clinician: User,
    *,
    config: MethodConfig,
    grid_degrees: float,
    now: datetime | None = None,
) -> CohortSummary:
    """Summarise the linked patients who have a report (DESIGN method 11), from the stored
    summaries (computed now where stale); each patient's view is audit-logged."""
    patients = patients_of_clinician(session, clinician)
    summaries = current_summaries(session, patients, config, grid_degrees, now or utcnow())
    rows = []
    for patient in patients:
        record_access(session, clinician, patient, "view_report", "cohort")
        summary = summaries[patient.id]
        if summary is not None:
            rows.append(CohortRow.from_dict(summary, patient.name or patient.email,
                                            config.confidence))
    return summarise_rows(rows, config.confidence)
