"""Time the clinician's power page computation (issue #12): cold, and asked again (cached).

Run: `.venv/bin/python benchmarks/bench_power_page.py [simulations] [--reference]`. The page's
default grid (10/20/50/100 patients x 12/24/52 weeks x ratios 0.5/0.75, 10 simulated cohorts
per cell, 1000 simulated patients per follow-up length for one patient) from typical values;
"cold" is a new answer store each time, "cached" the same inputs asked again. With
``--reference`` it also times the previous decision, one cohort at a time through
``ConditionalLikelihood`` (scipy's L-BFGS-B and brentq), on the same cohorts. Where the page
would wait longer than its POWER_WAIT_SECONDS, it shows "being computed" and refreshes.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
from scipy import stats as _st

from correlation.hypergeometric_normal import G_LIMIT, ConditionalLikelihood
from correlation.power import _cell_rng, pooled_flags, simulate_counts
from tracker.reports.power import PowerAnswers, cached_power_answer, scenario_for
from web.cohort_pages import (
    POWER_PATIENTS,
    POWER_RATIOS,
    POWER_WAIT_SECONDS,
    POWER_WEEKS,
    SINGLE_SIMULATIONS,
)

REPEATS = 3


def _previous_rule(counts: np.ndarray, confidence: float = 0.95) -> bool:
    """The decision as it was made before batching: one cohort, scipy's optimisers."""
    a0, b0, te0, tu0, a1, b1, te1, tu1 = counts.T
    n0, n1, m = a0 + b0, a1 + b1, a0 + a1
    sel = ((np.minimum(n1, m) - np.maximum(0.0, m - n0)) >= 1) & (
        np.minimum.reduce([te0, tu0, te1, tu1]) > 0)
    if not sel.any():
        return False
    lik = ConditionalLikelihood(a1[sel], n0[sel], n1[sel], m[sel],
                                np.log(te1[sel] / tu1[sel]) - np.log(te0[sel] / tu0[sel]))
    crit = float(_st.chi2.ppf(confidence, 1)) / 2.0
    if np.all(lik.k == lik.size - 1):
        return False
    if np.all(lik.k == 0):
        return bool(lik.profile(0.0)[0] < lik.profile(-G_LIMIT)[0] - crit)
    g, tau, best = lik.maximise()
    return bool(g < 0 and lik.profile(0.0, tau)[0] < best - crit)


def main() -> None:
    """Print median cold and cached times of the page's answer (and the reference)."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    simulations = int(args[0]) if args else 10
    scenario = scenario_for(None, {}, tau=0.3, baseline_weeks=12)
    grid = {"ratios": POWER_RATIOS, "patients": POWER_PATIENTS, "weeks": POWER_WEEKS,
            "simulations": simulations, "single_simulations": SINGLE_SIMULATIONS}
    cold, cached = [], []
    for _ in range(REPEATS):
        answers = PowerAnswers()
        t0 = time.perf_counter()
        cached_power_answer(scenario, wait=3600, answers=answers, **grid)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cached_power_answer(scenario, wait=3600, answers=answers, **grid)
        cached.append(time.perf_counter() - t0)
    cells = len(POWER_RATIOS) * len(POWER_PATIENTS) * len(POWER_WEEKS)
    print(f"power page, {cells} cells x {simulations} cohorts: cold median "
          f"{statistics.median(cold):.2f} s, cached median {statistics.median(cached) * 1e6:.0f} "
          f"us over {REPEATS} runs (the page waits {POWER_WAIT_SECONDS:g} s, then shows "
          "'being computed')")
    if "--reference" not in sys.argv:
        return
    cohorts = [c for r in POWER_RATIOS for k in POWER_PATIENTS for w in POWER_WEEKS
               for c in simulate_counts(scenario, r, w, (simulations, k), _cell_rng(0, r, k, w))]
    t0 = time.perf_counter()
    batched = pooled_flags(cohorts)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    previous = np.array([_previous_rule(c) for c in cohorts])
    t_previous = time.perf_counter() - t0
    print(f"decisions of the {len(cohorts)} cohorts: batched {t_batched:.2f} s, one at a time "
          f"with L-BFGS-B {t_previous:.2f} s ({t_previous / t_batched:.1f}x); "
          f"{int((batched != previous).sum())} differ")


if __name__ == "__main__":
    main()
