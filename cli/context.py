"""What every command shares: the global options' state, the pass decorator, output helpers.

Command modules import this module, never :mod:`cli.main` (which imports them).
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
        from tracker.database import make_writer_session_factory
        from tracker.errors import TrackerError

        # SQLite: BEGIN IMMEDIATE, so two writers wait for each other instead of failing
        factory = make_writer_session_factory(self.engine)
        try:
            with factory.begin() as session:
                yield session
        except TrackerError as exc:
            raise click.ClickException(str(exc)) from exc


pass_state = click.make_pass_decorator(State)


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path) or to standard output."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)




def iana_timezone(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: accept only IANA place names (or UTC), as the diary does."""
    if value is None:
        return None
    from tracker.diary.validation import check_timezone
    from tracker.errors import ValidationError

    try:
        check_timezone(value)
    except ValidationError as exc:
        raise click.BadParameter(exc.message, param=param) from exc
    return value
