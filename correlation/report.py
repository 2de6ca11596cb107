"""The per-patient analysis and its report (schema ``migraine-weather/report/v2``: v1 plus
the ``clinical`` object of issue #16)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .caveats import CaveatInputs, build_caveats
from .clinical import ClinicalContext, build_clinical
from .conditional import sensitivity_ratio_exact
from .config import MethodConfig
from .days import DayTable
from .diary import (
    CLASS_LABELS,
    NON_WEATHER,
    UNCLASSIFIED,
    WEATHER_LINKED,
    diary_days,
    onset_lead_days,
)
from .findings import (
    Bounds,
    Finding,
    build_findings,
    decide_verdict,
    weather_known_days,
)
from .inputs import Course, PatientSeries
from .pressure import FALSE, TRUE, day_weather
from .stats import (
    Interval,
    TestedInterval,
    rate_ratio_exact,
    woolf_ratio_of_ratios,
)

REPORT_SCHEMA = "migraine-weather/report/v2"
PERIOD_NAMES: tuple[str, ...] = ("baseline", "treatment", "followup")

def finite_or_none(x: float | None) -> float | None:
    """``x`` as a float, or None when it is missing, NaN or infinite (JSON-safe)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def per_28_days(count: int, days: int) -> float | None:
    """A count of days as a rate per 28 covered days (DESIGN method 8); None without days."""
    return count / days * 28.0 if days > 0 else None


@dataclass(frozen=True)
class PeriodStats:
    """Per-period counts (days), rates per 28 covered days and ratios (DESIGN method 8)."""

    start: date
    end: date | None
    covered_days: int
    migraine_days: int
    mmd: float | None
    weather_linked_days: int
    weather_linked_mmd: float | None
    non_weather_days: int
    non_weather_mmd: float | None
    unclassified_days: int
    window_days: int
    nonwindow_days: int
    onsets_window: int
    at_risk_window_days: int
    onsets_nonwindow: int
    at_risk_nonwindow_days: int
    exposure_rate_ratio: Interval
    migraine_window_days: int
    migraine_nonwindow_days: int
    attributable_mmd: float | None
    pressure_coverage: float | None
    onset_days: int = 0
    unknown_window_days: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The contract's per-period object (DESIGN report contract)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "covered_days": self.covered_days,
            "migraine_days": self.migraine_days,
            "mmd": finite_or_none(self.mmd),
            "weather_linked_days": self.weather_linked_days,
            "weather_linked_mmd": finite_or_none(self.weather_linked_mmd),
            "non_weather_days": self.non_weather_days,
            "non_weather_mmd": finite_or_none(self.non_weather_mmd),
            "unclassified_days": self.unclassified_days,
            "window_days": self.window_days,
            "nonwindow_days": self.nonwindow_days,
            "onsets_window": self.onsets_window,
            "at_risk_window_days": self.at_risk_window_days,
            "onsets_nonwindow": self.onsets_nonwindow,
            "at_risk_nonwindow_days": self.at_risk_nonwindow_days,
            "exposure_rate_ratio": self.exposure_rate_ratio.to_dict(),
            "migraine_window_days": self.migraine_window_days,
            "migraine_nonwindow_days": self.migraine_nonwindow_days,
            "attributable_mmd": finite_or_none(self.attributable_mmd),
            "pressure_coverage": finite_or_none(self.pressure_coverage),
        }


@dataclass(frozen=True)
class Comparison:
    """Follow-up vs baseline (DESIGN method 9)."""

    mmd_change: float | None
    mmd_change_pct: float | None
    responder_50: bool | None
    rate_ratio: dict[str, Interval]
    ratio_of_rate_ratios: TestedInterval
    sensitivity_ratio: TestedInterval

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``comparison`` object (DESIGN report contract)."""
        return {
            "mmd_change": finite_or_none(self.mmd_change),
            "mmd_change_pct": finite_or_none(self.mmd_change_pct),
            "responder_50": self.responder_50,
            "rate_ratio": {k: self.rate_ratio[k].to_dict()
                           for k in ("all", "weather_linked", "non_weather")},
            "ratio_of_rate_ratios": self.ratio_of_rate_ratios.to_dict(),
            "sensitivity_ratio": self.sensitivity_ratio.to_dict(),
        }


@dataclass(frozen=True)
class Report:
    """One patient's report; ``to_dict`` gives the v1 JSON contract (DESIGN report contract)."""

    generated_at: datetime
    config: MethodConfig
    course: Course
    periods: dict[str, PeriodStats]
    comparison: Comparison
    verdict: str
    findings: list[Finding]
    warnings: list[Finding]
    days: DayTable
    timezone: str = "UTC"
    schema: str = field(default=REPORT_SCHEMA)
    #: the clinical diary's sections (issue #16; correlation.clinical), one key per section
    clinical: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, include_days: bool = False) -> dict[str, Any]:
        """The JSON-safe report (no NaN/inf); ``days`` only with include_days (DESIGN contract)."""
        out: dict[str, Any] = {
            "schema": self.schema,
            "generated_at": self.generated_at.isoformat(),
            "config": self.config.to_dict(),
            "course": {
                "kind": self.course.kind,
                "started_on": self.course.started_on.isoformat(),
                "ended_on": self.course.ended_on.isoformat(),
            },
            "periods": {name: self.periods[name].to_dict() for name in PERIOD_NAMES},
            "comparison": self.comparison.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "warnings": [w.to_dict() for w in self.warnings],
            "clinical": self.clinical,
        }
        if include_days:
            out["days"] = self.days.rows()
        return out

    def daily_rows(self) -> list[dict[str, Any]]:
        """One dict per day with exactly the contract's ``days`` keys, for CSV (DESIGN contract)."""
        return self.days.rows()


