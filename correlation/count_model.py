"""The cohort model's likelihood: Poisson-gamma-normal counts (A6 as amended, docs/method.md).

Each patient i has four counts, a0, b0 (baseline onsets on at-risk window / non-window days)
and a1, b1 (follow-up), on te0, tu0, te1, tu1 days. Given the patient's log baseline
sensitivity s_i, log sensitivity ratio g_i and period rates:

    a0 ~ Poisson(te0 e^(u_i + s_i)),           b0 ~ Poisson(tu0 e^u_i),
    a1 ~ Poisson(te1 e^(v_i + s_i + g_i)),     b1 ~ Poisson(tu1 e^v_i),
    s_i ~ N(mu_s, sd_s^2),  g_i ~ N(g + delta x_i, tau^2),
    e^u_i, e^v_i gamma with means e^rho0, e^rho1 and variances phi0 e^(2 rho0), phi1 e^(2 rho1).

The gamma rates integrate out exactly: each period's total is negative binomial and its
window count binomial given (s_i, g_i); (s_i, g_i) are integrated by a 2-D Gauss-Hermite
product rule. Unlike the hypergeometric-normal model (first edition of A6), no margin is
conditioned on, so a patient whose ratio fell, and who therefore has fewer follow-up onsets,
is not mistaken for one drawn from N(g, tau^2): that conditioning biased the pooled ratio
upwards when patients differ (docs/method.md, A6 "Why the count model").

Parameters, in this order (:data:`PARAMS`): g, tau, mu_s, sd_s, rho0, phi0, rho1, phi1 and
delta (the group term of A8; held at 0 without a covariate). Units: g, mu_s, delta and tau,
sd_s on the natural-log scale of a ratio; rho in log onsets per at-risk non-window day;
phi dimensionless (phi -> 0: a fixed rate, Poisson totals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy import optimize
from scipy.special import expit, gammaln

PARAMS = ("g", "tau", "mu_s", "sd_s", "rho0", "phi0", "rho1", "phi1", "delta")
G, TAU, MU_S, SD_S, RHO0, PHI0, RHO1, PHI1, DELTA = range(9)
#: Adaptive Gauss-Hermite nodes per dimension (NODES^2 points per patient; checked against
#: scipy's dblquad in the tests).
NODES = 10
#: Newton steps to each patient's mode before the nodes are placed.
MODE_STEPS = 4
#: Largest |g|, |delta| and |mu_s| searched (|rho| up to twice this: at g -> +inf the
#: non-window rate must fall as the window rate rises).
G_LIMIT = 30.0
#: Largest tau and sd_s searched (exp(5): a 150-fold standard deviation).
TAU_MAX = 5.0
#: Smallest and largest gamma dispersion phi.
PHI_MIN, PHI_MAX = 1e-7, 10.0
#: How close (log-likelihood) the profile must come to an interval's target: the bound is
#: then within TOLERANCE / |slope| of its place, about 1e-5 on the log scale or less.
TOLERANCE = 2e-4
#: A tau fitted below this is refitted at 0 (the likelihood is flat there).
TAU_FLOOR = 0.01
_BOUNDS = ((-G_LIMIT, G_LIMIT), (0.0, TAU_MAX), (-G_LIMIT, G_LIMIT), (0.0, TAU_MAX),
           (-2 * G_LIMIT, 2 * G_LIMIT), (PHI_MIN, PHI_MAX), (-2 * G_LIMIT, 2 * G_LIMIT),
           (PHI_MIN, PHI_MAX), (-G_LIMIT, G_LIMIT))
#: Where a parameter counts as "at its lower bound" for the observed information.
_LOWER = {TAU: 1e-3, SD_S: 1e-3, PHI0: 2 * PHI_MIN, PHI1: 2 * PHI_MIN}


def _log_odds(a: np.ndarray, n: np.ndarray, c: np.ndarray) -> float:
    """Pooled window log odds of a period less the mean log day ratio (a starting value)."""
    return math.log((a.sum() + 0.5) / (n.sum() - a.sum() + 0.5)) - float(c.mean())


def _rising_sums(n: np.ndarray, phi: float) -> tuple[float, float]:
    """Sum over patients of sum_{j<n} log(1 + j phi), and its derivative in phi.

    With the patient's own log n! left out, this is the negative binomial's
    log Gamma(n + 1/phi) - log Gamma(1/phi) + n log phi, finite as phi -> 0.
    """
    j = np.arange(int(n.max()) if n.size else 0, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(np.log1p(j * phi))])
    dc = np.concatenate([[0.0], np.cumsum(j / (1.0 + j * phi))])
    k = n.astype(np.int64)
    return float(c[k].sum()), float(dc[k].sum())


def _period(a: np.ndarray, n: np.ndarray, ltu: np.ndarray, th: np.ndarray, rho: float,
            phi: float) -> tuple[np.ndarray, ...]:
    """One period's log-likelihood at the nodes, less constants, and its derivatives.

    th is the window log odds log(te/tu) + s_i (+ g_i); returns (l, dl/dth, dl/drho, dl/dphi).
    """
    mu = np.exp(rho + ltu + np.logaddexp(0.0, th))      # expected period total
    x = phi * mu
    lx = np.log1p(x)
    e = (1.0 + n * phi) * mu / (1.0 + x)                 # posterior mean total rate x days
    ll = a * th + n * rho - (n + 1.0 / phi) * lx
    dphi = (lx - x / (1.0 + x)) / phi**2 - n * mu / (1.0 + x)
    return ll, a - e * expit(th), n - e, dphi


def _slope(a: np.ndarray, n: np.ndarray, ltu: np.ndarray, th: np.ndarray, rho: float,
           phi: float) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives in th of :func:`_period`'s log-likelihood."""
    c = np.exp(rho + ltu)
    q = c * np.exp(th)                                  # expected window onsets
    grow = (1.0 + n * phi) / (1.0 + phi * (c + q))
    return a - grow * q, -grow * q * (1.0 + phi * c) / (1.0 + phi * (c + q))


