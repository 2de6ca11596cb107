"""The migraine-weather method: pure functions on numpy arrays (see docs/method.md)."""

from .cohort import CohortSummary, cohort_summary
from .config import MethodConfig
from .findings import VERDICTS, Finding
from .inputs import Attack, Course, PatientSeries
from .report import REPORT_SCHEMA, DayTable, PeriodStats, Report, analyze

__all__ = [
    "REPORT_SCHEMA",
    "VERDICTS",
    "Attack",
    "CohortSummary",
    "Course",
    "DayTable",
    "Finding",
    "MethodConfig",
    "PatientSeries",
    "PeriodStats",
    "Report",
    "analyze",
    "cohort_summary",
]
