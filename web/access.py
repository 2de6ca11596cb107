"""Who is asking: role checks for views.

Whether the person asking may see a given patient is the domain's rule
(tracker.reports.access); a refusal raises NotFoundError, which web.errors answers with 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from tracker.models import User


def me() -> User:
    """Return the logged-in tracker User."""
    return current_user.user


def role_required(*roles: str) -> Callable:
    """Require a logged-in user with one of ``roles``; others get 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if current_user.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
