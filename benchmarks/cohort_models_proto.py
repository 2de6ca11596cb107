"""The prototype binomial-normal (BN) cohort model of ``cohort_model_bias.py``, integrated by
a fixed 2-D Gauss-Hermite product rule.

Kept apart from the script that measures it (its docstring has the models, the findings and
how to run it). The Poisson-gamma-normal prototype (PN) that stood here became the cohort
model, :mod:`correlation.count_model` (adaptive quadrature), which the script now measures.
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
