"""The clinical diary's numbers per period: acute medication days, the ICHD-3 overuse note and
function days (issue #16; docs/method.md, "Clinical diary (issue #16)").

Pure functions on plain arrays. Tracker loads the rows (``tracker.reports.clinical``) and puts
them on the series as :class:`ClinicalPart` objects; :func:`build_clinical` turns them into the
report's ``clinical`` object, one key per part, so further sections (practice, triggers) are
added by registering a part, without touching the sections here.

Units: days are local calendar days of the patient's time zone; rates are per 28 covered days
(DESIGN method 8) or per 30 covered days (the overuse note's "month"); bounds are inclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

#: Classes that ICHD-3 (8.2) counts at 10 or more days a month, each alone.
OVERUSE_10_CLASSES = ("triptan", "ergot", "opioid", "combination_analgesic")
#: Classes that ICHD-3 counts at 15 or more days a month (simple analgesics, NSAIDs).
OVERUSE_15_CLASSES = ("simple_analgesic",)
#: Days a month for the 10-day classes, for the 15-day classes, for a combination (8.2.6).
THRESHOLD_10, THRESHOLD_15, THRESHOLD_COMBINED = 10, 15, 10
#: The "month" of the period average, in covered days; the average needs this many covered days.
MONTH_DAYS = 30
#: The sentence that goes with the note wherever it is shown.
CLINICIAN_CONTEXT = (
    "For the clinician: counts of days with acute medication, compared with the levels in "
    "ICHD-3 (8.2); this is information for a consultation, not a diagnosis, and the duration "
    "criterion (more than 3 months) is not assessed here.")
OVERUSE_NOTE = ("Acute medication use in this period is at or above the level that ICHD-3 "
                "associates with medication-overuse headache.")


@dataclass(frozen=True)
class ClinicalContext:
    """What every section needs from the report: the periods' inclusive local bounds (end
    None: not started) and their covered days."""

    bounds: dict[str, tuple[date, date | None]]
    covered_days: dict[str, int]
    #: the report's DayTable (the weather-trigger check reads window, at-risk, covered days)
    days: Any = None


@dataclass(frozen=True)
class ClinicalPart:
    """One section of the ``clinical`` object: its key, its pure builder (a module-level
    function, so a worker process can receive it) and the plain data it reads."""

    name: str
    build: Callable[[Any, ClinicalContext], dict[str, Any]]
    data: Any


def build_clinical(parts: Sequence[ClinicalPart], ctx: ClinicalContext) -> dict[str, Any]:
    """The report's ``clinical`` object: ``{part.name: part.build(part.data, ctx)}``."""
    return {part.name: part.build(part.data, ctx) for part in parts}


def _per(count: int, days: int, per: int) -> float | None:
    return count / days * per if days > 0 else None


def _days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def _in_period(days: np.ndarray, start: date, end: date | None) -> np.ndarray:
    if end is None:
        return np.zeros(days.shape, dtype=bool)
    return (days >= np.datetime64(start, "D")) & (days <= np.datetime64(end, "D"))


def full_months(start: date, end: date | None) -> list[tuple[date, date]]:
    """The calendar months (first, last day) lying wholly within start..end (inclusive)."""
    if end is None:
        return []
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    out = []
    while True:
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = nxt - timedelta(days=1)
        if last > end:
            return out
        out.append((first, last))
        first = nxt


@dataclass(frozen=True)
class MedicationDays:
    """Acute medication of attacks: one entry per (attack, class) taken; ``days`` are the local
    dates the attacks started (datetime64[D]), ``classes`` the drug classes (str)."""

    days: np.ndarray
    classes: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", _days(self.days))
        object.__setattr__(self, "classes", np.asarray(self.classes, dtype=object))
        if self.days.shape != self.classes.shape:
            raise ValueError("days and classes must have the same length")

    def class_days(self, start: date, end: date | None) -> dict[str, set[np.datetime64]]:
        """Per class, the set of days in start..end with that class."""
        sel = _in_period(self.days, start, end)
        out: dict[str, set[np.datetime64]] = {}
        for day, cls in zip(self.days[sel], self.classes[sel], strict=True):
            out.setdefault(str(cls), set()).add(day)
        return out


