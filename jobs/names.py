"""The scheduled jobs' names: one declaration, light enough for the CLI to import."""

from __future__ import annotations

PULL_RECENT = "pull-recent"
BACKFILL = "backfill"
REFRESH_REPORTS = "refresh-reports"
#: The jobs, in the order a fresh scheduler first runs them.
JOB_NAMES = (PULL_RECENT, BACKFILL, REFRESH_REPORTS)
