"""Security headers for every response, and the login user loader."""

from __future__ import annotations

from flask import Flask
from flask_login import UserMixin

from web.db import db_session
from web.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class CurrentUser(UserMixin):
    """The logged-in account as Flask-Login sees it; ``user`` is the tracker User."""

    def __init__(self, user) -> None:
        self.user = user

    def get_id(self) -> str:
        # The hash's tail makes a password change log out every other session.
        return f"{self.user.id}:{self.user.password_hash[-12:]}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)


@login_manager.user_loader
def _load_user(user_id: str) -> CurrentUser | None:
    from tracker.models import User

    ident, _, tail = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db_session().get(User, int(ident))
    if user is None or user.password_hash[-12:] != tail:
        return None
    return CurrentUser(user)


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=()")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
