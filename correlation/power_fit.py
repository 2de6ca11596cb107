"""The cohort power decision for many simulated cohorts at once (issue #12).

The power calculator asks one question of each simulated cohort: does A6's pooled sensitivity
ratio have its profile-likelihood interval's upper bound below 1? That holds when the maximum
likelihood g is below 0 and the profile log-likelihood at g = 0 lies more than chi2(1)/2 below
the maximum. :func:`correlation.power.pooled_upper_below_one` used to answer it one cohort at a
time with :class:`correlation.hypergeometric_normal.ConditionalLikelihood` (L-BFGS-B, brentq):
about 30 small likelihood evaluations per cohort, most of the time in Python overhead and, where
OpenBLAS runs threads, in L-BFGS-B's tiny BLAS calls (20 s for the power page's 240 cohorts on
two busy cores). Here every cohort's patients sit in one set of blocks and the same steps run
for all cohorts together, each per-patient evaluation being cohort_model's own ``_Block``
(the same adaptive Gauss-Hermite likelihood, per-patient g and tau):

1. the fixed-effect start g0 (tau = 0): safeguarded Newton on the g-score;
2. the maximum over (g, tau) from (g0, 0.3): Newton with a finite-difference Hessian of the
   analytic score, damped where the Hessian is not negative definite, with backtracking; the
   rules of ``ConditionalLikelihood.maximise`` then apply (tau below TAU_FLOOR, or no gain
   over (g0, 0), give (g0, 0));
3. the profile at g = 0 from that tau, bracketed as ``ConditionalLikelihood.profile`` does,
   its root found by the Illinois method.

Every cohort gets the decision the model's own fit gives (tests compare them); only the
optimiser differs, so the log-likelihoods agree to about 1e-9.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite import hermgauss
from scipy import stats as _st

from .conditional import support_table
from .hypergeometric_normal import G_LIMIT, NODES, TAU_FLOOR, TAU_MAX, _Block

#: Starting tau of the maximisation (as ConditionalLikelihood.maximise).
TAU_START = 0.3
#: Finite-difference step of the Hessian.
_H = 1e-5
#: Largest Newton step (g and tau) before backtracking.
_MAX_STEP = 2.0
#: Iteration caps (never reached in practice; a cohort still moving then keeps its best point).
_NEWTON_ITERATIONS = 60
_ROOT_ITERATIONS = 80
#: Convergence: a parameter step below this ends a cohort's search.
_STEP_TOL = 1e-9
#: Tolerance of the profile's tau root (brentq's xtol in ConditionalLikelihood.profile).
_TAU_XTOL = 1e-7
#: Patients per batch (bounds memory: arrays are patients x nodes x support).
BATCH_PATIENTS = 12000


class _Batch:
    """The informative patients of many cohorts, in blocks of similar support size."""

    def __init__(self, counts: np.ndarray, cohort: np.ndarray, n_cohorts: int) -> None:
        x = np.asarray(counts, dtype=np.float64).reshape(-1, 8)
        a0, b0, te0, tu0, a1, b1, te1, tu1 = x.T
        n0, n1, m = a0 + b0, a1 + b1, a0 + a1
        keep = ((np.minimum(n1, m) - np.maximum(0.0, m - n0)) >= 1) & (
            np.minimum.reduce([te0, tu0, te1, tu1]) > 0) & np.all(np.isfinite(x), axis=1)
        lo, size, lb = support_table(n0[keep], n1[keep], m[keep])
        k = (a1[keep] - lo).astype(np.int64)
        log_c = np.log(te1[keep] / tu1[keep]) - np.log(te0[keep] / tu0[keep])
        cid = np.asarray(cohort, dtype=np.int64)[keep]
        self.n = n_cohorts
        self.n_info = np.bincount(cid, minlength=n_cohorts)
        self.all_bottom = np.bincount(cid, k == 0, minlength=n_cohorts) == self.n_info
        self.all_top = np.bincount(cid, k == size - 1, minlength=n_cohorts) == self.n_info
        group = np.ceil(np.log2(np.maximum(size, 2))).astype(np.int64)
        self.parts = []
        for v in np.unique(group):
            rows = group == v
            self.parts.append((_Block(k[rows], lb[rows], log_c[rows]), cid[rows], k[rows],
                               lb[rows], log_c[rows]))
        self.t, w = hermgauss(NODES)
        self.log_w = np.log(w)

    def _blocks(self, active: np.ndarray):
        """(block, cohort ids) restricted to the patients of active cohorts."""
        for block, cid, k, lb, log_c in self.parts:
            rows = active[cid]
            if rows.all():
                yield block, cid
            elif rows.any():
                yield _Block(k[rows], lb[rows], log_c[rows]), cid[rows]

    def evaluate(self, g: np.ndarray, tau: np.ndarray, active: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cohort: log-likelihood and its derivatives in g and tau (active cohorts only)."""
        ll, dg, dt = np.zeros(self.n), np.zeros(self.n), np.zeros(self.n)
        for block, cid in self._blocks(active):
            per, r, v = block.evaluate(g[cid], tau[cid][:, None], self.t, self.log_w)
            ll += np.bincount(cid, per, minlength=self.n)
            dg += np.bincount(cid, r.sum(axis=1), minlength=self.n)
            dt += np.bincount(cid, (r * v).sum(axis=1), minlength=self.n)
        return ll, dg, dt

    def evaluate_fixed(self, g: np.ndarray, active: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cohort at tau = 0 (no integral): log-likelihood, g-score and its slope."""
        ll, dg, info = np.zeros(self.n), np.zeros(self.n), np.zeros(self.n)
        for block, cid in self._blocks(active):
            theta = block.log_c[:, None] + g[cid][:, None]
            log_z, mean, var = block._moments(theta)
            ll += np.bincount(cid, block.lb_obs + theta[:, 0] * block.k - log_z[:, 0],
                              minlength=self.n)
            dg += np.bincount(cid, block.k - mean[:, 0], minlength=self.n)
            info += np.bincount(cid, var[:, 0], minlength=self.n)
        return ll, dg, info

    def loglik(self, g: np.ndarray, tau: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Per-cohort log-likelihood, without the integral where tau is 0."""
        zero = active & (tau == 0)
        out = self.evaluate_fixed(g, zero)[0] if zero.any() else np.zeros(self.n)
        rest = active & ~zero
        if rest.any():
            out = np.where(rest, self.evaluate(g, tau, rest)[0], out)
        return out


def _fixed_effect_start(batch: _Batch, active: np.ndarray) -> np.ndarray:
    """g0: the root of the tau = 0 score (decreasing in g), by bracketed Newton."""
    g = np.zeros(batch.n)
    lo, hi = np.full(batch.n, -2 * G_LIMIT), np.full(batch.n, 2 * G_LIMIT)
    work = active.copy()
    for _ in range(_ROOT_ITERATIONS):
        if not work.any():
            break
        _, score, info = batch.evaluate_fixed(g, work)
        lo = np.where(work & (score > 0), g, lo)
        hi = np.where(work & (score <= 0), g, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.clip(score / info, -4.0, 4.0)
        new = g + np.where(np.isfinite(step), step, 0.0)
        bad = ~((new > lo) & (new < hi)) | ~np.isfinite(step)
        new = np.where(bad, 0.5 * (lo + hi), new)
        done = (np.abs(new - g) < 1e-11) | (hi - lo < 1e-11)
        g = np.where(work, new, g)
        work &= ~done
    return np.clip(g, -G_LIMIT, G_LIMIT)


def _damped_inverse(hess: np.ndarray) -> np.ndarray:
    """Inverse of -H per cohort, damped where -H is not positive definite (2 x 2, closed form)."""
    a, b, c = -hess[:, 0, 0], -hess[:, 0, 1], -hess[:, 1, 1]
    mid, rad = 0.5 * (a + c), np.sqrt(0.25 * (a - c) ** 2 + b * b)
    low, high = mid - rad, mid + rad
    scale = np.maximum(1.0, np.abs(high))
    damp = np.where(low > 1e-10 * scale, 0.0, -low + 1e-3 * scale)
    a, c = a + damp, c + damp
    det = a * c - b * b
    inv = np.stack([np.stack([c, -b], axis=1), np.stack([-b, a], axis=1)], axis=1) / det[:, None,
                                                                                          None]
    return np.where(np.isfinite(inv), inv, 0.0)


def _bfgs(inv: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BFGS update of the inverse Hessian of -loglik per cohort (kept where s'y <= 0)."""
    sy = np.einsum("ij,ij->i", s, y)
    ok = sy > 1e-14 * np.maximum(1.0, np.abs(s).sum(axis=1) * np.abs(y).sum(axis=1))
    rho = np.where(ok, 1.0 / np.where(ok, sy, 1.0), 0.0)
    eye = np.eye(2)[None]
    left = eye - rho[:, None, None] * s[:, :, None] * y[:, None, :]
    right = eye - rho[:, None, None] * y[:, :, None] * s[:, None, :]
    new = left @ inv @ right + rho[:, None, None] * s[:, :, None] * s[:, None, :]
    return np.where(ok[:, None, None], new, inv)


def _maximise(batch: _Batch, g0: np.ndarray, active: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood (g, tau) and the maximum, per active cohort.

    Quasi-Newton: a finite-difference Hessian of the analytic score at the start, BFGS
    updates after each accepted step, backtracking by halving. The likelihood is even in tau
    (the integral is symmetric), so tau moves freely and its size is returned.
    """
    g, tau = g0.copy(), np.full(batch.n, TAU_START)
    ll, dg, dt = batch.evaluate(g, tau, active)
    _, dg1, dt1 = batch.evaluate(g + _H, tau, active)
    _, dg2, dt2 = batch.evaluate(g, tau + _H, active)
    cross = 0.5 * ((dt1 - dt) + (dg2 - dg)) / _H
    hess = np.stack([np.stack([(dg1 - dg) / _H, cross], axis=1),
                     np.stack([cross, (dt2 - dt) / _H], axis=1)], axis=1)
    inv = _damped_inverse(hess)
    grad = np.stack([dg, dt], axis=1)
    step = np.einsum("ijk,ik->ij", inv, grad)
    work = active.copy()
    for _ in range(_NEWTON_ITERATIONS):
        if not work.any():
            break
        step *= np.minimum(1.0, _MAX_STEP / np.maximum(np.abs(step).max(axis=1), 1e-300))[:, None]
        gc = np.clip(g + step[:, 0], -G_LIMIT, G_LIMIT)
        tc = np.clip(tau + step[:, 1], -TAU_MAX, TAU_MAX)
        llc, dgc, dtc = batch.evaluate(gc, tc, work)
        accept = work & (llc >= ll - 1e-12 * np.maximum(1.0, np.abs(ll)))
        small = np.abs(step).max(axis=1) < _STEP_TOL
        new_grad = np.stack([dgc, dtc], axis=1)
        moved = np.stack([gc - g, tc - tau], axis=1)
        inv = np.where(accept[:, None, None], _bfgs(inv, moved, grad - new_grad), inv)
        g, tau, ll = np.where(accept, gc, g), np.where(accept, tc, tau), np.where(accept, llc, ll)
        grad = np.where(accept[:, None], new_grad, grad)
        step = np.where(accept[:, None], np.einsum("ijk,ik->ij", inv, grad), 0.5 * step)
        work &= ~small
    return g, np.abs(tau), ll


def _illinois(batch: _Batch, g: np.ndarray, lo: np.ndarray, f_lo: np.ndarray,
              hi: np.ndarray, f_hi: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Root of the tau-score in [lo, hi] (f_lo > 0 >= f_hi) per working cohort (Illinois)."""
    x = hi.copy()
    side = np.zeros(batch.n, dtype=np.int64)
    work = work & (f_hi != 0)
    for _ in range(_ROOT_ITERATIONS):
        if not work.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(work, hi - f_hi * (hi - lo) / (f_hi - f_lo), x)
        fx = batch.evaluate(g, x, work)[2]
        pos = work & (fx > 0)
        neg = work & (fx <= 0)
        f_hi = np.where(pos & (side == 1), 0.5 * f_hi, f_hi)
        f_lo = np.where(neg & (side == -1), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(pos, x, lo), np.where(pos, fx, f_lo)
        hi, f_hi = np.where(neg, x, hi), np.where(neg, fx, f_hi)
        side = np.where(pos, 1, np.where(neg, -1, side))
        work &= ~((hi - lo < _TAU_XTOL) | (fx == 0))
    return x


def _profile(batch: _Batch, g: np.ndarray, tau_start: np.ndarray, active: np.ndarray,
             tau_fixed: np.ndarray) -> np.ndarray:
    """max over tau of the log-likelihood at g, bracketed as ConditionalLikelihood.profile."""
    tau = np.full(batch.n, np.nan)
    tau[active & tau_fixed] = 0.0
    open_ = active & ~tau_fixed
    t = np.clip(tau_start, 2 * TAU_FLOOR, TAU_MAX)
    s_t = batch.evaluate(g, t, open_)[2]
    up = open_ & (s_t > 0)
    down = open_ & ~up
    lo, f_lo = np.where(up, t, TAU_FLOOR), np.where(up, s_t, 0.0)
    hi, f_hi = np.where(up, np.minimum(2 * t, TAU_MAX), t), np.where(down, s_t, 0.0)
    climbing = up.copy()
    while climbing.any():
        s_hi = batch.evaluate(g, hi, climbing)[2]
        stop = climbing & (s_hi <= 0)
        f_hi = np.where(stop, s_hi, f_hi)
        at_max = climbing & ~stop & (hi >= TAU_MAX)
        tau[at_max] = TAU_MAX
        more = climbing & ~stop & ~at_max
        # next trial: past the secant's root when the score falls (so that it brackets),
        # four times as far while it still rises (small tau), never less than double
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = hi + 1.5 * s_hi * (hi - lo) / (f_lo - s_hi)
        reach = np.where(np.isfinite(reach) & (s_hi < f_lo), reach, 4 * hi)
        lo, f_lo = np.where(more, hi, lo), np.where(more, s_hi, f_lo)
        hi = np.where(more, np.minimum(np.clip(reach, 2 * hi, 8 * hi), TAU_MAX), hi)
        climbing = more
    if down.any():
        s_floor = batch.evaluate(g, np.full(batch.n, TAU_FLOOR), down)[2]
        tau[down & (s_floor <= 0)] = 0.0
        f_lo = np.where(down, s_floor, f_lo)
    root = active & np.isnan(tau)
    if root.any():
        tau = np.where(root, _illinois(batch, g, lo, f_lo, hi, f_hi, root), tau)
    return batch.loglik(g, np.where(active, tau, 0.0), active)


def _decide(batch: _Batch, confidence: float) -> np.ndarray:
    """Per cohort: whether the pooled ratio's profile interval lies below 1."""
    crit = float(_st.chi2.ppf(confidence, 1)) / 2.0
    info = batch.n_info > 0
    interior = info & ~batch.all_top & ~batch.all_bottom
    edge = info & batch.all_bottom & ~batch.all_top
    tau_fixed = batch.n_info < 2
    g0 = _fixed_effect_start(batch, interior)
    at_zero = batch.evaluate_fixed(g0, interior)[0]
    g, tau, best = g0.copy(), np.zeros(batch.n), at_zero.copy()
    free = interior & ~tau_fixed
    if free.any():
        gm, tm, bm = _maximise(batch, g0, free)
        take = free & ~((at_zero >= bm) | (tm < TAU_FLOOR))
        g, tau, best = np.where(take, gm, g), np.where(take, tm, tau), np.where(take, bm, best)
    start = np.where(interior, tau, TAU_START)
    zeros = np.zeros(batch.n)
    prof0 = _profile(batch, zeros, start, interior | edge, tau_fixed)
    flags = interior & (g < 0) & (prof0 < best - crit)
    if edge.any():
        best_edge = _profile(batch, np.full(batch.n, -G_LIMIT), np.full(batch.n, TAU_START),
                             edge, tau_fixed)
        flags |= edge & (prof0 < best_edge - crit)
    return flags


def pooled_flags(cohorts: list[np.ndarray], confidence: float = 0.95) -> np.ndarray:
    """For each cohort (rows a0, b0, te0, tu0, a1, b1, te1, tu1): is A6's upper bound below 1?

    Cohorts may differ in size; they are decided together in batches of about
    BATCH_PATIENTS patients.
    """
    out = np.zeros(len(cohorts), dtype=bool)
    start = 0
    while start < len(cohorts):
        stop, patients = start, 0
        while stop < len(cohorts) and (stop == start or patients + len(cohorts[stop])
                                       <= BATCH_PATIENTS):
            patients += len(cohorts[stop])
            stop += 1
        chunk = [np.asarray(c, dtype=np.float64).reshape(-1, 8) for c in cohorts[start:stop]]
        ids = np.repeat(np.arange(len(chunk)), [len(c) for c in chunk])
        batch = _Batch(np.concatenate(chunk), ids, len(chunk))
        out[start:stop] = _decide(batch, confidence)
        start = stop
    return out

