"""The API blueprint, bearer-token authentication, JSON errors and request parsing."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.accounts.tokens import authenticate_token
from tracker.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TrackerError,
)
from web.api.schemas import UNKNOWN
from web.db import db_session
from web.errors import json_error

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="api")

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


@bp.errorhandler(TrackerError)
def _tracker_error(exc: TrackerError) -> Response:
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
    return json_error(status, exc.message, exc.field)


@bp.errorhandler(HTTPError)
def validation_error(error: HTTPError) -> Response:
    """Answer a request that does not fit its schema: 400 naming the first bad member."""
    db_session().rollback()
    field, message = first_error(error.detail)
    return json_error(400, message, field)


def first_error(detail: Any) -> tuple[str | None, str]:
    """Return ``(field, message)`` of webargs' error detail; unknown members come first."""
    members: dict[str, Any] = {}
    for location in (detail or {}).values():
        members.update(location if isinstance(location, dict) else {"_schema": location})
    ordered = sorted(members.items(), key=lambda item: UNKNOWN not in str(item[1]))
    for name, messages in ordered:
        message = messages[0] if isinstance(messages, list) and messages else str(messages)
        if name == "_schema":
            return None, _NOT_AN_OBJECT
        if message == UNKNOWN:
            return name, f"unknown field {name!r}"
        return name, str(message)
    return None, "the request does not fit the API's schema"


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


def found(getter: Callable, arg: str) -> Callable:
    """Look the record ``arg`` up with ``getter`` before the body is read (404 before 400)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            getter(db_session(), api_user(), kwargs[arg])
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


def json_object(view: Callable) -> Callable:
    """Check the body is one JSON object (413 past the size limit, 400 if nested too deeply)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if not isinstance(read_json(), dict):
            raise ApiError(400, _NOT_AN_OBJECT)
        return view(*args, **kwargs)

    return wrapped


def body(schema: Any) -> Callable:
    """Parse and validate the JSON body with ``schema`` (passed to the view as ``json_data``).

    The view gets the body only after the role check (403 before 400), and a body that is not
    a JSON object is refused in the API's words before the schema looks at it.
    """

    def decorate(view: Callable) -> Callable:
        return json_object(bp.input(schema, location="json")(view))

    return decorate


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


#: The error statuses of the API and what each means (the document's response descriptions).
ERRORS = {
    400: "Invalid request: a bad value, a missing field or an unknown one (`field` names it).",
    401: "No token, or an unknown or revoked one.",
    403: "The account's role may not use this operation.",
    404: "No such record, or not visible to this account.",
    409: "The change clashes with stored data (e.g. an overlapping attack).",
    429: "Too many attempts in the last hour; try again later.",
}


def operation(op_id: str, summary: str, *, errors: tuple[int, ...] = (),
              description: str = "", rules: Any = None, by_role: bool = True,
              responses: dict[int, Any] | None = None) -> Callable:
    """Document an operation: id, summary, error statuses and the rules beyond its schema.

    ``rules`` (field name -> FieldRule) lists, as ``x-rules-beyond-schema``, the rules JSON
    Schema cannot state; a request that keeps to the schema is refused only for one of them.
    """
    beyond = {name: rule.beyond_schema for name, rule in (rules or {}).items()
              if rule.beyond_schema}
    extensions = {}
    if beyond:
        listed = " ".join(f"`{name}`: {rule}" for name, rule in beyond.items())
        description = (f"{description} Rules beyond the schema (400 naming the field): "
                       f"{listed}").strip()
        extensions["x-rules-beyond-schema"] = beyond
    codes = (401, *((403,) if by_role else ()), *errors)
    return bp.doc(operation_id=op_id, summary=summary, description=description or None,
                  responses={**(responses or {}), **{code: ERRORS[code] for code in codes}},
                  extensions=extensions or None)
