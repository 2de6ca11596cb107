"""The clinician's question (issue #13): the patients who were weather-sensitive before.

"Did weather-linked migraine days fall after PRT in the patients who were weather-sensitive
before it?" The subgroup is chosen from baseline numbers only (never from the follow-up, so
the selection cannot favour a change): the baseline exposure rate ratio's estimate at least
``min_ratio`` with at least ``min_onsets`` baseline onsets on (at-risk) pressure-fall days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from .stats import TestedInterval
from .wording import change_clause, format_interval, format_ratio

#: Default rule: baseline exposure rate ratio at least this ...
MIN_BASELINE_RATIO = 1.5
#: ... with at least this many baseline onsets on pressure-fall days.
MIN_BASELINE_WINDOW_ONSETS = 4
#: The two tabs of the cohort page (and the CLI's --subgroup).
SUBGROUPS = ("sensitive", "all")


class _Row(Protocol):
    label: str
    baseline_exposure_ratio: float | None
    counts: tuple[int | None, ...]


@dataclass(frozen=True)
class SubgroupRule:
    """Which patients a cohort summary covers: ``all`` or the weather-sensitive ones."""

    name: str = "sensitive"
    min_ratio: float = MIN_BASELINE_RATIO
    min_onsets: int = MIN_BASELINE_WINDOW_ONSETS

    def __post_init__(self) -> None:
        if self.name not in SUBGROUPS:
            raise ValueError(f"subgroup must be one of {', '.join(SUBGROUPS)}")
        if not (math.isfinite(self.min_ratio) and self.min_ratio > 0):
            raise ValueError("min_ratio must be a positive number")
        if int(self.min_onsets) != self.min_onsets or self.min_onsets < 0:
            raise ValueError("min_onsets must be a whole number, 0 or more")

    def text(self) -> str:
        """The rule in words, as the page and the JSON state it."""
        if self.name == "all":
            return "all linked patients with a report"
        return (f"patients whose baseline exposure rate ratio (onset rate on pressure-fall "
                f"days over other days) was at least {self.min_ratio:g}, with at least "
                f"{self.min_onsets} baseline onsets on pressure-fall days")

    def reason_out(self, row: _Row) -> str | None:
        """Why ``row`` is outside the subgroup, or None when it is in it."""
        if self.name == "all":
            return None
        onsets = row.counts[0]
        if onsets is None or onsets < self.min_onsets:
            return (f"{0 if onsets is None else onsets} baseline onsets on pressure-fall "
                    f"days (fewer than {self.min_onsets})")
        ratio = _baseline_ratio(row)
        if ratio is None:
            return "baseline exposure rate ratio not estimable"
        if ratio < self.min_ratio:
            return f"baseline exposure rate ratio {ratio:.2f} (below {self.min_ratio:g})"
        return None

    def to_dict(self, left_out: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """JSON-safe rule, with the patients outside it and why."""
        return {"name": self.name, "rule": self.text(), "min_ratio": self.min_ratio,
                "min_onsets": self.min_onsets, "not_in_subgroup": left_out or []}


def _baseline_ratio(row: _Row) -> float | None:
    """The stored estimate, else from the counts (infinite with no other-day onsets)."""
    if row.baseline_exposure_ratio is not None and math.isfinite(row.baseline_exposure_ratio):
        return row.baseline_exposure_ratio
    a0, b0, te0, tu0 = row.counts[:4]
    if None in (a0, b0, te0, tu0) or not (te0 and tu0) or not a0:  # type: ignore[operator]
        return None
    return math.inf if b0 == 0 else (a0 / te0) / (b0 / tu0)  # type: ignore[operator]


def split_rows(rows: list[Any], rule: SubgroupRule) -> tuple[list[Any], list[dict[str, Any]]]:
    """The rows in the subgroup, and {label, reason} for each row outside it."""
    inside, outside = [], []
    for row in rows:
        reason = rule.reason_out(row)
        if reason is None:
            inside.append(row)
        else:
            outside.append({"label": row.label, "reason": reason})
    return inside, outside


def answer_sentence(pooled: dict[str, Any], n_patients: int, confidence: float = 0.95) -> str:
    """The page's answer from the pooled sensitivity ratio alone (A3 wording, A4 rule)."""
    iv = TestedInterval(pooled.get("estimate"), pooled.get("ci_low"), pooled.get("ci_high"),
                        pooled.get("p_value"), None)
    if iv.estimate is None and iv.ci_low is None and iv.ci_high is None:
        return (f"With {n_patients} analysed patients, the pooled sensitivity ratio is not "
                "computable yet.")
    clause = change_clause("weather sensitivity", iv)
    return (f"Across {n_patients} analysed patients, {clause}: pooled sensitivity ratio "
            f"{format_ratio(iv.estimate)} ({format_interval(iv, confidence)}).")
