"""The ``migraine-weather`` command: the composition root of the service.

Each command imports what it needs inside its body, so ``analyze`` loads no database driver
and ``scheduler`` loads no Flask. The shared state and output helpers live in
:mod:`cli.context`, which the command modules import, so no command module imports this one
(each can be imported on its own).
"""

from __future__ import annotations

import click

from cli.context import State


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
    from cli import analysis, db, diary_io, jobs, power, serve, users, weather, worker

    for module in (db, users, diary_io, serve, analysis, weather, jobs, power, worker):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
