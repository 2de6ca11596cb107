"""The API blueprint, bearer-token authentication, JSON errors and request parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from web.db import db_session
from web.errors import json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: The deepest nesting of arrays and objects a request body may have (the API's are flat).
MAX_JSON_DEPTH = 32
_NOT_AN_OBJECT = "send a JSON object (Content-Type: application/json)"


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "field"}}`` with an HTTP status."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def api_user():
    """Return the tracker User the bearer token belongs to."""
    return g.api_user


@bp.before_request
def _authenticate() -> None:
    """Accept only ``Authorization: Bearer <token>``; a browser session cookie is ignored."""
    from tracker.accounts.tokens import authenticate_token

    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "send a personal access token as 'Authorization: Bearer <token>'")
    session = db_session()
    user = authenticate_token(session, raw.strip())
    if user is None:
        session.rollback()
        raise ApiError(401, "the token is unknown or revoked")
    session.commit()
    g.api_user = user


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    db_session().rollback()
    return json_error(exc.status, exc.message, exc.field)


def _tracker_error(exc: Exception) -> Response:
    from tracker.errors import (
        AuthenticationError,
        ConflictError,
        NotFoundError,
        PermissionDeniedError,
    )

    db_session().rollback()
    status = 400
    if isinstance(exc, ConflictError):
        status = 409
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, PermissionDeniedError):
        status = 403
    elif isinstance(exc, AuthenticationError):
        status = 401
    return json_error(status, exc.message, exc.field)  # type: ignore[attr-defined]


def register_tracker_errors() -> None:
    """Answer every tracker domain error raised in an API view as JSON."""
    from tracker.errors import TrackerError

    bp.register_error_handler(TrackerError, _tracker_error)


register_tracker_errors()


def role(*roles: str) -> Callable:
    """Allow an API view only to token holders with one of ``roles`` (others get 403)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if api_user().role not in roles:
                raise ApiError(403, f"only for {' or '.join(roles)} accounts")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def ok(data: Any, status: int = 200) -> Response:
    """Return ``data`` as JSON with ``status``."""
    response = jsonify(data)
    response.status_code = status
    return response


def no_content() -> Response:
    """Return an empty 204 response."""
    return Response(status=204)


def body(allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any]:
    """Return the JSON object of the request; unknown or missing members are a 400."""
    data = read_json()
    if not isinstance(data, dict):
        raise ApiError(400, _NOT_AN_OBJECT)
    allowed = set(allowed)
    for key in data:
        if key not in allowed:
            raise ApiError(400, f"unknown field {key!r}", str(key))
    for key in required:
        if key not in data:
            raise ApiError(400, "this field is required", key)
    return data


def read_json() -> Any:
    """Parse the request body as JSON: 413 past the size limit, 400 when nested too deeply.

    Python's parser recurses once per level, so a body of nested brackets would raise
    RecursionError (a 500); bodies are also refused past :data:`MAX_JSON_DEPTH` levels.
    """
    if not request.is_json:
        raise ApiError(400, _NOT_AN_OBJECT)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        raise ApiError(413, f"the request body is larger than {limit // 2**20} MB") from exc
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise ApiError(400, "the JSON body is nested too deeply") from exc
    except ValueError as exc:
        raise ApiError(400, _NOT_AN_OBJECT) from exc
    if _depth_exceeds(data, MAX_JSON_DEPTH):
        raise ApiError(400, "the JSON body is nested too deeply")
    return data


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``limit`` levels (no recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_instant(value: Any, field: str, nullable: bool = False) -> datetime | None:
    """Parse an ISO 8601 date-time with offset (None only if ``nullable``)."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "expected an ISO 8601 date and time with offset", field)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z").replace("t", "T"))
    except ValueError as exc:
        raise ApiError(400, "expected an ISO 8601 date and time with offset", field) from exc
    if parsed.tzinfo is None:
        raise ApiError(400, "a date and time needs an offset, e.g. +02:00 or Z", field)
    return parsed


def parse_day(value: Any, field: str, nullable: bool = False) -> date | None:
    """Parse a ``YYYY-MM-DD`` date (None only if ``nullable``)."""
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise ApiError(400, "expected a date as YYYY-MM-DD", field)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, "expected a date as YYYY-MM-DD", field) from exc


def parse_int(value: Any, field: str, nullable: bool = True) -> int | None:
    """Accept a JSON integer (None if ``nullable``)."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "expected a whole number", field)
    return value


def parse_number(value: Any, field: str) -> float:
    """Accept a JSON number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, "expected a number", field)
    return float(value)


def parse_bool(value: Any, field: str, nullable: bool = False) -> bool | None:
    """Accept a JSON boolean (None if ``nullable``)."""
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise ApiError(400, "expected true or false" + (" or null" if nullable else ""), field)
    return value


def parse_str(value: Any, field: str) -> str:
    """Accept a JSON string (domain validation checks its length and characters)."""
    if not isinstance(value, str):
        raise ApiError(400, "expected a string", field)
    return value


def query_flag(name: str) -> bool:
    """Read a boolean query parameter (true/false/1/0; absent is false)."""
    value = request.args.get(name)
    if value is None:
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(400, "expected true or false", name)


def query_day(name: str) -> date | None:
    """Read an optional ``YYYY-MM-DD`` query parameter."""
    value = request.args.get(name)
    return None if value is None else parse_day(value, name)
