"""``migraine-weather db``: schema migrations."""

from __future__ import annotations

import click

from cli.context import State, pass_state


@click.group()
def db() -> None:
    """Create or upgrade the database schema (Alembic)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_state
def upgrade(state: State, revision: str) -> None:
    """Bring the database schema up to date (never loses data)."""
    from migrations.runner import current_revision
    from migrations.runner import upgrade as run_upgrade

    run_upgrade(state.engine, revision)
    click.echo(f"database at revision {current_revision(state.engine)}")


@db.command()
@pass_state
def current(state: State) -> None:
    """Show the revision the database is at and the newest one."""
    from migrations.runner import current_revision, head_revision

    click.echo(f"current: {current_revision(state.engine)}  head: {head_revision()}")


@db.command()
@click.option("-m", "--message", required=True, help="What the revision changes.")
@pass_state
def revision(state: State, message: str) -> None:
    """(Developers) autogenerate a migration from the models against an up-to-date database."""
    from migrations.runner import revision as run_revision

    run_revision(state.engine, message)


COMMANDS = [db]
