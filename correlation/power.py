"""Power to detect a change in weather sensitivity, by simulation of the counts (issue #12).

What is simulated. The sensitivity ratio (A5) and the cohort model (A6) read only four numbers
per period: onsets on at-risk window days (a), on at-risk non-window days (b) and those day
counts (Te, Tu). In :mod:`correlation.simulate` an at-risk day holds an onset with probability
``base_rate`` (times the exposure rate ratio on window days), independently given the past, and
non-at-risk days hold none, so a diary's likelihood is
``pw^a (1 - pw)^(Te - a) * pu^b (1 - pu)^(Tu - b)``: (a, Te, b, Tu) are sufficient, and the
exact interval and the model see nothing else. So we draw a ~ Bin(Te, pw), b ~ Bin(Tu, pu)
with the day counts at their expected values: an onset at a uniform time of day with an attack
of h hours leaves the next ``1 + h / 24`` days not at risk on average (the day after a migraine
day is at risk again), so a share ``1 / (1 + r * (1 + E[h] / 24))`` of days is at risk, with r
the mean onset probability per at-risk day. Fixing the day counts leaves out their small
random variation (and the clustering of window days); the tests check the result against full
runs of ``simulate_patient`` and ``analyze``.

What is reported. Cohort power: the share of simulated cohorts whose pooled sensitivity ratio
(A6, profile-likelihood interval) has its upper bound below 1. One patient: the share whose
exact interval (A5) has its upper bound below 1, the verdict ``weather_link_weakened``. Both
with the Monte-Carlo standard error sqrt(p (1 - p) / N). All cohorts of a table are decided
together (:mod:`correlation.power_fit`), each cell from its own seeded generator. Pure
numpy/scipy, no I/O.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _st

from .conditional import _logsumexp, log_pmf, support_table
from .power_fit import pooled_flags

#: Rows per chunk when the exact per-patient rule is evaluated (bounds memory).
_CHUNK = 20000
#: Log-normal SD of attack durations in the simulator (correlation.simulate).
_DURATION_SIGMA = 0.6
_DURATION_CLIP = (4.0, 72.0)
#: Patients simulated by this process (read by simulated_patients; the page's cache test).
_SIMULATED = [0]
_SIMULATED_LOCK = threading.Lock()


def simulated_patients() -> int:
    """How many patients :func:`simulate_counts` has drawn in this process so far."""
    with _SIMULATED_LOCK:
        return _SIMULATED[0]


@dataclass(frozen=True)
class Scenario:
    """The clinic's baseline: onset rates, weather sensitivity, climate and spread (issue #12).

    ``base_rate``: onset probability per at-risk day off pressure-fall days (baseline);
    ``sensitivity``: the baseline exposure rate ratio (how many times as often on window days);
    ``window_share``: share of days that are pressure-fall window days (``followup_window_share``
    for the follow-up, default the same); ``tau``: SD of the patients' log sensitivity ratios;
    ``followup_rate_factor``: change in the off-window onset rate after the course;
    ``window_persistence``: lag-1 autocorrelation of window days (0.55 in the simulator's
    climate; it only shifts at-risk days between the two kinds).
    """

    base_rate: float = 0.12
    sensitivity: float = 3.0
    window_share: float = 0.33
    tau: float = 0.0
    baseline_weeks: int = 12
    mean_duration_hours: float = 14.0
    followup_rate_factor: float = 1.0
    followup_window_share: float | None = None
    window_persistence: float = 0.55
    confidence: float = 0.95

    def __post_init__(self) -> None:
        _check_share("base_rate", self.base_rate, open_low=True)
        _check_share("window_share", self.window_share, open_low=True, open_high=True)
        if self.followup_window_share is not None:
            _check_share("followup_window_share", self.followup_window_share, open_low=True,
                         open_high=True)
        _check_share("confidence", self.confidence, open_low=True, open_high=True)
        for name in ("sensitivity", "mean_duration_hours", "followup_rate_factor"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number")
        _check_share("window_persistence", self.window_persistence)
        if not (math.isfinite(self.tau) and self.tau >= 0):
            raise ValueError("tau must be a non-negative number")
        if int(self.baseline_weeks) != self.baseline_weeks or self.baseline_weeks < 1:
            raise ValueError("baseline_weeks must be a positive whole number of weeks")


def _check_share(name: str, value: float, open_low: bool = False,
                 open_high: bool = False) -> None:
    ok = math.isfinite(value) and (value > 0 if open_low else value >= 0) and (
        value < 1 if open_high else value <= 1)
    if not ok:
        raise ValueError(f"{name} must be a share between 0 and 1")


@dataclass(frozen=True)
class PowerResult:
    """Power (share flagged) and its Monte-Carlo standard error for one cell."""

    ratio: float
    patients: int
    weeks: int
    power: float
    mc_se: float
    simulations: int

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe dict of the cell."""
        return asdict(self)


