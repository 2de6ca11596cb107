"""``migraine-weather import`` and ``export``: the diary as CSV."""

from __future__ import annotations

from pathlib import Path

import click

from cli.main import State, pass_state, write_output


@click.group("import")
def import_() -> None:
    """Import diary data from CSV files (all-or-nothing)."""


@import_.command("attacks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--patient", required=True, help="The patient's email.")
@pass_state
def import_attacks_cmd(state: State, file: str, patient: str) -> None:
    """Import attacks; a time without offset is local to the patient; any bad line stops it."""
    from tracker.accounts import require_user
    from tracker.attacks_csv import import_attacks

    text = Path(file).read_text(encoding="utf-8")
    with state.transaction() as session:
        user = require_user(session, patient)
        stored = import_attacks(session, user, text)
        click.echo(f"imported {len(stored)} attack(s) for {user.email}")


@click.group("export")
def export() -> None:
    """Export diary data as CSV (cells a spreadsheet would run are escaped)."""


@export.command("attacks")
@click.option("--patient", required=True, help="The patient's email.")
@click.option("--output", "-o", default=None, help="File to write (default: standard output).")
@pass_state
def export_attacks_cmd(state: State, patient: str, output: str | None) -> None:
    """Export a patient's attacks in the import format."""
    from tracker.accounts import require_user
    from tracker.attacks_csv import export_attacks_csv
    from tracker.diary import list_attacks

    with state.transaction() as session:
        user = require_user(session, patient)
        text = export_attacks_csv(list_attacks(session, user))
    write_output(text, output)


COMMANDS = [import_, export]
