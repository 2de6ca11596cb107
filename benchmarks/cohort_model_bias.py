"""Is the hypergeometric-normal cohort model biased when patients differ (tau > 0)? (A6)

The first edition of A6, the hypergeometric-normal (HN) model of Stijnen et al. 2010, now
``correlation.hypergeometric_normal``, conditions each patient on both period totals and on
the window total m = a0 + a1. The distribution of m depends on the patient's own log
sensitivity ratio g_i, so given the margins g_i is no longer N(g, tau^2), and with tau > 0
the fitted g can drift from the truth.

This script measures that drift in HN and in two alternatives: a binomial-normal (BN)
prototype that conditions on the period totals only, and the Poisson-gamma-normal (PN) model,
which conditions on nothing and is now the cohort model. BN (``cohort_models_proto.py``) is

    a0 | n0 ~ Binomial(n0, expit(log(te0/tu0) + b_i)),
    a1 | n1 ~ Binomial(n1, expit(log(te1/tu1) + b_i + g_i)),
    b_i ~ N(mu_b, sigma_b^2), g_i ~ N(g, tau^2), independent,

integrated by a fixed 2-D Gauss-Hermite product rule (``BN_NODES`` x ``BN_NODES``) and
fitted by maximum likelihood (L-BFGS-B, analytic gradient). Under Poisson counts a1 | n1 is
exactly this binomial, so BN is correctly specified for them; for binomial (one onset a day)
counts neither model is. PN is ``correlation.count_model.CountLikelihood``:

    a0 ~ Poisson(te0 e^(u_i + s_i)), b0 ~ Poisson(tu0 e^u_i),
    a1 ~ Poisson(te1 e^(u_i + d_i + s_i + g_i)), b1 ~ Poisson(tu1 e^(u_i + d_i)),
    s_i ~ N(mu_s, sd_s^2), g_i ~ N(g, tau^2); e^u_i and e^(u_i + d_i) gamma, independent,
    with means e^rho0, e^rho1 and variances phi0 e^(2 rho0), phi1 e^(2 rho1).

The gamma period rates integrate out exactly (given s_i, g_i each period total is negative
binomial and its window count binomial), which leaves a 2-D integral over (s_i, g_i), done by
an adaptive Gauss-Hermite rule at each patient's mode (``count_model.NODES`` per dimension;
each rule is checked against one twice as fine). Because n1 stays in the likelihood through
its dependence on g_i, no margin is treated as ancillary that is not (phi -> 0 is a fixed
rate, so ``draw_counts`` is inside the model).

Findings (seed 11, 16,000 patients a cell). They were measured with PN's prototype (the same
likelihood on a fixed 20 x 20 rule), before it became ``correlation.count_model``.
BN does not remove the bias. At tau 0.5 with Poisson counts and true ratio 1 it is +0.063
(sensitivity 1.5) and +0.077 (4), SE 0.007-0.009, as large as HN's (+0.063, +0.026); at
tau 0 both are on target. BN is correctly specified given g_i, but not given the margin it
conditions on: the follow-up total n1 = a1 + b1 grows with g_i, so among patients with many
follow-up onsets g_i is above g, and a model that keeps g_i ~ N(g, tau^2) whatever n1 is
pulled up. The "n1-fixed" rows check this: with n1 drawn free of g_i (a1 | n1 still binomial
with log odds log(s te1/tu1) + g_i), BN's bias is +0.003 and +0.000, while HN's, conditioned
on m = a0 + a1 as well, is +0.026 and -0.021.
PN removes the bias: at tau 0.5 with Poisson counts its g_hat - g is +0.002 and -0.003
(sensitivity 1.5 and 4, ratio 1) and -0.011 and +0.000 (ratio 0.5), SE 0.007-0.010, against
HN's +0.063, +0.026, +0.048, +0.041 and BN's +0.063, +0.077, +0.033, +0.068; tau is
recovered (0.48-0.51) and the tau-0 cells stay on target (-0.002 to +0.004). One fit with its
Wald SE took 0.017 s for 20 patients and 0.79 s for 1,000 (BN: 0.008 s and 0.30 s in the
same run; 1.5 s for PN in a later run on the busier shared machine). PN's premise is that
g_i scales the follow-up window rate only (as in ``draw_counts``): in the "n1-fixed" rows,
where g_i moves onsets between window and non-window days at a fixed total, PN is itself
misspecified (-0.011 and -0.045, tau 0.28 and 0.17). It also takes the two periods' patient
rates as independent; correlated rates (a patient frequent in both periods) would need a
bivariate frailty and are not tested here.
With binomial (one onset a day) counts PN is misspecified too and under-estimates tau
(0.40-0.45): its bias at tau 0.5 is +0.031, +0.010, +0.016, +0.020 (same order of cells; SE
0.007-0.009; ``--models pn --kinds binomial``), at tau 0 -0.009 to +0.004.

Counts come from ``coverage_dispersion.draw_counts`` (Poisson or binomial days). It prints:

1. large-sample bias g_hat - g_true of HN (``ConditionalLikelihood.maximise`` on the
   patients with support size >= 2) and of BN and PN, on ``--patients-large`` patients, with
   each model's own (observed-information) SE, and the quadrature checks of BN and PN;
2. coverage of the 95% interval for g in ``--cohorts`` cohorts of 20 and of 50 patients:
   the cohort model's (PN's) profile-likelihood interval (``validate_method.cohort_outcome``),
   BN's profile-likelihood interval (likelihood-ratio test inversion, tau, mu_b and sigma_b
   re-maximised) and BN's Wald interval (observed information), with the shares of intervals
   wholly below / above 1 (false flags when the true ratio is 1);
3. the time of one BN and one PN fit (point estimate and Wald SE) for 20 and 1,000 patients.

Part 1 also prints PN's fitted tau, sd_s and gamma dispersions; part 2 runs with ``bn``.

Run: ``nice -n 10 .venv/bin/python benchmarks/cohort_model_bias.py [--patients-large 4000]
[--cohorts 300] [--seed 11] [--ratios 1,0.5] [--coverage-ratios 1,0.5] [--skip coverage,timing]
[--models hn,bn,pn] [--kinds poisson,binomial,n1-fixed]`` (with the prototype: about 12
minutes on one core with ``--models hn,bn`` and the other defaults; the PN figures above:
``--models hn,bn,pn --kinds poisson,n1-fixed --patients-large 16000 --skip coverage``, about
8 minutes)."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats as st
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coverage_dispersion as cd  # noqa: E402
import validate_method as vm  # noqa: E402
from cohort_models_proto import NODES as BN_NODES  # noqa: E402
from cohort_models_proto import BinomialNormal  # noqa: E402

from correlation.count_model import NODES as PN_NODES  # noqa: E402
from correlation.count_model import PHI0, PHI1, SD_S, TAU, CountLikelihood, G  # noqa: E402
from correlation.hypergeometric_normal import ConditionalLikelihood  # noqa: E402

CRIT = float(st.chi2.ppf(0.95, 1))
Z95 = float(st.norm.ppf(0.975))
KINDS = ("poisson", "binomial")
SENSITIVITIES = (1.5, 4.0)
TAUS = (0.0, 0.5)


def hn_likelihood(counts: np.ndarray) -> ConditionalLikelihood:
    """HN likelihood over the patients with support size >= 2 (as cohort_outcome selects)."""
    a0, b0, te0, tu0, a1, b1, te1, tu1 = counts.T
    n0, n1, m = a0 + b0, a1 + b1, a0 + a1
    sel = ((np.minimum(n1, m) - np.maximum(0.0, m - n0)) >= 1) & (
        np.minimum.reduce([te0, tu0, te1, tu1]) > 0)
    log_c = np.log(te1[sel] / tu1[sel]) - np.log(te0[sel] / tu0[sel])
    return ConditionalLikelihood(a1[sel], n0[sel], n1[sel], m[sel], log_c)


def draw_total_fixed(rng: np.random.Generator, sensitivity: float, tau: float,
                     kind: str, ratio: float, n: int) -> np.ndarray:
    """Poisson counts, but the follow-up total n1 drawn free of g_i (a mechanism check).

    n1 ~ Poisson(0.12 (s te1 + tu1)) and a1 | n1 ~ Binomial(n1, expit(log(s te1/tu1) + g_i)):
    BN is then correctly specified marginally too, as the total says nothing about g_i.
    """
    counts = cd.draw_counts(rng, sensitivity, 0.0, "poisson", ratio, n)
    te1, tu1 = counts[:, 6], counts[:, 7]
    g = math.log(ratio) + tau * rng.standard_normal(n)
    n1 = rng.poisson(cd.BASE_RATE * (sensitivity * te1 + tu1))
    a1 = rng.binomial(n1, expit(np.log(sensitivity * te1 / tu1) + g))
    counts[:, 4], counts[:, 5] = a1, n1 - a1
    return counts


def _draw(rng: np.random.Generator, s: float, tau: float, kind: str, ratio: float,
          n: int) -> np.ndarray:
    if kind == "n1-fixed":
        return draw_total_fixed(rng, s, tau, kind, ratio, n)
    return cd.draw_counts(rng, s, tau, kind, ratio, n)


def _rng(seed: int, kind: str, s: float, tau: float, ratio: float,
         part: int) -> np.random.Generator:
    return np.random.default_rng([seed, part, len(kind), int(s * 10), int(tau * 10),
                                  int(ratio * 100)])


def _cells(ratios: list[float], kinds: tuple[str, ...] = KINDS,
           taus: tuple[float, ...] = TAUS) -> list[tuple[str, float, float, float]]:
    return [(k, s, t, r) for r in ratios for k in kinds for s in SENSITIVITIES for t in taus]


def _bias_cells(a: argparse.Namespace, ratios: list[float]) -> list[tuple]:
    kinds = tuple(k for k in a.kinds.split(",") if k in KINDS)
    cells = _cells(ratios, kinds)
    return cells + (_cells([1.0], ("n1-fixed",), (0.5,)) if "n1-fixed" in a.kinds else [])


def _pn(counts: np.ndarray, nodes: int = PN_NODES) -> CountLikelihood:
    """The cohort model's likelihood (PN) with ``nodes`` adaptive nodes per dimension."""
    return CountLikelihood(counts, nodes=nodes)


