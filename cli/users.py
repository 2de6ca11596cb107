"""``migraine-weather users``: accounts made by an operator."""

from __future__ import annotations

import click

from cli.context import State, pass_state


@click.group()
def users() -> None:
    """Create accounts and reset passwords."""


@users.command()
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", required=True, type=click.Choice(["patient", "clinician", "admin"]))
@click.option("--name", default="")
@click.option("--timezone", default=None, help="IANA timezone of a patient, e.g. Europe/Oslo.")
@click.option("--lat", type=float, default=None, help="Home latitude of a patient (degrees N).")
@click.option("--lon", type=float, default=None, help="Home longitude of a patient (degrees E).")
@pass_state
def create(state: State, email, password, role, name, timezone, lat, lon) -> None:
    """Create a user (patients get a profile and, with --lat/--lon, a home location)."""
    from tracker.accounts.users import create_user

    with state.transaction() as session:
        user = create_user(
            session, email=email, password=password, role=role, name=name,
            timezone=timezone, latitude=lat, longitude=lon,
        )
        click.echo(f"created {user.role} {user.email} (id {user.id})")


@users.command("reset-password")
@click.option("--email", required=True)
@click.option("--password", required=True, help="The new password (at least 8 characters).")
@pass_state
def reset_password(state: State, email: str, password: str) -> None:
    """Set a new password for a user, lift any login lock, revoke the user's API tokens and
    log out every session (admin use; the user's audit log records it)."""
    from tracker.accounts.users import require_user, set_password

    with state.transaction() as session:
        user = require_user(session, email)
        set_password(session, user, password)
        click.echo(f"password of {user.email} reset; its API tokens are revoked and its "
                   "sessions logged out")


COMMANDS = [users]
