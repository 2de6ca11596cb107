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


@pytest.mark.parametrize(
    "module", ["cli.context", "cli.main", "cli.analysis", "cli.db", "cli.diary_io", "cli.jobs",
               "cli.serve", "cli.users", "cli.weather"])
def test_every_command_module_imports_on_its_own(module):
    """No import loop: each module imports in a fresh interpreter (issue 11, item 5)."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_cli_offers_the_schedulers_job_names():
    """One declaration: jobs.names, read by the scheduler and the CLI."""
    from cli.jobs import JOB_NAMES as CLI_NAMES
    from jobs import names, tasks

    assert CLI_NAMES is names.JOB_NAMES is tasks.JOB_NAMES


@pytest.mark.parametrize("command", [
    ["analyze", "--attacks", "{f}", "--pressure", "{f}", "--course-start", "2026-01-01",
     "--course-end", "2026-01-14"],
    ["weather", "import", "{f}", "--lat", "1", "--lon", "1"],
])
def test_file_commands_refuse_a_timezone_that_is_not_an_iana_place(command, tmp_path):
    from click.testing import CliRunner

    from cli.main import main

    file = tmp_path / "empty.csv"
    file.write_text("x\n", encoding="utf-8")
    args = [a.format(f=file) for a in command] + ["--timezone", "localtime"]
    result = CliRunner().invoke(main, args, env={"MIGRAINE_WEATHER_CONFIG": ""})
    assert result.exit_code == 2, result.output
    assert "unknown timezone 'localtime'" in result.output
