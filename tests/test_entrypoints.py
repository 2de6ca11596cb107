"""The CLI's lazy imports: analyze loads no database driver, the scheduler no Flask."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from click.testing import CliRunner
from cli.main import main
result = CliRunner().invoke(main, {args!r})
loaded = sorted(m for m in {mods!r} if m in sys.modules)
print("LOADED", ",".join(loaded))
"""


def _loaded(args: list[str], mods: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, mods=mods)],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED"))
    return [m for m in line.split(" ", 1)[1].split(",") if m]


@pytest.mark.parametrize("args", [["--help"], ["analyze", "--help"]])
def test_light_commands_load_no_flask_nor_database(args):
    assert _loaded(args, ["flask", "sqlalchemy", "psycopg", "alembic"]) == []


def test_the_cli_knows_the_same_job_names_as_the_scheduler():
    """cli/jobs.py keeps its own copy so that building the CLI imports nothing from jobs."""
    import cli.main  # noqa: F401  (registers the commands; cli.jobs imports it)
    from cli.jobs import JOB_NAMES as CLI_NAMES
    from jobs.tasks import JOB_NAMES

    assert CLI_NAMES == JOB_NAMES
