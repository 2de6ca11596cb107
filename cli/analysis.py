"""``migraine-weather analyze`` (from files) and ``report`` (from the database)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.context import State, iana_timezone, pass_state, write_output

FORMATS = click.Choice(["json", "text", "csv"])


def _render(report, fmt: str, days: bool) -> str:
    """Render a report as report-v1 JSON, a one-page text summary, or the daily CSV table."""
    if fmt == "json":
        return json.dumps(report.to_dict(include_days=days), indent=2, allow_nan=False) + "\n"
    if fmt == "text":
        from correlation.text import render_text

        return render_text(report)
    from correlation.days import DAY_KEYS
    from tracker.csvfmt import write_csv

    return write_csv(DAY_KEYS, report.daily_rows())


def _method_config(path: str | None):
    """Read the [analysis] table of a TOML file (or the whole file) as a MethodConfig."""
    from correlation import MethodConfig

    if path is None:
        return MethodConfig()
    import tomllib

    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    table = data.get("analysis", data)
    try:
        return MethodConfig.from_mapping(table)
    except (TypeError, ValueError) as exc:
        raise click.ClickException(f"{path}: [analysis] {exc}") from exc


@click.command()
@click.option("--attacks", "attacks_file", required=True, type=click.Path(exists=True),
              help="Attack CSV (DESIGN format).")
@click.option("--pressure", "pressure_file", required=True, type=click.Path(exists=True),
              help="Hourly pressure CSV: observed_at (UTC), surface_pressure_hpa[, msl_hpa].")
@click.option("--timezone", required=True, callback=iana_timezone,
              help="IANA timezone of the patient's local days.")
@click.option("--course-start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--course-end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--tracking-start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the diary (default: first whole local day of the pressure file).")
@click.option("--report-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day analysed (default: last whole local day of the pressure file).")
@click.option("--checkins", "checkins_file", type=click.Path(exists=True), default=None,
              help="Check-in CSV with a 'day' column; without it completeness is assumed.")
@click.option("--method-config", "--config", "method_config", type=click.Path(exists=True),
              default=None, help="TOML with an [analysis] table (method settings).")
@click.option("--days", is_flag=True, help="Include the daily table in JSON output.")
@click.option("--format", "fmt", type=FORMATS, default="json", show_default=True)
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
def analyze(attacks_file, pressure_file, timezone, course_start, course_end, tracking_start,
            report_date, checkins_file, method_config, days, fmt, output) -> None:
    """Analyse one patient from CSV files (no database) and print the report."""
    from correlation import analyze as run
    from tracker.errors import TrackerError
    from tracker.reports.files import series_from_files

    config = _method_config(method_config)
    try:
        series = series_from_files(
            attacks_text=Path(attacks_file).read_bytes(),  # decoded by the attack parser
            pressure_text=Path(pressure_file).read_text(encoding="utf-8"),
            timezone=timezone,
            course_start=course_start.date(),
            course_end=course_end.date(),
            tracking_start=tracking_start.date() if tracking_start else None,
            report_date=report_date.date() if report_date else None,
            checkins_text=(
                Path(checkins_file).read_text(encoding="utf-8") if checkins_file else None
            ),
            config=config,
        )
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    write_output(_render(run(series, config), fmt, days), output)


@click.command()
@click.option("--patient", required=True, help="The patient's email.")
@click.option("--days", is_flag=True, help="Include the daily table in JSON output.")
@click.option("--format", "fmt", type=FORMATS, default="json", show_default=True)
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def report(state: State, patient: str, days: bool, fmt: str, output: str | None) -> None:
    """Compute a patient's report from the database (their latest treatment course)."""
    from tracker.accounts.users import require_user
    from tracker.reports.series import patient_report

    settings = state.settings
    with state.transaction() as session:
        user = require_user(session, patient)
        result = patient_report(
            session, user, settings=settings.reports
        )
    if result is None:
        raise click.ClickException(f"{patient} has no treatment course recorded yet")
    write_output(_render(result, fmt, days), output)


@click.command()
@click.option("--clinician", required=True, help="The clinician's email.")
@click.option("--subgroup", type=click.Choice(["sensitive", "all"]), default="all",
              show_default=True,
              help="'sensitive': only patients weather-sensitive at baseline (issue #13).")
@click.option("--min-ratio", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Subgroup rule: least baseline exposure rate ratio [1.5].")
@click.option("--min-onsets", type=click.IntRange(min=0), default=None,
              help="Subgroup rule: fewest baseline onsets on pressure-fall days [4].")
@click.option("--include-insufficient", is_flag=True,
              help="Include patients without enough data (marked) instead of leaving them out.")
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def cohort(state: State, clinician: str, subgroup: str, min_ratio: float | None,
           min_onsets: int | None, include_insufficient: bool, output: str | None) -> None:
    """Summarise a clinician's patients: per-patient rows, medians, responders, Wilcoxon tests,
    the pooled sensitivity ratio and treated minus comparison patients (JSON)."""
    from correlation.subgroup import SubgroupRule
    from tracker.accounts.users import require_user
    from tracker.reports.cohort import clinician_cohort

    given = {k: v for k, v in (("min_ratio", min_ratio), ("min_onsets", min_onsets))
             if v is not None}
    rule = SubgroupRule(subgroup, **given) if subgroup == "sensitive" else None
    settings = state.settings
    with state.transaction() as session:
        user = require_user(session, clinician)
        if user.role != "clinician":
            raise click.ClickException(f"{clinician} is not a clinician")
        summary = clinician_cohort(session, user, settings=settings.reports, subgroup=rule,
                                   include_insufficient=include_insufficient)
    write_output(json.dumps(summary.to_dict(), indent=2, allow_nan=False) + "\n", output)


COMMANDS = [analyze, report, cohort]
