"""``migraine-weather power``: power to detect a change in weather sensitivity (issue #12)."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.context import State, pass_state, write_output


def _numbers(kind: type) -> Any:
    """Click callback: a comma-separated list of positive numbers of ``kind``."""
    def parse(_ctx: click.Context, param: click.Parameter, value: str) -> list:
        try:
            out = [kind(v) for v in value.split(",") if v.strip()]
        except ValueError as exc:
            raise click.BadParameter(f"expected comma-separated numbers, got {value!r}",
                                     param=param) from exc
        if not out or any(v <= 0 for v in out):
            raise click.BadParameter("expected one or more positive numbers", param=param)
        return out
    return parse


def _clinic_rows(state: State, email: str) -> list[list[float]]:
    """Baseline counts of the clinician's patients from their stored report summaries."""
    from tracker.accounts.users import require_user
    from tracker.reports.power import clinic_baseline_rows

    with state.transaction() as session:
        user = require_user(session, email)
        if user.role != "clinician":
            raise click.ClickException(f"{email} is not a clinician")
        return clinic_baseline_rows(session, user, settings=state.settings.reports)


def _scenario(state: State, entered: dict[str, float | None], clinician: str | None,
              extra: dict[str, Any]):
    """The Scenario: the clinic's pooled baseline, or defaults, under the entered values."""
    from tracker.reports.power import scenario_for

    rows = None
    if clinician is not None:
        rows = _clinic_rows(state, clinician)
        if not rows:
            raise click.ClickException(f"{clinician} has no patient with a stored report")
    try:
        return scenario_for(rows, entered, **extra), None if rows is None else len(rows)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _pct(p: float, se: float) -> str:
    return f"{p * 100:5.1f}% ±{se * 100:4.1f}"


def render_text(data: dict[str, Any]) -> str:
    """The power tables as plain text (one block per sensitivity ratio)."""
    inp = data["inputs"]
    lines = [
        "Power to detect a change in weather sensitivity (simulation; not medical advice)",
        f"Baseline: onset probability {inp['base_rate']:.3f} per at-risk day off pressure-fall "
        f"days, {inp['sensitivity']:.2f} times that on pressure-fall days; pressure-fall days "
        f"{inp['window_share'] * 100:.0f}% of days; tau {inp['tau']:.2f}; baseline "
        f"{inp['baseline_weeks']} weeks.",
        f"Cohort power: share of {data['simulations']} simulated cohorts per cell whose pooled "
        "sensitivity ratio has its 95% interval below 1 (± Monte-Carlo SE).",
    ]
    if data.get("clinic_patients") is not None:
        lines.insert(2, f"Rates and climate from {data['clinic_patients']} patients' stored "
                        "baselines.")
    weeks = sorted({c["weeks"] for c in data["cohort"]})
    for ratio in dict.fromkeys(c["ratio"] for c in data["cohort"]):
        lines += ["", f"True sensitivity ratio {ratio:g}",
                  "patients " + "".join(f"{str(w) + ' weeks':>16}" for w in weeks)]
        cells = {(c["patients"], c["weeks"]): c for c in data["cohort"] if c["ratio"] == ratio}
        for k in sorted({p for p, _ in cells}):
            lines.append(f"{k:>8} " + "".join(
                f"{_pct(cells[k, w]['power'], cells[k, w]['mc_se']):>16}" for w in weeks))
    for one in data["one_patient"]:
        curve = ", ".join(f"{c['weeks']} wk {c['power'] * 100:.0f}%" for c in one["curve"])
        lines += ["", f"One patient, true sensitivity ratio {one['ratio']:g}: to reach "
                      f"{one['target'] * 100:.0f}% power after {one['current_weeks']} weeks of "
                      f"follow-up: {one['answer']}.", f"  power by follow-up: {curve}"]
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--base-rate", type=float, default=None,
              help="Onset probability per at-risk day off pressure-fall days [0.12].")
@click.option("--sensitivity", type=float, default=None,
              help="Baseline exposure rate ratio (weather sensitivity) [3].")
@click.option("--window-share", type=float, default=None,
              help="Share of days that are pressure-fall window days (the climate) [0.33].")
@click.option("--tau", type=float, default=0.3, show_default=True,
              help="SD of the patients' log sensitivity ratios.")
@click.option("--baseline-weeks", type=int, default=12, show_default=True)
@click.option("--from-clinician", "clinician", default=None,
              help="Take rates and climate from this clinician's patients' stored baselines.")
@click.option("--patients", default="10,20,50,100", show_default=True,
              callback=_numbers(int))
@click.option("--weeks", default="12,24,52", show_default=True, callback=_numbers(int),
              help="Follow-up weeks.")
@click.option("--ratio", "ratios", default="0.5,0.75", show_default=True,
              callback=_numbers(float), help="True sensitivity ratios to detect.")
@click.option("--simulations", type=click.IntRange(min=1), default=100, show_default=True,
              help="Simulated cohorts per cell (1000 for figures to quote).")
@click.option("--target", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.8, show_default=True, help="One patient: the power to reach.")
@click.option("--max-weeks", type=click.IntRange(min=1), default=156, show_default=True,
              help="One patient: the longest follow-up considered.")
@click.option("--single-simulations", type=click.IntRange(min=1), default=4000,
              show_default=True,
              help="One patient: simulated patients per follow-up length (the web page: 1000).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def power(state: State, base_rate, sensitivity, window_share, tau, baseline_weeks, clinician,
          patients, weeks, ratios, simulations, target, max_weeks, single_simulations, seed,
          fmt, output) -> None:
    """Power to detect a weakened weather link, for a cohort and for one patient."""
    from tracker.reports.power import power_answer

    entered = {"base_rate": base_rate, "sensitivity": sensitivity, "window_share": window_share}
    scenario, n_clinic = _scenario(state, entered, clinician,
                                   {"tau": tau, "baseline_weeks": baseline_weeks})
    data = power_answer(scenario, ratios=ratios, patients=patients, weeks=weeks,
                        simulations=simulations, seed=seed, target=target, max_weeks=max_weeks,
                        single_simulations=single_simulations, clinic_patients=n_clinic)
    text = (json.dumps(data, indent=2, allow_nan=False) + "\n" if fmt == "json"
            else render_text(data))
    write_output(text, output)


COMMANDS = [power]
