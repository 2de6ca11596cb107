"""The patient's diary pages: attacks, check-ins, treatment courses, locations, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import (
    end_attack,
    get_attack,
    list_attacks,
    record_attack,
    update_attack,
)
from tracker.diary.checkins import list_checkins, record_checkin
from tracker.diary.courses import (
    get_course,
    list_courses,
    record_course,
    update_course,
)
from tracker.diary.day_clash import CheckinClashError, day_label
from tracker.diary.fill import fill_headache_free_days, fill_preview
from tracker.diary.profile import (
    add_location_period,
    list_location_periods,
    local_today,
    set_pressure_unit,
    set_records_every_day_from,
    set_timezone,
)
from tracker.errors import TrackerError
from tracker.models import User
from web import attack_now, deletion
from web.access import me, role_required
from web.db import db_session
from web.errors import MESSAGES
from web.forms import (
    ActionForm,
    AttackForm,
    CheckInForm,
    CourseForm,
    FillForm,
    LocationForm,
    SettingsForm,
    add_error,
    tri_state,
)
from web.medications import save_medication_chips
from web.practice import save_trigger_chips

bp = Blueprint("diary", __name__)
attack_now.register(bp)  # "Log attack now" and its follow-up page
deletion.register(bp)  # confirm, delete, undo


def _zone() -> ZoneInfo:
    return ZoneInfo(me().profile.timezone)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=_zone()) if value is not None else None


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(_zone()).replace(second=0, microsecond=0, tzinfo=None)


def _attack_input(form: AttackForm) -> AttackInput:
    return AttackInput(
        started_at=_aware(form.started_at.data),
        ended_at=_aware(form.ended_at.data),
        kind=form.kind.data,
        intensity=form.intensity.data,
        aura=bool(form.aura.data),
        medication=form.medication.data or "",
        medication_helped=tri_state(form.medication_helped.data),
        threat=form.threat.data,
        expected_weather=tri_state(form.expected_weather.data),
        notes=form.notes.data or "",
        function=form.function.data or None,
    )


def _course_fields(form: CourseForm) -> dict:
    return {"started_on": form.started_on.data, "ended_on": form.ended_on.data,
            "kind": form.kind.data or "", "sessions": form.sessions.data,
            "notes": form.notes.data or ""}


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "")


def _submit(form, save: Callable[[], object], done: Callable[[], str] | str,
            back: Callable[[], str] | str, field: str) -> ResponseReturnValue | int:
    """Handle a form post in the request's transaction.

    On success commit, flash ``done`` and redirect to the endpoint ``back``; on a domain error
    roll back (nothing half-saved) and put the message next to its field; a write refused by
    a database constraint (a race) gets the same treatment with 409. Returns the redirect, or
    the status to render the form with: 200 (not posted), 400 (errors) or 409.
    """
    if not form.validate_on_submit():
        return 400 if form.is_submitted() else 200
    session = db_session()
    try:
        save()
        session.commit()
    except TrackerError as exc:
        session.rollback()
        add_error(form, exc.field, exc.message, field)
        return 400
    except IntegrityError:
        session.rollback()
        add_error(form, None, MESSAGES[409], field)
        return 409
    flash(done() if callable(done) else done)
    return redirect(url_for(back() if callable(back) else back))


@bp.route("/attacks", methods=["GET", "POST"])
@role_required("patient")
def attacks() -> ResponseReturnValue:
    """List the patient's attacks and log a new one (the start defaults to now)."""
    session = db_session()
    patient = me()
    form = AttackForm()
    asked: list[str] = []
    status = _submit(form, lambda: _log_attack(session, patient, form, asked),
                     "Attack saved.", "diary.attacks", "started_at")
    if not isinstance(status, int):
        return status
    if asked:  # a headache-free day: ask, and a second submit confirms (amendment A1)
        form.confirm.data, status = asked[0], 409
    if not form.is_submitted():
        form.started_at.data = _local(utcnow())
    items = list_attacks(session, patient)
    items.reverse()
    return render_template(
        "attacks.html", form=form, attacks=items, zone=_zone(), asking=bool(asked),
        ongoing=[a for a in items if a.ended_at is None], action=ActionForm(),
    ), status


