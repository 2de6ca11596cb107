"""API: the patient's own attacks, check-ins, treatment courses and location periods.

Bodies are parsed and validated by the schemas of :mod:`web.api.schemas` (built from tracker's
field rules); the domain functions then apply the rules that compare fields or the clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apiflask.views import MethodView
from flask import request
from flask.typing import ResponseReturnValue

from tracker.diary.attack_input import ATTACK_RULES, AttackInput
from tracker.diary.attacks import (
    CLIENT_ID,
    attack_input,
    delete_attack,
    end_by_client_id,
    get_attack,
    list_attacks,
    record_attack,
    record_attack_once,
    update_attack,
)
from tracker.diary.checkins import delete_checkin, list_checkins, record_checkin
from tracker.diary.courses import (
    delete_course,
    get_course,
    list_courses,
    record_course,
    update_course,
)
from tracker.diary.day_clash import CheckinClashError, day_label
from tracker.diary.fields import CHECKIN_RULES, COURSE_RULES, REPLACE_CHECKIN
from tracker.diary.profile import (
    add_location_period,
    delete_location_period,
    list_location_periods,
    local_today,
)
from tracker.errors import ConflictError, ValidationError
from web.api import schemas
from web.api.core import api_user, body, bp, found, no_content, operation, role
from web.api.medications import attack_medications, store_attack_medications
from web.db import db_session

_PATIENT = "Patient accounts only (others get 403)."
_DELETED = {"status_code": 204, "description": "Deleted."}


def _zone() -> ZoneInfo:
    return ZoneInfo(api_user().profile.timezone)


def local_attack(attack: Any, zone: ZoneInfo, medications: list[dict] | None = None
                 ) -> dict[str, Any]:
    """Return an attack's members with its instants in the patient's local offset (and its
    medications: given, or read now)."""
    shown = {name: getattr(attack, name) for name in schemas.Attack().fields
             if name != schemas.MEDICATIONS}
    shown[schemas.MEDICATIONS] = (medications if medications is not None else
                                  attack_medications(db_session(), [attack.id])[attack.id])
    shown["started_at"] = attack.started_at.astimezone(zone)
    shown["ended_at"] = attack.ended_at.astimezone(zone) if attack.ended_at else None
    return shown


@bp.get("/attacks")
@operation("listAttacks", "List attacks (optionally by local start day)", errors=(400,),
           description=_PATIENT)
@role("patient")
@bp.input(schemas.AttackRange, location="query")
@bp.output(schemas.AttackList, description="Attacks, oldest first.")
def attacks_list(query_data: dict[str, Any]) -> ResponseReturnValue:
    """List the patient's attacks that start on local days ``from``..``to`` (inclusive)."""
    zone = _zone()
    first, last = query_data.get("from"), query_data.get("to")
    start = None if first is None else datetime.combine(first, time(0), zone)
    end = None if last is None else datetime.combine(last + timedelta(days=1), time(0), zone)
    items = list_attacks(db_session(), api_user(), start=start, end=end)
    meds = attack_medications(db_session(), [a.id for a in items])
    return {"items": [local_attack(a, zone, meds[a.id]) for a in items]}


#: The header that may carry a create's idempotency key instead of ``client_id``.
IDEMPOTENCY_HEADER = "Idempotency-Key"


@bp.post("/attacks")
@operation("createAttack", "Log an attack", errors=(400, 409), description=(
    f"{_PATIENT} An attack on a day with a headache-free check-in gets 409 unless "
    "`replace_checkin` is true; that check-in then becomes not headache-free. Idempotent with "
    f"a device id: `client_id` in the body, or the `{IDEMPOTENCY_HEADER}` header (the same "
    "value if both are sent). A repeated create with an id already stored for this patient "
    "answers 200 with the stored attack (as it is now) and stores nothing."),
    rules=schemas.ATTACK_REQUEST_RULES,
    responses={200: "The attack stored under this `client_id` already."})
