"""The installable, offline-capable app (issue #15, point 5): the service worker at the root
scope, the offline page it keeps, and the JSON routes that the phone's offline queue sends
its saved attacks to (a browser session and a CSRF header; the API takes bearer tokens only).

Each queued attack carries the phone's own id (``client_id``); storing it again, or ending it
again, changes nothing, so a send that is retried after a lost answer never adds a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import (
    CLIENT_ID,
    end_by_client_id,
    end_once,
    get_attack,
    record_attack_once,
)
from tracker.diary.day_clash import CheckinClashError, day_label
from tracker.diary.locks import lock_patient_diary
from tracker.errors import ConflictError, NotFoundError, TrackerError, ValidationError
from tracker.models import Attack
from web.db import db_session
from web.errors import json_error

bp = Blueprint("pwa", __name__)

STATIC = Path(__file__).resolve().parent / "static"


def _patient_json(view: Callable) -> Callable:
    """JSON routes of the queue: 401 without a login, 403 for other roles (no redirects,
    so the script can tell "log in first" from a refusal)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_authenticated:
            return json_error(401, "log in to send the attacks saved on this phone")
        if current_user.user.role != "patient":
            return json_error(403, "only patient accounts keep a diary")
        try:
            return view(*args, **kwargs)
        except TrackerError as exc:
            db_session().rollback()
            status = 409 if isinstance(exc, ConflictError) else (
                404 if isinstance(exc, NotFoundError) else 400)
            return json_error(status, exc.message, exc.field)

    return wrapped


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker, served from the root so that its scope is the whole site."""
    response = send_file(STATIC / "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # a new version is picked up at once
    return response


@bp.get("/offline")
def offline_page() -> ResponseReturnValue:
    """The page the service worker shows when a page cannot be loaded: log or end an attack
    on the phone. It holds nothing personal (anyone may load it; the worker keeps a copy)."""
    return render_template("offline.html")


@bp.get("/offline/state")
@_patient_json
def queue_state() -> ResponseReturnValue:
    """What the queue needs before sending: a CSRF token and which account is logged in."""
    return _json({"csrf_token": generate_csrf(), "account": current_user.user.id})


def _instant(body: dict[str, Any], name: str, required: bool) -> datetime | None:
    """An ISO 8601 instant with offset from the body (the phone's clock at the tap)."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationError("expected an ISO 8601 date and time with offset", name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("expected an ISO 8601 date and time with offset", name) from exc
    if parsed.tzinfo is None:
        raise ValidationError("a date and time needs an offset", name)
    return parsed


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("send a JSON object", None)
    return body


def _json(data: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


def _shown(attack: Attack) -> dict[str, Any]:
    """The little the phone needs back: ids and instants (UTC)."""
    return {"id": attack.id, "client_id": attack.client_id,
            "started_at": attack.started_at.isoformat(),
            "ended_at": attack.ended_at.isoformat() if attack.ended_at else None}


@bp.post("/offline/attacks")
@_patient_json
def queue_create() -> ResponseReturnValue:
    """Store an attack logged on the phone: 201, or 200 with the one stored under its id."""
    body = _body()
    started = _instant(body, "started_at", required=True)
    data = AttackInput(started_at=started, ended_at=_instant(body, "ended_at", required=False))
    session = db_session()
    try:
        attack, created = record_attack_once(
            session, current_user.user, data, body.get(CLIENT_ID.name), source="web",
            replace_checkin=body.get("replace_checkin") is True)
    except CheckinClashError as exc:
        session.rollback()
        days = ", ".join(day_label(d) for d in exc.days)
        return json_error(409, f"{days} is marked headache-free; logging the attack changes "
                               "that check-in to not headache-free", "replace_checkin")
    session.commit()
    return _json(_shown(attack), 201 if created else 200)


@bp.post("/offline/attacks/end")
@_patient_json
def queue_end() -> ResponseReturnValue:
    """End an attack from the phone, by its device id or its server id; an attack that has
    ended already is answered as it is."""
    body = _body()
    ended = _instant(body, "ended_at", required=False)
    session = db_session()
    patient = current_user.user
    if body.get("attack_id") is not None:
        attack_id = body["attack_id"]
        if isinstance(attack_id, bool) or not isinstance(attack_id, int):
            raise ValidationError("expected a whole number", "attack_id")
        lock_patient_diary(session, patient.id)  # two sends of one end: the first one wins
        attack = end_once(session, patient, get_attack(session, patient, attack_id), ended)
    else:
        attack = end_by_client_id(session, patient, body.get(CLIENT_ID.name), ended)
    session.commit()
    return _json(_shown(attack))
