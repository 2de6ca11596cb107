"""The hypergeometric-normal likelihood: the first edition of A6, kept for the power calculator.

Each patient's follow-up window onsets a1 (given each period's onset total and the window
total a0 + a1) follow Fisher's noncentral hypergeometric distribution with odds
c_i * exp(g_i) (:mod:`correlation.conditional`), and g_i ~ N(g, tau^2): the model of Stijnen,
Hamza & Ozdemir (2010), integrated by adaptive Gauss-Hermite quadrature (patients x nodes x
support). It conditions on margins that depend on g_i, which biases the pooled ratio upwards
when patients differ (docs/method.md, A6); the cohort's pooled ratio now comes from the count
model of :mod:`correlation.count_model`. This one stays because it has two parameters, which
the power calculator's many simulated fits need (:mod:`correlation.power_fit`), and as the
benchmarks' reference for the bias.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy import optimize

from .cohort_model import usable_mask
from .conditional import support_table

#: Adaptive Gauss-Hermite nodes per patient (checked against scipy's quad in the tests).
NODES = 16
#: Newton steps to each patient's mode before the nodes are placed.
MODE_STEPS = 3
#: Largest tau (SD of the log sensitivity ratio) searched; exp(5) is a 150-fold SD.
TAU_MAX = 5.0
#: A tau whose score is already negative here is taken as 0.
TAU_FLOOR = 0.01
#: Largest |g| searched.
G_LIMIT = 30.0


class _Block:
    """Patients whose supports have similar sizes, padded to the largest of them."""

    def __init__(self, k: np.ndarray, lb: np.ndarray, log_c: np.ndarray) -> None:
        width = int(np.isfinite(lb).sum(axis=1).max())
        self.lb = lb[:, :width] - lb[:, :width].max(axis=1, keepdims=True)
        self.k = k.astype(np.float64)
        self.s = np.arange(width, dtype=np.float64)
        self.last = np.isfinite(self.lb).sum(axis=1)[:, None] - 1.0
        self.lb_obs = self.lb[np.arange(k.size), k]
        self.log_c = log_c

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

    def evaluate(self, g: float | np.ndarray, tau: float | np.ndarray, t: np.ndarray,
                 log_w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per patient: log-likelihood (K,), and posterior-weighted scores and nodes (K, Q).

        Adaptive Gauss-Hermite: the nodes are centred on each patient's mode and scaled by
        its curvature, so a patient with many onsets is integrated as well as one with few.
        """
        base = self.log_c + g
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
                 log_c: np.ndarray, nodes: int = NODES) -> None:
        """Precompute the support tables (in blocks of similar size) and the quadrature."""
        lo, size, lb = support_table(n0, n1, m)
        self.size = size
        self.k = np.asarray(a1, dtype=np.int64) - lo
        log_c = np.asarray(log_c, dtype=np.float64)
        group = np.ceil(np.log2(np.maximum(size, 2))).astype(np.int64)
        self.blocks = [_Block(self.k[group == v], lb[group == v], log_c[group == v])
                       for v in np.unique(group)]
        self.t, w = hermgauss(nodes)
        self.log_w = np.log(w)
        #: with one patient tau is not identifiable: it is held at 0
        self.tau_fixed = size.size < 2

    def evaluate(self, g: float, tau: float) -> tuple[float, float, float]:
        """Log-likelihood and its derivatives in g and tau."""
        ll = dg = dt = 0.0
        for block in self.blocks:
            per_patient, r, v = block.evaluate(g, tau, self.t, self.log_w)
            ll += float(per_patient.sum())
            dg += float(r.sum())
            dt += float((r * v).sum())
        return ll, dg, dt

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


def informative(x: np.ndarray) -> np.ndarray:
    """Rows (K, 8) with a conditional likelihood of their own: usable by the cohort model
    (:func:`correlation.cohort_model.usable_mask`) and a support of more than one point (A5)."""
    ok = usable_mask(x)
    a0, b0, _, _, a1, b1, _, _ = np.where(ok[:, None], x, 1.0).T
    n0, n1, m = a0 + b0, a1 + b1, a0 + a1
    return ok & ((np.minimum(n1, m) - np.maximum(0.0, m - n0)) >= 1)


def from_counts(counts: np.ndarray) -> ConditionalLikelihood | None:
    """The likelihood over the :func:`informative` rows (a0, b0, te0, tu0, a1, b1, te1, tu1);
    None if there is none."""
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    sel = informative(x)
    if not sel.any():
        return None
    a0, b0, te0, tu0, a1, b1, te1, tu1 = x.T
    n0, n1, m = a0 + b0, a1 + b1, a0 + a1
    log_c = np.log(te1[sel] / tu1[sel]) - np.log(te0[sel] / tu0[sel])
    return ConditionalLikelihood(a1[sel], n0[sel], n1[sel], m[sel], log_c)


def upper_below_one(counts: np.ndarray, crit: float) -> bool:
    """Whether this model's profile interval for the pooled ratio lies below 1: its estimate
    is below 1 and twice the profile's drop at g = 0 exceeds ``crit`` (a chi-square(1)
    quantile); one patient at a time, the reference for the batched :mod:`power_fit`."""
    lik = from_counts(counts)
    if lik is None or np.all(lik.k == lik.size - 1):
        return False
    if np.all(lik.k == 0):
        return 2.0 * (lik.profile(-G_LIMIT)[0] - lik.profile(0.0)[0]) > crit
    g, tau, best = lik.maximise()
    return g < 0 and 2.0 * (best - lik.profile(0.0, tau)[0]) > crit
