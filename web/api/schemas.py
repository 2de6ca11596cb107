"""One marshmallow schema per API resource, built from tracker's field rules.

Request parsing and validation (APIFlask's ``@bp.input``), response shaping (``@bp.output``)
and the OpenAPI document all come from these classes; the field rules themselves are declared
once in :mod:`tracker.diary.attack_input` and :mod:`tracker.diary.fields`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from tracker.diary.attack_input import ATTACK_RULES
from tracker.diary.attacks import CLIENT_ID
from tracker.diary.fields import (
    ATTACK_MEDICATION_RULES,
    CHECKIN_RULES,
    COURSE_RULES,
    DAY_BOUNDS,
    LOCATION_RULES,
    MEDICATION_RULES,
    REPLACE_CHECKIN,
    SHARE_CODE,
    FieldRule,
)
from tracker.models import PRESSURE_UNITS
from web.api.fields import REQUIRED, Day, DayBounds, Flag, Text, field_for
from web.api.report_schema import OperatorStatus, Report

#: The marshmallow message of an unknown member (the error hook names the member).
UNKNOWN = "unknown field"


class ApiSchema(Schema):
    """A closed JSON object: unknown members are refused (``additionalProperties: false``)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN, "type": "send a JSON object"}


def _schema(name: str, members: dict[str, fields.Field], doc: str = "") -> type[Schema]:
    """Return a schema class ``name`` with ``members`` (its name is the document's)."""
    cls = ApiSchema.from_dict(members, name=name)
    cls.__doc__ = doc or name
    return cls


def request_schema(name: str, rules: dict[str, FieldRule], patch: bool = False) -> type[Schema]:
    """Return the request schema of ``rules`` (PATCH: nothing required, no defaults)."""
    return _schema(name, {n: field_for(r, patch=patch) for n, r in rules.items()})


def response_members(rules: dict[str, FieldRule]) -> dict[str, fields.Field]:
    """Return the response fields of ``rules`` (every member present, nullable as declared)."""
    members = {}
    for name, rule in rules.items():
        field = field_for(rule, for_input=False)
        field.required = True
        members[name] = field
    return members


def _id() -> fields.Integer:
    return fields.Integer(required=True)


def _required(field: fields.Field) -> fields.Field:
    field.required = True
    return field


def list_schema(name: str, item: type[Schema]) -> type[Schema]:
    """Return the ``{"items": [...]}`` schema of a list of ``item``."""
    return _schema(name, {"items": fields.List(fields.Nested(item), required=True)})


class ErrorBody(ApiSchema):
    """The error: a message and the request field it is about (or null)."""

    message = fields.String(required=True)
    field = fields.String(required=True, allow_none=True,
                          metadata={"description": "The request field the error is about."})


class Error(ApiSchema):
    """The API's error document ``{"error": {"message", "field"}}``."""

    error = fields.Nested(ErrorBody, required=True)


#: The acute medication list (issue #16) and a medication taken for an attack.
MedicationInput = request_schema("MedicationInput", MEDICATION_RULES)
MedicationPatch = request_schema("MedicationPatch", MEDICATION_RULES, patch=True)
Medication = _schema("Medication", {
    "id": _id(), **response_members(MEDICATION_RULES),
    "uses": _required(fields.Integer(metadata={"description": "Attacks it was taken for."})),
})
MedicationList = list_schema("MedicationList", Medication)
AttackMedicationInput = request_schema("AttackMedicationInput", ATTACK_MEDICATION_RULES)
AttackMedication = _schema("AttackMedication", {
    **response_members(ATTACK_MEDICATION_RULES),
    "name": _required(fields.String()),
    "drug_class": _required(fields.String(validate=validate.OneOf(
        MEDICATION_RULES["drug_class"].choices))),
})
#: The member of an attack's request that lists its medications (by list entry).
MEDICATIONS = "medications"
#: The rules of an attack request that JSON Schema cannot state (for ``x-rules-beyond-schema``).
ATTACK_REQUEST_RULES = {**ATTACK_RULES, "medication_id": ATTACK_MEDICATION_RULES["medication_id"]}


def _medications_input(patch: bool) -> fields.Field:
    """The ``medications`` member of an attack request (PATCH: omitted keeps them)."""
    extra: dict[str, Any] = {} if patch else {"load_default": list}
    return fields.List(fields.Nested(AttackMedicationInput), metadata={"description": (
        "Acute medications taken, as entries of the medication list (`/medications`), each "
        "once; " + ("omitted: unchanged." if patch else "omitted: none."))}, **extra)


