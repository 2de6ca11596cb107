"""Undo a deletion for a few minutes, without a schema change.

The deleted row's fields travel in the answer to the delete: a signed, time-stamped token in
the Undo form of that page (``itsdangerous``, keyed by the app's secret). Nothing is kept in a
cookie (signed, not encrypted) or a URL (history, access logs); nothing is kept on the server,
so several workers need no shared store. The token names its patient and expires after
UNDO_MINUTES; restoring goes through the same domain functions as a new entry (diary lock,
validation, overlap and check-in rules), so an undo can never store what a form could not.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from tracker.diary.attack_input import ATTACK_FIELDS, AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.checkins import record_checkin
from tracker.diary.courses import record_course
from tracker.diary.locks import lock_patient_diary
from tracker.diary.medications import (
    Taken,
    list_medications,
    medications_of,
    set_attack_medications,
)
from tracker.errors import ValidationError
from tracker.models import Attack, CheckIn, TreatmentCourse, User

#: How long a deleted entry can be restored from the page that confirms its deletion.
UNDO_MINUTES = 10
_SALT = "mw-undo-v1"
_INSTANTS = ("started_at", "ended_at")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def undo_token(patient: User, row: Attack | CheckIn | TreatmentCourse) -> str:
    """Return the signed token that restores ``row`` (call it before deleting the row)."""
    if isinstance(row, Attack):
        kind, names = "attack", (*ATTACK_FIELDS, "source")
    elif isinstance(row, CheckIn):
        kind, names = "checkin", ("day", "headache_free", "note")
    else:
        kind, names = "course", ("started_on", "ended_on", "kind", "sessions", "notes")
    fields = {name: _json(getattr(row, name)) for name in names}
    if isinstance(row, Attack):  # its medications (issue #16): [id, doses, helped] each
        fields["medications"] = [[r.medication_id, r.doses, r.helped] for r in
                                 medications_of(object_session(row), [row.id])[row.id]]
    return _serializer().dumps({"u": patient.id, "k": kind, "f": fields})


def _load(patient: User, token: str) -> dict[str, Any]:
    """Return the payload of a valid, unexpired token of ``patient``, or raise."""
    try:
        payload = _serializer().loads(token or "", max_age=UNDO_MINUTES * 60)
    except SignatureExpired as exc:
        raise ValidationError(f"an entry can be restored for {UNDO_MINUTES} minutes only",
                              "token") from exc
    except BadSignature as exc:
        raise ValidationError("this undo link is not valid", "token") from exc
    if not isinstance(payload, dict) or payload.get("u") != patient.id:
        raise ValidationError("this undo link is not valid", "token")
    return payload


def restore(session: Session, patient: User, token: str) -> str:
    """Store the deleted entry of ``token`` again; return what was restored, in words.

    Restoring twice does not store a second copy: an entry that is already back is reported
    as such. Raises ValidationError (bad or expired token) or the domain's own refusals.
    """
    payload = _load(patient, token)
    fields = payload["f"]
    lock_patient_diary(session, patient.id)  # the duplicate check and the insert: one step
    if payload["k"] == "attack":
        return _restore_attack(session, patient, fields)
    if payload["k"] == "checkin":
        return _restore_checkin(session, patient, fields)
    return _restore_course(session, patient, fields)


def _restore_attack(session: Session, patient: User, fields: dict[str, Any]) -> str:
    values = {n: fields[n] for n in ATTACK_FIELDS}
    for name in _INSTANTS:
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    data = AttackInput(**values)
    same = select(Attack.id).where(Attack.patient_id == patient.id,
                                   Attack.started_at == data.started_at)
    if session.scalar(same) is None:
        attack = record_attack(session, patient, data, source=fields["source"])
        kept = {m.id for m in list_medications(session, patient)}  # an entry may be gone
        set_attack_medications(session, patient, attack, [
            Taken(*m) for m in fields.get("medications", []) if m[0] in kept])
    return "attack"


def _restore_checkin(session: Session, patient: User, fields: dict[str, Any]) -> str:
    day = date.fromisoformat(fields["day"])
    there = session.scalar(select(CheckIn).where(CheckIn.patient_id == patient.id,
                                                 CheckIn.day == day))
    if there is None:
        record_checkin(session, patient, day, headache_free=bool(fields["headache_free"]),
                       note=fields["note"] or "")
    elif (there.headache_free, there.note) != (fields["headache_free"], fields["note"]):
        raise ValidationError(f"{day.isoformat()} has a newer check-in; it stays as it is",
                              "token")
    return "check-in"


def _restore_course(session: Session, patient: User, fields: dict[str, Any]) -> str:
    started = date.fromisoformat(fields["started_on"])
    ended = date.fromisoformat(fields["ended_on"]) if fields["ended_on"] else None
    same = select(TreatmentCourse.id).where(
        TreatmentCourse.patient_id == patient.id, TreatmentCourse.started_on == started,
        TreatmentCourse.kind == fields["kind"])
    if session.scalar(same) is None:
        record_course(session, patient, started_on=started, ended_on=ended,
                      kind=fields["kind"], sessions=fields["sessions"],
                      notes=fields["notes"] or "")
    return "treatment course"
