"""One scheduler per database: a lock the operating system or the database frees when the
holding process dies, so a new scheduler can take over at once.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection in autocommit mode (never "idle in transaction"). The key is derived from the
  schema the tables live in, so two installations in different schemas of one database do
  not block each other. When the process dies its connection closes and the server frees
  the lock.
- SQLite: an exclusive ``fcntl.flock`` on a file beside the database file
  (``<database>.scheduler-lock``); the kernel frees it when the process dies. The file holds
  the holder's pid and start time for the message a second scheduler prints.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

#: Suffix of the SQLite lock file, appended to the database file's name.
LOCK_SUFFIX = ".scheduler-lock"
_KEY_PREFIX = "migraine-weather/scheduler/"


class SchedulerLockHeld(RuntimeError):
    """Another scheduler holds the lock of this database."""


class SchedulerLock:
    """A held scheduler lock; :meth:`release` frees it (so does the process's death)."""

    description = "no lock"

    def is_held(self) -> bool:
        """Return True while the lock is still ours."""
        return True

    def release(self) -> None:
        """Free the lock (idempotent)."""

    def __enter__(self) -> SchedulerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_key(name: str) -> int:
    """Return the signed 64-bit advisory lock key for a schema name."""
    digest = hashlib.sha256((_KEY_PREFIX + name).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _holder_line() -> str:
    return f"pid={os.getpid()} host={socket.gethostname()} since={datetime.now(UTC).isoformat()}"


class _PostgresLock(SchedulerLock):
    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn = self._engine.connect()
        try:
            schema = self._conn.execute(text("SELECT current_schema()")).scalar() or "public"
            self.key = lock_key(schema)
            self.description = f"PostgreSQL advisory lock {self.key} (schema {schema})"
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            if not got.scalar():
                holder = self._holder()
                raise SchedulerLockHeld(
                    f"another scheduler is running against this database ({self.description}"
                    f" held by {holder}); only one may run. Exiting."
                )
        except BaseException:
            self._close()
            raise

    def _where(self) -> str:
        return (
            "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = :hi AND l.objid = :lo"
        )

    def _params(self) -> dict[str, int]:
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        return {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}

    def _holder(self) -> str:
        row = self._conn.execute(
            text(
                "SELECT a.pid, a.client_addr, a.application_name, a.backend_start"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                f" WHERE {self._where()} LIMIT 1"
            ),
            self._params(),
        ).first()
        if row is None:
            return "a session that just ended"
        addr = row.client_addr or "local socket"
        return f"server backend {row.pid}, client {addr}, connected since {row.backend_start}"

    def is_held(self) -> bool:
        """Return True while our connection is alive and still holds the lock."""
        if self._conn is None:
            return False
        try:
            count = self._conn.execute(
                text(f"SELECT count(*) FROM pg_locks l WHERE {self._where()}"
                     " AND l.pid = pg_backend_pid()"),
                self._params(),
            ).scalar()
        except Exception:
            return False
        return bool(count)

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._engine.dispose()

    def release(self) -> None:
        """Unlock and close the dedicated connection."""
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        except Exception:  # the connection is gone: so is the lock
            pass
        finally:
            self._close()


class _FileLock(SchedulerLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"lock file {path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 400, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(self._fd)
            self._fd = None
            raise SchedulerLockHeld(
                f"another scheduler is running against this database ({self.description}"
                f" held by {holder}); only one may run. Exiting."
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, (_holder_line() + "\n").encode("utf-8"), 0)

    def is_held(self) -> bool:
        """Return True until released (the kernel keeps a flock while the fd is open)."""
        return self._fd is not None

    def release(self) -> None:
        """Unlock and close the file (the file stays; removing it would race)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def sqlite_lock_path(engine: Engine) -> Path | None:
    """Return the lock file of a SQLite file database, or None for an in-memory one."""
    database = engine.url.database or ""
    if database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    return Path(database + LOCK_SUFFIX)


def acquire_scheduler_lock(engine: Engine) -> SchedulerLock:
    """Take the one-scheduler lock of ``engine``'s database or raise SchedulerLockHeld."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        return _PostgresLock(engine)
    if backend == "sqlite":
        path = sqlite_lock_path(engine)
        # An in-memory database cannot be shared between processes: nothing to guard.
        return _FileLock(path) if path is not None else SchedulerLock()
    raise ValueError(f"no scheduler lock for {backend!r}: use PostgreSQL or SQLite")
