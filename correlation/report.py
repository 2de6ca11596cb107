"""The per-patient analysis and its report (schema ``migraine-weather/report/v1``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .config import MethodConfig
from .diary import CLASS_LABELS, NON_WEATHER, UNCLASSIFIED, WEATHER_LINKED, diary_days
from .inputs import Course, PatientSeries
from .pressure import FALSE, TRUE, day_weather
from .stats import (
    Interval,
    TestedInterval,
    rate_ratio_exact,
    woolf_ratio_of_ratios,
)

REPORT_SCHEMA = "migraine-weather/report/v1"
PERIOD_NAMES: tuple[str, ...] = ("baseline", "treatment", "followup")

#: Verdict codes and what they mean (documented in docs/method.md).
VERDICTS: dict[str, str] = {
    "insufficient_data": "There is not yet enough diary data around the course for a "
    "conclusion; the caveats below say what is missing.",
    "weather_linked_reduced": "Since the course, weather-linked migraine days fell, and more "
    "than non-weather migraine days did.",
    "non_weather_reduced": "Since the course, non-weather migraine days fell; weather-linked "
    "migraine days did not fall more than in proportion.",
    "both_reduced": "Since the course, non-weather migraine days fell, and weather-linked "
    "migraine days fell even more strongly.",
    "no_clear_change": "The diary shows no clear change in weather-linked or non-weather "
    "migraine days since the course.",
}

DAY_KEYS: tuple[str, ...] = (
    "date", "period", "covered", "migraine_day", "headache_day", "onset", "at_risk",
    "max_fall_24h_hpa", "pressure_coverage", "exposure", "window", "classification",
)

#: Warn when an interval's upper/lower bound ratio exceeds this (or it is unbounded).
WIDE_INTERVAL_FACTOR = 10.0
#: Warn when the share of pressure-fall window days differs between periods by this factor.
SEASON_FACTOR = 1.5
#: Warn when more than this share of covered days has an unknown weather window.
UNKNOWN_WINDOW_SHARE = 0.10


def _f(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _per28(count: int, days: int) -> float | None:
    return count / days * 28.0 if days > 0 else None


@dataclass(frozen=True)
class Finding:
    """A finding or caveat: a stable code and a plain-language sentence."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """{code, text} (DESIGN report contract)."""
        return {"code": self.code, "text": self.text}


def _tri(v: int) -> bool | None:
    return True if v == TRUE else (False if v == FALSE else None)


@dataclass(frozen=True)
class DayTable:
    """Per local day from tracking start to report date (DESIGN method 1-7).

    exposure and window are int8 (1 true, 0 false, -1 unknown); max fall in hPa (NaN = none);
    pressure coverage is a share 0-1; period and classification are str or None.
    """

    dates: np.ndarray
    period: np.ndarray
    covered: np.ndarray
    migraine_day: np.ndarray
    headache_day: np.ndarray
    onset: np.ndarray
    at_risk: np.ndarray
    max_fall_24h_hpa: np.ndarray
    pressure_coverage: np.ndarray
    exposure: np.ndarray
    window: np.ndarray
    classification: np.ndarray

    def __len__(self) -> int:
        return int(self.dates.size)

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per day with the contract's ``days`` keys (DESIGN contract)."""
        dates = self.dates.astype(str).tolist()
        period = self.period.tolist()
        cov = self.covered.tolist()
        mig = self.migraine_day.tolist()
        head = self.headache_day.tolist()
        ons = self.onset.tolist()
        risk = self.at_risk.tolist()
        mf = [None if math.isnan(x) else x for x in self.max_fall_24h_hpa.tolist()]
        pc = self.pressure_coverage.tolist()
        exp = self.exposure.tolist()
        win = self.window.tolist()
        cls = self.classification.tolist()
        return [
            {
                "date": dates[i], "period": period[i], "covered": cov[i],
                "migraine_day": mig[i], "headache_day": head[i], "onset": ons[i],
                "at_risk": risk[i], "max_fall_24h_hpa": mf[i], "pressure_coverage": pc[i],
                "exposure": _tri(exp[i]), "window": _tri(win[i]), "classification": cls[i],
            }
            for i in range(len(dates))
        ]


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
            "mmd": _f(self.mmd),
            "weather_linked_days": self.weather_linked_days,
            "weather_linked_mmd": _f(self.weather_linked_mmd),
            "non_weather_days": self.non_weather_days,
            "non_weather_mmd": _f(self.non_weather_mmd),
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
            "attributable_mmd": _f(self.attributable_mmd),
            "pressure_coverage": _f(self.pressure_coverage),
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
            "mmd_change": _f(self.mmd_change),
            "mmd_change_pct": _f(self.mmd_change_pct),
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
        mmd=_per28(md, covered), weather_linked_days=wl,
        weather_linked_mmd=_per28(wl, covered), non_weather_days=nw,
        non_weather_mmd=_per28(nw, covered), unclassified_days=un,
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
    """Follow-up vs baseline: MMD change (per 28 days), responder, ratios (DESIGN method 9)."""
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
    sens = woolf_ratio_of_ratios(
        fu.onsets_window, fu.at_risk_window_days, fu.onsets_nonwindow,
        fu.at_risk_nonwindow_days,
        base.onsets_window, base.at_risk_window_days, base.onsets_nonwindow,
        base.at_risk_nonwindow_days, confidence,
    )
    return Comparison(change, pct, responder, rr, rrr, sens)


