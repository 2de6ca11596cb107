"""The import pages (issue #14): upload a past diary, preview it, map its columns, confirm.

The steps themselves are :mod:`tracker.diary.uploads` (shared with the API); here are the
forms, the upload's size limit (``[web] import_max_mb``, refused before the body is read)
and the pages. Every route is for patients only, and an upload that is not the patient's
own, or has expired, is "not found".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from tracker.clock import utcnow
from tracker.diary.attacks_csv import CSVImportError
from tracker.diary.imports import FORMAT_LABELS, ImportOptions, ImportPlan, ImportResult
from tracker.diary.imports.date_formats import DATE_FORMATS
from tracker.diary.imports.mapped import MAX_SCALE, ColumnMapping, suggest_mapping
from tracker.diary.uploads import (
    UploadPreview,
    UploadTooLargeError,
    cancel_upload,
    confirm_upload,
    get_upload,
    preview_upload,
    set_upload_options,
    size_label,
    store_upload,
    upload_options,
)
from tracker.errors import TrackerError
from tracker.places import zone_at_coordinates
from tracker.reports.history_status import history_pressure
from web.access import me, role_required
from web.db import db_session, settings

bp = Blueprint("imports", __name__)

#: The rows a preview shows.
PREVIEW_ROWS = 20
FORMAT_CHOICES = [
    SelectChoice("auto", "Detect from the file"),
    SelectChoice("migraine-buddy", FORMAT_LABELS["migraine-buddy"]),
    SelectChoice("ours", FORMAT_LABELS["ours"]),
    SelectChoice("mapped", "Another app's CSV: choose its columns next"),
]
#: The mapping fields a person chooses a column for, with their labels.
MAPPED_FIELDS = {
    "start": "Start (date and time, or date)",
    "start_time": "Start time of day, if in its own column",
    "end": "End",
    "duration": "Duration (e.g. 90, 1:30, 01h 30m)",
    "intensity": "Intensity",
    "kind": "Kind (migraine or headache)",
    "medication": "Medication",
    "notes": "Notes",
}


def max_upload_bytes() -> int:
    """The configured upload limit in bytes."""
    return settings().web.import_max_mb * 2**20


def too_large_message() -> str:
    """The sentence a refused upload gets."""
    return (f"The file is larger than {size_label(max_upload_bytes())}, the most this site "
            "accepts. Export a shorter period, or split the file, and upload each part.")


def limit_request_body() -> None:
    """Let this request's body be as large as an import may be (and no larger)."""
    request.max_content_length = max_upload_bytes()


class UploadForm(FlaskForm):
    """The file, its format and the timezone its times without an offset are in."""

    file = FileField("Diary file (CSV)")
    format = SelectField("Format", choices=FORMAT_CHOICES, default="auto")
    timezone = StringField("Timezone of times without an offset (IANA name)")


class MappingForm(FlaskForm):
    """Which column holds what, the date format and the timezone (another app's CSV)."""

    start = SelectField(MAPPED_FIELDS["start"], validate_choice=False)
    start_time = SelectField(MAPPED_FIELDS["start_time"], validate_choice=False)
    end = SelectField(MAPPED_FIELDS["end"], validate_choice=False)
    duration = SelectField(MAPPED_FIELDS["duration"], validate_choice=False)
    intensity = SelectField(MAPPED_FIELDS["intensity"], validate_choice=False)
    intensity_max = IntegerField("Top of the file's intensity scale", default=10,
                                 validators=[Optional(), NumberRange(1, MAX_SCALE)])
    kind = SelectField(MAPPED_FIELDS["kind"], validate_choice=False)
    medication = SelectField(MAPPED_FIELDS["medication"], validate_choice=False)
    notes = SelectField(MAPPED_FIELDS["notes"], validate_choice=False)
    date_format = SelectField("Date format", choices=[
        SelectChoice("", "Find it from the file"),
        *(SelectChoice(key, text) for key, text in DATE_FORMATS.items())])
    timezone = StringField("Timezone of the times (IANA name)")

    def set_columns(self, columns: list[str]) -> None:
        """Offer the file's columns in every column choice (only the start is required)."""
        for name in MAPPED_FIELDS:
            empty = [] if name == "start" else [SelectChoice("", "not in the file")]
            getattr(self, name).choices = empty + [SelectChoice(c) for c in columns if c]

    def mapping(self) -> ColumnMapping:
        """The mapping the form describes."""
        chosen = {n: getattr(self, n).data or None for n in MAPPED_FIELDS}
        return ColumnMapping(**{**chosen, "start": chosen["start"] or ""},
                             intensity_max=self.intensity_max.data or 10,
                             date_format=self.date_format.data or None)


