"""API of the PRT practice log, period days, attack trigger tags and the optional diary parts
(issue #16, points 4-5); patients only, like the rest of the diary."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields, validate

from tracker.diary.attacks import get_attack
from tracker.diary.clinical_terms import TRIGGER_TAGS
from tracker.diary.cycle import (
    CYCLE_RULES,
    list_cycle_days,
    mark_cycle_day,
    unmark_cycle_day,
)
from tracker.diary.practice import (
    PRACTICE_RULES,
    WORRY,
    delete_practice,
    list_practice,
    record_practice,
)
from tracker.diary.profile import local_today
from tracker.diary.triggers import set_tracking, set_triggers
from tracker.errors import NotFoundError
from web.api.core import api_user, body, bp, found, no_content, operation, role
from web.api.fields import Day, DayBounds, Flag
from web.api.schemas import _schema, list_schema, request_schema, response_members
from web.db import db_session

_PATIENT = "Patient accounts only (others get 403)."
_DELETED = {"status_code": 204, "description": "Deleted."}

PracticeInput = request_schema("PracticeInput", PRACTICE_RULES)
Practice = _schema("Practice", {"id": fields.Integer(required=True),
                                **response_members(PRACTICE_RULES)})
PracticeList = list_schema("PracticeList", Practice)
PracticeRange = _schema("PracticeRange", {
    "from": Day(validate=DayBounds(False), metadata={"description": "First local day."}),
    "to": Day(validate=DayBounds(False), metadata={"description": "Last local day."}),
})
CycleDayInput = _schema("CycleDayInput", {
    "day": Day(validate=DayBounds(False), load_default=None,
               metadata={"description": "The local date; today when omitted. Not in the "
                                        "future."}),
})
CycleDays = _schema("CycleDays", {"items": fields.List(Day(), required=True)})


def _tags_field() -> fields.Field:
    return fields.List(
        fields.String(validate=validate.OneOf(TRIGGER_TAGS)), allow_none=True,
        required=True, metadata={"description": "Trigger tags the patient gave, or null "
                                 "when not given; [] means none of these."})


TriggersInput = _schema("TriggersInput", {"triggers": _tags_field()})
Triggers = _schema("Triggers", {"attack_id": fields.Integer(required=True),
                                "triggers": _tags_field()})
DiaryOptions = _schema("DiaryOptions", {
    "tracks_triggers": Flag(load_default=None, allow_none=True,
                            metadata={"description": "Trigger tags on attacks (default off)."}),
    "tracks_cycle": Flag(load_default=None, allow_none=True,
                         metadata={"description": "Period days (default off)."}),
})


@bp.get("/practice")
@operation("listPractice", "List practice entries (optionally by local day)", errors=(400,),
           description=_PATIENT)
@role("patient")
@bp.input(PracticeRange, location="query")
@bp.output(PracticeList, description="Practice entries, oldest first.")
def practice_list(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List the patient's practice entries from ``from`` to ``to`` (inclusive)."""
    return {"items": list_practice(db_session(), api_user(), query_data.get("from"),
                                   query_data.get("to"))}


@bp.post("/practice")
@operation("recordPractice", "Record a day's practice (replaces that day's entry)",
           errors=(400,), description=_PATIENT, rules=PRACTICE_RULES)
@role("patient")
@body(PracticeInput)
@bp.output(Practice, status_code=201, description="The stored entry.")
def practice_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Record (or replace) one local day's practice; today when ``day`` is omitted."""
    patient = api_user()
    day = json_data.pop("day", None) or local_today(patient.profile.timezone)
    worry = json_data.pop(WORRY, None)
    session = db_session()
    row = record_practice(session, patient, day, json_data, worry)
    session.commit()
    return row


@bp.delete("/practice/<id:entry_id>")
@operation("deletePractice", "Delete a practice entry", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def practice_delete(entry_id: int) -> ResponseReturnValue:
    """Delete one practice entry."""
    session = db_session()
    delete_practice(session, api_user(), entry_id)
    session.commit()
    return no_content()


@bp.get("/cycle-days")
@operation("listCycleDays", "List period days", description=_PATIENT)
@role("patient")
@bp.output(CycleDays, description="Local dates, oldest first.")
def cycle_list() -> ResponseReturnValue:
    """The patient's period days."""
    return {"items": list_cycle_days(db_session(), api_user())}


@bp.post("/cycle-days")
@operation("markCycleDay", "Mark a period day (marking twice keeps one)", errors=(400,),
           description=_PATIENT, rules=CYCLE_RULES)
@role("patient")
@body(CycleDayInput)
@bp.output(CycleDays, status_code=201, description="All period days after the change.")
def cycle_mark(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Mark a local day (today when omitted) as a period day."""
    patient = api_user()
    session = db_session()
    mark_cycle_day(session, patient, json_data.get("day") or local_today(
        patient.profile.timezone))
    session.commit()
    return {"items": list_cycle_days(session, patient)}


@bp.delete("/cycle-days/<day>")
@operation("unmarkCycleDay", "Remove a period day", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def cycle_unmark(day: str) -> ResponseReturnValue:
    """Remove a period day (404 when it is not marked or not a date)."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise NotFoundError(f"{day!r} is not a marked day", "day") from exc
    session = db_session()
    unmark_cycle_day(session, api_user(), parsed)
    session.commit()
    return no_content()


@bp.get("/attacks/<id:attack_id>/triggers")
@operation("getAttackTriggers", "An attack's trigger tags", errors=(404,),
           description=_PATIENT)
@role("patient")
@bp.output(Triggers, description="The attack's tags (null: not given).")
def triggers_get(attack_id: int) -> ResponseReturnValue:
    """An attack's trigger tags."""
    attack = get_attack(db_session(), api_user(), attack_id)
    return {"attack_id": attack.id, "triggers": attack.triggers}


@bp.put("/attacks/<id:attack_id>/triggers")
@operation("setAttackTriggers", "Set an attack's trigger tags", errors=(400, 404),
           description=f"{_PATIENT} Stored whether or not trigger tracking is turned on; the "
           "report counts them only while it is on.")
@role("patient")
@found(get_attack, "attack_id")
@body(TriggersInput)
@bp.output(Triggers, description="The attack's tags, in the vocabulary's order.")
def triggers_put(attack_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
    """Replace an attack's trigger tags (null: not given)."""
    session = db_session()
    attack = set_triggers(session, api_user(), attack_id, json_data["triggers"])
    session.commit()
    return {"attack_id": attack.id, "triggers": attack.triggers}


@bp.patch("/diary-options")
@operation("setDiaryOptions", "Turn trigger tags or period days on or off", errors=(400,),
           description=_PATIENT)
@role("patient")
@body(DiaryOptions)
@bp.output(DiaryOptions, description="The options now.")
def options_patch(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Change the optional diary parts; a member left out (or null) stays as it is."""
    patient = api_user()
    session = db_session()
    set_tracking(session, patient, triggers=json_data.get("tracks_triggers"),
                 cycle=json_data.get("tracks_cycle"))
    session.commit()
    return {"tracks_triggers": patient.profile.tracks_triggers,
            "tracks_cycle": patient.profile.tracks_cycle}
