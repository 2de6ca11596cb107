"""Seeded simulators of hourly pressure and of patients' diaries (DESIGN method, tests, demo).

The attack model: on an at-risk day (previous day not a migraine day) a migraine attack starts
with probability ``base_rate``, times ``sensitivity`` on days whose weather window is true
(computed with the analysis' own functions). From the course start the base rate is multiplied
by ``prt_base_factor`` and the window multiplier becomes ``1 + (sensitivity - 1) *
prt_sensitivity_factor``; during the course both ramp linearly from no effect to the full
effect, which holds from the day after the course on. So the planted exposure rate ratio is
``sensitivity`` in the baseline and ``1 + (sensitivity - 1) * prt_sensitivity_factor`` in the
follow-up, whatever ``prt_base_factor`` is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from scipy.signal import lfilter

from .config import MethodConfig
from .inputs import Attack, Course, PatientSeries
from .pressure import TRUE, day_weather, local_midnights_utc

# Synoptic AR(2) on hourly anomalies: damping time and quasi-period of passing systems.
_DAMPING_HOURS = 72.0
_PERIOD_HOURS = 200.0
_SYNOPTIC_SD_HPA = 6.0
_TIDE_HPA = 0.6
_BURN_IN_HOURS = 480
HEADACHE_RATE = 0.03


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def simulate_pressure(
    start: datetime, hours: int, seed: int | np.random.Generator, *, mean_hpa: float = 1000.0,
    seasonality: float = 0.0,
) -> np.ndarray:
    """Hourly surface pressure (hPa): AR(2) systems plus tide, for DESIGN method 1-3 tests.

    ``seasonality`` s scales the systems by 1 + s cos(2 pi (day of year - 15) / 365.25): more
    and deeper falls in (northern) winter, fewer in summer; 0 leaves the series unchanged.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    rng = _rng(seed)
    r = math.exp(-1.0 / _DAMPING_HOURS)
    a1 = 2.0 * r * math.cos(2.0 * math.pi / _PERIOD_HOURS)
    a2 = -r * r
    # stationary variance of x_t = a1 x_{t-1} + a2 x_{t-2} + e_t with unit-variance e
    var = (1.0 - a2) / ((1.0 + a2) * ((1.0 - a2) ** 2 - a1 ** 2))
    e = rng.standard_normal(hours + _BURN_IN_HOURS)
    x = lfilter([1.0], [1.0, -a1, -a2], e)[_BURN_IN_HOURS:]
    x *= _SYNOPTIC_SD_HPA / math.sqrt(var)
    if seasonality:
        if not 0.0 <= seasonality < 1.0:
            raise ValueError("seasonality must be in [0, 1)")
        s0 = start.astimezone(UTC)
        doy = s0.timetuple().tm_yday - 1 + (s0.hour + np.arange(hours)) / 24.0
        x *= 1.0 + seasonality * np.cos(2.0 * math.pi * (doy - 15.0) / 365.25)
    h0 = start.astimezone(UTC).hour
    t = (h0 + np.arange(hours)) % 24
    tide = _TIDE_HPA * np.cos(2.0 * math.pi * (t - 10.0) / 12.0)
    return (mean_hpa + x + tide).astype(np.float64)


