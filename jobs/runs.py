"""A job run's outcome (counts, errors, status) and the structured log line format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobs.reports import Outcome

#: Longest error text stored in a run's row.
MAX_ERROR_CHARS = 4000



def kv(**fields: Any) -> str:
    """Format a structured log line as ``key=value`` pairs (values with spaces are quoted)."""
    parts = []
    for key, value in fields.items():
        if value is None:
            text = "-"
        elif isinstance(value, float):
            text = f"{value:.3f}"
        else:
            text = str(value)
            if not text or any(c.isspace() or c in '"=' for c in text):
                text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


@dataclass
class RunResult:
    """The outcome of one job run (counts are cells, or patients for refresh-reports)."""

    job: str
    status: str = "ok"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cells_done: int = 0
    cells_failed: int = 0
    rows_written: int = 0
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to end, once finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def failed(self) -> bool:
        """True unless the run ended ``ok``."""
        return self.status != "ok"

    def count_patient(self, outcome: Outcome) -> None:
        """Count one patient of refresh-reports (done = checked, failed = error)."""
        if outcome.error is not None:
            self.cells_failed += 1
            self.errors.append(f"patient {outcome.patient_id}: {outcome.error}")
        elif outcome.checked:
            self.cells_done += 1
            self.rows_written += outcome.written

    def count_cells(self, cells: int, failed: set[int], left: set[int]) -> None:
        """Count a fetch of ``cells`` cells: those failed, the rest done unless left over."""
        self.cells_failed = len(failed)
        self.cells_done = cells - len(failed) - len(left)

    def error_text(self) -> str | None:
        """Return the errors as one bounded text for the run log, or None."""
        if not self.errors:
            return None
        text = "; ".join(self.errors)
        if len(text) > MAX_ERROR_CHARS:
            text = text[: MAX_ERROR_CHARS - 40] + f" ... ({len(self.errors)} error(s) in all)"
        return text


def settle(result: RunResult) -> None:
    """Set the status from the counts: ok, partial or error."""
    if result.cells_failed == 0 and not result.errors:
        result.status = "ok"
    elif result.cells_done == 0 and result.cells_failed > 0:
        result.status = "error"
    else:
        result.status = "partial"
