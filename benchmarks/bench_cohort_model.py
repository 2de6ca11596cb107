"""Time the cohort model (DESIGN A6) for 20 and 1,000 simulated patients; prints medians.

Run: `.venv/bin/python benchmarks/bench_cohort_model.py`. The goal is under 2 s for 1,000
patients (profile-likelihood interval and likelihood-ratio p included).
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np

from correlation.cohort_model import fit_cohort_model

REPEATS = 5


def draw_counts(rng: np.random.Generator, k: int, g: float, tau: float) -> np.ndarray:
    """Rows (a0, b0, te0, tu0, a1, b1, te1, tu1): Poisson onsets over 84-day periods."""
    te0, te1 = rng.integers(18, 40, k), rng.integers(18, 40, k)
    lam = 0.12 * rng.lognormal(0.0, 0.3, k)
    g_i = g + tau * rng.standard_normal(k)
    return np.column_stack([
        rng.poisson(te0 * lam * 2.5), rng.poisson((84 - te0) * lam), te0, 84 - te0,
        rng.poisson(te1 * lam * 1.75 * np.exp(g_i)), rng.poisson((84 - te1) * lam * 0.7),
        te1, 84 - te1,
    ]).astype(float)


def main() -> None:
    """Print the median fit time over REPEATS seeded cohorts of each size."""
    for k in (20, 1000):
        times = []
        for seed in range(REPEATS):
            counts = draw_counts(np.random.default_rng(seed), k, math.log(0.5), 0.4)
            t0 = time.perf_counter()
            fit = fit_cohort_model(counts)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        goal = f" (goal < 2 s: {2.0 / med:.1f}x headroom)" if k == 1000 else ""
        print(f"cohort model, {k} patients: median {med * 1e3:.0f} ms over {REPEATS} "
              f"cohorts{goal}; last fit "
              f"SR {fit.estimate:.2f} ({fit.ci_low:.2f} to {fit.ci_high:.2f}), tau {fit.tau:.2f}")


if __name__ == "__main__":
    main()
