"""Shared fixtures: a database per test on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from migrations.metadata import create_all
from tracker.database import make_engine, make_session_factory

PG_URL = os.environ.get("TEST_DATABASE_URL")

DB_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
    ),
]


def _pg_schema_url(schema: str) -> str:
    url = make_url(PG_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=DB_PARAMS)
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database (no tables): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    """An engine on a database with every table created."""
    eng = make_engine(db_url)
    create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    """A session factory bound to the test database."""
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    """A session for one test; the test commits what it wants to keep."""
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(db_url):
    """Settings for a test: defaults, the test database, a fixed secret."""
    import dataclasses

    from tracker.settings import Settings

    base = Settings()
    return dataclasses.replace(
        base,
        database=dataclasses.replace(base.database, url=db_url),
        web=dataclasses.replace(base.web, secret_key="test-secret"),
    )


@pytest.fixture
def app(settings, engine):
    """The Flask app on the test database (flaskr style); CSRF is off except where tested."""
    from web import create_app

    return create_app(
        {"SETTINGS": settings, "ENGINE": engine, "TESTING": True, "WTF_CSRF_ENABLED": False}
    )


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


class CliRunner:
    """Runs ``migraine-weather`` in-process against the test database."""

    def __init__(self, db_url: str) -> None:
        from click.testing import CliRunner as ClickRunner

        self.db_url = db_url
        self._runner = ClickRunner()

    def invoke(self, *args: str, input: str | None = None):
        """Run the command with DATABASE_URL set to the test database."""
        from cli.main import main

        env = {"DATABASE_URL": self.db_url, "MIGRAINE_WEATHER_CONFIG": ""}
        return self._runner.invoke(main, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def runner(db_url, engine) -> CliRunner:
    """A CLI runner whose commands use the (already created) test database."""
    return CliRunner(db_url)
