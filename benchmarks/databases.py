"""Run a benchmark on a fresh SQLite file and, with TEST_DATABASE_URL, on PostgreSQL too."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def each_database(run: Callable[[str, str], None], prefix: str) -> None:
    """Call ``run(url, name)`` for SQLite, then for a throw-away PostgreSQL schema."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    run(f"sqlite:///{folder / 'bench.sqlite3'}", "SQLite")
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        return
    from bench_weather_store import _pg_schema

    target = _pg_schema(pg)
    if target is not None:
        url, drop = target
        try:
            run(url, "PostgreSQL")
        finally:
            drop()
