"""The request's database session: opened on first use, closed at teardown."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session


def db_session() -> Session:
    """Return this request's session (the view commits what it changes)."""
    if "db" not in g:
        g.db = current_app.extensions["mw_session_factory"]()
    return g.db


def settings():
    """Return the app's settings."""
    return current_app.extensions["mw_settings"]
