"""When a questionnaire is due, relative to the treatment course (issue #16).

Windows (inclusive, in the patient's local days):

- ``baseline``: from 14 days before the course's first day to its first day;
- ``course_end``: the course's last day ± 7 days (only once the course has an end);
- ``followup_12w``: 84 days (12 weeks) after the course's last day ± 14 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tracker.diary.clinical_terms import QUESTIONNAIRE_TIMEPOINTS

BASELINE_LEAD_DAYS = 14
COURSE_END_SLACK_DAYS = 7
FOLLOWUP_DAYS = 84
FOLLOWUP_SLACK_DAYS = 14
TIMEPOINT_LABELS = {"baseline": "Before the course", "course_end": "At the course's end",
                    "followup_12w": "12 weeks after"}


@dataclass(frozen=True)
class Window:
    """The days (first and last, inclusive) in which a time point's questionnaire is asked."""

    timepoint: str
    first: date
    last: date

    def contains(self, day: date) -> bool:
        """Whether ``day`` is inside the window."""
        return self.first <= day <= self.last


def window(timepoint: str, started_on: date, ended_on: date | None) -> Window | None:
    """The window of ``timepoint`` for a course (None when the course has no end yet and the
    time point depends on it)."""
    if timepoint not in QUESTIONNAIRE_TIMEPOINTS:
        raise ValueError(f"unknown time point {timepoint!r}")
    if timepoint == "baseline":
        return Window(timepoint, started_on - timedelta(days=BASELINE_LEAD_DAYS), started_on)
    if ended_on is None:
        return None
    if timepoint == "course_end":
        slack = timedelta(days=COURSE_END_SLACK_DAYS)
        return Window(timepoint, ended_on - slack, ended_on + slack)
    centre = ended_on + timedelta(days=FOLLOWUP_DAYS)
    slack = timedelta(days=FOLLOWUP_SLACK_DAYS)
    return Window(timepoint, centre - slack, centre + slack)


def open_windows(started_on: date, ended_on: date | None, today: date) -> list[Window]:
    """The time points whose window contains ``today``."""
    found = [window(t, started_on, ended_on) for t in QUESTIONNAIRE_TIMEPOINTS]
    return [w for w in found if w is not None and w.contains(today)]