def _zone_name(value: str | None) -> str | None:
    """A typed timezone, or None for the patient's own."""
    value = (value or "").strip()
    return value or None


@bp.route("/import", methods=["GET", "POST"])
@role_required("patient")
def upload() -> ResponseReturnValue:
    """Upload a diary file; it is kept on the server and the preview comes next."""
    limit_request_body()
    try:
        form = UploadForm()
        posted = form.validate_on_submit()
        data = request.files["file"].read() if posted and "file" in request.files else None
    except RequestEntityTooLarge:
        return _upload_page(UploadForm(formdata=None), too_large_message(), 413)
    if not form.is_submitted():
        form.timezone.data = me().profile.timezone
        return _upload_page(form)
    if not posted:
        return _upload_page(form, status=400)
    if data is None:
        return _upload_page(form, "Choose a file to upload.", 400)
    session = db_session()
    try:
        options = ImportOptions(format=form.format.data or "auto",
                                timezone=_zone_name(form.timezone.data),
                                grid_degrees=settings().weather.grid_degrees)
        stored = store_upload(session, me(), data, options,
                              filename=request.files["file"].filename or "",
                              max_bytes=max_upload_bytes(),
                              preview_minutes=settings().web.import_preview_minutes)
    except UploadTooLargeError:
        session.rollback()
        return _upload_page(form, too_large_message(), 413)
    except TrackerError as exc:
        session.rollback()
        return _upload_page(form, _sentence(exc), 400)
    session.commit()
    if options.format == "mapped":
        return redirect(url_for("imports.mapping", upload=stored.id))
    return redirect(url_for("imports.preview", upload=stored.id))


def _upload_page(form: UploadForm, error: str | None = None, status: int = 200
                 ) -> ResponseReturnValue:
    return render_template("import.html", form=form, error=error,
                           limit=size_label(max_upload_bytes()),
                           minutes=settings().web.import_preview_minutes), status


def _sentence(exc: TrackerError) -> str:
    """A domain message as a sentence."""
    text = exc.message.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."


def _preview(upload_id: str, options: ImportOptions | None = None) -> UploadPreview:
    return preview_upload(db_session(), me(), upload_id, options=options, now=utcnow(),
                          zone_at=zone_at_coordinates)


@bp.route("/import/<upload>")
@role_required("patient")
def preview(upload: str) -> ResponseReturnValue:
    """The preview: counts, range, timezone, problems, proposed places, the first rows."""
    seen = _preview(upload)
    if seen.needs_mapping:
        return redirect(url_for("imports.mapping", upload=upload))
    return _preview_page(seen)


def _preview_page(seen: UploadPreview, status: int = 200,
                  error: CSVImportError | None = None) -> ResponseReturnValue:
    plan = seen.plan
    return render_template(
        "import_preview.html", seen=seen, plan=plan, error=error or seen.error,
        summary=plan.summary(0) if plan else None, rows=_rows(plan),
        span=_span(plan), expires=_local(seen.upload.expires_at),
    ), status


def _local(instant: datetime) -> str:
    """An instant in the patient's local time, e.g. "14:05"."""
    return instant.astimezone(ZoneInfo(me().profile.timezone)).strftime("%H:%M")


def day_words(day: Any) -> str:
    """A day as "14 Mar 2024"."""
    return f"{day.day} {day:%b %Y}"


def _span(plan: ImportPlan | None) -> str | None:
    if plan is None or plan.date_range is None:
        return None
    first, last = plan.date_range
    return f"{day_words(first)} to {day_words(last)}"


def _rows(plan: ImportPlan | None) -> list[dict[str, Any]]:
    """The first rows, with local times in the plan's timezone and a duplicate mark."""
    if plan is None:
        return []
    zone = ZoneInfo(plan.timezone)
    skipped = {id(p) for p in plan.duplicates}
    out = []
    for p in plan.attacks[:PREVIEW_ROWS]:
        a = p.attack
        out.append({
            "line": p.line, "start": a.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "end": a.ended_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if a.ended_at else "",
            "kind": a.kind, "intensity": a.intensity, "medication": a.medication,
            "notes": a.notes, "duplicate": id(p) in skipped,
        })
    return out


@bp.route("/import/<upload>/confirm", methods=["POST"])
@role_required("patient")
def confirm(upload: str) -> ResponseReturnValue:
    """Store every new attack and the ticked places (all or nothing)."""
    session = db_session()
    form = FlaskForm()
    get_upload(session, me(), upload)  # 404 before anything else
    if not form.validate_on_submit():
        return _preview_page(_preview(upload), 400)
    try:
        result = confirm_upload(session, me(), upload,
                                locations=request.form.getlist("location"), now=utcnow(),
                                zone_at=zone_at_coordinates)
    except CSVImportError as exc:
        session.rollback()
        return _preview_page(_preview(upload), 400, exc)
    except TrackerError as exc:
        session.rollback()
        flash(_sentence(exc))
        return _preview_page(_preview(upload), 400)
    session.commit()
    flash(done_message(result))
    return redirect(url_for("dashboard.patient_dashboard"))