# --------------------------------------------------------------------------- analysis


def period_bounds(course: Course, report_date: date, config: MethodConfig
                  ) -> dict[str, tuple[date, date | None]]:
    """Calendar bounds (inclusive local dates) of the three periods (DESIGN method 7).

    The follow-up is cut at the report date; its end is None if it has not started yet.
    """
    fu_start = course.ended_on + timedelta(days=1)
    fu_end: date | None = min(course.ended_on + timedelta(days=config.followup_days),
                              report_date)
    if fu_end < fu_start:
        fu_end = None
    return {
        "baseline": (course.started_on - timedelta(days=config.baseline_days),
                     course.started_on - timedelta(days=1)),
        "treatment": (course.started_on, course.ended_on),
        "followup": (fu_start, fu_end),
    }


def _period_stats(
    start: date, end: date | None, lo: int, hi: int, d: dict[str, np.ndarray],
    confidence: float,
) -> PeriodStats:
    cov = d["covered"][lo:hi]
    mig = d["migraine_day"][lo:hi] & cov
    cls = d["classification"][lo:hi]
    win = d["window"][lo:hi]
    risk = d["at_risk"][lo:hi]
    ons = d["onset"][lo:hi] & cov
    pc = d["pressure_coverage"][lo:hi]
    covered = int(cov.sum())
    md = int(mig.sum())
    wl = int((mig & (cls == WEATHER_LINKED)).sum())
    nw = int((mig & (cls == NON_WEATHER)).sum())
    un = int((mig & (cls == UNCLASSIFIED)).sum())
    w_true = cov & (win == TRUE)
    w_false = cov & (win == FALSE)
    wdays = int(w_true.sum())
    nwdays = int(w_false.sum())
    r_w = risk & (win == TRUE)
    r_n = risk & (win == FALSE)
    a = int((ons & r_w).sum())
    te = int(r_w.sum())
    b = int((ons & r_n).sum())
    tu = int(r_n.sum())
    mdw = int((mig & (win == TRUE)).sum())
    mdn = int((mig & (win == FALSE)).sum())
    if wdays > 0 and nwdays > 0 and covered > 0:
        attributable: float | None = (
            max(0.0, mdw / wdays - mdn / nwdays) * wdays / covered * 28.0
        )
    else:
        attributable = None
    return PeriodStats(
        start=start, end=end, covered_days=covered, migraine_days=md,
        mmd=per_28_days(md, covered), weather_linked_days=wl,
        weather_linked_mmd=per_28_days(wl, covered), non_weather_days=nw,
        non_weather_mmd=per_28_days(nw, covered), unclassified_days=un,
        window_days=wdays, nonwindow_days=nwdays, onsets_window=a, at_risk_window_days=te,
        onsets_nonwindow=b, at_risk_nonwindow_days=tu,
        exposure_rate_ratio=rate_ratio_exact(a, te, b, tu, confidence),
        migraine_window_days=mdw, migraine_nonwindow_days=mdn,
        attributable_mmd=attributable,
        pressure_coverage=float(pc[cov].mean()) if covered else None,
        onset_days=int(ons.sum()),
        unknown_window_days=int((cov & (win != TRUE) & (win != FALSE)).sum()),
    )


def compare(base: PeriodStats, fu: PeriodStats, confidence: float = 0.95) -> Comparison:
    """Follow-up vs baseline: MMD change (per 28 days), responder, ratios (DESIGN method 9).

    The sensitivity ratio is the exact conditional one (amendment A5); the ratio of rate
    ratios stays Woolf.
    """
    change = pct = None
    responder = None
    if base.mmd is not None and fu.mmd is not None:
        change = fu.mmd - base.mmd
        pct = change / base.mmd * 100.0 if base.mmd > 0 else None
        responder = bool(fu.mmd <= 0.5 * base.mmd)
    cb, cf = base.covered_days, fu.covered_days
    rr = {
        "all": rate_ratio_exact(fu.migraine_days, cf, base.migraine_days, cb, confidence),
        "weather_linked": rate_ratio_exact(fu.weather_linked_days, cf,
                                           base.weather_linked_days, cb, confidence),
        "non_weather": rate_ratio_exact(fu.non_weather_days, cf, base.non_weather_days, cb,
                                        confidence),
    }
    rrr = woolf_ratio_of_ratios(
        fu.weather_linked_days, fu.window_days, fu.non_weather_days, fu.nonwindow_days,
        base.weather_linked_days, base.window_days, base.non_weather_days,
        base.nonwindow_days, confidence,
    )
    sens = sensitivity_ratio_exact(
        fu.onsets_window, fu.at_risk_window_days, fu.onsets_nonwindow,
        fu.at_risk_nonwindow_days,
        base.onsets_window, base.at_risk_window_days, base.onsets_nonwindow,
        base.at_risk_nonwindow_days, confidence,
    )
    return Comparison(change, pct, responder, rr, rrr, sens)


