"""``migraine-weather import`` and ``export``: the diary as CSV."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import State, pass_state, write_output


@click.group("import")
def import_() -> None:
    """Import diary data from CSV files (all-or-nothing)."""


@import_.command("attacks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--patient", required=True, help="The patient's email.")
@pass_state
def import_attacks_cmd(state: State, file: str, patient: str) -> None:
    """Import attacks; a time without offset is local to the patient; any bad line stops it.

    The file is UTF-8 (with or without a byte-order mark), or UTF-16/UTF-32 with a
    byte-order mark; the output says which was read.
    """
    from tracker.accounts.users import require_user
    from tracker.diary.attacks_csv import decode_attacks_file, import_attacks
    from tracker.errors import TrackerError

    try:
        text, encoding = decode_attacks_file(Path(file).read_bytes())
    except TrackerError as exc:
        raise click.ClickException(str(exc)) from exc
    with state.transaction() as session:
        user = require_user(session, patient)
        count = import_attacks(session, user, text)
        click.echo(f"imported {count} attack(s) for {user.email} (read as {encoding})")


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

    with state.transaction() as session:
        user = require_user(session, patient)
        text = export_attacks_csv(list_attacks(session, user))
    write_output(text, output)


COMMANDS = [import_, export]