def decide_verdict(comparison: Comparison, sufficient: bool) -> str:
    """Verdict code from the rate ratios and ratio of rate ratios (DESIGN method 9-10)."""
    if not sufficient:
        return "insufficient_data"

    def below_one(iv: Interval | TestedInterval) -> bool:
        return iv.ci_high is not None and iv.ci_high < 1.0

    wl_down = below_one(comparison.rate_ratio["weather_linked"])
    nw_down = below_one(comparison.rate_ratio["non_weather"])
    specific = below_one(comparison.ratio_of_rate_ratios)
    weather_specific = wl_down and (specific or not nw_down)
    if weather_specific and nw_down:
        return "both_reduced"
    if weather_specific:
        return "weather_linked_reduced"
    if nw_down:
        return "non_weather_reduced"
    return "no_clear_change"


def _n(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "not computable"
    return f"{x:.{digits}f}"


def _r(x: float | None) -> str:
    if x is None:
        return "not computable"
    if x == 0:
        return "0"
    return f"{x:.2g}" if x < 10 else f"{x:.0f}"


def _ci(iv: Interval | TestedInterval, confidence: float) -> str:
    lo = _r(iv.ci_low)
    hi = _r(iv.ci_high) if iv.ci_high is not None else "unbounded"
    return f"{round(confidence * 100):d}% CI {lo} to {hi}"


def _p(p: float | None) -> str:
    if p is None:
        return "p not computable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _wide(iv: Interval | TestedInterval) -> bool:
    if iv.estimate is None or iv.ci_high is None or iv.ci_low is None:
        return True
    return iv.ci_low <= 0 or iv.ci_high / iv.ci_low > WIDE_INTERVAL_FACTOR


def _findings(
    verdict: str, periods: dict[str, PeriodStats], comp: Comparison, cfg: MethodConfig
) -> list[Finding]:
    base, fu = periods["baseline"], periods["followup"]
    conf = cfg.confidence
    out = [Finding(verdict, VERDICTS[verdict])]
    if comp.mmd_change is not None:
        pct = f", {comp.mmd_change_pct:+.0f}%" if comp.mmd_change_pct is not None else ""
        out.append(Finding(
            "mmd_change",
            f"Migraine days per 28 days: {_n(base.mmd)} in the baseline and {_n(fu.mmd)} in "
            f"the follow-up (change {comp.mmd_change:+.1f}{pct}).",
        ))
    if comp.responder_50 is not None:
        text = ("Migraine days per 28 days fell by half or more (50% responder)."
                if comp.responder_50 else
                "Migraine days per 28 days did not fall by half (not a 50% responder).")
        out.append(Finding("responder_50", text))
    for key, label in (("weather_linked", "Weather-linked"), ("non_weather", "Non-weather")):
        iv = comp.rate_ratio[key]
        if iv.estimate is not None:
            b = base.weather_linked_mmd if key == "weather_linked" else base.non_weather_mmd
            f = fu.weather_linked_mmd if key == "weather_linked" else fu.non_weather_mmd
            out.append(Finding(
                f"{key}_change",
                f"{label} migraine days per 28 days: {_n(b)} in the baseline and {_n(f)} in "
                f"the follow-up; rate ratio {_r(iv.estimate)} ({_ci(iv, conf)}).",
            ))
    rrr = comp.ratio_of_rate_ratios
    if rrr.estimate is not None:
        out.append(Finding(
            "ratio_of_rate_ratios",
            "Allowing for how many pressure-fall days each period had, weather-linked migraine "
            f"days changed {_r(rrr.estimate)} times as much as non-weather ones "
            f"({_ci(rrr, conf)}, {_p(rrr.p_value)}); 1 means the same change.",
        ))
    sens = comp.sensitivity_ratio
    eb, ef = base.exposure_rate_ratio.estimate, fu.exposure_rate_ratio.estimate
    if sens.estimate is not None:
        out.append(Finding(
            "weather_sensitivity_change",
            "New migraine attacks began "
            f"{_r(eb)} times as often on pressure-fall days as on other days in the baseline "
            f"and {_r(ef)} times as often in the follow-up; the ratio of the two is "
            f"{_r(sens.estimate)} ({_ci(sens, conf)}, {_p(sens.p_value)}). Below 1 means the "
            "link with pressure falls became weaker.",
        ))
    for name, label in (("baseline", "baseline"), ("followup", "follow-up")):
        am = periods[name].attributable_mmd
        if am is not None:
            out.append(Finding(
                f"attributable_mmd_{name}",
                f"In the {label}, about {_n(am)} migraine days per 28 days were in excess on "
                "pressure-fall days compared with other days. This is a pattern over many "
                "days; no single attack can be shown to be caused by the weather.",
            ))
    return out


def _weather_known(period: PeriodStats) -> int:
    """Covered days whose weather window is known (true or false)."""
    return period.window_days + period.nonwindow_days


def _warnings(
    series: PatientSeries, periods: dict[str, PeriodStats], comp: Comparison,
    cfg: MethodConfig, bounds: dict[str, tuple[date, date | None]],
) -> list[Finding]:
    base, fu = periods["baseline"], periods["followup"]
    out: list[Finding] = []
    if base.covered_days < cfg.min_covered_days:
        out.append(Finding(
            "insufficient_data",
            f"The baseline has {base.covered_days} diary days; at least "
            f"{cfg.min_covered_days} are needed for a conclusion.",
        ))
    if fu.covered_days < cfg.min_covered_days:
        what = ("has not started yet" if bounds["followup"][1] is None
                else f"has {fu.covered_days} diary days so far")
        out.append(Finding(
            "insufficient_data",
            f"The follow-up {what}; at least {cfg.min_covered_days} diary days are needed "
            "for a conclusion.",
        ))
    if base.onset_days < cfg.min_baseline_onsets:
        out.append(Finding(
            "insufficient_data",
            f"The baseline has {base.onset_days} days on which a migraine began; at least "
            f"{cfg.min_baseline_onsets} are needed to compare before and after.",
        ))
    for name, label in (("baseline", "baseline"), ("followup", "follow-up")):
        period = periods[name]
        known = _weather_known(period)
        if period.covered_days >= cfg.min_covered_days and known < cfg.min_covered_days:
            out.append(Finding(
                "insufficient_data",
                f"Only {known} of the {period.covered_days} diary days in the {label} could be "
                f"classified by weather (pressure missing, or travel); at least "
                f"{cfg.min_covered_days} are needed to tell weather-linked from other days.",
            ))
    if series.checkin_days is None:
        out.append(Finding(
            "assumed_completeness",
            "Daily check-ins are not in use, so every day since tracking began is assumed "
            "to be recorded: a day without an entry counts as a day without migraine.",
        ))
    fu_end = bounds["followup"][1]
    full_end = series.course.ended_on + timedelta(days=cfg.followup_days)
    if fu_end is not None and fu_end < full_end:
        done = (fu_end - bounds["followup"][0]).days + 1
        out.append(Finding(
            "followup_incomplete",
            f"The follow-up is still running: {done} of {cfg.followup_days} days so far.",
        ))
    if series.tracking_start > bounds["baseline"][0]:
        out.append(Finding(
            "late_tracking_start",
            f"Tracking began on {series.tracking_start.isoformat()}, after the baseline "
            f"start ({bounds['baseline'][0].isoformat()}), so the baseline is shorter.",
        ))
    for name, label in (("baseline", "baseline"), ("followup", "follow-up")):
        p = periods[name]
        if p.covered_days == 0:
            continue
        low_cov = p.pressure_coverage is not None and p.pressure_coverage < (
            cfg.min_pressure_coverage)
        share_unknown = p.unknown_window_days / p.covered_days
        if low_cov or share_unknown > UNKNOWN_WINDOW_SHARE:
            out.append(Finding(
                "low_pressure_coverage",
                f"Pressure data are incomplete in the {label}: mean coverage "
                f"{_n((p.pressure_coverage or 0.0) * 100, 0)}% of hours, and "
                f"{p.unknown_window_days} of {p.covered_days} diary days could not be "
                "classified by weather.",
            ))
    travel = 0
    lo = bounds["baseline"][0]
    hi = fu_end or series.course.ended_on
    for d in series.location_change_days:
        if lo <= d <= hi and d >= series.tracking_start and d <= series.report_date:
            travel += 1
    if travel:
        out.append(Finding(
            "travel_days",
            f"The location changed on {travel} day(s) in the analysed periods; those days "
            "were not classified by weather, because a pressure jump on a travel day is not "
            "weather.",
        ))
    if base.covered_days and fu.covered_days:
        sb = base.window_days / base.covered_days
        sf = fu.window_days / fu.covered_days
        if min(sb, sf) > 0 and max(sb, sf) / min(sb, sf) > SEASON_FACTOR:
            out.append(Finding(
                "season_difference",
                f"Pressure-fall days were {'more' if sf > sb else 'less'} common in the "
                f"follow-up ({sf * 100:.0f}% of days) than in the baseline ({sb * 100:.0f}%). "
                "Weather-linked day counts depend on this; the ratio of rate ratios allows "
                "for it.",
            ))
    if _wide(comp.sensitivity_ratio) or _wide(comp.ratio_of_rate_ratios):
        out.append(Finding(
            "wide_interval",
            "The counts are small, so the intervals for the change in weather sensitivity "
            "are wide or not computable; one patient's diary over these periods cannot "
            "settle that question on its own.",
        ))
    return out


def analyze(
    series: PatientSeries,
    config: MethodConfig = MethodConfig(),  # noqa: B008 - frozen, immutable default
    *,
    generated_at: datetime | None = None,
) -> Report:
    """Run the whole method on one patient and build the report (DESIGN method 1-10)."""
    if generated_at is None:
        generated_at = datetime.now(UTC)
    elif generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at must be timezone-aware")
    cfg = config
    first, last = series.tracking_start, series.report_date
    n = (last - first).days + 1
    weather = day_weather(
        series.pressure_start, series.pressure_hpa, series.timezone, first, last, cfg,
        series.location_change_days,
    )
    diary = diary_days(
        series.attacks, series.timezone, first, n, weather.window, cfg.migraine_kinds,
        series.checkin_days,
    )
    bounds = period_bounds(series.course, last, cfg)
    period_code = np.zeros(n, dtype=np.int8)
    ranges: dict[str, tuple[int, int]] = {}
    for code, name in enumerate(PERIOD_NAMES, start=1):
        start, end = bounds[name]
        if end is None:
            ranges[name] = (0, 0)
            continue
        lo = min(max((start - first).days, 0), n)
        hi = min(max((end - first).days + 1, 0), n)
        ranges[name] = (lo, max(lo, hi))
        period_code[lo:max(lo, hi)] = code
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
    sufficient = (
        periods["baseline"].covered_days >= cfg.min_covered_days
        and periods["followup"].covered_days >= cfg.min_covered_days
        and periods["baseline"].onset_days >= cfg.min_baseline_onsets
        and _weather_known(periods["baseline"]) >= cfg.min_covered_days
        and _weather_known(periods["followup"]) >= cfg.min_covered_days
    )
    verdict = decide_verdict(comp, sufficient)
    labels = np.array([None, *PERIOD_NAMES], dtype=object)
    cls_labels = np.array([CLASS_LABELS[k] for k in range(4)], dtype=object)
    days = DayTable(
        dates=np.datetime64(first.isoformat(), "D") + np.arange(n),
        period=labels[period_code],
        covered=diary.covered,
        migraine_day=diary.migraine_day,
        headache_day=diary.headache_day,
        onset=diary.onset,
        at_risk=diary.at_risk,
        max_fall_24h_hpa=weather.max_fall_hpa,
        pressure_coverage=weather.coverage,
        exposure=weather.exposure,
        window=weather.window,
        classification=cls_labels[diary.classification],
    )
    return Report(
        generated_at=generated_at,
        config=cfg,
        course=series.course,
        periods=periods,
        comparison=comp,
        verdict=verdict,
        findings=_findings(verdict, periods, comp, cfg),
        warnings=_warnings(series, periods, comp, cfg, bounds),
        days=days,
        timezone=series.timezone,
    )
