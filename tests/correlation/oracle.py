"""An independent, deliberately plain implementation of DESIGN.md's method for the tests.

It walks days and hours with datetime objects and dictionaries, sharing no code with
correlation/, so that agreement between the two is evidence that both read DESIGN alike.
Intervals come from statsmodels, the project's test oracle.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from statsmodels.stats.proportion import proportion_confint

THRESHOLD = 5.0
MIN_COVERAGE = 0.75


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def day_hours(day: date, zone: ZoneInfo) -> list[datetime]:
    """The whole UTC hours from local midnight of ``day`` up to the next local midnight."""
    start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    hour = start.replace(minute=0, second=0, microsecond=0)
    if hour < start:
        hour += timedelta(hours=1)
    out = []
    while hour < end:
        out.append(hour)
        hour += timedelta(hours=1)
    return out


def exposure(day: date, zone: ZoneInfo, p: dict[datetime, float]) -> bool | None:
    """Method 1-2: True, False or None (unknown) for one local day."""
    hours = day_hours(day, zone)
    falls = [p[h - timedelta(hours=24)] - p[h] for h in hours
             if h in p and h - timedelta(hours=24) in p]
    if falls and max(falls) >= THRESHOLD:
        return True
    coverage = len(falls) / len(hours)
    return False if coverage >= MIN_COVERAGE else None


def local_days_of(attack, zone: ZoneInfo) -> list[date]:
    """Method 4: the local days an attack is active on."""
    start = attack.started_at.astimezone(zone)
    if attack.ended_at is None or attack.ended_at <= attack.started_at:
        return [start.date()]
    last = (attack.ended_at - timedelta(microseconds=1)).astimezone(zone).date()
    days, d = [], start.date()
    while d <= last:
        days.append(d)
        d += timedelta(days=1)
    return days


def _pressure_by_hour(series) -> dict[datetime, float]:
    """The known hourly values keyed by their UTC instant."""
    return {series.pressure_start + timedelta(hours=i): float(v)
            for i, v in enumerate(series.pressure_hpa) if v == v}  # v == v: not NaN


def _migraine_days(series, zone: ZoneInfo) -> tuple[dict[date, list], set[date]]:
    """The migraine attacks active on each local day, and the onset days."""
    active: dict[date, list] = {}
    onsets: set[date] = set()
    for a in (a for a in series.attacks if a.kind == "migraine"):
        for d in local_days_of(a, zone):
            active.setdefault(d, []).append(a)
        onsets.add(a.started_at.astimezone(zone).date())
    return active, onsets


def analyse(series) -> dict:
    """Return per-period counts, exact exposure rate ratios and attributable MMD."""
    zone = ZoneInfo(series.timezone)
    p = _pressure_by_hour(series)
    first, last = series.tracking_start, series.report_date
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    exp: dict[date, bool | None] = {}

    def exposure_of(d: date) -> bool | None:
        if d not in exp:
            exp[d] = exposure(d, zone, p)
        return exp[d]

    def window(d: date) -> bool | None:
        # any day, tracking or not: an attack begun before tracking is classified by its onset
        pair = [exposure_of(d - timedelta(days=1)), exposure_of(d)]
        if True in pair:
            return True
        if all(x is False for x in pair):
            return False
        return None

    active, onsets = _migraine_days(series, zone)

    def attack_class(a) -> str:
        w = window(a.started_at.astimezone(zone).date())
        return {True: "wl", False: "nw", None: "un"}[w]

    course = series.course
    periods = {
        "baseline": (course.started_on - timedelta(days=84),
                     course.started_on - timedelta(days=1)),
        "treatment": (course.started_on, course.ended_on),
        "followup": (course.ended_on + timedelta(days=1),
                     min(course.ended_on + timedelta(days=84), last)),
    }
    out = {}
    for name, (lo, hi) in periods.items():
        c = dict.fromkeys(COUNT_KEYS, 0)
        for d in days:
            if lo <= d <= hi:
                _count_day(c, d, window(d), active, onsets, attack_class)
        out[name] = _finish_period(c)
    return out


COUNT_KEYS = ["covered_days", "migraine_days", "weather_linked_days", "non_weather_days",
              "unclassified_days", "window_days", "nonwindow_days", "onsets_window",
              "at_risk_window_days", "onsets_nonwindow", "at_risk_nonwindow_days",
              "migraine_window_days", "migraine_nonwindow_days"]


def _count_day(c: dict, d: date, w: bool | None, active: dict, onsets: set,
               attack_class) -> None:
    """Add one covered day to the period's counts (method 4-8)."""
    c["covered_days"] += 1
    c["window_days"] += w is True
    c["nonwindow_days"] += w is False
    if d in active:
        c["migraine_days"] += 1
        classes = {attack_class(a) for a in active[d]}
        key = ("weather_linked_days" if "wl" in classes else
               "non_weather_days" if "nw" in classes else "unclassified_days")
        c[key] += 1
        c["migraine_window_days"] += w is True
        c["migraine_nonwindow_days"] += w is False
    if (d - timedelta(days=1)) in active or w is None:
        return
    side = "window" if w else "nonwindow"
    c[f"at_risk_{side}_days"] += 1
    c[f"onsets_{side}"] += d in onsets


def _finish_period(c: dict) -> dict:
    """Add the exact exposure rate ratio and the attributable MMD (method 8)."""
    c["exposure_rate_ratio"] = _exact(c["onsets_window"], c["at_risk_window_days"],
                                      c["onsets_nonwindow"], c["at_risk_nonwindow_days"])
    if c["window_days"] and c["nonwindow_days"] and c["covered_days"]:
        diff = (c["migraine_window_days"] / c["window_days"]
                - c["migraine_nonwindow_days"] / c["nonwindow_days"])
        c["attributable_mmd"] = max(0.0, diff) * c["window_days"] / c["covered_days"] * 28
    else:
        c["attributable_mmd"] = None
    return c


def _exact(a: int, te: int, b: int, tu: int) -> dict:
    """Conditional binomial exact rate ratio with Clopper-Pearson bounds (method 8)."""
    if te == 0 or tu == 0 or a + b == 0 or b == 0:
        return {"estimate": None}
    lo, hi = proportion_confint(a, a + b, alpha=0.05, method="beta")
    to_ratio = lambda q: q / (1 - q) * tu / te  # noqa: E731
    return {"estimate": (a / te) / (b / tu), "ci_low": to_ratio(lo),
            "ci_high": None if hi >= 1 else to_ratio(hi)}
