"""The OpenAPI 3 document of the JSON API, served at /api/openapi.json (written by hand)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from flask import Blueprint, Response, jsonify

from tracker.diary.attack_input import FUTURE_TOLERANCE
from tracker.diary.validation import DAY_REGEX, MAX_DAY, MIN_DAY, timezone_names

bp = Blueprint("openapi", __name__)

MAX_ID = 2**31 - 1


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _list_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": _ref(name)}},
    }


DATE = {"type": "string", "format": "date", "example": "2026-03-01"}
DATETIME = {"type": "string", "format": "date-time", "example": "2026-03-01T07:30:00+01:00"}
SCALE = {"type": "integer", "minimum": 0, "maximum": 10}

# Request values: the day bounds of tracker.diary.validation as a pattern, so that every date a
# client can build from the document is one the API accepts (responses keep DATE/DATETIME).
_BOUNDS = f"between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}"
DATE_IN = {**DATE, "pattern": f"^{DAY_REGEX}$", "description": f"A date {_BOUNDS}."}
DATETIME_IN = {
    **DATETIME,
    "pattern": f"^{DAY_REGEX}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?"
               "(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$",
    "description": f"An RFC 3339 date and time with an offset, on a local date {_BOUNDS}.",
}
_FUTURE = f"in the future (up to {int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes of " \
          "clock skew are accepted)"


def _text(max_length: int, pattern: str = "^[^\\u0000]*$") -> dict[str, Any]:
    """Return the schema of free text in a request (tracker.validation.check_text: no NUL)."""
    return {"type": "string", "maxLength": max_length, "pattern": pattern, "default": ""}


def _with(schema: dict[str, Any], rule: str) -> dict[str, Any]:
    """Return ``schema`` with ``rule`` added to its description."""
    return {**schema, "description": f"{schema['description']} {rule}"}


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    """Return request properties as a response shows them (no defaults or input patterns)."""
    return {name: {key: val for key, val in prop.items()
                   if key not in ("default", "pattern", "minLength")}
            for name, prop in props.items()}


#: Rules JSON Schema cannot state (they compare two fields, or a value with the clock), by
#: operation: request field -> rule. Listed in each operation's description and, machine
#: readable, as ``x-rules-beyond-schema``; a request that keeps to the schema is refused
#: (400, naming the field) only for one of these.
_ATTACK_RULES = {"started_at": f"Not {_FUTURE}.",
                 "ended_at": f"Not before started_at, and not {_FUTURE}."}
_COURSE_RULES = {"ended_on": "Not before started_on."}
_CHECKIN_RULES = {"day": "Not in the future (the patient's local date)."}
NUM = _nullable({"type": "number"})
INTERVAL = {
    "type": "object",
    "required": ["estimate", "ci_low", "ci_high"],
    "additionalProperties": False,
    "properties": {"estimate": NUM, "ci_low": NUM, "ci_high": NUM},
}
TESTED = {
    "type": "object",
    "required": ["estimate", "ci_low", "ci_high", "p_value"],
    "additionalProperties": False,
    "properties": {"estimate": NUM, "ci_low": NUM, "ci_high": NUM, "p_value": NUM},
}
FINDING = {
    "type": "object",
    "required": ["code", "text"],
    "additionalProperties": False,
    "properties": {"code": {"type": "string"}, "text": {"type": "string"}},
}
_PERIOD_INTS = (
    "covered_days", "migraine_days", "weather_linked_days", "non_weather_days",
    "unclassified_days", "window_days", "nonwindow_days", "onsets_window",
    "at_risk_window_days", "onsets_nonwindow", "at_risk_nonwindow_days",
    "migraine_window_days", "migraine_nonwindow_days",
)
_PERIOD_NUMS = ("mmd", "weather_linked_mmd", "non_weather_mmd", "attributable_mmd",
                "pressure_coverage")
PERIOD = {
    "type": "object",
    "additionalProperties": False,
    "required": ["start", "end", *_PERIOD_INTS, *_PERIOD_NUMS, "exposure_rate_ratio"],
    "properties": {
        "start": DATE,
        "end": _nullable(DATE),
        **{name: {"type": "integer", "minimum": 0} for name in _PERIOD_INTS},
        **{name: NUM for name in _PERIOD_NUMS},
        "exposure_rate_ratio": INTERVAL,
    },
}
_TRI = _nullable({"type": "boolean"})
DAY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["date", "period", "covered", "migraine_day", "headache_day", "onset",
                 "at_risk", "max_fall_24h_hpa", "pressure_coverage", "exposure", "window",
                 "classification"],
    "properties": {
        "date": DATE,
        "period": _nullable({"type": "string", "enum": ["baseline", "treatment", "followup"]}),
        "covered": {"type": "boolean"},
        "migraine_day": {"type": "boolean"},
        "headache_day": {"type": "boolean"},
        "onset": {"type": "boolean"},
        "at_risk": {"type": "boolean"},
        "max_fall_24h_hpa": NUM,
        "pressure_coverage": NUM,
        "exposure": _TRI,
        "window": _TRI,
        "classification": _nullable({"type": "string"}),
    },
}
REPORT = {
    "type": "object",
    "description": "The report contract `migraine-weather/report/v1` (docs/method.md).",
    "additionalProperties": False,
    "required": ["schema", "generated_at", "config", "course", "periods", "comparison",
                 "findings", "warnings"],
    "properties": {
        "schema": {"type": "string", "enum": ["migraine-weather/report/v1"]},
        "generated_at": DATETIME,
        "config": {
            "type": "object",
            "additionalProperties": False,
            "required": ["drop_threshold_hpa", "window_hours", "lag_days",
                         "min_pressure_coverage", "baseline_days", "followup_days",
                         "pressure_variable"],
            "properties": {
                "drop_threshold_hpa": {"type": "number"},
                "window_hours": {"type": "integer"},
                "lag_days": {"type": "integer"},
                "min_pressure_coverage": {"type": "number"},
                "baseline_days": {"type": "integer"},
                "followup_days": {"type": "integer"},
                "pressure_variable": {"type": "string"},
            },
        },
        "course": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind", "started_on", "ended_on"],
            "properties": {"kind": {"type": "string"}, "started_on": DATE, "ended_on": DATE},
        },
        "periods": {
            "type": "object",
            "additionalProperties": False,
            "required": ["baseline", "treatment", "followup"],
            "properties": {"baseline": PERIOD, "treatment": PERIOD, "followup": PERIOD},
        },
        "comparison": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mmd_change", "mmd_change_pct", "responder_50", "rate_ratio",
                         "ratio_of_rate_ratios", "sensitivity_ratio"],
            "properties": {
                "mmd_change": NUM,
                "mmd_change_pct": NUM,
                "responder_50": _nullable({"type": "boolean"}),
                "rate_ratio": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["all", "weather_linked", "non_weather"],
                    "properties": {"all": INTERVAL, "weather_linked": INTERVAL,
                                   "non_weather": INTERVAL},
                },
                "ratio_of_rate_ratios": TESTED,
                "sensitivity_ratio": TESTED,
            },
        },
        "findings": {"type": "array", "items": FINDING},
        "warnings": {"type": "array", "items": FINDING},
        "days": {"type": "array", "items": DAY, "description": "Only with `?days=true`."},
    },
}

_ATTACK_INPUT_PROPS: dict[str, Any] = {
    "started_at": _with(DATETIME_IN, _ATTACK_RULES["started_at"]),
    "ended_at": _nullable(_with(DATETIME_IN, "Empty while ongoing. "
                                + _ATTACK_RULES["ended_at"])),
    "kind": {"type": "string", "enum": ["migraine", "headache"], "default": "migraine"},
    "intensity": _nullable({**SCALE, "description": "Peak intensity 0-10."}),
    "aura": {"type": "boolean", "default": False},
    "medication": _text(200),
    "medication_helped": _nullable({"type": "boolean"}),
    "threat": _nullable({**SCALE, "description": "How threatening it felt, 0-10."}),
    "expected_weather": _nullable({"type": "boolean", "description":
                                   "Did the patient expect it because of the weather?"}),
    "notes": _text(5000),
}
_COURSE_INPUT_PROPS: dict[str, Any] = {
    "kind": {**_text(40, "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"), "minLength": 1,
             "default": "PRT"},
    "started_on": DATE_IN,
    "ended_on": _nullable(_with(DATE_IN, "Empty while ongoing. " + _COURSE_RULES["ended_on"])),
    "sessions": _nullable({"type": "integer", "minimum": 0, "maximum": 500}),
    "notes": _text(5000),
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["message", "field"],
            "additionalProperties": False,
            "properties": {
                "message": {"type": "string"},
                "field": _nullable({"type": "string",
                                    "description": "The request field the error is about."}),
            },
        }},
    },
    "Me": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "email", "name", "role", "timezone", "pressure_unit"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string", "enum": ["patient", "clinician", "admin"]},
            "timezone": _nullable({"type": "string"}),
            "pressure_unit": _nullable({"type": "string",
                                        "enum": ["hPa", "inHg", "mmHg", "kPa"]}),
        },
    },
    "Patient": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "email", "name"],
        "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                       "name": {"type": "string"}},
    },
    "PatientList": _list_of("Patient"),
    "ShareCode": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "created_at", "expires_at"],
        "properties": {"id": {"type": "integer"}, "created_at": DATETIME,
                       "expires_at": DATETIME},
    },
    "ShareCodeList": _list_of("ShareCode"),
    "RedeemInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code"],
        "properties": {"code": {"type": "string", "maxLength": 40,
                                "description": "The share code, e.g. ABCDE-FGH23."}},
    },
    "AttackInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["started_at"],
        "properties": _ATTACK_INPUT_PROPS,
    },
    "AttackPatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": _ATTACK_INPUT_PROPS,
    },
    "Attack": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", *_ATTACK_INPUT_PROPS, "source", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            **_plain(_ATTACK_INPUT_PROPS),
            "source": {"type": "string", "enum": ["web", "api", "import"]},
            "created_at": DATETIME,
            "updated_at": DATETIME,
        },
    },
    "AttackList": _list_of("Attack"),
    "CheckInInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "day": _with(DATE_IN, "The local date; today when omitted. "
                         + _CHECKIN_RULES["day"]),
            "headache_free": {"type": "boolean", "default": True},
            "note": _text(2000),
        },
    },
    "CheckIn": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "day", "headache_free", "note"],
        "properties": {"id": {"type": "integer"}, "day": DATE,
                       "headache_free": {"type": "boolean"}, "note": {"type": "string"}},
    },
    "CheckInList": _list_of("CheckIn"),
    "CourseInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["started_on"],
        "properties": _COURSE_INPUT_PROPS,
    },
    "Course": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", *_COURSE_INPUT_PROPS],
        "properties": {"id": {"type": "integer"},
                       **_plain(_COURSE_INPUT_PROPS)},
    },
    "CourseList": _list_of("Course"),
    "LocationInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["starts_on", "latitude", "longitude", "timezone"],
        "properties": {
            "starts_on": DATE_IN,
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Oslo.",
                         "example": "Europe/Oslo", "enum": timezone_names()},
            "label": _text(120),
        },
    },
    "Location": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "starts_on", "latitude", "longitude", "timezone", "label"],
        "properties": {
            "id": {"type": "integer"},
            "starts_on": DATE,
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "timezone": {"type": "string"},
            "label": {"type": "string"},
        },
    },
    "LocationList": _list_of("Location"),
    "Report": REPORT,
    "OperatorStatus": {
        "type": "object",
        "description": "Weather pulls per grid cell in use, gaps in the last 7 days and the "
                       "last run of each scheduled job (docs/operations.md).",
        "required": ["generated_at", "gap_window", "cells_in_use", "cells", "cells_with_gaps",
                     "jobs"],
        "properties": {
            "generated_at": DATETIME,
            "gap_window": {
                "type": "object",
                "required": ["start", "end", "hours"],
                "properties": {"start": DATETIME, "end": DATETIME, "hours": {"type": "integer"}},
            },
            "cells_in_use": {"type": "integer", "minimum": 0},
            "cells": {"type": "array", "items": {
                "type": "object",
                "required": ["cell_id", "latitude", "longitude", "last_pull_at",
                             "missing_hours_7d"],
                "properties": {
                    "cell_id": _nullable({"type": "integer"}),
                    "latitude": {"type": "number"},
                    "longitude": {"type": "number"},
                    "last_pull_at": _nullable(DATETIME),
                    "last_error_at": _nullable(DATETIME),
                    "last_error": _nullable({"type": "string"}),
                    "missing_hours_7d": {"type": "integer", "minimum": 0},
                    "gap_ranges_7d": {"type": "array", "items": {
                        "type": "array", "items": _nullable(DATETIME)}},
                },
            }},
            "cells_with_gaps": {"type": "array", "items": {"type": "object"}},
            "jobs": {"type": "object", "additionalProperties": {
                "type": "object",
                "required": ["status", "started_at", "finished_at", "last_ok_at"],
                "properties": {
                    "run_id": {"type": "integer"},
                    "status": {"type": "string"},
                    "started_at": _nullable(DATETIME),
                    "finished_at": _nullable(DATETIME),
                    "duration_seconds": NUM,
                    "cells_done": _nullable({"type": "integer"}),
                    "cells_failed": _nullable({"type": "integer"}),
                    "rows_written": _nullable({"type": "integer"}),
                    "error": _nullable({"type": "string"}),
                    "last_ok_at": _nullable(DATETIME),
                },
            }},
        },
    },
}

_ERRORS = {
    400: "Invalid request: a bad value, a missing field or an unknown one (`field` names it).",
    401: "No token, or an unknown or revoked one.",
    403: "The account's role may not use this operation.",
    404: "No such record, or not visible to this account.",
    409: "The change clashes with stored data (e.g. an overlapping attack).",
    429: "Too many attempts in the last hour; try again later.",
}


def _error(code: int) -> dict[str, Any]:
    return {"description": _ERRORS[code],
            "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": f"The {what}'s id.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _op(op_id: str, summary: str, tag: str, ok: dict[str, Any], errors: tuple[int, ...],
        *, by_role: bool = True, rules: dict[str, str] | None = None,
        **extra: Any) -> dict[str, Any]:
    responses: dict[str, Any] = dict(ok)
    for code in (401, *((403,) if by_role else ()), *errors):
        responses[str(code)] = _error(code)
    if rules:
        listed = " ".join(f"`{name}`: {rule}" for name, rule in rules.items())
        extra["description"] = (f"{extra.get('description', '')} Rules beyond the schema "
                                f"(400 naming the field): {listed}").strip()
        extra["x-rules-beyond-schema"] = dict(rules)
    return {"operationId": op_id, "summary": summary, "tags": [tag], **extra,
            "responses": dict(sorted(responses.items()))}


_DELETED = {"204": {"description": "Deleted."}}
_PATIENT = "Patient accounts only (others get 403)."

PATHS: dict[str, Any] = {
    "/api/v1/me": {"get": _op("getMe", "The account the token belongs to", "account",
                              {"200": _json("The account.", "Me")}, (), by_role=False)},
    "/api/v1/attacks": {
        "get": _op("listAttacks", "List attacks (optionally by local start day)", "attacks",
                   {"200": _json("Attacks, oldest first.", "AttackList")}, (400,),
                   description=_PATIENT, parameters=[
                       {"name": "from", "in": "query", "required": False, "schema": DATE_IN,
                        "description": "First local day (inclusive) an attack starts on."},
                       {"name": "to", "in": "query", "required": False, "schema": DATE_IN,
                        "description": "Last local day (inclusive) an attack starts on."},
                   ]),
        "post": _op("createAttack", "Log an attack", "attacks",
                    {"201": _json("The stored attack.", "Attack")}, (400, 409),
                    rules=_ATTACK_RULES, description=_PATIENT, requestBody=_body("AttackInput")),
    },
    "/api/v1/attacks/{attack_id}": {
        "parameters": [_id("attack_id", "attack")],
        "get": _op("getAttack", "Read an attack", "attacks",
                   {"200": _json("The attack.", "Attack")}, (404,), description=_PATIENT),
        "put": _op("replaceAttack", "Replace an attack (omitted fields take their defaults)",
                   "attacks", {"200": _json("The stored attack.", "Attack")},
                   (400, 404, 409), rules=_ATTACK_RULES, description=_PATIENT,
                   requestBody=_body("AttackInput")),
        "patch": _op("updateAttack", "Change some fields of an attack (e.g. set ended_at)",
                     "attacks", {"200": _json("The stored attack.", "Attack")},
                     (400, 404, 409), rules=_ATTACK_RULES, description=_PATIENT,
                     requestBody=_body("AttackPatch")),
        "delete": _op("deleteAttack", "Delete an attack", "attacks", _DELETED, (404,),
                      description=_PATIENT),
    },
    "/api/v1/checkins": {
        "get": _op("listCheckIns", "List check-ins", "check-ins",
                   {"200": _json("Check-ins, oldest first.", "CheckInList")}, (),
                   description=_PATIENT),
        "post": _op("createCheckIn", "Record a check-in (replaces that day's check-in)",
                    "check-ins", {"201": _json("The stored check-in.", "CheckIn")}, (400,),
                    rules=_CHECKIN_RULES, description=_PATIENT, requestBody=_body("CheckInInput")),
    },
    "/api/v1/checkins/{checkin_id}": {
        "parameters": [_id("checkin_id", "check-in")],
        "delete": _op("deleteCheckIn", "Delete a check-in (with none left, the diary is "
                      "assumed complete again)", "check-ins", _DELETED, (404,),
                      description=_PATIENT),
    },
    "/api/v1/courses": {
        "get": _op("listCourses", "List treatment courses", "courses",
                   {"200": _json("Courses, earliest first.", "CourseList")}, (),
                   description=_PATIENT),
        "post": _op("createCourse", "Add a treatment course", "courses",
                    {"201": _json("The stored course.", "Course")}, (400,),
                    rules=_COURSE_RULES, description=_PATIENT, requestBody=_body("CourseInput")),
    },
    "/api/v1/courses/{course_id}": {
        "parameters": [_id("course_id", "course")],
        "get": _op("getCourse", "Read a treatment course", "courses",
                   {"200": _json("The course.", "Course")}, (404,), description=_PATIENT),
        "put": _op("replaceCourse", "Replace a treatment course", "courses",
                   {"200": _json("The stored course.", "Course")}, (400, 404),
                   rules=_COURSE_RULES, description=_PATIENT, requestBody=_body("CourseInput")),
        "delete": _op("deleteCourse", "Delete a treatment course", "courses", _DELETED,
                      (404,), description=_PATIENT),
    },
    "/api/v1/locations": {
        "get": _op("listLocations", "List location periods (the first is home)", "locations",
                   {"200": _json("Location periods, oldest first.", "LocationList")}, (),
                   description=_PATIENT),
        "post": _op("createLocation", "Add a location period (replaces one on the same day)",
                    "locations", {"201": _json("The stored period.", "Location")}, (400,),
                    description=_PATIENT, requestBody=_body("LocationInput")),
    },
    "/api/v1/locations/{period_id}": {
        "parameters": [_id("period_id", "location period")],
        "delete": _op("deleteLocation", "Delete a location period", "locations", _DELETED,
                      (404,), description=_PATIENT),
    },
    "/api/v1/sharing/codes": {
        "get": _op("listShareCodes", "My unused share codes (the codes are shown only once, on "
                   "the Sharing page)", "sharing",
                   {"200": _json("Unused share codes, newest first.", "ShareCodeList")}, (),
                   description=_PATIENT),
    },
    "/api/v1/sharing/codes/{code_id}": {
        "parameters": [_id("code_id", "share code")],
        "delete": _op("revokeShareCode", "Revoke an unused share code", "sharing",
                      {"204": {"description": "Revoked."}}, (404,), description=_PATIENT),
    },
    "/api/v1/sharing/redeem": {
        "post": _op("redeemShareCode", "Redeem a patient's share code", "sharing",
                    {"201": _json("The patient now on my list.", "Patient")}, (400, 429),
                    description="Clinician accounts only. Attempts are limited per account "
                                "and per address (429 when over).",
                    requestBody=_body("RedeemInput")),
    },
    "/api/v1/patients": {
        "get": _op("listPatients", "The patients who share their diary with me", "patients",
                   {"200": _json("Linked patients.", "PatientList")}, (),
                   description="Clinician accounts only."),
    },
    "/api/v1/patients/{patient_id}/report": {
        "parameters": [_id("patient_id", "patient")],
        "get": _op("getReport", "A patient's report (report v1 JSON)", "patients",
                   {"200": _json("The report.", "Report")}, (400, 404),
                   description="The patient themself or a linked clinician (the view is "
                               "written to the patient's audit log). 404 when the patient is "
                               "not visible or has no treatment course yet.",
                   parameters=[{"name": "days", "in": "query", "required": False,
                                "schema": {"type": "boolean", "default": False},
                                "description": "Include one row per day."}]),
    },
    "/api/v1/patients/{patient_id}/export/{kind}": {
        "parameters": [
            _id("patient_id", "patient"),
            {"name": "kind", "in": "path", "required": True,
             "description": "attacks (the import format), daily (one row per day), pressure "
                            "(hourly, UTC, hPa) or summary (the report as rows).",
             "schema": {"type": "string", "enum": ["attacks", "daily", "pressure", "summary"]}},
        ],
        "get": _op("exportCsv", "A CSV export of a patient's data", "patients",
                   {"200": {"description": "CSV text (formula-escaped cells).",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}},
                   (400, 404),
                   description="The patient themself or a linked clinician (written to the "
                               "patient's audit log). 404 when the patient is not visible, or "
                               "a report-based export is asked before any treatment course."),
    },
    "/api/v1/admin/status": {
        "get": _op("getOperatorStatus", "Operator status (admin accounts only)", "admin",
                   {"200": _json("The status.", "OperatorStatus")}, (),
                   description="Admin accounts only (others get 403)."),
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "migraine-weather API",
        "version": "1.0.0",
        "description": "A patient's diary (attacks, check-ins, treatment courses, locations) "
                       "and reports. Send a personal access token (created on the /tokens "
                       "page) as `Authorization: Bearer <token>`. Not medical advice.",
        "license": {"name": "MIT"},
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "A personal access token (mwt_...)."}},
        "schemas": SCHEMAS,
    },
}


def document() -> dict[str, Any]:
    """Return a copy of the OpenAPI document."""
    return deepcopy(DOCUMENT)


@bp.get("/api/openapi.json")
def openapi_json() -> Response:
    """Serve the OpenAPI document (public: it describes the API, not anyone's data)."""
    return jsonify(document())