class CountLikelihood:
    """Marginal log-likelihood of the count model over a cohort, with its gradient (A6)."""

    def __init__(self, counts: np.ndarray, covariate: np.ndarray | None = None,
                 nodes: int = NODES) -> None:
        """Rows (a0, b0, te0, tu0, a1, b1, te1, tu1), all finite with positive day counts;
        ``covariate`` (one value a row, 1 treated / 0 comparison) enables delta."""
        a0, b0, te0, tu0, a1, b1, te1, tu1 = np.asarray(counts, dtype=np.float64).T
        self.k = a0.size
        self.a0, self.n0, self.a1, self.n1 = a0, a0 + b0, a1, a1 + b1
        self.b0, self.b1, self.tu0, self.tu1 = b0, b1, tu0, tu1
        self.c0, self.c1 = np.log(te0 / tu0), np.log(te1 / tu1)
        self.ltu0, self.ltu1 = np.log(tu0), np.log(tu1)
        self.x = np.zeros(self.k) if covariate is None else np.asarray(covariate, np.float64)
        # the constants the period terms leave out: n log tu - log a! - log b! per period
        self.constant = float((self.n0 * self.ltu0 - gammaln(a0 + 1) - gammaln(b0 + 1)
                               + self.n1 * self.ltu1 - gammaln(a1 + 1) - gammaln(b1 + 1)).sum())
        t, w = hermgauss(nodes)
        self.z = math.sqrt(2.0) * t
        self.lw = np.log(w) + t * t  # the Gauss-Hermite weight, less its e^(-t^2)
        #: parameters held at a value because the data cannot identify them
        self.held: dict[int, float] = {} if covariate is not None else {DELTA: 0.0}
        if self.k < 2:  # one patient: no spread, and one total a period says nothing of phi
            self.held.update({TAU: 0.0, SD_S: 0.0, PHI0: PHI_MIN, PHI1: PHI_MIN})

    def _nodes(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each patient's standardised (w, v) = ((s_i - mu_s)/sd_s, (g_i - g)/tau) nodes and
        log node volume: the product rule centred at the patient's mode and shaped by the
        curvature there (adaptive Gauss-Hermite), so a diary with many onsets, whose
        integrand is narrow, is integrated as well as one with few."""
        g, tau, mu, ss, r0, f0, r1, f1, delta = (float(v) for v in p)
        base0, base1 = self.c0 + mu, self.c1 + mu + g + delta * self.x
        w, v = np.zeros(self.k), np.zeros(self.k)
        for step in range(MODE_STEPS + 1):
            s0, h0 = _slope(self.a0, self.n0, self.ltu0, base0 + ss * w, r0, f0)
            s1, h1 = _slope(self.a1, self.n1, self.ltu1, base1 + ss * w + tau * v, r1, f1)
            aa, bb, dd = 1.0 - ss * ss * (h0 + h1), -ss * tau * h1, 1.0 - tau * tau * h1
            det = aa * dd - bb * bb                    # of minus the Hessian: positive
            if step == MODE_STEPS:
                break
            gw, gv = ss * (s0 + s1) - w, tau * s1 - v
            w = w + np.clip((dd * gw - bb * gv) / det, -2.0, 2.0)
            v = v + np.clip((aa * gv - bb * gw) / det, -2.0, 2.0)
        c11 = np.sqrt(dd / det)                        # Cholesky factor of the inverse
        c21 = -bb / det / c11
        c22 = np.sqrt(np.maximum(aa / det - c21 * c21, 1e-300))
        wn = w[:, None] + c11[:, None] * self.z                                # (K, J)
        vn = (v + 0.0)[:, None, None] + (c21[:, None] * self.z)[:, :, None] \
            + c22[:, None, None] * self.z
        return wn, vn, np.log(2.0 * c11 * c22) - math.log(2.0 * math.pi)

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray]:
        """Log-likelihood (natural log) and its gradient in the 9 parameters :data:`PARAMS`."""
        g, tau, mu, ss, r0, f0, r1, f1, delta = (float(v) for v in p)
        wn, vn, volume = self._nodes(p)
        th0 = (self.c0 + mu)[:, None] + ss * wn                                # (K, J)
        th1 = (th0 + (self.c1 - self.c0 + g + delta * self.x)[:, None])[:, :, None] + tau * vn
        l0, s0, dr0, df0 = _period(self.a0[:, None], self.n0[:, None], self.ltu0[:, None],
                                   th0, r0, f0)
        l1, s1, dr1, df1 = _period(self.a1[:, None, None], self.n1[:, None, None],
                                   self.ltu1[:, None, None], th1, r1, f1)
        a = (l0 - 0.5 * wn * wn + self.lw)[:, :, None] + l1 - 0.5 * vn * vn + self.lw
        top = a.max(axis=(1, 2), keepdims=True)
        e = np.exp(a - top)
        norm = e.sum(axis=(1, 2), keepdims=True)
        post = e / norm
        post_j = post.sum(axis=2)
        pr1 = post * s1
        score_s = pr1.sum(axis=2) + post_j * s0
        c0, dc0 = _rising_sums(self.n0, f0)
        c1, dc1 = _rising_sums(self.n1, f1)
        grad = np.array([pr1.sum(), (pr1 * vn).sum(), score_s.sum(), (score_s * wn).sum(),
                         (post_j * dr0).sum(), (post_j * df0).sum() + dc0,
                         (post * dr1).sum(), (post * df1).sum() + dc1,
                         pr1.sum(axis=(1, 2)) @ self.x])
        value = float((top.ravel() + np.log(norm.ravel()) + volume).sum())
        return value + c0 + c1 + self.constant, grad

    def start(self) -> np.ndarray:
        """Pooled log rates and ratios as starting values; tau, sd_s 0.3 and phi 0.1."""
        mu = _log_odds(self.a0, self.n0, self.c0)
        r0 = math.log((self.b0.sum() + 0.5) / self.tu0.sum())
        r1 = math.log((self.b1.sum() + 0.5) / self.tu1.sum())
        g = _log_odds(self.a1, self.n1, self.c1) - mu
        return np.array([g, 0.3, mu, 0.3, r0, 0.1, r1, 0.1, 0.0])

    def fit(self, held: dict[int, float] | None = None,
            x0: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Maximum-likelihood parameters and log-likelihood, with ``held`` ones fixed.

        The likelihood is symmetric in tau and in sd_s, so 0 is always a stationary point of
        each: one fitted below TAU_FLOOR is refitted from 1 (a better maximum may lie further
        out, as at a profile point far from the estimate) and the better kept; a tau still
        below TAU_FLOOR is compared with a refit at exactly 0.
        """
        fixed = {**self.held, **(held or {})}
        x = self.start() if x0 is None else np.array(x0, dtype=np.float64)
        p, ll = self._maximise(x, fixed)
        for i in (TAU, SD_S):  # 0 is a stationary point: look further out before taking it
            if i not in fixed and p[i] < TAU_FLOOR:
                wide = p.copy()
                wide[i] = 1.0
                q, other = self._maximise(wide, fixed)
                if other > ll:
                    p, ll = q, other
        if TAU not in fixed and p[TAU] < TAU_FLOOR:
            q, at_zero = self._maximise(p, {**fixed, TAU: 0.0})
            if at_zero >= ll - 1e-6:  # within the optimiser's tolerance
                return q, at_zero
        return p, ll

    def _maximise(self, x: np.ndarray, fixed: dict[int, float]) -> tuple[np.ndarray, float]:
        """L-BFGS-B over the parameters not in ``fixed``, from x (moved off the saddles)."""
        free = [i for i in range(len(PARAMS)) if i not in fixed]
        x = x.copy()
        for i, v in fixed.items():
            x[i] = v
        for i in (TAU, SD_S):
            if i in free:
                x[i] = max(x[i], 0.05)  # off the stationary point at 0
        for i in (PHI0, PHI1):
            if i in free:
                x[i] = max(x[i], 0.01)

        def neg(y: np.ndarray) -> tuple[float, np.ndarray]:
            full = x.copy()
            full[free] = y
            value, grad = self.evaluate(full)
            return -value, -grad[free]

        res = optimize.minimize(neg, x[free], jac=True, method="L-BFGS-B",
                                bounds=[_BOUNDS[i] for i in free],
                                options={"ftol": 1e-13, "gtol": 1e-7, "maxiter": 1000})
        x[free] = res.x
        return x, float(-res.fun)

    def information(self, p: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Observed information at p (a numerical Hessian of the gradient) over the free
        parameters not at their lower bound, and those parameters' indices."""
        h, n = 1e-4, len(PARAMS)
        keep = [i for i in range(n) if i not in self.held
                and not (i in _LOWER and p[i] <= _LOWER[i])]
        hess = np.empty((len(keep), len(keep)))
        for row, i in enumerate(keep):
            d = np.zeros(n)
            d[i] = min(h, p[i] / 2) if i in _LOWER else h
            hess[row] = (self.evaluate(p + d)[1][keep] - self.evaluate(p - d)[1][keep]) / (2 * d[i])
        return keep, -0.5 * (hess + hess.T)

    def standard_error(self, p: np.ndarray, index: int = G,
                       info: tuple[list[int], np.ndarray] | None = None) -> float | None:
        """SE of p[index] from the observed information (held or bounded parameters fixed)."""
        keep, matrix = info or self.information(p)
        try:
            var = float(np.linalg.inv(matrix)[keep.index(index), keep.index(index)])
        except (np.linalg.LinAlgError, ValueError):
            return None
        return math.sqrt(var) if var > 0 and math.isfinite(var) else None


class Profile:
    """The profile log-likelihood in one parameter, each point warm-started from the last.

    With the information matrix at the maximum, each start also moves the other parameters
    along their linear response to the profiled one (-I_nn^-1 I_n,index), which leaves the
    optimiser a few steps instead of a search.
    """

    def __init__(self, lik: CountLikelihood, index: int, start: np.ndarray,
                 info: tuple[list[int], np.ndarray] | None = None,
                 restart: bool = False) -> None:
        """Profile ``lik`` in parameter ``index``, starting from parameters ``start``; with
        ``restart`` each point is also fitted from :meth:`CountLikelihood.start` and the
        better kept (for a walk from an edge, where warm starts can strand)."""
        self.lik, self.index, self.p = lik, index, np.array(start, dtype=np.float64)
        self.restart = restart
        self.direction = np.zeros(len(PARAMS))
        self.direction[index] = 1.0
        if info is not None and index in info[0]:
            keep, matrix = info
            others = [j for j, i in enumerate(keep) if i != index]
            col = keep.index(index)
            try:
                move = -np.linalg.solve(matrix[np.ix_(others, others)], matrix[others, col])
            except np.linalg.LinAlgError:
                move = np.zeros(len(others))
            self.direction[[keep[j] for j in others]] = move

    def __call__(self, value: float) -> tuple[float, np.ndarray]:
        """(max log-likelihood with the parameter held at value, the parameters there)."""
        guess = self.p + (value - self.p[self.index]) * self.direction
        low, high = np.array(_BOUNDS).T
        guess = np.clip(guess, low, high)
        self.p, ll = self.lik.fit({self.index: value}, guess)
        if self.restart:
            fresh, other = self.lik.fit({self.index: value})
            if other > ll:
                self.p, ll = fresh, other
        return ll, self.p


def profile_bound(profile: Profile, start: float, direction: float, best: float,
                  target: float, step: float = 0.5) -> float | None:
    """Where the profile falls to ``target`` (< ``best``, its value at ``start``), moving
    from ``start`` in ``direction``; None when it never falls that far within G_LIMIT.

    Secant steps on the signed root r = sqrt(2 (best - profile)), nearly linear in the
    parameter for a likelihood close to normal, so two or three profile points usually do;
    steps that leave a bracket are replaced by bisection.
    """
    want = math.sqrt(2.0 * (best - target))
    last, r_last = start, 0.0
    inside, outside = start, None
    x = start + direction * step
    for _ in range(100):
        value = profile(x)[0]
        if abs(value - target) < TOLERANCE:
            return x
        r = math.sqrt(max(0.0, 2.0 * (best - value)))
        if value > target:
            inside = x
        else:
            outside = x
        if outside is not None and abs(outside - inside) < 1e-7:
            return x
        guess = x + (want - r) * (x - last) / (r - r_last) if r > r_last else None
        last, r_last = x, r
        if outside is None:
            if abs(x) >= G_LIMIT:
                return None
            dist = abs(x - start)
            move = 2.0 * dist if guess is None else (guess - x) * direction
            x = float(np.clip(x + direction * min(max(move, 0.01 * dist), 4.0 * dist),
                              -G_LIMIT, G_LIMIT))
        elif guess is not None and min(inside, outside) < guess < max(inside, outside):
            x = guess
        else:
            x = 0.5 * (inside + outside)
    return x


def pooled_table(counts: np.ndarray) -> Sequence[float]:
    """The cohort's summed counts (A0, B0, A1, B1) of baseline and follow-up onsets."""
    x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
    return tuple(float(v) for v in x[:, [0, 1, 4, 5]].sum(axis=0))
