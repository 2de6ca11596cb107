"""Error pages (with the footer) for the site, JSON errors for the API, the ``id`` converter.

A view fetches a record through the domain (tracker) and lets its NotFoundError or
PermissionDeniedError propagate: one handler here answers 404 or 403 (flaskr's
``get_post(id)`` rule, once for every page)."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from tracker.errors import NotFoundError, PermissionDeniedError, TrackerError

#: Plain-language messages for the error pages.
MESSAGES = {
    400: "The request could not be understood. Please check the form and try again.",
    401: "Please log in first.",
    403: "This page is not available to your account.",
    404: "There is nothing here.",
    405: "This address does not accept that kind of request.",
    409: "This clashes with a change saved at the same moment. Please reload and try again.",
    413: "The upload is too large.",
}

#: The API's message for a write refused by a database constraint (a race the domain's
#: checks and locks did not catch): the same 409 a sequential clash gets.
CLASH_MESSAGE = "this clashes with a change saved at the same moment; reload and try again"


class IdConverter(IntegerConverter):
    """A row id in a URL (digits); ids out of range are "not found" in the domain (is_row_id).

    No min/max here: werkzeug answers a rejected value with 405 when another method of a
    neighbouring rule matches, instead of 404.
    """


def is_api_request() -> bool:
    """Whether the current request is for the JSON API (errors are then JSON)."""
    return request.path.startswith("/api/")


def json_error(status: int, message: str, field: str | None = None) -> Response:
    """Return the API's error document ``{"error": {"message", "field"}}`` with ``status``."""
    response = jsonify({"error": {"message": message, "field": field}})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="migraine-weather"'
    return response


def init_app(app: Flask) -> None:
    """Register the ``id`` URL converter and the error handlers."""
    app.url_map.converters["id"] = IdConverter

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        if is_api_request():
            response = json_error(code, (exc.description or exc.name).strip())
        else:
            message = MESSAGES.get(code, exc.name)
            response = Response(render_template("error.html", message=message), code,
                                mimetype="text/html")
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(NotFoundError, _tracker_refusal)
    app.register_error_handler(PermissionDeniedError, _tracker_refusal)


def _integrity_error(_exc: IntegrityError) -> Response:
    """Answer a unique or foreign-key violation with 409 (nothing of the request is kept)."""
    session = g.get("db")
    if session is not None:
        session.rollback()
    if is_api_request():
        return json_error(409, CLASH_MESSAGE)
    return Response(render_template("error.html", message=MESSAGES[409]), 409,
                    mimetype="text/html")


def page_message(exc: TrackerError, status: int) -> str:
    """The domain's message as a sentence for an error page ("no attack 7" -> "No attack 7.")."""
    text = exc.message.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}." if text else MESSAGES[status]


def _tracker_refusal(exc: NotFoundError | PermissionDeniedError) -> Response:
    """A record that is missing or not visible (404), or an action not allowed (403), raised
    by the domain in any view: nothing of the request is kept."""
    session = g.get("db")
    if session is not None:
        session.rollback()
    code = 404 if isinstance(exc, NotFoundError) else 403
    if is_api_request():
        return json_error(code, exc.message, exc.field)
    return Response(render_template("error.html", message=page_message(exc, code)), code,
                    mimetype="text/html")
