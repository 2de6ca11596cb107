"""The PRT practice page (/practice), the period-day page (/cycle), the switches of the
optional diary parts, and the trigger chips of the attack form (issue #16, points 4-5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, IntegerField
from wtforms.validators import Optional

from correlation.clinical_practice import streak
from tracker.diary.clinical_terms import TRIGGER_TAGS
from tracker.diary.cycle import list_cycle_days, mark_cycle_day, unmark_cycle_day
from tracker.diary.practice import (
    MINUTE_COLUMNS,
    PRACTICE_RULES,
    WORRY,
    delete_practice,
    get_practice,
    list_practice,
    record_practice,
    total_minutes,
)
from tracker.diary.profile import local_today
from tracker.diary.trigger_tags import TRIGGER_LABELS
from tracker.diary.triggers import set_tracking, set_triggers
from tracker.errors import TrackerError
from tracker.models import Attack, User
from web.access import me, role_required
from web.db import db_session
from web.forms import add_error, rule_validators

bp = Blueprint("practice", __name__)

#: Entries listed on the practice page.
RECENT = 60


class PracticeForm(FlaskForm):
    """One day's practice (today unless another day is given); fields from PRACTICE_RULES."""

    day = DateField(PRACTICE_RULES["day"].label, validators=[Optional()])
    somatic_tracking_minutes = IntegerField(
        PRACTICE_RULES["somatic_tracking_minutes"].label,
        validators=rule_validators(PRACTICE_RULES["somatic_tracking_minutes"]))
    reappraisal_minutes = IntegerField(
        PRACTICE_RULES["reappraisal_minutes"].label,
        validators=rule_validators(PRACTICE_RULES["reappraisal_minutes"]))
    other_minutes = IntegerField(PRACTICE_RULES["other_minutes"].label,
                                 validators=rule_validators(PRACTICE_RULES["other_minutes"]))
    weather_worry = IntegerField(PRACTICE_RULES[WORRY].label,
                                 validators=rule_validators(PRACTICE_RULES[WORRY]))


def practice_streak(session: Session, patient: User) -> dict[str, Any]:
    """The calm count of the last 7 days with practice ("Practised 4 of the last 7 days.")."""
    today = local_today(patient.profile.timezone)
    rows = list_practice(session, patient, today - timedelta(days=6), today)
    return streak([r.day for r in rows if total_minutes(r) > 0], today)


@bp.route("/practice", methods=["GET", "POST"])
@role_required("patient")
def practice() -> ResponseReturnValue:
    """Log today's (or another day's) practice in minutes, and how worried about the weather."""
    session = db_session()
    patient = me()
    form = PracticeForm()
    today = local_today(patient.profile.timezone)
    status = 200
    if form.validate_on_submit():
        day = form.day.data or today
        minutes = {c: getattr(form, c).data or 0 for c in MINUTE_COLUMNS.values()}
        try:
            record_practice(session, patient, day, minutes, form.weather_worry.data)
            session.commit()
        except TrackerError as exc:
            session.rollback()
            add_error(form, exc.field, exc.message, "day")
            status = 400
        else:
            flash(f"Practice of {day.isoformat()} saved.")
            return redirect(url_for("practice.practice"))
    elif form.is_submitted():
        status = 400
    else:
        _prefill(form, session, patient, today)
    items = list_practice(session, patient)[-RECENT:]
    items.reverse()
    return render_template("practice.html", form=form, entries=items, total=total_minutes,
                           streak=practice_streak(session, patient)), status


def _prefill(form: PracticeForm, session: Session, patient: User, today: Any) -> None:
    """Show today's entry when there is one (saving again replaces it)."""
    form.day.data = today
    row = get_practice(session, patient, today)
    if row is not None:
        for column in MINUTE_COLUMNS.values():
            getattr(form, column).data = getattr(row, column)
        form.weather_worry.data = row.weather_worry


@bp.route("/practice/<id:entry_id>/delete", methods=["POST"])
@role_required("patient")
def practice_delete(entry_id: int) -> ResponseReturnValue:
    """Delete one practice entry (another patient's: 404)."""
    session = db_session()
    delete_practice(session, me(), entry_id)
    session.commit()
    flash("Practice entry deleted.")
    return redirect(url_for("practice.practice"))


@bp.route("/cycle", methods=["GET", "POST"])
@role_required("patient")
def cycle() -> ResponseReturnValue:
    """"Period today" in one tap, and the recent period days (each can be removed)."""
    session = db_session()
    patient = me()
    if not patient.profile.tracks_cycle:
        return redirect(url_for("diary.settings_page"))
    today = local_today(patient.profile.timezone)
    if request.method == "POST":
        day = today
        if request.form.get("remove"):
            day = _form_day(request.form["remove"])
            unmark_cycle_day(session, patient, day)  # not marked: NotFoundError -> 404
            flash(f"{day.isoformat()} is no longer marked.")
        else:
            mark_cycle_day(session, patient, today)
            flash("Noted: period today.")
        session.commit()
        return redirect(url_for("practice.cycle"))
    days = list_cycle_days(session, patient)[-60:]
    days.reverse()
    return render_template("cycle.html", days=days, today=today, marked=today in days)


def _form_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


@bp.route("/settings/diary-options", methods=["POST"])
@role_required("patient")
def diary_options() -> ResponseReturnValue:
    """Turn trigger tags and cycle tracking on or off (both off by default)."""
    session = db_session()
    set_tracking(session, me(), triggers=request.form.get("tracks_triggers") == "on",
                 cycle=request.form.get("tracks_cycle") == "on")
    session.commit()
    flash("Diary options saved.")
    return redirect(url_for("diary.settings_page"))


def save_trigger_chips(session: Session, patient: User, attack: Attack) -> Attack:
    """Store the attack form's trigger chips when the form showed them (no chip: not given)."""
    if request.form.get("triggers_shown") and patient.profile.tracks_triggers:
        chosen = request.form.getlist("triggers")
        set_triggers(session, patient, attack.id, chosen or None)
    return attack


@bp.app_context_processor
def trigger_chip_context() -> dict[str, Any]:
    """The chips' vocabulary and labels for ``_trigger_chips.html``."""
    return {"trigger_tags": TRIGGER_TAGS, "trigger_labels": TRIGGER_LABELS}
