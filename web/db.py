"""The request's database session: opened on first use, closed at teardown."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

#: Requests that only read; every other method gets a writer session.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    """Return this request's session (the view commits what it changes).

    Requests that may write get a writer session: on SQLite its transaction starts with
    ``BEGIN IMMEDIATE``, so a check-then-insert (overlapping attacks, one check-in a day)
    cannot race another request; on PostgreSQL the same rules hold through row and advisory
    locks taken by the domain functions.
    """
    if "db" not in g:
        writes = has_request_context() and request.method not in SAFE_METHODS
        key = "mw_writer_session_factory" if writes else "mw_session_factory"
        g.db = current_app.extensions[key]()
    return g.db


def settings():
    """Return the app's settings."""
    return current_app.extensions["mw_settings"]