def attack_request(name: str, rules: dict[str, FieldRule], patch: bool = False
                   ) -> type[Schema]:
    """An attack request schema: the rules' fields and the ``medications`` list."""
    return _schema(name, {**{n: field_for(r, patch=patch) for n, r in rules.items()},
                          MEDICATIONS: _medications_input(patch)})


AttackInput = attack_request("AttackInput", ATTACK_RULES)
#: POST /attacks: the attack's fields plus the A1 confirmation for a headache-free day.
AttackCreate = attack_request("AttackCreate", {**ATTACK_RULES,
                                               REPLACE_CHECKIN.name: REPLACE_CHECKIN,
                                               CLIENT_ID.name: CLIENT_ID})
AttackPatch = attack_request("AttackPatch", ATTACK_RULES, patch=True)
Attack = _schema("Attack", {
    "id": _id(), **response_members(ATTACK_RULES),
    MEDICATIONS: _required(fields.List(fields.Nested(AttackMedication))),
    "source": _required(fields.String(validate=validate.OneOf(("web", "api", "import")))),
    CLIENT_ID.name: _required(fields.String(allow_none=True, metadata={
        "description": "The device's id given when the attack was logged, else null."})),
    "created_at": _required(fields.DateTime()),
    "updated_at": _required(fields.DateTime()),
})
AttackList = list_schema("AttackList", Attack)
#: POST /attacks/end: end the attack a device stored under its own id (idempotent).
AttackEnd = _schema("AttackEnd", {
    CLIENT_ID.name: field_for(replace(CLIENT_ID, required=True, nullable=False)),
    "ended_at": field_for(ATTACK_RULES["ended_at"]),
})
AttackRange = _schema("AttackRange", {
    "from": Day(validate=DayBounds(False), metadata={
        "description": f"First local day (inclusive) an attack starts on; {DAY_BOUNDS}."}),
    "to": Day(validate=DayBounds(False), metadata={
        "description": f"Last local day (inclusive) an attack starts on; {DAY_BOUNDS}."}),
})

CheckInInput = request_schema("CheckInInput", CHECKIN_RULES)
CheckIn = _schema("CheckIn", {"id": _id(), **response_members(CHECKIN_RULES)})
CheckInList = list_schema("CheckInList", CheckIn)

CourseInput = request_schema("CourseInput", COURSE_RULES)
Course = _schema("Course", {"id": _id(), **response_members(COURSE_RULES)})
CourseList = list_schema("CourseList", Course)

LocationInput = request_schema("LocationInput", LOCATION_RULES)
Location = _schema("Location", {"id": _id(), **response_members(LOCATION_RULES)})
LocationList = list_schema("LocationList", Location)

RedeemInput = request_schema("RedeemInput", {"code": SHARE_CODE})
Patient = _schema("Patient", {"id": _id(), "email": _required(fields.String()),
                              "name": _required(Text())})
PatientList = list_schema("PatientList", Patient)
ShareCode = _schema("ShareCode", {"id": _id(), "created_at": _required(fields.DateTime()),
                                  "expires_at": _required(fields.DateTime())})
ShareCodeList = list_schema("ShareCodeList", ShareCode)
Me = _schema("Me", {
    "id": _id(), "email": _required(fields.String()), "name": _required(Text()),
    "role": _required(fields.String(validate=validate.OneOf(("patient", "clinician",
                                                             "admin")))),
    "timezone": _required(fields.String(allow_none=True)),
    "pressure_unit": _required(fields.String(allow_none=True,
                                             validate=validate.OneOf(PRESSURE_UNITS))),
})
ReportQuery = _schema("ReportQuery", {
    "days": Flag(load_default=False, metadata={"description": "Include one row per day."}),
})

#: Every schema of the document, by name (for tests and the spec processor).
SCHEMAS: dict[str, Any] = {cls.__name__: cls for cls in (
    Error, AttackInput, AttackCreate, AttackPatch, Attack, AttackList, AttackEnd,
    MedicationInput, MedicationPatch, Medication, MedicationList, AttackMedicationInput,
    AttackMedication,
    CheckInInput, CheckIn,
    CheckInList, CourseInput, Course, CourseList, LocationInput, Location, LocationList,
    RedeemInput, Patient, PatientList, ShareCode, ShareCodeList, Me, Report, OperatorStatus)}

__all__ = ["REQUIRED", "SCHEMAS", "UNKNOWN"]