def _period_index_ranges(bounds: Bounds, first: date, n: int
                         ) -> tuple[dict[str, tuple[int, int]], np.ndarray]:
    """Day-index range [lo, hi) of each period and a per-day period code (0 = none)."""
    period_code = np.zeros(n, dtype=np.int8)
    ranges: dict[str, tuple[int, int]] = {}
    for code, name in enumerate(PERIOD_NAMES, start=1):
        start, end = bounds[name]
        if end is None:
            ranges[name] = (0, 0)
            continue
        lo = min(max((start - first).days, 0), n)
        hi = max(lo, min(max((end - first).days + 1, 0), n))
        ranges[name] = (lo, hi)
        period_code[lo:hi] = code
    return ranges, period_code


def has_enough_data(periods: dict[str, PeriodStats], cfg: MethodConfig) -> bool:
    """The guardrails of DESIGN method 10 (and the known-weather-days rule of docs/method.md)."""
    base, fu = periods["baseline"], periods["followup"]
    return (
        base.covered_days >= cfg.min_covered_days
        and fu.covered_days >= cfg.min_covered_days
        and base.onset_days >= cfg.min_baseline_onsets
        and weather_known_days(base) >= cfg.min_covered_days
        and weather_known_days(fu) >= cfg.min_covered_days
    )


def is_final(series: PatientSeries, cfg: MethodConfig) -> bool:
    """Whether the report date has reached the follow-up's last day (amendment A7)."""
    return series.report_date >= series.course.ended_on + timedelta(days=cfg.followup_days)


def _check_aware(generated_at: datetime | None) -> datetime:
    if generated_at is None:
        return datetime.now(UTC)
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at must be timezone-aware")
    return generated_at


def analyze(
    series: PatientSeries,
    config: MethodConfig = MethodConfig(),  # noqa: B008 - frozen, immutable default
    *,
    generated_at: datetime | None = None,
) -> Report:
    """Run the whole method on one patient and build the report (DESIGN method 1-10)."""
    generated_at = _check_aware(generated_at)
    cfg = config
    first, last = series.tracking_start, series.report_date
    n = (last - first).days + 1
    lead = onset_lead_days(series.attacks, series.timezone, first)
    weather_from_onsets = day_weather(
        series.pressure_start, series.pressure_hpa, series.timezone,
        first - timedelta(days=lead), last, cfg, series.location_change_days,
    )
    weather = weather_from_onsets.from_day(first)
    diary = diary_days(
        series.attacks, series.timezone, first, n, weather_from_onsets.window,
        cfg.migraine_kinds, series.checkin_days, window_lead=lead,
        checkins_from=series.checkins_from,
    )
    bounds = period_bounds(series.course, last, cfg)
    ranges, period_code = _period_index_ranges(bounds, first, n)
    arrays = {
        "covered": diary.covered, "migraine_day": diary.migraine_day,
        "classification": diary.classification, "window": weather.window,
        "at_risk": diary.at_risk, "onset": diary.onset,
        "pressure_coverage": weather.coverage,
    }
    periods = {
        name: _period_stats(bounds[name][0], bounds[name][1], *ranges[name], arrays,
                            cfg.confidence)
        for name in PERIOD_NAMES
    }
    comp = compare(periods["baseline"], periods["followup"], cfg.confidence)
    verdict = decide_verdict(comp, has_enough_data(periods, cfg), is_final(series, cfg))
    labels = np.array([None, *PERIOD_NAMES], dtype=object)
    cls_labels = np.array([CLASS_LABELS[k] for k in range(4)], dtype=object)
    days = DayTable(
        dates=np.datetime64(first.isoformat(), "D") + np.arange(n),
        period=labels[period_code], covered=diary.covered,
        migraine_day=diary.migraine_day, headache_day=diary.headache_day,
        onset=diary.onset, at_risk=diary.at_risk, max_fall_24h_hpa=weather.max_fall_hpa,
        pressure_coverage=weather.coverage, exposure=weather.exposure,
        window=weather.window, classification=cls_labels[diary.classification],
    )
    return Report(
        generated_at=generated_at, config=cfg, course=series.course, periods=periods,
        comparison=comp, verdict=verdict,
        findings=build_findings(verdict, periods, comp, cfg, series.course.kind),
        warnings=build_caveats(CaveatInputs(series, periods, comp, cfg, bounds)),
        days=days, timezone=series.timezone,
        clinical=build_clinical(series.clinical, ClinicalContext(
            bounds=bounds, covered_days={k: p.covered_days for k, p in periods.items()},
            days=days)),
    )
