"""The cohort's pooled sensitivity ratio: a one-stage random-effects conditional model (A6).

Each patient's follow-up window onsets a1 (given each period's onset total and the window
total a0 + a1) follow Fisher's noncentral hypergeometric distribution with odds
c_i * exp(g_i) (:mod:`correlation.conditional`), and the patients' log sensitivity ratios g_i
are normal, N(g, tau^2): the hypergeometric-normal model of Stijnen, Hamza & Ozdemir (2010).
g_i is integrated out by Gauss-Hermite quadrature, vectorised as patients x nodes x support,
and (g, tau) are fitted by maximum likelihood. exp(g) is the pooled sensitivity ratio, with a
profile-likelihood interval and a likelihood-ratio p for g = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy import optimize
from scipy import stats as _st

from .conditional import support_table
from .stats import _exp, _finite

#: Adaptive Gauss-Hermite nodes per patient (checked against scipy's quad in the tests).
NODES = 16
#: Newton steps to each patient's mode before the nodes are placed.
MODE_STEPS = 3
#: Largest tau (SD of the log sensitivity ratio) searched; exp(5) is a 150-fold SD.
TAU_MAX = 5.0
#: A tau whose score is already negative here is taken as 0.
TAU_FLOOR = 0.01
#: Largest |g| searched for the estimate and the interval's bounds.
G_LIMIT = 30.0

COUNT_NAMES: tuple[str, ...] = ("a0", "b0", "te0", "tu0", "a1", "b1", "te1", "tu1")


@dataclass(frozen=True)
class CohortModelFit:
    """Pooled sensitivity ratio exp(g), its interval, p, tau and prediction interval (A6)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    tau: float | None
    se_log: float | None
    prediction_low: float | None
    prediction_high: float | None
    n_pooled: int
    n_no_information: int
    n_left_out: int
    log_likelihood: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict; ``n_left_out`` counts every patient not in the model (A6)."""
        tau = _finite(self.tau)
        return {
            "method": "hypergeometric-normal random effects (maximum likelihood)",
            "estimate": _finite(self.estimate),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _finite(self.p_value),
            "tau": tau,
            "tau2": None if tau is None else tau * tau,
            "prediction_interval": {"low": _finite(self.prediction_low),
                                    "high": _finite(self.prediction_high)},
            "n_pooled": self.n_pooled,
            "n_no_information": self.n_no_information,
            "n_left_out": self.n_left_out,
        }


class _Block:
    """Patients whose supports have similar sizes, padded to the largest of them."""

    def __init__(self, k: np.ndarray, lb: np.ndarray, log_c: np.ndarray,
                 x: np.ndarray | None = None) -> None:
        width = int(np.isfinite(lb).sum(axis=1).max())
        self.lb = lb[:, :width] - lb[:, :width].max(axis=1, keepdims=True)
        self.k = k.astype(np.float64)
        self.s = np.arange(width, dtype=np.float64)
        self.last = np.isfinite(self.lb).sum(axis=1)[:, None] - 1.0
        self.lb_obs = self.lb[np.arange(k.size), k]
        self.log_c = log_c
        #: the group covariate (1 treated, 0 comparison) the group term multiplies
        self.x = np.zeros_like(log_c) if x is None else x

    def _moments(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log normaliser, mean and variance of the support offset at log odds theta (K, Q)."""
        lw = self.lb[:, None, :] + theta[:, :, None] * self.s
        # the largest term is at most max(0, theta * last), as lb is shifted to max 0
        shift = np.maximum(0.0, theta * self.last)
        e = np.exp(lw - shift[:, :, None])
        total = e.sum(axis=2)
        if not np.all(total > 0):
            shift = lw.max(axis=2)
            e = np.exp(lw - shift[:, :, None])
            total = e.sum(axis=2)
        mean = (e @ self.s) / total
        var = np.maximum((e @ (self.s * self.s)) / total - mean * mean, 0.0)
        return shift + np.log(total), mean, var

    def _mode(self, base: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
        """Mode and curvature scale of each patient's integrand in v (g_i = g + tau v)."""
        v = np.zeros((base.size, 1))
        for _ in range(MODE_STEPS):
            _, mean, var = self._moments(base[:, None] + tau * v)
            v = v + (tau * (self.k[:, None] - mean) - v) / (tau * tau * var + 1.0)
        _, _, var = self._moments(base[:, None] + tau * v)
        return v, 1.0 / np.sqrt(tau * tau * var + 1.0)

    def evaluate(self, g: float, tau: float, t: np.ndarray, log_w: np.ndarray,
                 delta: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per patient: log-likelihood (K,), and posterior-weighted scores and nodes (K, Q).

        Adaptive Gauss-Hermite: the nodes are centred on each patient's mode and scaled by
        its curvature, so a patient with many onsets is integrated as well as one with few.
        """
        base = self.log_c + g + delta * self.x
        centre, scale = self._mode(base, tau)
        v = centre + math.sqrt(2.0) * scale * t
        theta = base[:, None] + tau * v
        log_z, mean, _ = self._moments(theta)
        a = (self.lb_obs[:, None] + theta * self.k[:, None] - log_z - 0.5 * v * v
             + log_w + t * t + np.log(scale * math.sqrt(2.0)) - 0.5 * math.log(2.0 * math.pi))
        top = a.max(axis=1, keepdims=True)
        post = np.exp(a - top)
        norm = post.sum(axis=1, keepdims=True)
        return top[:, 0] + np.log(norm[:, 0]), post / norm * (self.k[:, None] - mean), v


class ConditionalLikelihood:
    """Marginal log-likelihood of (g, tau) over informative patients, with its gradient."""

    def __init__(self, a1: np.ndarray, n0: np.ndarray, n1: np.ndarray, m: np.ndarray,
                 log_c: np.ndarray, nodes: int = NODES,
                 covariate: np.ndarray | None = None) -> None:
        """Precompute the support tables (in blocks of similar size) and the quadrature.

        ``covariate`` (one value per patient) enters as ``delta * covariate`` in each
        patient's log odds; ``delta`` (attribute, default 0) is set by the group model.
        """
        lo, size, lb = support_table(n0, n1, m)
        self.size = size
        self.k = np.asarray(a1, dtype=np.int64) - lo
        log_c = np.asarray(log_c, dtype=np.float64)
        group = np.ceil(np.log2(np.maximum(size, 2))).astype(np.int64)
        x = np.zeros_like(log_c) if covariate is None else np.asarray(covariate, np.float64)
        self.blocks = [_Block(self.k[group == v], lb[group == v], log_c[group == v],
                              x[group == v]) for v in np.unique(group)]
        self.delta = 0.0
        self.t, w = hermgauss(nodes)
        self.log_w = np.log(w)
        #: with one patient tau is not identifiable: it is held at 0
        self.tau_fixed = size.size < 2

    def evaluate(self, g: float, tau: float) -> tuple[float, float, float]:
        """Log-likelihood and its derivatives in g and tau (at the current ``delta``)."""
        return self.evaluate_group(g, tau, self.delta)[:3]

    def evaluate_group(self, g: float, tau: float, delta: float
                       ) -> tuple[float, float, float, float]:
        """Log-likelihood and its derivatives in g, tau and the group term delta."""
        ll = dg = dt = dd = 0.0
        for block in self.blocks:
            per_patient, r, v = block.evaluate(g, tau, self.t, self.log_w, delta)
            ll += float(per_patient.sum())
            dg += float(r.sum())
            dt += float((r * v).sum())
            dd += float(r.sum(axis=1) @ block.x)
        return ll, dg, dt, dd

    def profile(self, g: float, tau_start: float = 0.3) -> tuple[float, float, float]:
        """max over tau of the log-likelihood at g, the maximising tau, and d/dg there.

        The tau-score is zero at tau = 0 by symmetry; when it is negative at TAU_FLOOR, tau = 0
        is the maximum (a smaller positive maximum would change the log-likelihood by less than
        1e-4), otherwise its root is bracketed outwards from ``tau_start`` and solved by Brent.
        """
        def score(t: float) -> float:
            return self.evaluate(g, t)[2]

        if self.tau_fixed:
            value, dg, _ = self.evaluate(g, 0.0)
            return value, 0.0, dg
        t = min(max(tau_start, 2 * TAU_FLOOR), TAU_MAX)
        tau: float | None = None
        if score(t) > 0:
            lo, hi = t, min(2 * t, TAU_MAX)
            while tau is None and score(hi) > 0:
                if hi >= TAU_MAX:
                    tau = TAU_MAX
                lo, hi = hi, min(2 * hi, TAU_MAX)
        else:
            lo, hi = TAU_FLOOR, t
            if score(lo) <= 0:
                tau = 0.0
        if tau is None:
            tau = float(optimize.brentq(score, lo, hi, xtol=1e-7))
        value, dg, _ = self.evaluate(g, tau)
        return value, tau, dg

    def fixed_effect_start(self) -> float:
        """The common log odds ratio with tau = 0 (score root), a starting value."""
        def score(g: float) -> float:
            return self.evaluate(g, 0.0)[1]

        lo, hi = -1.0, 1.0
        while score(lo) < 0 and lo > -G_LIMIT:
            lo *= 2.0
        while score(hi) > 0 and hi < G_LIMIT:
            hi *= 2.0
        return float(optimize.brentq(score, lo, hi, xtol=1e-8))

    def maximise(self) -> tuple[float, float, float]:
        """The maximum likelihood (g, tau) and the maximum log-likelihood."""
        g0 = self.fixed_effect_start()
        if self.tau_fixed:
            return g0, 0.0, self.evaluate(g0, 0.0)[0]

        def neg(x: np.ndarray) -> tuple[float, np.ndarray]:
            v, dg, dt = self.evaluate(float(x[0]), float(x[1]))
            return -v, np.array([-dg, -dt])

        res = optimize.minimize(neg, [g0, 0.3], jac=True, method="L-BFGS-B",
                                bounds=[(-G_LIMIT, G_LIMIT), (0.0, TAU_MAX)],
                                options={"ftol": 1e-14, "gtol": 1e-9})
        g, tau, best = float(res.x[0]), float(res.x[1]), float(-res.fun)
        at_zero = self.evaluate(g0, 0.0)[0]
        if at_zero >= best or tau < TAU_FLOOR:
            return g0, 0.0, at_zero
        return g, tau, best

    def se_g(self, g: float, tau: float) -> float | None:
        """Standard error of g from the observed information (tau fixed at 0 on the boundary)."""
        h = 1e-4
        dgp, dtp = self.evaluate(g + h, tau)[1:]
        dgm, dtm = self.evaluate(g - h, tau)[1:]
        hgg = (dgp - dgm) / (2 * h)
        if tau > 1e-3:
            dg_tp, dt_tp = self.evaluate(g, tau + h)[1:]
            dg_tm, dt_tm = self.evaluate(g, tau - h)[1:]
            hgt = 0.25 * ((dtp - dtm) + (dg_tp - dg_tm)) / h
            htt = (dt_tp - dt_tm) / (2 * h)
            info = -np.array([[hgg, hgt], [hgt, htt]])
            if np.all(np.linalg.eigvalsh(info) > 0):
                return math.sqrt(float(np.linalg.inv(info)[0, 0]))
        return math.sqrt(-1.0 / hgg) if hgg < 0 else None


def _bound(lik: ConditionalLikelihood, g_from: float, direction: float, target: float,
           tau_from: float, step: float = 0.5) -> float | None:
    """Where the profile log-likelihood falls to ``target``, moving away from g_from.

    Safeguarded Newton on the profile (its slope is the g-score at the profiled tau): steps
    that leave the bracket are replaced by bisection. None when it never falls that far
    within G_LIMIT (the bound is then 0 or unbounded).
    """
    inside, outside = g_from, None
    x, tau = g_from + direction * step, tau_from
    for _ in range(100):
        value, tau, slope = lik.profile(x, tau)
        h = value - target
        if h > 0:
            inside = x
        else:
            outside = x
        if abs(h) < 1e-9 or (outside is not None and abs(outside - inside) < 1e-9):
            return x
        newton = x - h / slope if slope * direction < 0 else None
        if outside is None:
            if abs(x) >= G_LIMIT:
                return None
            dist = abs(x - g_from)
            move = dist if newton is None else (newton - x) * direction
            x = float(np.clip(x + direction * min(max(move, 0.5 * dist), 4.0 * dist),
                              -G_LIMIT, G_LIMIT))
        elif newton is not None and min(inside, outside) < newton < max(inside, outside):
            x = newton
        else:
            x = 0.5 * (inside + outside)
    return x


def _prediction(g: float, tau: float, se: float | None, n: int,
                confidence: float) -> tuple[float | None, float | None]:
    """exp(g -+ t_{n-2} sqrt(tau^2 + se^2)) (Higgins et al. 2009); None with fewer than 3."""
    if se is None or n < 3:
        return None, None
    half = float(_st.t.ppf(0.5 + confidence / 2.0, n - 2)) * math.sqrt(tau * tau + se * se)
    return _exp(g - half), _exp(g + half)


def _interior_fit(lik: ConditionalLikelihood, confidence: float, n: int,
                  counts: tuple[int, int, int]) -> CohortModelFit:
    g, tau, best = lik.maximise()
    crit = float(_st.chi2.ppf(confidence, 1)) / 2.0
    se = lik.se_g(g, tau)
    step = math.sqrt(2.0 * crit) * se if se else 0.5
    low = _bound(lik, g, -1.0, best - crit, tau, step)
    high = _bound(lik, g, 1.0, best - crit, tau, step)
    lr = max(0.0, 2.0 * (best - lik.profile(0.0, tau)[0]))
    pred_lo, pred_hi = _prediction(g, tau, se, n, confidence)
    return CohortModelFit(
        _exp(g), 0.0 if low is None else _exp(low), None if high is None else _exp(high),
        float(_st.chi2.sf(lr, 1)), None if lik.tau_fixed else tau, se, pred_lo, pred_hi,
        *counts, best,
    )


def _edge_fit(lik: ConditionalLikelihood, confidence: float, at_min: bool,
              counts: tuple[int, int, int]) -> CohortModelFit:
    """Every informative patient at the same end of their support: a one-sided interval."""
    crit = float(_st.chi2.ppf(confidence, 1)) / 2.0
    edge = -G_LIMIT if at_min else G_LIMIT
    best = lik.profile(edge)[0]
    bound = _bound(lik, edge, 1.0 if at_min else -1.0, best - crit, 0.3)
    lr = max(0.0, 2.0 * (best - lik.profile(0.0)[0]))
    p = float(_st.chi2.sf(lr, 1))
    if at_min:
        high = None if bound is None else _exp(bound)
        return CohortModelFit(0.0, 0.0, high, p, None, None, None, None, *counts, best)
    low = 0.0 if bound is None else _exp(bound)
    return CohortModelFit(None, low, None, p, None, None, None, None, *counts, best)


def fit_cohort_model(counts: np.ndarray, confidence: float = 0.95,
                     nodes: int = NODES) -> CohortModelFit:
    """Fit the hypergeometric-normal model to rows (a0, b0, te0, tu0, a1, b1, te1, tu1) (A6).

    Rows with a missing (NaN) count or a zero day count are left out; rows whose support has
    one point (no onsets in a period, or all window or all non-window onsets) carry no
    information and are counted in ``n_no_information``; neither gets a 0.5 correction.
    """
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    if np.any(x[np.isfinite(x)] < 0):
        raise ValueError("counts and day counts must be non-negative")
    usable = np.all(np.isfinite(x), axis=1) & np.all(x[:, [2, 3, 6, 7]] > 0, axis=1)
    a0, b0, te0, tu0, a1, b1, te1, tu1 = x[usable].T
    n0, n1, m = a0 + b0, a1 + b1, a0 + a1
    informative = (np.minimum(n1, m) - np.maximum(0.0, m - n0)) >= 1
    n_info = int(informative.sum())
    tallies = (n_info, int((~informative).sum()), int(x.shape[0] - n_info))
    if n_info == 0:
        return CohortModelFit(None, None, None, None, None, None, None, None, *tallies)
    sel = informative
    log_c = np.log(te1[sel] / tu1[sel]) - np.log(te0[sel] / tu0[sel])
    lik = ConditionalLikelihood(a1[sel], n0[sel], n1[sel], m[sel], log_c, nodes)
    if np.all(lik.k == 0):
        return _edge_fit(lik, confidence, True, tallies)
    if np.all(lik.k == lik.size - 1):
        return _edge_fit(lik, confidence, False, tallies)
    return _interior_fit(lik, confidence, n_info, tallies)
