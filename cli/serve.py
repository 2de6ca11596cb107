"""``migraine-weather serve`` and ``demo``: the web app on this machine."""

from __future__ import annotations

import click

from cli.context import State, pass_state

DEMO_PASSWORD = "demo-password"


def _serve(state: State, host: str, port: int) -> None:
    from web import create_app

    app = create_app({"SETTINGS": state.settings, "ENGINE": state.engine})
    click.echo(f"serving on http://{host}:{port}  (Ctrl+C stops)")
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_state
def serve(state: State, host: str, port: int) -> None:
    """Serve the web app with the development server (production: gunicorn, see README)."""
    _serve(state, host, port)


@click.command()
@click.option("--seed-only", is_flag=True, help="Create the demo data, then exit.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_state
def demo(state: State, seed_only: bool, host: str, port: int) -> None:
    """Migrate, (re)create the demo clinician and three demo patients, and serve the app."""
    from migrations.runner import upgrade
    from tracker.demo import seed_demo

    upgrade(state.engine)
    with state.transaction() as session:
        logins = seed_demo(session, password=DEMO_PASSWORD)
    click.echo("Demo data ready (simulated; about nine months ending today). Logins:")
    for email, what in logins:
        click.echo(f"  {email:28s} {what}")
    click.echo(f"  password for all: {DEMO_PASSWORD}")
    if not seed_only:
        _serve(state, host, port)


COMMANDS = [serve, demo]
