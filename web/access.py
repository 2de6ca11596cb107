"""Who is asking: role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required


def me():
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


def viewable_patient(patient_id: int):
    """The patient if the person asking may read their diary (themself or a linked clinician),
    else None; a record of someone else looks the same as a missing one."""
    from tracker.accounts.sharing import require_view
    from tracker.errors import NotFoundError
    from web.db import db_session

    try:
        return require_view(db_session(), me(), patient_id)
    except NotFoundError:
        return None