def overuse_counts(by_class: dict[str, set[Any]]) -> dict[str, int]:
    """Day counts the ICHD-3 rules compare: each 10-day class, the simple analgesics, and the
    days with any overuse-relevant class when two or more such classes were taken (8.2.6)."""
    counts = {cls: len(by_class.get(cls, ())) for cls in OVERUSE_10_CLASSES + OVERUSE_15_CLASSES}
    relevant = [cls for cls in counts if counts[cls] > 0]
    combined: set[Any] = set().union(*(by_class[c] for c in relevant)) if relevant else set()
    counts["combination"] = len(combined) if len(relevant) >= 2 else 0
    return counts


def rules_met(counts: dict[str, float]) -> list[str]:
    """The rules a month's counts (days, or days per 30) reach: class names or ``combination``."""
    met = [cls for cls in OVERUSE_10_CLASSES if counts[cls] >= THRESHOLD_10]
    met += [cls for cls in OVERUSE_15_CLASSES if counts[cls] >= THRESHOLD_15]
    if counts["combination"] >= THRESHOLD_COMBINED:
        met.append("combination")
    return met


def overuse(meds: MedicationDays, start: date, end: date | None, covered: int) -> dict[str, Any]:
    """The overuse check of one period: every full calendar month counted as it is (its own
    28-31 days), and the period average per 30 covered days (needs 30 covered days)."""
    months = []
    for first, last in full_months(start, end):
        met = rules_met(overuse_counts(meds.class_days(first, last)))
        months.append({"month": first.strftime("%Y-%m"), "rules": met})
    average: dict[str, float] | None = None
    avg_met: list[str] = []
    if covered >= MONTH_DAYS:
        counts = overuse_counts(meds.class_days(start, end))
        average = {k: v / covered * MONTH_DAYS for k, v in counts.items()}
        avg_met = rules_met(average)
    at_or_above = bool(avg_met) or any(m["rules"] for m in months)
    return {"at_or_above": at_or_above, "months": months,
            "average_per_30_days": average, "average_rules": avg_met,
            "note": OVERUSE_NOTE if at_or_above else None}


def medication_section(meds: MedicationDays, ctx: ClinicalContext) -> dict[str, Any]:
    """The ``clinical.medication`` object: per period the acute medication days (count, per 28
    covered days, by class) and the ICHD-3 overuse check, with the clinician's context."""
    periods = {}
    for name, (start, end) in ctx.bounds.items():
        covered = ctx.covered_days.get(name, 0)
        by_class = meds.class_days(start, end)
        any_days: set[Any] = set().union(*by_class.values()) if by_class else set()
        periods[name] = {
            "medication_days": len(any_days),
            "medication_days_per_28": _per(len(any_days), covered, 28),
            "by_class": {cls: {"days": len(days), "per_28": _per(len(days), covered, 28)}
                         for cls, days in sorted(by_class.items())},
            "overuse": overuse(meds, start, end, covered),
        }
    return {"periods": periods, "context": CLINICIAN_CONTEXT}


@dataclass(frozen=True)
class FunctionDays:
    """Function during attacks: ``days`` the local dates attacks started (datetime64[D]),
    ``levels`` their level (normal, reduced, unable); attacks without a level are left out."""

    days: np.ndarray
    levels: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", _days(self.days))
        object.__setattr__(self, "levels", np.asarray(self.levels, dtype=object))
        if self.days.shape != self.levels.shape:
            raise ValueError("days and levels must have the same length")


def function_section(data: FunctionDays, ctx: ClinicalContext) -> dict[str, Any]:
    """The ``clinical.function`` object: per period the days on which an attack started with
    reduced or no function (``unable``), per 28 covered days, and those with ``unable``."""
    periods = {}
    for name, (start, end) in ctx.bounds.items():
        covered = ctx.covered_days.get(name, 0)
        sel = _in_period(data.days, start, end)
        days, levels = data.days[sel], data.levels[sel]
        impaired = {d for d, lv in zip(days, levels, strict=True) if lv in ("reduced", "unable")}
        unable = {d for d, lv in zip(days, levels, strict=True) if lv == "unable"}
        periods[name] = {
            "attacks_with_function": int(sel.sum()),
            "reduced_or_unable_days": len(impaired),
            "reduced_or_unable_days_per_28": _per(len(impaired), covered, 28),
            "unable_days": len(unable),
            "unable_days_per_28": _per(len(unable), covered, 28),
        }
    return {"periods": periods}


def questionnaire_section(table: Sequence[dict[str, Any]], ctx: ClinicalContext
                          ) -> dict[str, Any]:
    """The ``questionnaires`` key: each answered instrument's score and band before the
    course, at its end and 12 weeks after (issue #16 point 6; scored when answered, so the
    analysis only carries them into the report)."""
    return {"instruments": [dict(row) for row in table]}