@role("patient")
@body(schemas.AttackCreate)
@bp.output(schemas.Attack, status_code=201, description="The stored attack.")
def attacks_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Log an attack (validated by the same code as the pages), once per device id."""
    session = db_session()
    replace = json_data.pop(REPLACE_CHECKIN.name)
    medications = json_data.pop(schemas.MEDICATIONS)
    client_id = _client_id(json_data.pop(CLIENT_ID.name, None))
    patient = api_user()
    try:
        if client_id is None:
            attack, created = record_attack(session, patient, AttackInput(**json_data),
                                            source="api", replace_checkin=replace), True
        else:
            attack, created = record_attack_once(session, patient, AttackInput(**json_data),
                                                 client_id, source="api",
                                                 replace_checkin=replace)
    except CheckinClashError as exc:
        listed = ", ".join(day_label(d) for d in exc.days)
        raise ConflictError(
            f"{listed} has a headache-free check-in; send replace_checkin: true to log the "
            "attack and change that check-in to not headache-free", REPLACE_CHECKIN.name,
        ) from exc
    if created:
        store_attack_medications(session, patient, attack, medications)
    session.commit()
    return local_attack(attack, _zone()), 201 if created else 200


def _client_id(in_body: str | None) -> str | None:
    """The create's device id: the body's ``client_id`` or the Idempotency-Key header."""
    header = request.headers.get(IDEMPOTENCY_HEADER)
    if header is not None and in_body is not None and header != in_body:
        raise ValidationError(f"the {IDEMPOTENCY_HEADER} header and client_id differ",
                              CLIENT_ID.name)
    return in_body if in_body is not None else header


@bp.post("/attacks/end")
@operation("endAttackByClientId", "End the attack stored under a device id (idempotent)",
           errors=(400, 404, 409), description=(
               f"{_PATIENT} Sets `ended_at` (default: now) of the attack logged with this "
               "`client_id`. An attack that has an end already is answered as it is, so a "
               "retried send changes nothing."), rules={"ended_at": ATTACK_RULES["ended_at"]})
@role("patient")
@body(schemas.AttackEnd)
@bp.output(schemas.Attack, description="The attack, ended.")
def attacks_end(json_data: dict[str, Any]) -> ResponseReturnValue:
    """End the attack a device logged under its own id; repeating it changes nothing."""
    session = db_session()
    attack = end_by_client_id(session, api_user(), json_data[CLIENT_ID.name],
                              json_data.get("ended_at"))
    session.commit()
    return local_attack(attack, _zone())


@bp.get("/attacks/<id:attack_id>")
@operation("getAttack", "Read an attack", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output(schemas.Attack, description="The attack.")
def attacks_read(attack_id: int) -> ResponseReturnValue:
    """Return one of the patient's attacks."""
    return local_attack(get_attack(db_session(), api_user(), attack_id), _zone())


def _store_attack(attack_id: int, changes: dict[str, Any], replace: bool) -> dict[str, Any]:
    """Replace (omitted fields take their defaults) or change an attack; return it as shown."""
    session = db_session()
    attack = get_attack(session, api_user(), attack_id)
    medications = changes.pop(schemas.MEDICATIONS, None)
    base = AttackInput(**changes) if replace else attack_input(attack)
    for name, value in changes.items():
        setattr(base, name, value)
    updated = update_attack(session, api_user(), attack.id, base)
    store_attack_medications(session, api_user(), updated, medications)
    session.commit()
    return local_attack(updated, _zone())