@dataclass(frozen=True)
class WeeksAnswer:
    """One patient: power by follow-up length and the extra weeks that reach ``target``."""

    ratio: float
    target: float
    current_weeks: int
    max_weeks: int
    curve: tuple[PowerResult, ...]
    weeks_needed: int | None

    @property
    def extra_weeks(self) -> int | None:
        """Weeks of follow-up to add to ``current_weeks``; None if even ``max_weeks`` fall short."""
        if self.weeks_needed is None:
            return None
        return max(0, self.weeks_needed - self.current_weeks)

    def sentence(self) -> str:
        """'N more weeks' or 'more than N more weeks' (plain language)."""
        if self.extra_weeks is None:
            return (f"more than {self.max_weeks - self.current_weeks} more weeks "
                    f"(beyond {self.max_weeks} weeks of follow-up)")
        if self.extra_weeks == 0:
            return f"no more weeks ({self.current_weeks} weeks of follow-up suffice)"
        return f"{self.extra_weeks} more weeks ({self.weeks_needed} weeks of follow-up)"

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict, the curve as a list of cells."""
        return {"ratio": self.ratio, "target": self.target, "current_weeks": self.current_weeks,
                "max_weeks": self.max_weeks, "weeks_needed": self.weeks_needed,
                "extra_weeks": self.extra_weeks, "answer": self.sentence(),
                "curve": [c.to_dict() for c in self.curve]}


# --------------------------------------------------------------------------- day counts


def mean_attack_hours(mean_duration_hours: float) -> float:
    """Mean of the simulator's clipped log-normal attack duration (hours)."""
    s = _DURATION_SIGMA
    mu = math.log(mean_duration_hours) - s * s / 2
    lo, hi = _DURATION_CLIP
    za, zb = (math.log(lo) - mu) / s, (math.log(hi) - mu) / s
    inside = math.exp(mu + s * s / 2) * (_st.norm.cdf(zb - s) - _st.norm.cdf(za - s))
    return float(lo * _st.norm.cdf(za) + hi * _st.norm.sf(zb) + inside)


