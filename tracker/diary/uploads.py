"""An uploaded diary file between its upload and the patient's confirmation (issue #14).

The page (``/import``) and the API (``/api/v1/imports``) share these steps:

1. :func:`store_upload` keeps the file's bytes and the reading options in ``import_uploads``
   (server side, never in the cookie) under a random 43-character id, until
   ``[web] import_preview_minutes`` have passed.
2. :func:`preview_upload` reads it into an :class:`~tracker.diary.imports.ImportPlan`
   (never writes) each time it is shown; :func:`set_upload_options` changes how it is read
   (the format, the timezone, the column mapping).
3. :func:`confirm_upload` stores every new attack and the places the patient ticked (all or
   nothing), moves the first location period back to the earliest imported day, writes the
   audit event and forgets the file; :func:`cancel_upload` forgets it without storing.

An upload that expired, or belongs to someone else, is "not found" (the same as a missing
one, so ids cannot be probed). Functions flush, never commit: the caller owns the
transaction and rolls it back on any error.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.accounts.audit import record_event
from tracker.clock import utcnow
from tracker.diary.attacks_csv import CSVImportError
from tracker.diary.imports import (
    ImportOptions,
    ImportPlan,
    ImportResult,
    UnknownFormatError,
    apply_plan,
    plan_import,
)
from tracker.diary.imports.detect import first_record
from tracker.diary.imports.parse import ZoneAt, decode_import
from tracker.diary.profile import add_location_period, list_location_periods, require_patient
from tracker.errors import NotFoundError, ValidationError
from tracker.models import ImportUpload, LocationPeriod, User

#: The audit log's action for a confirmed import.
AUDIT_ACTION = "diary_imported"
#: The longest file name kept (the column's length).
FILENAME_LENGTH = 200
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class UploadTooLargeError(ValidationError):
    """The file is larger than the configured limit (``field`` is ``file``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        super().__init__(f"the file is larger than {size_label(max_bytes)}; export a shorter "
                         "period or split the file", "file")


def size_label(max_bytes: int) -> str:
    """A byte limit in words ("10 MB", or "512 KB" below a megabyte)."""
    if max_bytes >= 2**20:
        return f"{max_bytes / 2**20:g} MB"
    return f"{max(1, max_bytes // 1024)} KB"


@dataclass
class UploadPreview:
    """What a preview shows: the upload, and the plan or why the file could not be read.

    ``plan`` is None when the file cannot be read at all (``error``); ``needs_mapping`` is
    true when its columns match no format we know, so the patient maps them (``columns``
    are the file's header cells).
    """

    upload: ImportUpload
    options: ImportOptions
    plan: ImportPlan | None
    error: CSVImportError | None
    columns: list[str]

    @property
    def needs_mapping(self) -> bool:
        """Whether the file can only be read through a column mapping."""
        return isinstance(self.error, UnknownFormatError) or (
            self.options.format == "mapped" and self.plan is None)

    def to_dict(self, rows: int = 20) -> dict[str, object]:
        """Return the preview as JSON-ready values (the API's answer)."""
        upload = self.upload
        problems = [] if self.error is None else [
            {"line": e.line, "field": e.field, "message": e.message} for e in self.error.errors]
        return {
            "id": upload.id, "filename": upload.filename,
            "expires_at": upload.expires_at.isoformat(),
            "options": self.options.to_dict(), "ready": self.plan is not None and self.plan.ok,
            "needs_mapping": self.needs_mapping, "columns": self.columns,
            "preview": self.plan.summary(rows) if self.plan is not None else None,
            "problems": problems,
        }


def expire_uploads(session: Session, now: datetime | None = None) -> int:
    """Delete every upload whose time is up; return how many."""
    now = now or utcnow()
    result = session.execute(delete(ImportUpload).where(ImportUpload.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def store_upload(
    session: Session, patient: User, data: bytes, options: ImportOptions, *,
    filename: str = "", max_bytes: int, preview_minutes: int, now: datetime | None = None,
) -> ImportUpload:
    """Keep an uploaded file for the patient's preview; raise UploadTooLargeError past the
    limit, ValidationError for an empty file. Expired uploads are deleted on the way."""
    require_patient(patient)
    now = now or utcnow()
    if len(data) > max_bytes:
        raise UploadTooLargeError(max_bytes)
    if not data.strip():
        raise ValidationError("the file is empty", "file")
    expire_uploads(session, now)
    upload = ImportUpload(
        id=secrets.token_urlsafe(32), patient_id=patient.id,
        filename=_clean_name(filename), options=options.to_dict(), content=bytes(data),
        created_at=now, expires_at=now + timedelta(minutes=preview_minutes))
    session.add(upload)
    session.flush()
    return upload


def _clean_name(filename: str) -> str:
    """The file's base name, without control characters, at most FILENAME_LENGTH long."""
    base = re.split(r"[\\/]", filename or "")[-1]
    return "".join(c for c in base if c.isprintable())[:FILENAME_LENGTH]


def get_upload(session: Session, patient: User, upload_id: str,
               now: datetime | None = None) -> ImportUpload:
    """Return the patient's upload; NotFoundError if missing, expired or someone else's."""
    now = now or utcnow()
    upload = session.get(ImportUpload, upload_id) if _ID.match(upload_id or "") else None
    if upload is None or upload.patient_id != patient.id or upload.expires_at <= now:
        raise NotFoundError("no such upload (uploads are kept for a while only; upload the "
                            "file again)", "id")
    return upload


def upload_options(upload: ImportUpload) -> ImportOptions:
    """The options the upload is read with."""
    return ImportOptions.from_dict(upload.options or {})


def set_upload_options(session: Session, patient: User, upload_id: str,
                       options: ImportOptions, now: datetime | None = None) -> ImportUpload:
    """Change how the patient's upload is read (format, timezone, mapping)."""
    upload = get_upload(session, patient, upload_id, now)
    upload.options = options.to_dict()
    session.flush()
    return upload


def file_columns(data: bytes) -> list[str]:
    """The header cells of a file (its first non-blank record); [] if it is not text."""
    try:
        text, _ = decode_import(data)
    except CSVImportError:
        return []
    return first_record(text)


def preview_upload(session: Session, patient: User, upload_id: str, *,
                   options: ImportOptions | None = None, now: datetime | None = None,
                   zone_at: ZoneAt | None = None) -> UploadPreview:
    """Read the patient's upload (with its stored options, or ``options``); never writes."""
    now = now or utcnow()
    upload = get_upload(session, patient, upload_id, now)
    options = options or upload_options(upload)
    try:
        plan: ImportPlan | None = plan_import(session, patient, upload.content, options, now,
                                              zone_at)
        error = None
    except CSVImportError as exc:
        plan, error = None, exc
    return UploadPreview(upload, options, plan, error, file_columns(upload.content))


def confirm_upload(
    session: Session, patient: User, upload_id: str, *, locations: Collection[str] = (),
    now: datetime | None = None, zone_at: ZoneAt | None = None,
) -> ImportResult:
    """Store the upload's new attacks and the proposed places chosen by their first day
    (ISO dates, ``locations``): all or nothing (CSVImportError lists every problem).

    Afterwards the first location period starts no later than the earliest imported day
    (the home location covers the imported history), the import is written to the audit
    log and the upload is deleted.
    """
    now = now or utcnow()
    preview = preview_upload(session, patient, upload_id, now=now, zone_at=zone_at)
    if preview.plan is None:
        raise preview.error or CSVImportError([])
    plan = preview.plan
    offered = {loc.starts_on.isoformat(): loc for loc in plan.locations}
    unknown = sorted(set(locations) - set(offered))
    if unknown:
        raise ValidationError(f"no proposed place starts on {', '.join(unknown)}", "locations")
    chosen = [offered[day] for day in sorted(set(locations))]
    before = list_location_periods(session, patient)
    result = apply_plan(session, patient, plan, locations=chosen, now=now)
    moved = _cover_history(session, patient, plan, before[0] if before else None)
    detail = (f"{result.added} attack(s) added, {result.duplicates} duplicate(s) skipped, "
              f"{result.locations_added} place(s) added from {preview.upload.filename or 'a file'}"
              f" ({plan.format})" + (f"; home location now from {moved.isoformat()}"
                                     if moved else ""))
    record_event(session, actor=patient, patient_id=patient.id, action=AUDIT_ACTION,
                 detail=detail, now=now)
    session.delete(preview.upload)
    session.flush()
    return result


def _cover_history(session: Session, patient: User, plan: ImportPlan,
                   home: LocationPeriod | None) -> date | None:
    """Make the patient's places cover the plan's earliest day (local date); return that
    day if a period had to start earlier, else None.

    The home (the first period before the import) moves back to that day; when a place the
    patient confirmed now comes first, the home's place is added from that day instead, so
    the home period itself still says where the patient was from its own day on.
    """
    if not plan.attacks or home is None:
        return None
    zone = ZoneInfo(require_patient(patient).timezone)
    earliest = min(p.started_at for p in plan.attacks).astimezone(zone).date()
    first = list_location_periods(session, patient)[0]
    if first.starts_on <= earliest:
        return None
    if first.id == home.id:
        home.starts_on = earliest
        session.flush()
    else:
        add_location_period(session, patient, starts_on=earliest, latitude=home.latitude,
                            longitude=home.longitude, timezone=home.timezone,
                            label=home.label)
    return earliest


def cancel_upload(session: Session, patient: User, upload_id: str,
                  now: datetime | None = None) -> None:
    """Forget the patient's upload without storing anything."""
    session.delete(get_upload(session, patient, upload_id, now))
    session.flush()


def pending_uploads(session: Session, patient: User, now: datetime | None = None
                    ) -> list[ImportUpload]:
    """The patient's uploads still waiting for confirmation, newest first."""
    now = now or utcnow()
    return list(session.scalars(
        select(ImportUpload).where(ImportUpload.patient_id == patient.id,
                                   ImportUpload.expires_at > now)
        .order_by(ImportUpload.created_at.desc())))