class AttackUpdate(MethodView):
    """PUT replaces an attack, PATCH changes some of its fields."""

    decorators = [role("patient")]

    @operation("replaceAttack", "Replace an attack (omitted fields take their defaults)",
               errors=(400, 404, 409), description=_PATIENT, rules=schemas.ATTACK_REQUEST_RULES)
    @found(get_attack, "attack_id")
    @body(schemas.AttackInput)
    @bp.output(schemas.Attack, description="The stored attack.")
    def put(self, attack_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
        """Replace an attack; omitted fields take their defaults."""
        return _store_attack(attack_id, json_data, replace=True)

    @operation("updateAttack", "Change some fields of an attack (e.g. set ended_at)",
               errors=(400, 404, 409), description=_PATIENT, rules=schemas.ATTACK_REQUEST_RULES)
    @found(get_attack, "attack_id")
    @body(schemas.AttackPatch)
    @bp.output(schemas.Attack, description="The stored attack.")
    def patch(self, attack_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
        """Change the given fields of an attack; the others stay."""
        return _store_attack(attack_id, json_data, replace=False)


bp.add_url_rule("/attacks/<id:attack_id>", view_func=AttackUpdate.as_view("attacks_update"),
                methods=["PUT", "PATCH"])


@bp.delete("/attacks/<id:attack_id>")
@operation("deleteAttack", "Delete an attack", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def attacks_delete(attack_id: int) -> ResponseReturnValue:
    """Delete one of the patient's attacks."""
    session = db_session()
    delete_attack(session, api_user(), attack_id)
    session.commit()
    return no_content()


@bp.get("/checkins")
@operation("listCheckIns", "List check-ins", description=_PATIENT)
@role("patient")
@bp.output(schemas.CheckInList, description="Check-ins, oldest first.")
def checkins_list() -> ResponseReturnValue:
    """List the patient's check-ins, oldest first."""
    return {"items": list_checkins(db_session(), api_user())}


@bp.post("/checkins")
@operation("createCheckIn", "Record a check-in (replaces that day's check-in)",
           errors=(400, 409), description=f"{_PATIENT} A headache-free check-in on a day with "
           "an attack gets 409 (field `headache_free`).", rules=CHECKIN_RULES)
@role("patient")
@body(schemas.CheckInInput)
@bp.output(schemas.CheckIn, status_code=201, description="The stored check-in.")
def checkins_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Record (or replace) the check-in of a local day; today when ``day`` is omitted."""
    patient = api_user()
    day = json_data.get("day") or local_today(patient.profile.timezone)
    session = db_session()
    checkin = record_checkin(session, patient, day, headache_free=json_data["headache_free"],
                             note=json_data["note"])
    session.commit()
    return checkin


@bp.delete("/checkins/<id:checkin_id>")
@operation("deleteCheckIn", "Delete a check-in (with none left, the diary is assumed complete "
           "again)", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def checkins_delete(checkin_id: int) -> ResponseReturnValue:
    """Delete a check-in."""
    session = db_session()
    delete_checkin(session, api_user(), checkin_id)
    session.commit()
    return no_content()


@bp.get("/courses")
@operation("listCourses", "List treatment courses", description=_PATIENT)
@role("patient")
@bp.output(schemas.CourseList, description="Courses, earliest first.")
def courses_list() -> ResponseReturnValue:
    """List the patient's treatment courses, earliest first."""
    return {"items": list_courses(db_session(), api_user())}


@bp.post("/courses")
@operation("createCourse", "Add a treatment course", errors=(400,), description=_PATIENT,
           rules=COURSE_RULES)
@role("patient")
@body(schemas.CourseInput)
@bp.output(schemas.Course, status_code=201, description="The stored course.")
def courses_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Add a treatment course (PRT by default)."""
    session = db_session()
    course = record_course(session, api_user(), **json_data)
    session.commit()
    return course


@bp.get("/courses/<id:course_id>")
@operation("getCourse", "Read a treatment course", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output(schemas.Course, description="The course.")
def courses_read(course_id: int) -> ResponseReturnValue:
    """Return one treatment course."""
    return get_course(db_session(), api_user(), course_id)


@bp.put("/courses/<id:course_id>")
@operation("replaceCourse", "Replace a treatment course", errors=(400, 404),
           description=_PATIENT, rules=COURSE_RULES)
@role("patient")
@found(get_course, "course_id")
@body(schemas.CourseInput)
@bp.output(schemas.Course, description="The stored course.")
def courses_update(course_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
    """Replace a treatment course (omitted fields take their defaults)."""
    session = db_session()
    course = update_course(session, api_user(), course_id, **json_data)
    session.commit()
    return course


@bp.delete("/courses/<id:course_id>")
@operation("deleteCourse", "Delete a treatment course", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def courses_delete(course_id: int) -> ResponseReturnValue:
    """Delete a treatment course."""
    session = db_session()
    delete_course(session, api_user(), course_id)
    session.commit()
    return no_content()


@bp.get("/locations")
@operation("listLocations", "List location periods (the first is home)", description=_PATIENT)
@role("patient")
@bp.output(schemas.LocationList, description="Location periods, oldest first.")
def locations_list() -> ResponseReturnValue:
    """List the patient's location periods, oldest first (the first is home)."""
    return {"items": list_location_periods(db_session(), api_user())}


@bp.post("/locations")
@operation("createLocation", "Add a location period (replaces one on the same day)",
           errors=(400,), description=_PATIENT)
@role("patient")
@body(schemas.LocationInput)
@bp.output(schemas.Location, status_code=201, description="The stored period.")
def locations_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Record where the patient is from ``starts_on`` on (replaces a period of the same day)."""
    session = db_session()
    period = add_location_period(session, api_user(), **json_data)
    session.commit()
    return period


@bp.delete("/locations/<id:period_id>")
@operation("deleteLocation", "Delete a location period", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output({}, **_DELETED)
def locations_delete(period_id: int) -> ResponseReturnValue:
    """Delete a location period."""
    session = db_session()
    delete_location_period(session, api_user(), period_id)
    session.commit()
    return no_content()
