"""Engine and session factories (called by the entry points only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every new SQLite connection."""
    # pysqlite's own transaction handling would swallow BEGIN; SQLAlchemy emits it below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


#: Execution option naming SQLite's BEGIN mode ("IMMEDIATE" takes the write lock at once).
SQLITE_BEGIN_OPTION = "sqlite_begin"


def _sqlite_begin(conn) -> None:
    """Start SQLite transactions explicitly so that SAVEPOINTs and rollbacks behave."""
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def make_writer_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory for read-then-write transactions (background jobs).

    On SQLite its transactions start with ``BEGIN IMMEDIATE``: the write lock is taken (or
    waited for, up to the busy timeout) at the start. A deferred transaction that reads and
    then writes fails at once with "database is locked" when another connection committed
    in between (WAL snapshot rule), which the busy timeout cannot help. Elsewhere it is
    :func:`make_session_factory`.
    """
    if engine.dialect.name != "sqlite":
        return make_session_factory(engine)
    return sessionmaker(
        engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
    )