def done_message(result: ImportResult) -> str:
    """What a confirmed import did, in words."""
    added = "1 attack" if result.added == 1 else f"{result.added} attacks"
    skipped = ("1 duplicate" if result.duplicates == 1
               else f"{result.duplicates} duplicates")
    text = f"Import done: {added} added, {skipped} already in your diary skipped."
    if result.locations_added:
        text += f" {result.locations_added} place(s) added to your locations."
    return text + " Pressure for the new days is fetched in the background."


@bp.route("/import/<upload>/cancel", methods=["POST"])
@role_required("patient")
def cancel(upload: str) -> ResponseReturnValue:
    """Forget the upload without storing anything."""
    session = db_session()
    get_upload(session, me(), upload)
    if FlaskForm().validate_on_submit():
        cancel_upload(session, me(), upload)
        session.commit()
        flash("The upload was discarded; nothing was added to your diary.")
    return redirect(url_for("imports.upload"))


@bp.route("/import/<upload>/mapping", methods=["GET", "POST"])
@role_required("patient")
def mapping(upload: str) -> ResponseReturnValue:
    """Choose the columns of another app's CSV; the first rows follow each choice.

    GET with the form's values (the Preview button, or import.js on each change) shows the
    rows read with them, without saving; ``partial=1`` answers only that part. POST saves
    the mapping and goes on to the preview.
    """
    session = db_session()
    stored = get_upload(session, me(), upload)
    seen = _preview(upload)
    form = MappingForm(formdata=request.form if request.method == "POST" else
                       (request.args if "start" in request.args else None))
    form.set_columns(seen.columns)
    if "start" not in request.args and request.method == "GET":
        _fill_mapping(form, upload_options(stored), seen.columns)
    options = _mapping_options(form, upload_options(stored))
    if request.method == "POST" and options is not None and form.validate_on_submit():
        set_upload_options(session, me(), upload, options)
        session.commit()
        return redirect(url_for("imports.preview", upload=upload))
    tried = _preview(upload, options) if options is not None else None
    status = 400 if request.method == "POST" else 200
    plan = tried.plan if tried is not None else None
    context = {"form": form, "seen": seen, "tried": tried, "rows": _rows(plan),
               "span": _span(plan), "upload": upload}
    if request.args.get("partial"):
        return render_template("_import_rows.html", **context)
    return render_template("import_mapping.html", **context), status


def _fill_mapping(form: MappingForm, options: ImportOptions, columns: list[str]) -> None:
    """Start the form from the stored mapping, else a guess from the column names."""
    chosen = options.mapping or suggest_mapping(columns)
    form.timezone.data = options.timezone or me().profile.timezone
    if chosen is None:
        return
    for name in MAPPED_FIELDS:
        getattr(form, name).data = getattr(chosen, name) or ""
    form.intensity_max.data = chosen.intensity_max
    form.date_format.data = chosen.date_format or ""


def _mapping_options(form: MappingForm, current: ImportOptions) -> ImportOptions | None:
    """The options the mapping form describes, or None (with the error on the form)."""
    try:
        return ImportOptions(format="mapped", timezone=_zone_name(form.timezone.data),
                             mapping=form.mapping(), grid_degrees=current.grid_degrees)
    except TrackerError as exc:
        target = getattr(form, exc.field or "", None) or form.timezone
        target.errors = [*target.errors, _sentence(exc)]
        return None


def history_status() -> dict[str, Any] | None:
    """The dashboard's line while an imported history's pressure is still arriving (None
    once it is complete): the days in words, the share, and whether and when to retry."""
    s = settings()
    now = utcnow()
    status = history_pressure(db_session(), me(), s.weather.grid_degrees, now,
                              s.jobs.history_retry_minutes,
                              horizon_years=s.jobs.backfill_horizon_years)
    if status is None:
        return None
    zone = ZoneInfo(me().profile.timezone)
    retry = None
    if status.next_try is not None and status.next_try > now:
        local = status.next_try.astimezone(zone)
        same_day = local.date() == now.astimezone(zone).date()
        retry = local.strftime("%H:%M") if same_day else f"{day_words(local)} {local:%H:%M}"
    return {"span": f"{day_words(status.first_day)} to {day_words(status.last_day)}",
            "percent": status.percent, "unreachable": status.unreachable, "retry": retry}
