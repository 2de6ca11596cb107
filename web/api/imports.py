"""API: import a past diary in the same steps as the page (issue #14).

``POST /imports`` (multipart: the file, its format, timezone and column mapping) keeps the
file server side and answers with its id and preview; ``GET /imports/{upload}`` reads the
preview again; ``POST /imports/{upload}/confirm`` stores it (all or nothing, with the
proposed places chosen by their first day); ``DELETE /imports/{upload}`` forgets it. The
steps are :mod:`tracker.diary.uploads`, shared with the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask.fields import File
from flask import request
from flask.typing import ResponseReturnValue
from marshmallow import fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.clock import utcnow
from tracker.diary.attacks_csv import CSVImportError
from tracker.diary.fields import FieldRule
from tracker.diary.imports import FORMAT_CHOICES, ImportOptions
from tracker.diary.imports.mapped import ColumnMapping
from tracker.diary.uploads import (
    cancel_upload,
    confirm_upload,
    get_upload,
    preview_upload,
    size_label,
    store_upload,
)
from tracker.diary.validation import timezone_names
from tracker.errors import TrackerError
from tracker.places import zone_at_coordinates
from web.api.core import ApiError, api_user, body, bp, found, no_content, operation, role
from web.api.fields import Day
from web.api.schemas import ApiSchema
from web.db import db_session, settings

_PATIENT = "Patient accounts only (others get 403)."
_TOO_LARGE = {413: "The file is larger than the site's limit (`[web] import_max_mb`)."}

#: What a request may be refused for although it keeps to the schema (400 naming the field).
RULES = {
    "file": FieldRule("file", "text", beyond_schema=(
        "Not empty; at most the site's limit (`[web] import_max_mb`, 413 beyond). A file "
        "that cannot be read is stored and its preview lists the problems.")),
    "mapping": FieldRule("mapping", "text", beyond_schema=(
        "A JSON object with the column mapping: `start` (required), `start_time`, `end`, "
        "`duration`, `intensity`, `intensity_max`, `kind`, `medication`, `notes`, "
        "`date_format`, `keep_other_columns`.")),
}
CONFIRM_RULES = {
    "locations": FieldRule("locations", "text", beyond_schema=(
        "Each day is the `starts_on` of a place the preview proposes.")),
    "file": FieldRule("file", "text", beyond_schema=(
        "The file has no problem left (the preview lists them by line).")),
}

ImportUploadInput = ApiSchema.from_dict({
    "file": File(required=True, metadata={"description": "The diary file (CSV)."}),
    "format": fields.String(load_default="auto", validate=validate.OneOf(FORMAT_CHOICES),
                            metadata={"description": "`auto` detects it from the header."}),
    "timezone": fields.String(validate=validate.OneOf(timezone_names()), metadata={
        "description": "For times without an offset; the patient's own when omitted."}),
    "mapping": fields.String(metadata={
        "description": "For format `mapped`: the column mapping as a JSON object."}),
}, name="ImportUploadInput")

ImportConfirm = ApiSchema.from_dict({
    "locations": fields.List(Day(), load_default=list, metadata={
        "description": "The proposed places to add, by their first day (YYYY-MM-DD)."}),
}, name="ImportConfirm")

ImportProblem = ApiSchema.from_dict({
    "line": fields.Integer(required=True), "field": fields.String(allow_none=True),
    "message": fields.String(required=True),
}, name="ImportProblem")

ImportLocation = ApiSchema.from_dict({
    "starts_on": fields.String(required=True), "latitude": fields.Float(required=True),
    "longitude": fields.Float(required=True), "timezone": fields.String(required=True),
    "line": fields.Integer(required=True), "attacks": fields.Integer(required=True),
}, name="ImportLocation")

ImportRow = ApiSchema.from_dict({
    "line": fields.Integer(required=True), "started_at": fields.String(required=True),
    "ended_at": fields.String(allow_none=True), "zone": fields.String(),
    "kind": fields.String(), "intensity": fields.Integer(allow_none=True),
    "aura": fields.Boolean(allow_none=True), "medication": fields.String(),
    "medication_helped": fields.Boolean(allow_none=True),
    "threat": fields.Integer(allow_none=True),
    "expected_weather": fields.Boolean(allow_none=True), "notes": fields.String(),
    "triggers": fields.String(),
}, name="ImportRow")

ImportSummary = ApiSchema.from_dict({
    "format": fields.String(required=True), "format_label": fields.String(),
    "encoding": fields.String(), "timezone": fields.String(required=True),
    "date_format": fields.String(allow_none=True),
    "attacks": fields.Integer(required=True), "new": fields.Integer(required=True),
    "duplicates": fields.Integer(required=True),
    "checked_against_stored": fields.Boolean(),
    "first_day": fields.String(allow_none=True), "last_day": fields.String(allow_none=True),
    "problems": fields.List(fields.Nested(ImportProblem), required=True),
    "warnings": fields.List(fields.String()),
    "locations": fields.List(fields.Nested(ImportLocation), required=True),
    "rows": fields.List(fields.Nested(ImportRow), required=True),
}, name="ImportSummary")

ImportPreview = ApiSchema.from_dict({
    "id": fields.String(required=True), "filename": fields.String(required=True),
    "expires_at": fields.String(required=True),
    "options": fields.Dict(required=True),
    "ready": fields.Boolean(required=True, metadata={
        "description": "Whether it can be confirmed (no problem left)."}),
    "needs_mapping": fields.Boolean(required=True, metadata={
        "description": "The columns match no known format: upload again with a mapping."}),
    "columns": fields.List(fields.String(), required=True),
    "preview": fields.Nested(ImportSummary, required=True, allow_none=True),
    "problems": fields.List(fields.Nested(ImportProblem), required=True, metadata={
        "description": "Why the file could not be read at all (else see preview)."}),
}, name="ImportPreview")

ImportDone = ApiSchema.from_dict({
    "added": fields.Integer(required=True), "duplicates": fields.Integer(required=True),
    "locations_added": fields.Integer(required=True),
}, name="ImportDone")


def _limited(view: Callable) -> Callable:
    """Allow this request's body up to the import limit; refuse a larger one with 413
    before it is read."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        limit = settings().web.import_max_mb * 2**20
        request.max_content_length = limit
        try:
            request.form  # noqa: B018 - parse now, inside the limit
        except RequestEntityTooLarge as exc:
            raise ApiError(413, f"the file is larger than {size_label(limit)}; export a "
                                "shorter period or split the file", "file") from exc
        return view(*args, **kwargs)

    return wrapped