def _se(lik: BinomialNormal | CountLikelihood, p: np.ndarray) -> float:
    """SE of g from the model's observed information (nan where there is none)."""
    if isinstance(lik, BinomialNormal):
        return lik.wald_se(p)
    return lik.standard_error(p) or math.nan


#: Each model of parts 1 and 3 but HN: (label, likelihood(counts, nodes), its nodes).
MODELS = {"bn": ("BN", BinomialNormal, BN_NODES), "pn": ("PN", _pn, PN_NODES)}


def bias_table(a: argparse.Namespace, ratios: list[float]) -> None:
    """Large-sample g_hat - g_true of the chosen models in every cell, with their own SEs."""
    models = a.models.split(",")
    print(f"\n1. Large-sample bias, {a.patients_large} patients per cell, seed {a.seed} "
          "(g = log sensitivity ratio; SE: the model's observed information)")
    head = {"hn": " |  HN g_hat-g (SE)   HN tau", "bn": " |  BN g_hat-g (SE)   BN tau  BN sd_b",
            "pn": " |  PN g_hat-g (SE)   PN tau  PN sd_s  PN phi0  PN phi1"}
    print("counts    sens  tau  ratio" + "".join(head[m] for m in models))
    for kind, s, tau, ratio in _bias_cells(a, ratios):
        counts = _draw(_rng(a.seed, kind, s, tau, ratio, 1), s, tau, kind, ratio,
                       a.patients_large)
        g_true = math.log(ratio)
        row = f"{kind:8s}  {s:4g}  {tau:3g}  {ratio:5g}"
        if "hn" in models:
            lik = hn_likelihood(counts)
            g_hn, tau_hn, _ = lik.maximise()
            se_hn = lik.se_g(g_hn, tau_hn) or math.nan
            row += f" | {g_hn - g_true:+8.3f} ({se_hn:.3f})  {tau_hn:7.3f}"
        if "bn" in models:
            bn = BinomialNormal(counts)
            p, _ = bn.fit()
            row += f" | {p[0] - g_true:+8.3f} ({_se(bn, p):.3f})  {p[1]:7.3f}  {p[3]:7.3f}"
        if "pn" in models:
            pn = CountLikelihood(counts)
            q, _ = pn.fit()
            row += (f" | {q[G] - g_true:+8.3f} ({_se(pn, q):.3f})  {q[TAU]:7.3f}  {q[SD_S]:7.3f}"
                    f"  {q[PHI0]:7.4f}  {q[PHI1]:7.4f}")
        print(row, flush=True)


