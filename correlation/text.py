"""Plain-language one-page summary of a report for clinicians (DESIGN report contract)."""

from __future__ import annotations

from .report import PERIOD_NAMES, Report
from .stats import Interval, TestedInterval
from .wording import course_words


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(iv: Interval | TestedInterval) -> str:
    if iv.estimate is None and iv.ci_low is None:
        return "not computable"
    est = "-" if iv.estimate is None else f"{iv.estimate:.2f}"
    lo = "-" if iv.ci_low is None else f"{iv.ci_low:.2f}"
    hi = "unbounded" if iv.ci_high is None else f"{iv.ci_high:.2f}"
    text = f"{est} ({lo} to {hi})"
    p = getattr(iv, "p_value", None)
    if p is not None:
        text += f", p = {p:.3f}" if p >= 0.001 else ", p < 0.001"
    return text


def render_text(report: Report) -> str:
    """One-page plain-text clinician summary of a report (DESIGN report contract)."""
    cfg = report.config
    c = report.course
    words = course_words(c.kind)
    labels = dict(zip(PERIOD_NAMES, words.periods, strict=True))
    lines = [
        "Migraine and weather: summary for the clinician",
        f"{words.dates(c.kind, c.started_on.isoformat(), c.ended_on.isoformat())}; "
        f"generated {report.generated_at.isoformat(timespec='minutes')}.",
        f"Pressure-fall days: a fall of at least {cfg.drop_threshold_hpa:g} hPa within "
        f"{cfg.window_hours} h on the day or in the {cfg.lag_days} day(s) before "
        f"({cfg.pressure_variable.replace('_', ' ')}).",
        "",
        f"Overall: {report.findings[0].text if report.findings else report.verdict}",
        "",
        f"{'Period':<13} {'Dates':<23} {'Days':>5} {'MMD':>6} {'Weather':>8} {'Other':>6} "
        f"{'Onset ratio (CI)':>24}",
    ]
    for name in PERIOD_NAMES:
        p = report.periods[name]
        dates = f"{p.start.isoformat()}..{p.end.isoformat() if p.end else '(not yet)'}"
        lines.append(
            f"{labels[name]:<13} {dates:<23} {p.covered_days:>5} {_num(p.mmd):>6} "
            f"{_num(p.weather_linked_mmd):>8} {_num(p.non_weather_mmd):>6} "
            f"{_ratio(p.exposure_rate_ratio):>24}"
        )
    lines += [
        "MMD = migraine days per 28 diary days; Weather / Other = weather-linked and "
        "non-weather migraine days per 28 days; onset ratio = how many times as often attacks "
        "began on pressure-fall days as on other days.",
        "",
        f"{words.capital(words.followup)} compared with {words.baseline} "
        f"({round(cfg.confidence * 100)}% intervals):",
    ]
    comp = report.comparison
    lines.append(f"  Change in MMD: {_num(comp.mmd_change)}"
                 + (f" ({comp.mmd_change_pct:+.0f}%)" if comp.mmd_change_pct is not None else ""))
    resp = {True: "yes", False: "no", None: "not computable"}[comp.responder_50]
    lines.append(f"  50% responder: {resp}")
    lines.append(f"  Rate ratio, all migraine days: {_ratio(comp.rate_ratio['all'])}")
    lines.append(f"  Rate ratio, weather-linked days: {_ratio(comp.rate_ratio['weather_linked'])}")
    lines.append(f"  Rate ratio, non-weather days: {_ratio(comp.rate_ratio['non_weather'])}")
    lines.append(f"  Ratio of rate ratios: {_ratio(comp.ratio_of_rate_ratios)}")
    lines.append(f"  Change in weather sensitivity: {_ratio(comp.sensitivity_ratio)}")
    lines += ["", "Findings:"]
    lines += [f"  - {f.text}" for f in report.findings[1:]] or ["  (none)"]
    lines += ["", "Caveats:"]
    lines += [f"  - {w.text}" for w in report.warnings] or ["  (none)"]
    lines += [
        "",
        "These are patterns over many days; no single attack can be shown to be caused by "
        "the weather.",
        "This is not medical advice.",
    ]
    return "\n".join(lines) + "\n"
