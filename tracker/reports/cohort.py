"""A clinician's patients together: the cohort summary over their stored reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from correlation import CohortSummary
from correlation.cohort import CohortRow, summarise_rows
from correlation.subgroup import SubgroupRule
from tracker.models import User
from tracker.reports.access import clinician_summaries
from tracker.reports.settings import ReportSettings


def clinician_cohort(
    session: Session,
    clinician: User,
    *,
    settings: ReportSettings,
    now: datetime | None = None,
    subgroup: SubgroupRule | None = None,
    include_insufficient: bool = False,
) -> CohortSummary:
    """Summarise the linked patients who have a report (DESIGN method 11, A2, A8), from the
    stored summaries (computed now where stale); each patient's view is audit-logged.

    ``subgroup`` (issue #13) keeps only the patients it selects (None: all of them);
    ``include_insufficient`` includes patients without enough data (marked) (A2).
    """
    rows = [
        CohortRow.from_dict(summary, patient.name or patient.email, settings.method.confidence)
        for patient, summary in clinician_summaries(
            session, clinician, settings=settings, detail="cohort", now=now)
        if summary is not None
    ]
    return summarise_rows(rows, settings.method.confidence, include_insufficient, subgroup)