def _log_attack(session: Session, patient: User, form: AttackForm, asked: list[str]) -> None:
    """Log the attack; on days marked headache-free, ask first, and change them once confirmed.

    ``form.confirm`` holds the days the patient agreed to change; other days ask again.
    """
    data = _attack_input(form)
    try:
        save_medication_chips(session, patient, save_trigger_chips(
            session, patient, record_attack(session, patient, data, source="web")))
    except CheckinClashError as exc:
        days = ",".join(d.isoformat() for d in exc.days)
        if form.confirm.data == days:
            attack = record_attack(session, patient, data, source="web", replace_checkin=True)
            save_medication_chips(session, patient, save_trigger_chips(session, patient, attack))
            return
        asked.append(days)
        listed = ", ".join(day_label(d) for d in exc.days)
        raise CheckinClashError(
            f"you marked {listed} as headache-free. Save again to log the attack; that "
            "check-in will then say the day was not headache-free", "started_at", exc.days,
        ) from exc


@bp.route("/attacks/<id:attack_id>/edit", methods=["GET", "POST"])
@role_required("patient")
def edit(attack_id: int) -> ResponseReturnValue:
    """Change one of the patient's attacks."""
    session = db_session()
    attack = get_attack(session, me(), attack_id)  # someone else's: NotFoundError -> 404
    form = AttackForm()
    status = _submit(
        form, lambda: save_medication_chips(session, me(), save_trigger_chips(
            session, me(), update_attack(session, me(), attack.id, _attack_input(form)))),
        "Attack updated.", "diary.attacks", "started_at",
    )
    if not isinstance(status, int):
        return status
    if not form.is_submitted():
        form.started_at.data = _local(attack.started_at)
        form.ended_at.data = _local(attack.ended_at)
        form.kind.data = attack.kind
        form.intensity.data = attack.intensity
        form.aura.data = attack.aura
        form.medication.data = attack.medication
        form.medication_helped.data = _yes_no(attack.medication_helped)
        form.threat.data = attack.threat
        form.expected_weather.data = _yes_no(attack.expected_weather)
        form.notes.data = attack.notes
        form.function.data = attack.function or ""
    return render_template("attack_edit.html", form=form, attack=attack, zone=_zone()), status


@bp.route("/attacks/<id:attack_id>/end", methods=["POST"])
@role_required("patient")
def end(attack_id: int) -> ResponseReturnValue:
    """End an ongoing attack now (back to its follow-up page when it came from there)."""
    session = db_session()
    back = (url_for("diary.follow_up", attack_id=attack_id)
            if request.form.get("back") == "now" else url_for("diary.attacks"))
    get_attack(session, me(), attack_id)  # someone else's: NotFoundError -> 404
    try:
        end_attack(session, me(), attack_id)
    except TrackerError as exc:
        session.rollback()
        flash(f"Not saved: {exc.message}.")
        return redirect(back)
    session.commit()
    flash("Attack ended.")
    return redirect(back)


@bp.route("/checkins", methods=["GET", "POST"])
@role_required("patient")
def checkins() -> ResponseReturnValue:
    """Mark a day without headache in one tap (today by default) and list the check-ins."""
    session = db_session()
    patient = me()
    form = CheckInForm()

    def day():
        return form.day.data or local_today(patient.profile.timezone)

    status = _submit(
        form,
        lambda: record_checkin(session, patient, day(), headache_free=True,
                               note=form.note.data or ""),
        lambda: f"Noted: no headache on {day().isoformat()}.",
        lambda: "diary.attacks" if request.form.get("back") == "attacks" else "diary.checkins",
        "day",
    )
    if not isinstance(status, int):
        return status
    items = list_checkins(session, patient)
    items.reverse()
    preview = fill_preview(session, patient)
    fill = FillForm(formdata=None, days=",".join(d.isoformat() for d in preview.days))
    since = patient.profile.records_every_day_from or (items[-1].day if items else None)
    return render_template("checkins.html", form=form, checkins=items[:120], since=since,
                           preview=preview, fill=fill), status


