"""Our own attack CSV (docs/data-formats.md) as an import plan.

The rules (columns, values, clock changes, overlaps within the file) are those of
:mod:`tracker.diary.attacks_csv`; this module only wraps its result in an ImportPlan.
"""

from __future__ import annotations

from datetime import datetime

from tracker.diary.attacks_csv import read_attacks_csv
from tracker.diary.imports.detect import MAPPING_HINT
from tracker.diary.imports.plan import ImportPlan, LineError, planned, zone_label


def parse_ours(
    text: str, timezone: str, now: datetime | None = None, *, encoding: str = "UTF-8",
    detected: bool = False,
) -> ImportPlan:
    """Parse our attack CSV into a plan; a time without an offset is local to ``timezone``.

    With ``detected`` (the format was guessed from the header), a refused header also
    suggests the mapping, since the file may come from another app.
    """
    parsed, errors = read_attacks_csv(text, timezone, now)
    if detected and errors and errors[0].line == 1 and not parsed:
        first = errors[0]
        errors[0] = LineError(1, first.field, f"{first.message}; {MAPPING_HINT}")
    plan = ImportPlan("ours", timezone, encoding, start_field="started_at")
    plan.attacks = [planned(line, a, zone_label(a.started_at)) for line, a in parsed]
    plan.problems = errors
    return plan