def quadrature_check(a: argparse.Namespace, model: str = "bn") -> None:
    """Log-likelihood and g_hat with the model's nodes vs twice as many per dimension (one
    tau-0.5 cell)."""
    name, make, nodes = MODELS[model]
    counts = cd.draw_counts(_rng(a.seed, "poisson", 1.5, 0.5, 1.0, 1), 1.5, 0.5, "poisson",
                            1.0, a.patients_large)
    coarse, fine = make(counts, nodes), make(counts, 2 * nodes)
    p, ll = coarse.fit()
    q, ll_fine = fine.fit(x0=p)
    probe = p.copy()
    probe[:4] += np.array([0.2, 0.3, 0.2, 0.5])
    dprobe = coarse.evaluate(probe)[0] - fine.evaluate(probe)[0]
    print(f"\n{name} quadrature check (poisson, sens 1.5, tau 0.5, {a.patients_large} "
          f"patients): {nodes}^2 vs {2 * nodes}^2 nodes: max log-lik {ll:.4f} vs "
          f"{ll_fine:.4f}, g_hat {p[0]:+.5f} vs {q[0]:+.5f}; at a probe (g+0.2, tau+0.3, "
          f"mu+0.2, sd+0.5) log-lik differs by {dprobe:.2e}")


def bn_outcome(counts: np.ndarray, g_true: float) -> tuple[float, ...]:
    """BN (profile covers, profile below 1, profile above 1, Wald covers, below, above)."""
    bn = BinomialNormal(counts)
    p, best = bn.fit()
    g = p[0]

    def excluded(value: float) -> bool:
        return 2.0 * (best - bn.fit(value, p)[1]) > CRIT

    out0 = excluded(0.0)
    se = bn.wald_se(p)
    lo, hi = g - Z95 * se, g + Z95 * se
    return (not excluded(g_true), out0 and g < 0, out0 and g > 0,
            lo <= g_true <= hi, hi < 0, lo > 0)


