"""``migraine-weather import`` and ``export``: the diary as CSV."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import State, iana_timezone, pass_state, write_output


@click.group("import")
def import_() -> None:
    """Import diary data from CSV files (all-or-nothing)."""


#: ``--format`` values: tracker.diary.imports.FORMAT_CHOICES is the declaration (a test keeps
#: them equal; importing it here would load the database layer for every command).
FORMAT_NAMES = ("auto", "ours", "migraine-buddy", "mapped")

#: The mapping options: option name -> ColumnMapping field.
MAPPING_OPTIONS = {
    "start_column": "start", "start_time_column": "start_time", "end_column": "end",
    "duration_column": "duration", "intensity_column": "intensity", "kind_column": "kind",
    "medication_column": "medication", "notes_column": "notes",
}


def _mapping_options(command):
    """Add the --*-column options of the mapped format to ``command``."""
    helps = {
        "start_column": "mapped: the column holding the start (required for mapped).",
        "start_time_column": "mapped: a separate time-of-day column joined to the start.",
        "end_column": "mapped: the column holding the end.",
        "duration_column": "mapped: the column holding the duration (01h 30m, 1:30, 90).",
        "intensity_column": "mapped: the column holding the peak intensity.",
        "kind_column": "mapped: the column holding the kind (migraine, headache, ...).",
        "medication_column": "mapped: the column holding the medication.",
        "notes_column": "mapped: the column holding the notes.",
    }
    for name in reversed(list(MAPPING_OPTIONS)):
        flag = "--" + name.replace("_", "-")
        command = click.option(flag, name, default=None, help=helps[name])(command)
    return command


@import_.command("attacks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--patient", required=True, help="The patient's email.")
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(FORMAT_NAMES),
              help="The file's format; auto detects ours and Migraine Buddy's export from "
                   "the header. mapped reads any CSV through the --*-column options.")
@click.option("--timezone", default=None, callback=iana_timezone,
              help="IANA timezone of times without an offset (default: the patient's).")
@_mapping_options
@click.option("--intensity-max", default=10, show_default=True, type=int,
              help="mapped: the top of the file's intensity scale (0..N, mapped onto 0-10).")
@click.option("--date-format", default=None,
              help="mapped: the date format (see docs/data-formats.md); default: the only "
                   "one of the list that reads every start.")
@click.option("--drop-other-columns", is_flag=True,
              help="mapped: leave unmapped columns out of the notes.")
@click.option("--add-locations", is_flag=True,
              help="Also add the location periods the file proposes (Migraine Buddy's "
                   "geohashes); without it they are listed only.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would be "
                                              "imported; store nothing.")
@pass_state
def import_attacks_cmd(state: State, file: str, patient: str, fmt: str, timezone: str | None,
                       intensity_max: int, date_format: str | None, drop_other_columns: bool,
                       add_locations: bool, dry_run: bool, **columns: str | None) -> None:
    """Import attacks (all or nothing); attacks already stored (same start) are skipped.

    The file is UTF-8 (with or without a byte-order mark), or UTF-16/UTF-32 with a
    byte-order mark; the output says which was read. A time without an offset is local to
    --timezone (default: the patient's). Every bad line is listed and nothing is stored.
    """
    from tracker.accounts.users import require_user
    from tracker.diary.imports import apply_plan, plan_import

    options = _import_options(state, fmt, timezone, columns, intensity_max, date_format,
                              drop_other_columns)
    data = Path(file).read_bytes()
    with state.transaction() as session:
        user = require_user(session, patient)
        plan = plan_import(session, user, data, options)
        plan.raise_problems()
        for warning in plan.warnings:
            click.echo(f"note: {warning}", err=True)
        if dry_run:
            click.echo(_summary("would import", len(plan.new_attacks), user.email, plan))
            _list_locations(plan.locations, added=False)
            return  # plan_import never writes
        places = plan.locations if add_locations else []
        result = apply_plan(session, user, plan, locations=places)
        click.echo(_summary("imported", result.added, user.email, plan))
        _list_locations(plan.locations, added=add_locations)


def _import_options(state: State, fmt: str, timezone: str | None, columns: dict,
                    intensity_max: int, date_format: str | None, drop_other: bool):
    """Build ImportOptions from the command's options, or stop with a usage error."""
    from tracker.diary.imports import DATE_FORMATS, ColumnMapping, ImportOptions

    chosen = {MAPPING_OPTIONS[k]: v for k, v in columns.items() if v}
    mapping_given = bool(chosen) or date_format or drop_other or intensity_max != 10
    if fmt == "auto" and chosen:
        fmt = "mapped"
    mapping = None
    if fmt == "mapped":
        if "start" not in chosen:
            raise click.UsageError("--format mapped needs --start-column")
        if date_format is not None and date_format not in DATE_FORMATS:
            raise click.BadParameter(f"{date_format!r} is not one of: "
                                     f"{', '.join(DATE_FORMATS)}", param_hint="--date-format")
        mapping = ColumnMapping(**chosen, intensity_max=intensity_max,
                                date_format=date_format, keep_other_columns=not drop_other)
    elif mapping_given:
        raise click.UsageError("the column and date-format options apply to --format mapped")
    return ImportOptions(format=fmt, timezone=timezone, mapping=mapping,
                         grid_degrees=state.settings.weather.grid_degrees)


def _summary(verb: str, count: int, email: str, plan) -> str:
    """One line: how many attacks, for whom, how the file was read."""
    span = plan.date_range
    days = f", {span[0].isoformat()} to {span[1].isoformat()}" if span else ""
    return (f"{verb} {count} attack(s) for {email} (read as {plan.encoding}); "
            f"format {plan.format}, timezone {plan.timezone}{days}, "
            f"{len(plan.duplicates)} already stored (skipped)")


def _list_locations(locations, added: bool) -> None:
    """List the proposed location periods (and whether they were added)."""
    if not locations:
        return
    head = "added location period(s):" if added else (
        "proposed location period(s) (add them with --add-locations):")
    click.echo(head)
    for loc in locations:
        click.echo(f"  from {loc.starts_on.isoformat()}: {loc.latitude:.4f}, "
                   f"{loc.longitude:.4f} ({loc.timezone}; line {loc.line}, "
                   f"{loc.attacks} attack(s))")


@click.group("export")
def export() -> None:
    """Export diary data as CSV (cells a spreadsheet would run are escaped)."""


@export.command("attacks")
@click.option("--patient", required=True, help="The patient's email.")
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def export_attacks_cmd(state: State, patient: str, output: str | None) -> None:
    """Export a patient's attacks in the import format."""
    from tracker.accounts.users import require_user
    from tracker.diary.attacks import list_attacks
    from tracker.diary.attacks_csv import export_attacks_csv
    from tracker.diary.medications import medications_text

    with state.transaction() as session:
        user = require_user(session, patient)
        text = export_attacks_csv(list_attacks(session, user), medications_text(session, user))
    write_output(text, output)


COMMANDS = [import_, export]
