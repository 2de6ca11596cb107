"""Security headers for every response, and the login user loader (server-side sessions).

"Keep me logged in" (issue #15): such a session's cookies are persistent, with an expiry of
``[web] remember_idle_days`` (the remember cookie, and the Flask session cookie made
permanent, so that it survives closing the browser and Flask-Login's strong session
protection does not log a phone out when its network address changes). Its token rotates
as it is used (tracker.accounts.sessions.rotate): both cookies then carry the new token.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, request
from flask import session as cookie_session
from flask_login import UserMixin, login_user

from tracker.accounts.sessions import (
    check_session,
    create_session,
    is_current,
    needs_rotation,
    needs_touch,
    rotate,
    touch,
)
from tracker.models import User
from web.db import SAFE_METHODS, db_session, settings
from web.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
)
#: Responses that may carry health data are never stored by browsers or shared caches.
NO_STORE = "no-store, private"
_PRIVATE_TYPES = frozenset({"text/html", "text/csv", "application/json"})


class CurrentUser(UserMixin):
    """The logged-in account as Flask-Login sees it; ``user`` is the tracker User.

    Its id (kept in the session cookie and the remember cookie) is the raw token of a
    server-side session row (tracker.accounts.sessions), never the user's id.
    """

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)


def _idle_limits() -> dict[str, timedelta]:
    web = settings().web
    return {"idle": timedelta(hours=web.session_idle_hours),
            "remember_idle": timedelta(days=web.remember_idle_days)}


@login_manager.user_loader
def _load_user(token: str) -> CurrentUser | None:
    """Accept only the token of a live session row; note its use now and then, and give a
    remembered session a new token when its turn has come."""
    found = check_session(db_session(), token, **_idle_limits())
    if found is None:
        return None
    row, user = found
    if row.remember:
        cookie_session.permanent = True  # an explicit expiry: survives closing the browser
    if (request.method in SAFE_METHODS and is_current(row, token)
            and needs_rotation(row)):
        fresh = _rotate(row, token)
        if fresh is not None:
            _carry(fresh)
            return CurrentUser(user, fresh)
    elif needs_touch(row):
        _touch(row.id)
    return CurrentUser(user, token)


def _rotate(row, token: str) -> str | None:
    """Rotate in a short writer session of its own, committed before the answer leaves: the
    browser gets the new token only once it is stored. (Reads only: a write request's own
    writer transaction must not wait on a second one, so rotation waits for the next GET.)"""
    with current_app.extensions["mw_writer_session_factory"]() as writer:
        fresh = rotate(writer, row, token)
        writer.commit()
    return fresh


def _carry(token: str) -> None:
    """Put the new token in the session cookie and have Flask-Login set the remember cookie
    again, with a fresh expiry."""
    cookie_session["_user_id"] = token
    cookie_session["_remember"] = "set"
    cookie_session["_remember_seconds"] = int(_idle_limits()["remember_idle"].total_seconds())


def _touch(session_id: int) -> None:
    """Write ``last_seen_at``: in the request's writer session, or (GET) a short one of its own."""
    if request.method not in SAFE_METHODS:
        touch(db_session(), session_id)  # committed with the request's change (or not at all)
        return
    with current_app.extensions["mw_writer_session_factory"]() as writer:
        touch(writer, session_id)
        writer.commit()


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in with a new server-side session (the caller's session is committed)."""
    session = db_session()
    raw, _ = create_session(session, user, remember=remember,
                            user_agent=request.user_agent.string or "")
    session.commit()
    login_user(CurrentUser(user, raw), remember=remember,
               duration=timedelta(days=settings().web.remember_idle_days))
    cookie_session.permanent = remember  # otherwise the cookie ends with the browser


def init_app(app: Flask) -> None:
    """Add the security headers to every response; persistent cookies last as long as a
    remembered session may stay idle."""
    idle = timedelta(days=app.extensions["mw_settings"].web.remember_idle_days)
    app.config["PERMANENT_SESSION_LIFETIME"] = idle
    app.config["REMEMBER_COOKIE_DURATION"] = idle

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=()")
        # Pages, CSV exports and API answers may show health data. A view that chose its own
        # caching (e.g. the chart bundle, cached for a year) keeps it; a bare "no-store"
        # gains "private".
        if response.mimetype in _PRIVATE_TYPES and response.headers.get(
                "Cache-Control", "no-store") == "no-store":
            response.headers["Cache-Control"] = NO_STORE
        return response
