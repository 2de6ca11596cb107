"""API: the patient's reminder e-mail choices (the same rules as the settings page)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields

from tracker.reminders import REMINDER_RULES, Preferences, get_preferences, save_preferences
from web.api.core import api_user, body, bp, operation, role
from web.api.schemas import _schema, request_schema, response_members
from web.db import db_session, settings

ReminderInput = request_schema("ReminderInput", REMINDER_RULES)
Reminders = _schema("Reminders", {
    **response_members(REMINDER_RULES),
    "available": fields.Boolean(required=True, metadata={
        "description": "Whether this installation can send e-mail (false: nothing is sent "
                       "until its operator sets it up)."}),
})
_WHAT = ("Patient accounts only (others get 403). Both reminders are off until turned on; "
         "times are local to the patient's timezone.")


def _shown(prefs: Preferences) -> dict[str, Any]:
    return {**prefs.as_dict(), "available": settings().mail.enabled}


@bp.get("/reminders")
@operation("getReminders", "My reminder e-mail choices", description=_WHAT)
@role("patient")
@bp.output(Reminders, description="The choices.")
def reminders_get() -> ResponseReturnValue:
    """Return the patient's reminder choices."""
    return _shown(get_preferences(db_session(), api_user()))


@bp.put("/reminders")
@operation("putReminders", "Replace my reminder e-mail choices", errors=(400,),
           description=f"{_WHAT} Omitted members take their defaults. Without e-mail on this "
           "installation the choices are stored, `available` is false and nothing is sent.")
@role("patient")
@body(ReminderInput)
@bp.output(Reminders, description="The stored choices.")
def reminders_put(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Store the patient's reminder choices."""
    session = db_session()
    prefs = save_preferences(session, api_user(), Preferences(**json_data))
    session.commit()
    return _shown(prefs)