@dataclass(frozen=True)
class Spells:
    """Attacks clustered in spells: a two-state Markov chain of days (validation option).

    In a spell (``share`` of days on average, ``mean_days`` long) the base rate is multiplied
    by ``factor``; outside by (1 - share * factor) / (1 - share), so the mean rate is kept.
    Spells are independent of the weather.
    """

    factor: float = 3.0
    share: float = 0.2
    mean_days: float = 10.0

    def multipliers(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Base-rate multiplier for each of ``n`` days."""
        if not (0 < self.share < 1 and self.factor * self.share < 1 and self.mean_days >= 1):
            raise ValueError("spells need 0 < share < 1, factor * share < 1, mean_days >= 1")
        leave = 1.0 / self.mean_days
        enter = self.share * leave / (1.0 - self.share)
        u = rng.random(n)
        state = np.empty(n, dtype=bool)
        now = bool(u[0] < self.share)
        for d in range(n):
            state[d] = now
            now = u[d] >= leave if now else u[d] < enter
        quiet = (1.0 - self.share * self.factor) / (1.0 - self.share)
        return np.where(state, self.factor, quiet)


def graded_multiplier(max_fall_hpa: np.ndarray, sensitivity: float) -> np.ndarray:
    """Risk rising with the fall (validation option), not stepping at the threshold.

    1 + (sensitivity - 1) * clip((F - 1) / 6, 0, 2), F the larger max 24-h fall (hPa) of the
    day and the day before (unknown counts as 0): 1 below a 1 hPa fall, ``sensitivity`` at
    7 hPa, so days with 3-5 hPa falls (not window days) carry part of the extra risk.
    """
    f = np.nan_to_num(np.asarray(max_fall_hpa, dtype=np.float64), nan=0.0)
    f = np.maximum(f, np.concatenate([[0.0], f[:-1]]))
    return 1.0 + (sensitivity - 1.0) * np.clip((f - 1.0) / 6.0, 0.0, 2.0)


@dataclass
class SimulatedPatient:
    """A simulated patient's raw data; ``to_series()`` gives the analysis input."""

    timezone: str
    pressure_start: datetime
    pressure_hpa: np.ndarray
    attacks: list[Attack]
    course: Course
    tracking_start: date
    report_date: date
    checkin_days: frozenset[date] | None = None
    window: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    true_exposure_ratio_baseline: float = 1.0
    true_exposure_ratio_followup: float = 1.0
    #: the planted onset probability of each day (used on at-risk days only)
    hazard: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def to_series(self) -> PatientSeries:
        """The PatientSeries the analysis takes (DESIGN method 1-7)."""
        return PatientSeries(
            timezone=self.timezone,
            pressure_start=self.pressure_start,
            pressure_hpa=self.pressure_hpa,
            attacks=tuple(self.attacks),
            tracking_start=self.tracking_start,
            report_date=self.report_date,
            course=self.course,
            checkin_days=self.checkin_days,
            # the simulated patient checks in from the first day on (A1)
            checkins_from=self.tracking_start if self.checkin_days is not None else None,
        )


def _ramp(day: np.ndarray, course_lo: int, course_hi: int, factor: float) -> np.ndarray:
    """Multiplier per day: 1 before the course, ramps during it, ``factor`` after it."""
    length = max(course_hi - course_lo + 1, 1)
    frac = np.clip((day - course_lo + 1) / length, 0.0, 1.0)
    return 1.0 + (factor - 1.0) * frac


def simulate_patient(
    seed: int | np.random.Generator,
    *,
    report_date: date,
    days: int = 270,
    timezone: str = "Europe/London",
    course_start: date | None = None,
    course_days: int = 56,
    base_rate: float = 0.12,
    sensitivity: float = 3.0,
    prt_base_factor: float = 1.0,
    prt_sensitivity_factor: float = 1.0,
    config: MethodConfig = MethodConfig(),  # noqa: B008 - frozen, immutable default
    pressure: np.ndarray | None = None,
    pressure_start: datetime | None = None,
    mean_duration_hours: float = 14.0,
    checkin_share: float | None = None,
    pressure_seasonality: float = 0.0,
    graded: bool = False,
    spells: Spells | None = None,
) -> SimulatedPatient:
    """Seeded patient (pressure hPa, attacks, course) with hazards on DESIGN method 3 windows.

    Options for validation (all off by default, leaving existing seeds' output unchanged):
    ``pressure_seasonality`` (see :func:`simulate_pressure`), ``graded`` risk (see
    :func:`graded_multiplier`) and attack ``spells`` (see :class:`Spells`).
    """
    rng = _rng(seed)
    n = int(days)
    if n < 1:
        raise ValueError("days must be at least 1")
    tracking_start = report_date - timedelta(days=n - 1)
    if course_start is None:
        course_start = report_date - timedelta(days=config.followup_days + course_days - 1)
    course = Course("PRT", course_start, course_start + timedelta(days=course_days - 1))
    lead_days = math.ceil(config.window_hours / 24) + config.lag_days + 1
    if pressure is None:
        first_mid = local_midnights_utc(tracking_start - timedelta(days=lead_days), 0, timezone)
        p_start = datetime.fromtimestamp(int(first_mid[0]) // 3600 * 3600, tz=UTC)
        end_mid = local_midnights_utc(report_date + timedelta(days=1), 0, timezone)
        hours = int(-((p_start.timestamp() - end_mid[0]) // 3600)) + 1
        pressure_arr = simulate_pressure(p_start, hours, rng, seasonality=pressure_seasonality)
    else:
        if pressure_start is None:
            raise ValueError("pressure_start is required with pressure")
        p_start = pressure_start.astimezone(UTC)
        pressure_arr = np.asarray(pressure, dtype=np.float64)
    weather = day_weather(p_start, pressure_arr, timezone, tracking_start, report_date, config)
    window_true = weather.window == TRUE

    day = np.arange(n)
    c_lo = (course.started_on - tracking_start).days
    c_hi = (course.ended_on - tracking_start).days
    base = base_rate * _ramp(day, c_lo, c_hi, prt_base_factor)
    mult_after = 1.0 + (sensitivity - 1.0) * prt_sensitivity_factor
    if graded:
        excess = graded_multiplier(weather.max_fall_hpa, sensitivity) - 1.0
        mult = 1.0 + excess * _ramp(day, c_lo, c_hi, prt_sensitivity_factor)
    else:
        mult = np.where(window_true,
                        sensitivity * _ramp(day, c_lo, c_hi, mult_after / sensitivity), 1.0)
    if spells is not None:
        base = base * spells.multipliers(n, rng)
    prob = np.clip(base * mult, 0.0, 1.0)

    bounds = local_midnights_utc(tracking_start, n, timezone)
    u = rng.random(n)
    when = rng.random(n)
    sigma = 0.6
    mu = math.log(mean_duration_hours) - sigma ** 2 / 2
    durations = np.clip(rng.lognormal(mu, sigma, n), 4.0, 72.0)
    head_u = rng.random(n)
    head_dur = rng.uniform(2.0, 12.0, n)

    attacks: list[Attack] = []
    next_ok = 0
    for d in range(n):
        if d < next_ok or u[d] >= prob[d]:
            continue
        start_s = bounds[d] + when[d] * (bounds[d + 1] - bounds[d])
        end_s = start_s + durations[d] * 3600.0
        last = int(np.searchsorted(bounds, end_s, side="left")) - 1
        attacks.append(Attack(
            datetime.fromtimestamp(round(start_s / 60) * 60, tz=UTC),
            datetime.fromtimestamp(round(end_s / 60) * 60, tz=UTC),
            "migraine",
        ))
        next_ok = last + 2
    # Headaches never overlap a migraine attack: a diary cannot hold two attacks at once.
    busy = [(a.started_at, a.ended_at) for a in attacks]
    for d in np.flatnonzero(head_u < HEADACHE_RATE).tolist():
        start_s = bounds[d] + when[d] * (bounds[d + 1] - bounds[d])
        headache = Attack(
            datetime.fromtimestamp(round(start_s / 60) * 60, tz=UTC),
            datetime.fromtimestamp(round((start_s + head_dur[d] * 3600.0) / 60) * 60, tz=UTC),
            "headache",
        )
        if any(s < headache.ended_at and headache.started_at < e for s, e in busy):
            continue
        busy.append((headache.started_at, headache.ended_at))
        attacks.append(headache)
    attacks.sort(key=lambda a: a.started_at)
    checkins: frozenset[date] | None = None
    if checkin_share is not None:
        keep = np.flatnonzero(rng.random(n) < checkin_share).tolist()
        checkins = frozenset(tracking_start + timedelta(days=k) for k in keep)
    return SimulatedPatient(
        timezone=timezone,
        pressure_start=p_start,
        pressure_hpa=pressure_arr,
        attacks=attacks,
        course=course,
        tracking_start=tracking_start,
        report_date=report_date,
        checkin_days=checkins,
        window=weather.window,
        true_exposure_ratio_baseline=float(sensitivity),
        true_exposure_ratio_followup=float(mult_after),
        hazard=prob,
    )


@dataclass(frozen=True)
class DemoPatient:
    """A demo parameter set: seed and simulate_patient keyword arguments."""

    name: str
    description: str
    expected_verdict: str
    seed: int
    params: dict[str, Any]

    def simulate(self, report_date: date, **overrides: Any) -> SimulatedPatient:
        """Simulate this demo patient for ``report_date`` (simulation, DESIGN method)."""
        kwargs = {**self.params, **overrides}
        return simulate_patient(self.seed, report_date=report_date, **kwargs)


DEMO_PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient(
        name="Weather-sensitive, weather link weakened",
        description="Strongly weather-sensitive; after PRT the extra risk on pressure-fall "
        "days largely goes away, other days unchanged.",
        expected_verdict="weather_link_weakened",
        seed=20,
        params={"base_rate": 0.2, "sensitivity": 5.0, "prt_base_factor": 1.0,
                "prt_sensitivity_factor": 0.1},
    ),
    DemoPatient(
        name="Fewer migraine days overall, weather link unchanged",
        description="Mildly weather-sensitive; after PRT attacks become rarer on all days "
        "alike, so the link with pressure falls stays.",
        expected_verdict="weather_link_not_settled",
        seed=4,
        params={"base_rate": 0.30, "sensitivity": 1.5, "prt_base_factor": 0.3,
                "prt_sensitivity_factor": 1.0, "mean_duration_hours": 10.0},
    ),
    DemoPatient(
        name="No change",
        description="Weather-sensitive; PRT changes neither the rate nor the weather link.",
        expected_verdict="weather_link_not_settled",
        seed=7,
        params={"base_rate": 0.15, "sensitivity": 2.5, "prt_base_factor": 1.0,
                "prt_sensitivity_factor": 1.0},
    ),
)