def at_risk_days(days: float, rate: float | np.ndarray, ratio: float | np.ndarray,
                 window_share: float, mean_duration_hours: float, persistence: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Expected at-risk window and non-window days (Te, Tu) of a period of ``days`` days.

    An onset blocks B = ``1 + E[h] / 24`` days on average (uniform start time). The first
    blocked day is a window day with probability q + (1 - q) rho after a window onset and
    q - q rho after another (rho = ``persistence``, the lag-1 autocorrelation of window days),
    later ones with probability q; solving the two balance equations
    ``T = D q_T - (blocked days of that kind)`` gives Te and Tu.
    """
    q, rho = window_share, persistence
    blocked = 1.0 + mean_attack_hours(mean_duration_hours) / 24.0
    pu = np.asarray(rate, dtype=np.float64)
    pw = np.minimum(1.0, pu * np.asarray(ratio, dtype=np.float64))
    bw1, bw0 = q * blocked + (1.0 - q) * rho, q * blocked - q * rho
    # [1 + pw bw1, pu bw0; pw (B - bw1), 1 + pu (B - bw0)] (Te, Tu) = D (q, 1 - q)
    m11, m12 = 1.0 + pw * bw1, pu * bw0
    m21, m22 = pw * (blocked - bw1), 1.0 + pu * (blocked - bw0)
    det = m11 * m22 - m12 * m21
    te = days * (q * m22 - (1.0 - q) * m12) / det
    tu = days * ((1.0 - q) * m11 - q * m21) / det
    return te, tu


def simulate_counts(scenario: Scenario, ratio: float, followup_weeks: int,
                    shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Count rows (..., 8) = (a0, b0, te0, tu0, a1, b1, te1, tu1) for ``shape`` patients.

    Each patient's log sensitivity ratio is log(ratio) + tau * z; day counts are the rounded
    expected values of :func:`at_risk_days`, onsets binomial on them (see the module text).
    """
    sc = scenario
    with _SIMULATED_LOCK:
        _SIMULATED[0] += math.prod(shape)
    g = math.log(ratio) + sc.tau * rng.standard_normal(shape)
    te0, tu0 = at_risk_days(7 * sc.baseline_weeks, sc.base_rate, sc.sensitivity,
                            sc.window_share, sc.mean_duration_hours, sc.window_persistence)
    rate1 = sc.base_rate * sc.followup_rate_factor
    ratio1 = sc.sensitivity * np.exp(g)
    fu_share = sc.window_share if sc.followup_window_share is None else sc.followup_window_share
    te1, tu1 = at_risk_days(7 * followup_weeks, rate1, ratio1, fu_share, sc.mean_duration_hours,
                            sc.window_persistence)
    te0i, tu0i = np.full(shape, np.rint(te0)), np.full(shape, np.rint(tu0))
    te1i, tu1i = np.rint(te1), np.rint(tu1)
    a0 = rng.binomial(te0i.astype(np.int64), min(1.0, sc.base_rate * sc.sensitivity))
    b0 = rng.binomial(tu0i.astype(np.int64), sc.base_rate)
    a1 = rng.binomial(te1i.astype(np.int64), np.minimum(1.0, rate1 * ratio1))
    b1 = rng.binomial(tu1i.astype(np.int64), min(1.0, rate1))
    return np.stack([a0, b0, te0i, tu0i, a1, b1, te1i, tu1i], axis=-1).astype(np.float64)


# --------------------------------------------------------------------------- decisions


def exact_upper_below_one(counts: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """Per row: whether A5's exact interval has its upper bound below 1 (vectorised).

    The upper bound solves P(X <= a1; SR) = alpha/2 and that tail falls as SR grows, so the
    bound is below 1 exactly when P(X <= a1) at SR = 1 (odds c) is below alpha/2; a
    single-point support or a zero day count gives no interval (False).
    """
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    out = np.zeros(x.shape[0], dtype=bool)
    half_alpha = math.log((1.0 - confidence) / 2.0)
    for start in range(0, x.shape[0], _CHUNK):
        a0, b0, te0, tu0, a1, b1, te1, tu1 = x[start:start + _CHUNK].T
        ok = np.minimum.reduce([te0, tu0, te1, tu1]) > 0
        if not ok.any():
            continue
        lo, size, lb = support_table((a0 + b0)[ok], (a1 + b1)[ok], (a0 + a1)[ok])
        log_c = np.log(te1[ok] / tu1[ok]) - np.log(te0[ok] / tu0[ok])
        lp = log_pmf(lb, log_c)
        k = (a1[ok] - lo)[:, None]
        lower = _logsumexp(np.where(np.arange(lb.shape[1])[None, :] <= k, lp, -np.inf))
        out[start:start + _CHUNK][ok] = (size >= 2) & (lower < half_alpha)
    return out


def pooled_upper_below_one(counts: np.ndarray, confidence: float = 0.95) -> bool:
    """Whether A6's pooled sensitivity ratio has its profile interval's upper bound below 1.

    The same fit as :func:`correlation.cohort_model.fit_cohort_model`, without searching for
    the bounds: the upper bound is below 1 exactly when the estimate is below 1 and the
    profile log-likelihood at SR = 1 lies more than chi2(1)/2 below the maximum (decided by
    :func:`correlation.power_fit.pooled_flags`, which decides many cohorts at once).
    """
    return bool(pooled_flags([np.asarray(counts, dtype=np.float64)], confidence)[0])


# --------------------------------------------------------------------------- power


def _cell_rng(seed: int, ratio: float, patients: int, weeks: int) -> np.random.Generator:
    """One generator per cell, so a cell's figure does not depend on the other cells asked."""
    return np.random.default_rng([seed, patients, weeks, round(ratio * 1_000_000)])


def _result(ratio: float, patients: int, weeks: int, flags: np.ndarray) -> PowerResult:
    n = int(flags.size)
    p = float(flags.mean()) if n else math.nan
    return PowerResult(ratio, patients, weeks, p, math.sqrt(p * (1.0 - p) / n) if n else math.nan,
                       n)


def cohort_power(scenario: Scenario, ratio: float, patients: int, weeks: int,
                 simulations: int = 200, seed: int = 0) -> PowerResult:
    """Share of simulated cohorts whose pooled sensitivity ratio's interval is below 1 (A6)."""
    return power_table(scenario, [ratio], [patients], [weeks], simulations, seed)[0]


def single_patient_power(scenario: Scenario, ratio: float, weeks: int,
                         simulations: int = 4000, seed: int = 0) -> PowerResult:
    """Share of simulated patients whose exact interval (A5) is below 1 (tau not used)."""
    _check_cell(ratio, 1, weeks, simulations)
    rng = _cell_rng(seed, ratio, 1, weeks)
    fixed = Scenario(**{**asdict(scenario), "tau": 0.0})
    counts = simulate_counts(fixed, ratio, weeks, (simulations,), rng)
    return _result(ratio, 1, weeks, exact_upper_below_one(counts, scenario.confidence))


def power_table(scenario: Scenario, ratios: Sequence[float], patients: Sequence[int],
                weeks: Sequence[int], simulations: int = 200, seed: int = 0
                ) -> list[PowerResult]:
    """Cohort power for every (ratio, patients, weeks) cell, in that order.

    Each cell draws its cohorts from its own generator (:func:`_cell_rng`), so a cell's figure
    does not depend on the other cells asked; all cohorts are then decided together.
    """
    cells = [(r, k, w) for r in ratios for k in patients for w in weeks]
    for r, k, w in cells:
        _check_cell(r, k, w, simulations)
    cohorts: list[np.ndarray] = []
    for r, k, w in cells:
        counts = simulate_counts(scenario, r, w, (simulations, k), _cell_rng(seed, r, k, w))
        cohorts.extend(counts)
    flags = pooled_flags(cohorts, scenario.confidence).reshape(len(cells), simulations)
    return [_result(r, k, w, f) for (r, k, w), f in zip(cells, flags, strict=True)]


def weeks_needed(scenario: Scenario, ratio: float, *, current_weeks: int = 12,
                 target: float = 0.8, max_weeks: int = 156, step: int = 4,
                 simulations: int = 4000, seed: int = 0) -> WeeksAnswer:
    """One patient: power by follow-up length (every ``step`` weeks up to ``max_weeks``) and
    the fewest weeks whose power reaches ``target`` (None when none does)."""
    if not 0 < target < 1:
        raise ValueError("target must be a share between 0 and 1")
    if current_weeks < 1 or max_weeks < current_weeks or step < 1:
        raise ValueError("weeks must satisfy 1 <= current_weeks <= max_weeks, step >= 1")
    grid = list(range(current_weeks, max_weeks + 1, step))
    if grid[-1] != max_weeks:
        grid.append(max_weeks)
    curve: list[PowerResult] = []
    for w in grid:
        curve.append(single_patient_power(scenario, ratio, w, simulations, seed))
        if curve[-1].power >= target:
            return WeeksAnswer(ratio, target, current_weeks, max_weeks, tuple(curve), w)
    return WeeksAnswer(ratio, target, current_weeks, max_weeks, tuple(curve), None)


def _check_cell(ratio: float, patients: int, weeks: int, simulations: int) -> None:
    if not (math.isfinite(ratio) and ratio > 0):
        raise ValueError("ratio must be a positive number")
    if patients < 1 or weeks < 1 or simulations < 1:
        raise ValueError("patients, weeks and simulations must be at least 1")


def scenario_from_counts(rows: Sequence[Sequence[float]], **overrides: float
                         ) -> Scenario:
    """A Scenario from baseline counts (onsets_window, at_risk_window_days, onsets_nonwindow,
    at_risk_nonwindow_days, window_days, nonwindow_days) pooled over patients (issue #12)."""
    x = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    x = x[np.all(np.isfinite(x), axis=1)]
    a, te, b, tu, w, nw = x.sum(axis=0) if x.size else (0.0,) * 6
    if min(te, tu, b, w, nw) <= 0 or a <= 0:
        raise ValueError("the baseline counts hold no onsets on both kinds of day")
    base = {"base_rate": b / tu, "sensitivity": (a / te) / (b / tu), "window_share": w / (w + nw)}
    return Scenario(**{**base, **overrides})
