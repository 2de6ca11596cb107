"""The hypergeometric-normal likelihood (the first edition of A6), kept for the power calculator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from correlation.hypergeometric_normal import ConditionalLikelihood
from tests.correlation.test_cohort_model import draw_cohort


def _likelihood(rows, nodes=16):
    a0, b0, te0, tu0, a1, b1, te1, tu1 = np.asarray(rows, dtype=float).T
    return ConditionalLikelihood(a1, a0 + b0, a1 + b1, a0 + a1,
                                 np.log(te1 / tu1) - np.log(te0 / tu0), nodes)


def _quad_loglik(row, g, tau):
    a0, b0, te0, tu0, a1, b1, te1, tu1 = row
    c = (te1 / tu1) / (te0 / tu0)

    def f(u):
        d = stats.nchypergeom_fisher(a0 + b0 + a1 + b1, a1 + b1, a0 + a1, c * math.exp(u))
        return d.pmf(a1) * stats.norm.pdf(u, g, tau)

    return math.log(integrate.quad(f, g - 12 * tau, g + 12 * tau, limit=400, epsabs=0,
                                   epsrel=1e-11)[0])


@pytest.mark.parametrize(("row", "g", "tau"), [
    ((5, 10, 30, 54, 2, 8, 30, 54), -0.5, 0.5),
    ((40, 40, 30, 54, 10, 60, 30, 54), 0.0, 1.5),   # many onsets: a peaked integrand
    ((80, 80, 30, 54, 80, 80, 30, 54), 0.0, 2.0),
    ((5, 10, 30, 54, 0, 8, 30, 54), 2.0, 0.3),      # at the support's minimum
])
def test_quadrature_matches_scipy_quad_and_nchypergeom(row, g, tau):
    ours = _likelihood([row]).evaluate(g, tau)[0]
    assert ours == pytest.approx(_quad_loglik(row, g, tau), abs=1e-6)


def test_gradient_matches_finite_differences():
    lik = _likelihood(draw_cohort(np.random.default_rng(5), 40, -0.5, 0.4))
    value, dg, dt = lik.evaluate(-0.6, 0.5)
    h = 1e-5
    assert dg == pytest.approx((lik.evaluate(-0.6 + h, 0.5)[0]
                                - lik.evaluate(-0.6 - h, 0.5)[0]) / (2 * h), rel=1e-4)
    assert dt == pytest.approx((lik.evaluate(-0.6, 0.5 + h)[0]
                                - lik.evaluate(-0.6, 0.5 - h)[0]) / (2 * h), rel=1e-4)
    assert math.isfinite(value)