def coverage_table(a: argparse.Namespace, ratios: list[float]) -> None:
    """Coverage and flags of the 95% intervals of PN (the cohort model) and BN in cohorts of
    20 and 50."""
    print(f"\n2. Coverage of the 95% interval for g, {a.cohorts} cohorts per cell, seed "
          f"{a.seed} (% ± 1 Monte-Carlo SE; below/above: interval wholly below/above 1)")
    print("counts    sens  tau  ratio    n |  PN profile cov   below  above |  BN profile cov"
          "   below  above |  BN Wald cov   below  above")
    for kind, s, tau, ratio in _cells(ratios):
        for n in (20, 50):
            rng = _rng(a.seed, kind, s, tau, ratio, 2 + n)
            g_true = math.log(ratio)
            pn, bn = [], []
            for _ in range(a.cohorts):
                counts = cd.draw_counts(rng, s, tau, kind, ratio, n)
                pn.append(vm.cohort_outcome(counts, g_true))
                bn.append(bn_outcome(counts, g_true))
            h, b = np.mean(pn, axis=0), np.mean(bn, axis=0)
            print(f"{kind:8s}  {s:4g}  {tau:3g}  {ratio:5g}  {n:3d} | "
                  f"{vm._pct(h[0], a.cohorts):>13s}  {h[1] * 100:5.1f}  {h[2] * 100:5.1f} | "
                  f"{vm._pct(b[0], a.cohorts):>13s}  {b[1] * 100:5.1f}  {b[2] * 100:5.1f} | "
                  f"{vm._pct(b[3], a.cohorts):>11s}  {b[4] * 100:5.1f}  {b[5] * 100:5.1f}",
                  flush=True)


def timing(a: argparse.Namespace, repeats: int = 5) -> None:
    """Median time of one BN / PN fit (estimate and Wald SE) for 20 and 1,000 patients."""
    for model in ("bn", "pn"):
        if model not in a.models:
            continue
        name, make, nodes = MODELS[model]
        print(f"\n3. Time per {name} fit (maximum likelihood + Wald SE; a profile "
              "interval adds about two more fits), median of 5, poisson counts, sens 1.5, "
              "tau 0.5")
        for n in (20, 1000):
            times = []
            for r in range(repeats):
                counts = cd.draw_counts(_rng(a.seed + r, "poisson", 1.5, 0.5, 1.0, 3), 1.5,
                                        0.5, "poisson", 1.0, n)
                t0 = time.perf_counter()
                fit = make(counts, nodes)
                _se(fit, fit.fit()[0])
                times.append(time.perf_counter() - t0)
            print(f"{n:5d} patients: {float(np.median(times)):.3f} s "
                  f"(min {min(times):.3f}, max {max(times):.3f})", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Print the bias, coverage and timing tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients-large", type=int, default=4000)
    ap.add_argument("--cohorts", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--ratios", default="1,0.5", help="True ratios of part 1 (comma-separated).")
    ap.add_argument("--coverage-ratios", default="1,0.5", help="True ratios of part 2.")
    ap.add_argument("--skip", default="", help="Parts to skip, e.g. 'coverage'.")
    ap.add_argument("--models", default="hn,bn,pn",
                    help="Models of parts 1 and 3 (hn, bn, pn; part 2, PN and BN, runs "
                    "with bn).")
    ap.add_argument("--kinds", default="poisson,binomial,n1-fixed",
                    help="Count kinds of part 1.")
    a = ap.parse_args(argv)
    ratios = [float(r) for r in a.ratios.split(",")]
    print(f"HN: correlation.hypergeometric_normal; BN: prototype, {BN_NODES}x{BN_NODES} "
          f"Gauss-Hermite product rule; PN: correlation.count_model, adaptive {PN_NODES}x"
          f"{PN_NODES}")
    if "bias" not in a.skip:
        bias_table(a, ratios)
        for model in ("bn", "pn"):
            if model in a.models:
                quadrature_check(a, model)
    if "timing" not in a.skip:
        timing(a)
    if "coverage" not in a.skip and "bn" in a.models:
        coverage_table(a, [float(r) for r in a.coverage_ratios.split(",")])


if __name__ == "__main__":
    main()
