"""Print docs/method.md's "Simulation results" table from the current method (seeded).

The same three scenarios and 500 patients each as tests/correlation/test_simulation.py
(84-day baseline, 56-day course, 84-day follow-up), analysed with the default settings;
the sensitivity ratio's interval and p are A5's exact conditional ones.

Run: ``.venv/bin/python benchmarks/simulation_table.py [--patients 500]``.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import numpy as np

from correlation import analyze
from correlation.simulate import simulate_patient

#: name -> (simulator parameters, true exposure rate ratio baseline / follow-up, true SR)
SCENARIOS = {
    "sensitivity 3, unchanged": (dict(base_rate=0.12, sensitivity=3.0,
                                      prt_sensitivity_factor=1.0), 3.0, 3.0, 1.0),
    "sensitivity 2, removed": (dict(base_rate=0.12, sensitivity=2.0,
                                    prt_sensitivity_factor=0.0), 2.0, 1.0, 0.5),
    "no weather effect, base halved": (dict(base_rate=0.15, sensitivity=1.0,
                                            prt_base_factor=0.5), 1.0, 1.0, 1.0),
}


def _interval(ci) -> tuple[float, float]:  # noqa: ANN001 - an Estimate of correlation.stats
    return (0.0 if ci.ci_low is None else ci.ci_low,
            np.inf if ci.ci_high is None else ci.ci_high)


def run(params: dict, truths: tuple[float, float, float], patients: int) -> dict[str, float]:
    """Medians, coverages and flag rates of one scenario over ``patients`` seeded patients."""
    est = {"b": [], "f": []}
    cover = {"b": [], "f": [], "s": []}
    flags = {"s": [], "r": []}
    for seed in range(patients):
        sp = simulate_patient(seed, report_date=date(2025, 1, 1) + timedelta(days=seed % 365),
                              **params)
        rep = analyze(sp.to_series())
        comp = rep.comparison
        parts = {"b": rep.periods["baseline"].exposure_rate_ratio,
                 "f": rep.periods["followup"].exposure_rate_ratio,
                 "s": comp.sensitivity_ratio}
        for (key, ci), truth in zip(parts.items(), truths, strict=True):
            lo, hi = _interval(ci)
            cover[key].append(lo <= truth <= hi)
            if key in est:
                est[key].append(np.inf if ci.estimate is None else ci.estimate)
        for key, ci in (("s", comp.sensitivity_ratio), ("r", comp.ratio_of_rate_ratios)):
            if ci.p_value is not None:
                flags[key].append(ci.p_value < 0.05)
    out = {f"median_{k}": float(np.median(v)) for k, v in est.items()}
    out |= {f"cover_{k}": float(np.mean(v)) * 100 for k, v in cover.items()}
    out |= {f"flag_{k}": float(np.mean(v)) * 100 for k, v in flags.items()}
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=500)
    a = ap.parse_args(argv)
    print("| scenario | median exposure rate ratio, baseline / follow-up (truth) | 95% CI "
          "coverage, baseline / follow-up | sensitivity ratio: coverage / flagged p < 0.05 | "
          "ratio of rate ratios flagged p < 0.05 |")
    print("|---|---|---|---|---|")
    for name, (params, tb, tf, ts) in SCENARIOS.items():
        r = run(params, (tb, tf, ts), a.patients)
        truth = "" if ts == 1.0 else f" (truth {ts:g})"
        print(f"| {name} | {r['median_b']:.2f} / {r['median_f']:.2f} ({tb:g} / {tf:g}) | "
              f"{r['cover_b']:.1f}% / {r['cover_f']:.1f}% | {r['cover_s']:.1f}%{truth} / "
              f"{r['flag_s']:.1f}% | {r['flag_r']:.1f}% |")


if __name__ == "__main__":
    main()
