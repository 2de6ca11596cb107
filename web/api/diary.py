"""API: the patient's own attacks, check-ins, treatment courses and location periods."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.typing import ResponseReturnValue

from web.api.core import (
    ApiError,
    api_user,
    body,
    bp,
    no_content,
    ok,
    parse_bool,
    parse_day,
    parse_instant,
    parse_int,
    parse_number,
    parse_str,
    query_day,
    role,
)
from web.db import db_session

ATTACK_FIELDS = ("started_at", "ended_at", "kind", "intensity", "aura", "medication",
                 "medication_helped", "threat", "expected_weather", "notes")
COURSE_FIELDS = ("kind", "started_on", "ended_on", "sessions", "notes")
CHECKIN_FIELDS = ("day", "headache_free", "note")
LOCATION_FIELDS = ("starts_on", "latitude", "longitude", "timezone", "label")


def _zone() -> ZoneInfo:
    return ZoneInfo(api_user().profile.timezone)


def attack_json(attack: Any, zone: ZoneInfo) -> dict[str, Any]:
    """Return an attack as the API shows it (instants with the patient's local offset)."""
    return {
        "id": attack.id,
        "started_at": attack.started_at.astimezone(zone).isoformat(),
        "ended_at": attack.ended_at.astimezone(zone).isoformat() if attack.ended_at else None,
        "kind": attack.kind,
        "intensity": attack.intensity,
        "aura": bool(attack.aura),
        "medication": attack.medication or "",
        "medication_helped": attack.medication_helped,
        "threat": attack.threat,
        "expected_weather": attack.expected_weather,
        "notes": attack.notes or "",
        "source": attack.source,
        "created_at": attack.created_at.isoformat(),
        "updated_at": attack.updated_at.isoformat(),
    }


def _apply_attack(data: dict[str, Any], base: Any) -> Any:
    """Copy the JSON members present in ``data`` onto the AttackInput ``base``."""
    parsers = {
        "started_at": lambda v, f: parse_instant(v, f),
        "ended_at": lambda v, f: parse_instant(v, f, nullable=True),
        "kind": parse_str,
        "intensity": parse_int,
        "aura": lambda v, f: parse_bool(v, f),
        "medication": parse_str,
        "medication_helped": lambda v, f: parse_bool(v, f, nullable=True),
        "threat": parse_int,
        "expected_weather": lambda v, f: parse_bool(v, f, nullable=True),
        "notes": parse_str,
    }
    for name, value in data.items():
        setattr(base, name, parsers[name](value, name))
    return base


@bp.get("/attacks")
@role("patient")
def attacks_list() -> ResponseReturnValue:
    """List the patient's attacks that start on local days ``from``..``to`` (inclusive)."""
    from tracker.diary.attacks import list_attacks
    from tracker.diary.validation import check_day

    zone = _zone()
    first, last = query_day("from"), query_day("to")
    start = end = None
    if first is not None:
        start = datetime.combine(check_day(first, "from"), time(0), zone)
    if last is not None:
        end = datetime.combine(check_day(last, "to") + timedelta(days=1), time(0), zone)
    items = list_attacks(db_session(), api_user(), start=start, end=end)
    return ok({"items": [attack_json(a, zone) for a in items]})


@bp.post("/attacks")
@role("patient")
def attacks_create() -> ResponseReturnValue:
    """Log an attack (validated by the same code as the pages)."""
    from tracker.diary.attack_input import AttackInput
    from tracker.diary.attacks import record_attack

    data = body(ATTACK_FIELDS, required=("started_at",))
    attack_input = _apply_attack(data, AttackInput(started_at=parse_instant(
        data["started_at"], "started_at")))
    session = db_session()
    attack = record_attack(session, api_user(), attack_input, source="api")
    session.commit()
    return ok(attack_json(attack, _zone()), 201)


@bp.get("/attacks/<id:attack_id>")
@role("patient")
def attacks_read(attack_id: int) -> ResponseReturnValue:
    """Return one of the patient's attacks."""
    from tracker.diary.attacks import get_attack

    return ok(attack_json(get_attack(db_session(), api_user(), attack_id), _zone()))


@bp.route("/attacks/<id:attack_id>", methods=["PUT", "PATCH"])
@role("patient")
def attacks_update(attack_id: int) -> ResponseReturnValue:
    """Replace (PUT: omitted fields take their defaults) or change (PATCH) an attack."""
    from flask import request

    from tracker.diary.attack_input import AttackInput
    from tracker.diary.attacks import attack_input, get_attack, update_attack

    session = db_session()
    attack = get_attack(session, api_user(), attack_id)
    if request.method == "PUT":
        data = body(ATTACK_FIELDS, required=("started_at",))
        base = AttackInput(started_at=parse_instant(data["started_at"], "started_at"))
    else:
        data = body(ATTACK_FIELDS)
        base = attack_input(attack)
    updated = update_attack(session, api_user(), attack.id, _apply_attack(data, base))
    session.commit()
    return ok(attack_json(updated, _zone()))


@bp.delete("/attacks/<id:attack_id>")
@role("patient")
def attacks_delete(attack_id: int) -> ResponseReturnValue:
    """Delete one of the patient's attacks."""
    from tracker.diary.attacks import delete_attack

    session = db_session()
    delete_attack(session, api_user(), attack_id)
    session.commit()
    return no_content()


def checkin_json(checkin: Any) -> dict[str, Any]:
    """Return a check-in as the API shows it."""
    return {"id": checkin.id, "day": checkin.day.isoformat(),
            "headache_free": bool(checkin.headache_free), "note": checkin.note or ""}


@bp.get("/checkins")
@role("patient")
def checkins_list() -> ResponseReturnValue:
    """List the patient's check-ins, oldest first."""
    from tracker.diary.checkins import list_checkins

    return ok({"items": [checkin_json(c) for c in list_checkins(db_session(), api_user())]})


@bp.post("/checkins")
@role("patient")
def checkins_create() -> ResponseReturnValue:
    """Record (or replace) the check-in of a local day; today when ``day`` is omitted."""
    from tracker.diary.checkins import record_checkin
    from tracker.diary.profile import local_today

    data = body(CHECKIN_FIELDS)
    patient = api_user()
    day = parse_day(data.get("day"), "day", nullable=True) or local_today(
        patient.profile.timezone)
    headache_free = parse_bool(data.get("headache_free", True), "headache_free")
    note = parse_str(data.get("note", ""), "note")
    session = db_session()
    checkin = record_checkin(session, patient, day, headache_free=bool(headache_free), note=note)
    session.commit()
    return ok(checkin_json(checkin), 201)


@bp.delete("/checkins/<id:checkin_id>")
@role("patient")
def checkins_delete(checkin_id: int) -> ResponseReturnValue:
    """Delete a check-in."""
    from tracker.diary.checkins import delete_checkin

    session = db_session()
    delete_checkin(session, api_user(), checkin_id)
    session.commit()
    return no_content()


def course_json(course: Any) -> dict[str, Any]:
    """Return a treatment course as the API shows it."""
    return {
        "id": course.id, "kind": course.kind, "started_on": course.started_on.isoformat(),
        "ended_on": course.ended_on.isoformat() if course.ended_on else None,
        "sessions": course.sessions, "notes": course.notes or "",
    }


def _course_args() -> dict[str, Any]:
    data = body(COURSE_FIELDS, required=("started_on",))
    return {
        "started_on": parse_day(data["started_on"], "started_on"),
        "ended_on": parse_day(data.get("ended_on"), "ended_on", nullable=True),
        "kind": parse_str(data.get("kind", "PRT"), "kind"),
        "sessions": parse_int(data.get("sessions"), "sessions"),
        "notes": parse_str(data.get("notes", ""), "notes"),
    }


@bp.get("/courses")
@role("patient")
def courses_list() -> ResponseReturnValue:
    """List the patient's treatment courses, earliest first."""
    from tracker.diary.courses import list_courses

    return ok({"items": [course_json(c) for c in list_courses(db_session(), api_user())]})


@bp.post("/courses")
@role("patient")
def courses_create() -> ResponseReturnValue:
    """Add a treatment course (PRT by default)."""
    from tracker.diary.courses import record_course

    args = _course_args()
    session = db_session()
    course = record_course(session, api_user(), **args)
    session.commit()
    return ok(course_json(course), 201)


@bp.get("/courses/<id:course_id>")
@role("patient")
def courses_read(course_id: int) -> ResponseReturnValue:
    """Return one treatment course."""
    from tracker.diary.courses import get_course

    return ok(course_json(get_course(db_session(), api_user(), course_id)))


@bp.put("/courses/<id:course_id>")
@role("patient")
def courses_update(course_id: int) -> ResponseReturnValue:
    """Replace a treatment course (omitted fields take their defaults)."""
    from tracker.diary.courses import get_course, update_course

    session = db_session()
    get_course(session, api_user(), course_id)
    course = update_course(session, api_user(), course_id, **_course_args())
    session.commit()
    return ok(course_json(course))


@bp.delete("/courses/<id:course_id>")
@role("patient")
def courses_delete(course_id: int) -> ResponseReturnValue:
    """Delete a treatment course."""
    from tracker.diary.courses import delete_course

    session = db_session()
    delete_course(session, api_user(), course_id)
    session.commit()
    return no_content()


def location_json(period: Any) -> dict[str, Any]:
    """Return a location period as the API shows it."""
    return {"id": period.id, "starts_on": period.starts_on.isoformat(),
            "latitude": period.latitude, "longitude": period.longitude,
            "timezone": period.timezone, "label": period.label or ""}


@bp.get("/locations")
@role("patient")
def locations_list() -> ResponseReturnValue:
    """List the patient's location periods, oldest first (the first is home)."""
    from tracker.diary.profile import list_location_periods

    items = list_location_periods(db_session(), api_user())
    return ok({"items": [location_json(p) for p in items]})


@bp.post("/locations")
@role("patient")
def locations_create() -> ResponseReturnValue:
    """Record where the patient is from ``starts_on`` on (replaces a period of the same day)."""
    from tracker.diary.profile import add_location_period

    data = body(LOCATION_FIELDS, required=("starts_on", "latitude", "longitude", "timezone"))
    session = db_session()
    period = add_location_period(
        session, api_user(),
        starts_on=parse_day(data["starts_on"], "starts_on"),
        latitude=parse_number(data["latitude"], "latitude"),
        longitude=parse_number(data["longitude"], "longitude"),
        timezone=parse_str(data["timezone"], "timezone"),
        label=parse_str(data.get("label", ""), "label"),
    )
    session.commit()
    return ok(location_json(period), 201)


@bp.delete("/locations/<id:period_id>")
@role("patient")
def locations_delete(period_id: int) -> ResponseReturnValue:
    """Delete a location period."""
    from tracker.diary.profile import delete_location_period

    session = db_session()
    delete_location_period(session, api_user(), period_id)
    session.commit()
    return no_content()


__all__ = ["ApiError", "attack_json"]