def _mapping(raw: str | None) -> ColumnMapping | None:
    """The mapping form field (a JSON object), or None."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError
        return ColumnMapping.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "send the mapping as a JSON object of column names",
                       "mapping") from exc
    except TrackerError as exc:
        raise ApiError(400, exc.message, "mapping") from exc


def _preview(upload: str) -> dict[str, Any]:
    return preview_upload(db_session(), api_user(), upload, now=utcnow(),
                          zone_at=zone_at_coordinates).to_dict()


@bp.post("/imports")
@operation("createImport", "Upload a diary file and preview its import", errors=(400,),
           description=f"{_PATIENT} Nothing is stored in the diary until it is confirmed; "
           "the file is kept until then, or until `[web] import_preview_minutes` pass.",
           rules=RULES, responses=_TOO_LARGE)
@role("patient")
@_limited
@bp.input(ImportUploadInput, location="form_and_files")
@bp.output(ImportPreview, status_code=201, description="The upload's id and its preview.")
def imports_create(form_and_files_data: dict[str, Any]) -> ResponseReturnValue:
    """Keep an uploaded file and answer with its preview."""
    data = form_and_files_data
    session = db_session()
    try:
        options = ImportOptions(format=data["format"], timezone=data.get("timezone"),
                                mapping=_mapping(data.get("mapping")),
                                grid_degrees=settings().weather.grid_degrees)
    except CSVImportError as exc:
        raise ApiError(400, exc.errors[0].message, exc.errors[0].field) from exc
    upload = data["file"]
    stored = store_upload(session, api_user(), upload.read(), options,
                          filename=upload.filename or "",
                          max_bytes=settings().web.import_max_mb * 2**20,
                          preview_minutes=settings().web.import_preview_minutes)
    session.commit()
    return _preview(stored.id), 201


@bp.get("/imports/<upload>")
@operation("getImport", "Read an upload's preview", errors=(404,), description=_PATIENT)
@role("patient")
@bp.output(ImportPreview, description="The preview.")
def imports_read(upload: str) -> ResponseReturnValue:
    """The preview of one of the patient's uploads."""
    return _preview(upload)


@bp.post("/imports/<upload>/confirm")
@operation("confirmImport", "Store an upload's new attacks (all or nothing)",
           errors=(400, 404), description=f"{_PATIENT} Attacks already in the diary (same "
           "start) are skipped; the first location then covers the earliest imported day; "
           "the upload is deleted.", rules=CONFIRM_RULES)
@role("patient")
@found(get_upload, "upload")
@body(ImportConfirm)
@bp.output(ImportDone, description="What was stored.")
def imports_confirm(upload: str, json_data: dict[str, Any]) -> ResponseReturnValue:
    """Confirm an upload: every new attack and the chosen places, or nothing."""
    session = db_session()
    try:
        result = confirm_upload(session, api_user(), upload,
                                locations=[d.isoformat() for d in json_data["locations"]],
                                now=utcnow(), zone_at=zone_at_coordinates)
    except CSVImportError as exc:
        raise ApiError(400, exc.message, "file") from exc
    session.commit()
    return {"added": result.added, "duplicates": result.duplicates,
            "locations_added": result.locations_added}


@bp.delete("/imports/<upload>")
@operation("deleteImport", "Discard an upload without storing it", errors=(404,),
           description=_PATIENT)
@role("patient")
@bp.output({}, status_code=204, description="Deleted.")
def imports_delete(upload: str) -> ResponseReturnValue:
    """Forget one of the patient's uploads."""
    session = db_session()
    cancel_upload(session, api_user(), upload)
    session.commit()
    return no_content()
