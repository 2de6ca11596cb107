"""The report of a plain series as a snapshot stores it: what refresh-reports' worker
processes run. Only ``correlation`` is imported here, so a spawned worker starts without
SQLAlchemy or the models (``[jobs] processes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from correlation import PatientSeries, analyze
from tracker.reports.settings import ReportSettings


def compute_snapshot(
    series: PatientSeries, settings: ReportSettings, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report of ``series`` as a snapshot stores it: (with days, summary). Pure."""
    report = analyze(series, settings.method, generated_at=now)
    return report.to_dict(include_days=True), report.to_dict(include_days=False)
