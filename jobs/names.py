"""The scheduled jobs' names: one declaration, light enough for the CLI to import."""

from __future__ import annotations

PULL_RECENT = "pull-recent"
BACKFILL = "backfill"
REFRESH_REPORTS = "refresh-reports"
#: Every minute or so: pressure for diary history that just arrived (an import, say).
FILL_HISTORY = "fill-history"
#: Every few minutes: the reminder e-mails patients chose (only with [mail] configured).
SEND_REMINDERS = "send-reminders"
#: The jobs, in the order a fresh scheduler first runs them.
JOB_NAMES = (PULL_RECENT, BACKFILL, REFRESH_REPORTS, FILL_HISTORY, SEND_REMINDERS)
#: The jobs that log a run each time they fire (fill-history logs one only when it fetches,
#: send-reminders only when a reminder is due).
LOGGED_EACH_TIME = (PULL_RECENT, BACKFILL, REFRESH_REPORTS)
