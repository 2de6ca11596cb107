"""The ``migraine-weather`` command: the composition root of the service.

Each command imports what it needs inside its body, so ``analyze`` loads no database driver
and ``scheduler`` loads no Flask.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click


class State:
    """What the global options chose; settings and engine are made on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._settings = None
        self._engine = None

    @property
    def settings(self):
        """The loaded settings (a ConfigError stops the command with the key's name)."""
        if self._settings is None:
            from tracker.settings import ConfigError, load_settings

            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(f"configuration: {exc}") from exc
        return self._settings

    @property
    def engine(self):
        """The engine of the configured database."""
        if self._engine is None:
            from tracker.database import make_engine

            self._engine = make_engine(self.settings.database.url, echo=self.settings.database.echo)
        return self._engine

    @contextmanager
    def transaction(self):
        """A session in one transaction: committed on success, rolled back on any error."""
        from tracker.database import make_session_factory
        from tracker.errors import TrackerError

        factory = make_session_factory(self.engine)
        try:
            with factory.begin() as session:
                yield session
        except TrackerError as exc:
            raise click.ClickException(str(exc)) from exc


pass_state = click.make_pass_decorator(State)


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MIGRAINE_WEATHER_CONFIG",
    help="TOML configuration file (default: $MIGRAINE_WEATHER_CONFIG, else built-in defaults).",
)
@click.version_option(package_name="migraine-weather")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Migraine diary paired with barometric pressure, before and after a PRT course.

    Not medical advice: the numbers describe a diary, they do not diagnose or treat.
    """
    ctx.obj = State(config_path)


def _register() -> None:
    from cli import analysis, db, diary_io, jobs, serve, users, weather

    for module in (db, users, diary_io, serve, analysis, weather, jobs):
        for command in module.COMMANDS:
            main.add_command(command)


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path) or to standard output."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


_register()
