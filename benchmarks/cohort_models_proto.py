"""The prototype cohort models of ``cohort_model_bias.py``: binomial-normal (BN) and the
unconditional Poisson-gamma-normal (PN), both integrated by a 2-D Gauss-Hermite product rule.

Kept apart from the script that measures them (its docstring has the models, the findings
and how to run it). PN is the candidate to replace ``correlation.cohort_model`` (issue #12).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy import optimize
from scipy.special import expit

#: Gauss-Hermite nodes per dimension of the BN rule (NODES^2 points per patient).
NODES = 20
#: Largest tau and sigma_b searched.
SD_MAX = 5.0
#: Smallest gamma dispersion phi of PN (phi -> 0: a fixed patient rate).
PHI_MIN = 1e-7


def _log_odds(a: np.ndarray, n: np.ndarray, c: np.ndarray) -> float:
    """Pooled window log odds of a period less the mean log day ratio (a starting value)."""
    return math.log((a.sum() + 0.5) / (n.sum() - a.sum() + 0.5)) - float(c.mean())


def maximise(evaluate: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
             free: list[int], bounds: Sequence[tuple[float, float]],
             maxiter: int) -> tuple[np.ndarray, float]:
    """L-BFGS-B over the ``free`` entries of x (the others held); (parameters, log-lik)."""
    def neg(y: np.ndarray) -> tuple[float, np.ndarray]:
        full = x.copy()
        full[free] = y
        v, grad = evaluate(full)
        return -v, -grad[free]

    res = optimize.minimize(neg, x[free], jac=True, method="L-BFGS-B",
                            bounds=[bounds[i] for i in free],
                            options={"ftol": 1e-13, "gtol": 1e-7, "maxiter": maxiter})
    x[free] = res.x
    return x, float(-res.fun)


class BinomialNormal:
    """Marginal log-likelihood of (g, tau, mu_b, sigma_b) of the BN model, with gradient."""

    def __init__(self, counts: np.ndarray, nodes: int = NODES) -> None:
        """Keep each patient's counts and log day ratios; set up the product rule."""
        a0, b0, te0, tu0, a1, b1, te1, tu1 = np.asarray(counts, dtype=np.float64).T
        keep = (a0 + b0 + a1 + b1) > 0  # patients with no onsets add nothing
        self.a0, self.n0 = a0[keep], (a0 + b0)[keep]
        self.a1, self.n1 = a1[keep], (a1 + b1)[keep]
        self.c0 = np.log(te0[keep] / tu0[keep])
        self.c1 = np.log(te1[keep] / tu1[keep])
        x, w = hermgauss(nodes)
        self.z = math.sqrt(2.0) * x
        self.lw = np.log(w / math.sqrt(math.pi))

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """Log-likelihood and its gradient in p = (g, tau, mu_b, sigma_b)."""
        g, tau, mu, sb = (float(v) for v in p)
        z, lw = self.z, self.lw
        th0 = self.c0[:, None] + mu + sb * z                       # (K, J)
        th1 = th0[:, :, None] - self.c0[:, None, None] + self.c1[:, None, None] + g + tau * z
        l0 = self.a0[:, None] * th0 - self.n0[:, None] * np.logaddexp(0.0, th0) + lw
        l1 = self.a1[:, None, None] * th1 - self.n1[:, None, None] * np.logaddexp(0.0, th1)
        a = l0[:, :, None] + l1 + lw                                # (K, J, Q)
        top = a.max(axis=(1, 2), keepdims=True)
        e = np.exp(a - top)
        norm = e.sum(axis=(1, 2), keepdims=True)
        post = e / norm
        r1 = self.a1[:, None, None] - self.n1[:, None, None] * expit(th1)
        r0 = self.a0[:, None] - self.n0[:, None] * expit(th0)
        pr1 = (post * r1)
        post_j = post.sum(axis=2)
        score_b = pr1.sum(axis=2) + post_j * r0                     # (K, J)
        grad = np.array([pr1.sum(), (pr1 * z).sum(), score_b.sum(), (score_b * z).sum()])
        return float((top.ravel() + np.log(norm.ravel())).sum()), grad

    def start(self) -> np.ndarray:
        """Pooled log rate ratios as starting values, tau and sigma_b at 0.3."""
        mu = _log_odds(self.a0, self.n0, self.c0)
        return np.array([_log_odds(self.a1, self.n1, self.c1) - mu, 0.3, mu, 0.3])

    def fit(self, g_fixed: float | None = None,
            x0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Maximum-likelihood parameters and log-likelihood (g held at g_fixed if given)."""
        x = self.start() if x0 is None else np.array(x0, dtype=float)
        free = [0, 1, 2, 3] if g_fixed is None else [1, 2, 3]
        if g_fixed is not None:
            x[0] = g_fixed
        x[1], x[3] = max(x[1], 0.05), max(x[3], 0.05)  # off the saddle at 0
        sd, loc = (0.0, SD_MAX), (-30.0, 30.0)
        return maximise(self.evaluate, x, free, (loc, sd, loc, sd), maxiter=500)

    def wald_se(self, p: np.ndarray) -> float:
        """SE of g from the observed information; a standard deviation fitted at its bound 0
        is held fixed (its row dropped)."""
        return _wald_se(self.evaluate, p, {1: 1e-3, 3: 1e-3})

def _log1p_sums(n: np.ndarray, phi: float) -> tuple[float, float]:
    """Sum over patients of sum_{j<n} log(1 + j phi) and of its phi-derivative."""
    j = np.arange(int(n.max()) if n.size else 0, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(np.log1p(j * phi))])
    dc = np.concatenate([[0.0], np.cumsum(j / (1.0 + j * phi))])
    k = n.astype(np.int64)
    return float(c[k].sum()), float(dc[k].sum())


def _period(a: np.ndarray, n: np.ndarray, ltu: np.ndarray, th: np.ndarray, rho: float,
            phi: float) -> tuple[np.ndarray, ...]:
    """One period's log-likelihood at the nodes (constants left out) and its derivatives.

    Poisson counts with window log odds th and gamma patient rates (mean exp(rho), variance
    phi exp(2 rho)) integrated out: returns (l, d l/d th, d l/d rho, d l/d phi).
    """
    mu = np.exp(rho + ltu + np.logaddexp(0.0, th))      # expected period total
    x = phi * mu
    lx = np.log1p(x)
    e = (1.0 + n * phi) * mu / (1.0 + x)                 # E[total rate | data] * days
    ll = a * th + n * rho - (n + 1.0 / phi) * lx
    dphi = (lx - x / (1.0 + x)) / phi**2 - n * mu / (1.0 + x)
    return ll, a - e * expit(th), n - e, dphi


class PoissonNormal:
    """Marginal log-likelihood of the unconditional Poisson model PN, with gradient.

    Parameters p = (g, tau, mu_s, sd_s, rho0, phi0, rho1, phi1): the patient's log
    sensitivity s_i ~ N(mu_s, sd_s^2) and log ratio g_i ~ N(g, tau^2) by a 2-D Gauss-Hermite
    product rule; the patient's non-window rate in each period, exp(u_i) and exp(u_i + d_i),
    gamma with mean exp(rho) and variance phi exp(2 rho), independent, integrated exactly
    (the totals n0, n1 are then negative binomial given s_i, g_i; phi -> 0 is a fixed rate).
    """

    def __init__(self, counts: np.ndarray, nodes: int = NODES) -> None:
        """Keep every patient's counts (none is uninformative here); set up the rule."""
        a0, b0, te0, tu0, a1, b1, te1, tu1 = np.asarray(counts, dtype=np.float64).T
        self.a0, self.n0, self.a1, self.n1 = a0, a0 + b0, a1, a1 + b1
        self.c0, self.c1 = np.log(te0 / tu0), np.log(te1 / tu1)
        self.ltu0, self.ltu1 = np.log(tu0), np.log(tu1)
        self.b0, self.b1, self.tu0, self.tu1 = b0, b1, tu0, tu1
        x, w = hermgauss(nodes)
        self.z = math.sqrt(2.0) * x
        self.lw = np.log(w / math.sqrt(math.pi))

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """Log-likelihood and its gradient in p (see the class docstring)."""
        g, tau, mu, ss, r0, f0, r1, f1 = (float(v) for v in p)
        z, lw = self.z, self.lw
        th0 = self.c0[:, None] + mu + ss * z                                   # (K, J)
        th1 = th0[:, :, None] - self.c0[:, None, None] + self.c1[:, None, None] + g + tau * z
        l0, s0, dr0, df0 = _period(self.a0[:, None], self.n0[:, None], self.ltu0[:, None],
                                   th0, r0, f0)
        l1, s1, dr1, df1 = _period(self.a1[:, None, None], self.n1[:, None, None],
                                   self.ltu1[:, None, None], th1, r1, f1)
        a = (l0 + lw)[:, :, None] + l1 + lw                                   # (K, J, Q)
        top = a.max(axis=(1, 2), keepdims=True)
        e = np.exp(a - top)
        norm = e.sum(axis=(1, 2), keepdims=True)
        post = e / norm
        post_j = post.sum(axis=2)
        pr1 = post * s1
        score_s = pr1.sum(axis=2) + post_j * s0
        c0, dc0 = _log1p_sums(self.n0, f0)
        c1, dc1 = _log1p_sums(self.n1, f1)
        grad = np.array([pr1.sum(), (pr1 * z).sum(), score_s.sum(), (score_s * z).sum(),
                         (post_j * dr0).sum(), (post_j * df0).sum() + dc0,
                         (post * dr1).sum(), (post * df1).sum() + dc1])
        return float((top.ravel() + np.log(norm.ravel())).sum()) + c0 + c1, grad

    def start(self) -> np.ndarray:
        """Pooled log rates and rate ratios; tau, sd_s at 0.3 and phi at 0.1."""
        mu = _log_odds(self.a0, self.n0, self.c0)
        r0 = math.log((self.b0.sum() + 0.5) / self.tu0.sum())
        r1 = math.log((self.b1.sum() + 0.5) / self.tu1.sum())
        return np.array([_log_odds(self.a1, self.n1, self.c1) - mu, 0.3, mu, 0.3, r0, 0.1, r1, 0.1])

    def fit(self, g_fixed: float | None = None,
            x0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Maximum-likelihood parameters and log-likelihood (g held at g_fixed if given)."""
        x = self.start() if x0 is None else np.array(x0, dtype=float)
        free = list(range(8)) if g_fixed is None else list(range(1, 8))
        if g_fixed is not None:
            x[0] = g_fixed
        x[1], x[3] = max(x[1], 0.05), max(x[3], 0.05)  # off the saddle at 0
        x[5], x[7] = max(x[5], 0.01), max(x[7], 0.01)
        sd, loc, disp = (0.0, SD_MAX), (-30.0, 30.0), (PHI_MIN, 10.0)
        return maximise(self.evaluate, x, free, (loc, sd, loc, sd, loc, disp, loc, disp),
                        maxiter=1000)

    def wald_se(self, p: np.ndarray) -> float:
        """SE of g from the observed information (parameters at a bound held fixed)."""
        return _wald_se(self.evaluate, p, {1: 1e-3, 3: 1e-3, 5: 2 * PHI_MIN, 7: 2 * PHI_MIN})


def _wald_se(evaluate, p: np.ndarray, lower: dict[int, float]) -> float:
    """SE of p[0] from a numerical Hessian of the gradient; p[i] <= lower[i] held fixed."""
    h, k = 1e-4, len(p)
    hess = np.empty((k, k))
    for i in range(k):
        d = np.zeros(k)
        d[i] = min(h, max(p[i] / 2, 1e-9)) if i in lower else h
        hess[i] = (evaluate(p + d)[1] - evaluate(p - d)[1]) / (2 * d[i])
    keep = [i for i in range(k) if i not in lower or p[i] > lower[i]]
    info = -0.5 * (hess + hess.T)[np.ix_(keep, keep)]
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return math.nan
    return math.sqrt(cov[0, 0]) if cov[0, 0] > 0 else math.nan