@bp.route("/checkins/fill", methods=["POST"])
@role_required("patient")
def checkins_fill() -> ResponseReturnValue:
    """Mark the days shown since the last entry (at most 14) headache-free in one go."""
    form = FillForm()
    if not form.validate_on_submit():
        return redirect(url_for("diary.checkins"))
    session = db_session()
    try:
        days = [date.fromisoformat(d) for d in (form.days.data or "").split(",") if d]
        added = fill_headache_free_days(session, me(), days)
    except (TrackerError, ValueError) as exc:
        session.rollback()
        flash(f"Not saved: {getattr(exc, 'message', 'the list of days is not valid')}.")
        return redirect(url_for("diary.checkins"))
    session.commit()
    flash(f"Noted: no headache on {len(added)} days, {day_label(added[0].day)} to "
          f"{day_label(added[-1].day)}.")
    return redirect(url_for("diary.checkins"))


@bp.route("/courses", methods=["GET", "POST"])
@role_required("patient")
def courses() -> ResponseReturnValue:
    """List the patient's treatment courses and add one."""
    session = db_session()
    form = CourseForm()
    status = _submit(
        form,
        lambda: record_course(session, me(), **_course_fields(form)),
        "Treatment course saved.", "diary.courses", "started_on",
    )
    if not isinstance(status, int):
        return status
    return render_template("courses.html", form=form, courses=list_courses(session, me()),
                           action=ActionForm()), status


@bp.route("/courses/<id:course_id>/edit", methods=["GET", "POST"])
@role_required("patient")
def course_edit(course_id: int) -> ResponseReturnValue:
    """Change the dates or details of a treatment course."""
    session = db_session()
    course = get_course(session, me(), course_id)  # someone else's: NotFoundError -> 404
    form = CourseForm(obj=course if request.method == "GET" else None)
    status = _submit(
        form,
        lambda: update_course(session, me(), course.id, **_course_fields(form)),
        "Treatment course updated.", "diary.courses", "started_on",
    )
    if not isinstance(status, int):
        return status
    return render_template("course_edit.html", form=form, course=course), status


@bp.route("/locations", methods=["GET", "POST"])
@role_required("patient")
def locations() -> ResponseReturnValue:
    """List where the patient was (the first period is home) and add a period."""
    session = db_session()
    patient = me()
    form = LocationForm()
    status = _submit(
        form,
        lambda: add_location_period(
            session, patient, starts_on=form.starts_on.data, latitude=form.latitude.data,
            longitude=form.longitude.data, timezone=(form.timezone.data or "").strip(),
            label=form.label.data or "",
        ),
        "Location saved.", "diary.locations", "starts_on",
    )
    if not isinstance(status, int):
        return status
    if not form.is_submitted():
        form.starts_on.data = local_today(patient.profile.timezone)
        form.timezone.data = patient.profile.timezone
    return render_template("locations.html", form=form,
                           periods=list_location_periods(session, patient),
                           action=ActionForm()), status


@bp.route("/settings", methods=["GET", "POST"])
@role_required("patient")
def settings_page() -> ResponseReturnValue:
    """The patient's timezone, preferred pressure unit and "I record every day from" date."""
    session = db_session()
    profile = me().profile
    form = SettingsForm()

    def save() -> None:
        set_timezone(session, me(), (form.timezone.data or "").strip())
        set_pressure_unit(session, me(), form.pressure_unit.data or "")
        set_records_every_day_from(session, me(), form.records_every_day_from.data)

    status = _submit(form, save, "Settings saved.", "diary.settings_page", "timezone")
    if not isinstance(status, int):
        return status
    if not form.is_submitted():
        form.timezone.data = profile.timezone
        form.pressure_unit.data = profile.pressure_unit
        form.records_every_day_from.data = profile.records_every_day_from
    return render_template("settings.html", form=form), status
