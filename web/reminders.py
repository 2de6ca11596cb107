"""Reminder e-mails on the settings page, and the unsubscribe link that needs no login.

The settings page includes ``_reminders.html``, which asks :func:`reminder_panel` (a template
global) for its form, so the settings view itself knows nothing about reminders. The same
form posts to ``/settings/reminders``, which shows it alone again with any error.

``/reminders/unsubscribe?token=...`` is what every reminder links to and names in its
List-Unsubscribe header. GET only shows a page with one button, so a mail scanner that opens
links unsubscribes nobody; the POST (the button, or a mail client's RFC 8058 one-click POST,
which carries no CSRF token) turns that kind of reminder off. The signed token is the
permission: it names the patient and the kind, and only the app's secret key makes one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from tracker.errors import TrackerError
from tracker.mail_text import REMINDER_SETTINGS_PATH, UNSUBSCRIBE_PATH, read_unsubscribe_token
from tracker.reminders import (
    REMINDER_RULES,
    TIMES,
    WEEKDAYS,
    Preferences,
    get_preferences,
    save_preferences,
    turn_off,
)
from web import password_reset
from web.access import me, role_required
from web.db import db_session, settings
from web.extensions import csrf

bp = Blueprint("reminders", __name__)

#: What the page says where no [mail] is configured.
UNAVAILABLE = ("E-mail reminders are not available on this installation: its operator has "
               "not set up sending e-mail.")
KIND_WORDS = {"daily": "daily check-in reminders", "weekly": "weekly diary summaries"}


class ReminderForm(FlaskForm):
    """The reminder choices; labels and choices come from tracker's REMINDER_RULES."""

    daily = BooleanField(REMINDER_RULES["daily"].label)
    weekly = BooleanField(REMINDER_RULES["weekly"].label)
    time = SelectField(REMINDER_RULES["time"].label, default=REMINDER_RULES["time"].default,
                       choices=[SelectChoice(t) for t in TIMES])
    weekday = SelectField(REMINDER_RULES["weekday"].label,
                          default=REMINDER_RULES["weekday"].default,
                          choices=[SelectChoice(d, d.capitalize()) for d in WEEKDAYS])


def _form(prefs: Preferences | None = None) -> ReminderForm:
    """The form (prefix ``reminder``: its ids never clash with the settings form's)."""
    if prefs is None:
        return ReminderForm(prefix="reminder")
    return ReminderForm(prefix="reminder", formdata=None, data=prefs.as_dict())


def reminder_panel(form: ReminderForm | None = None) -> dict[str, Any]:
    """What ``_reminders.html`` shows: whether mail works, the form, the patient's zone."""
    available = settings().mail.enabled
    panel: dict[str, Any] = {"available": available, "form": None, "timezone": None,
                             "unavailable": UNAVAILABLE}
    if not (available and current_user.is_authenticated and me().role == "patient"):
        return panel
    panel["form"] = form or _form(get_preferences(db_session(), me()))
    panel["timezone"] = me().profile.timezone
    return panel


@bp.route(REMINDER_SETTINGS_PATH, methods=["GET", "POST"])
@role_required("patient")
def settings_page() -> ResponseReturnValue:
    """Turn the reminders on or off, and choose their time and weekday."""
    if not settings().mail.enabled:
        status = 400 if request.method == "POST" else 200
        return render_template("reminders.html", reminder_form=None), status
    form = _form()
    if form.validate_on_submit():
        session = db_session()
        try:
            save_preferences(session, me(), Preferences(
                bool(form.daily.data), bool(form.weekly.data), form.time.data or "",
                form.weekday.data or ""))
        except TrackerError as exc:
            session.rollback()
            getattr(form, exc.field or "time", form.time).errors.append(exc.message)
            return render_template("reminders.html", reminder_form=form), 400
        session.commit()
        flash("Reminder choices saved.")
        return redirect(url_for("reminders.settings_page"))
    status = 400 if form.is_submitted() else 200
    return render_template("reminders.html", reminder_form=form if status == 400 else None), \
        status


@bp.route(UNSUBSCRIBE_PATH, methods=["GET", "POST"])
@csrf.exempt
def unsubscribe() -> ResponseReturnValue:
    """GET: ask to confirm (one button). POST: turn that kind of reminder off; no login."""
    found = read_unsubscribe_token(current_app.config["SECRET_KEY"],
                                   request.args.get("token", ""))
    if found is None:
        return render_template("unsubscribe.html", invalid=True), 404
    patient_id, kind = found
    if request.method == "GET":
        return render_template("unsubscribe.html", what=KIND_WORDS[kind], done=False)
    session = db_session()
    turn_off(session, patient_id, kind)
    session.commit()
    return render_template("unsubscribe.html", what=KIND_WORDS[kind], done=True)


def init_app(app: Flask) -> None:
    """Register the reminder and password-reset pages and the panel's template global."""
    app.register_blueprint(bp)
    app.register_blueprint(password_reset.bp)
    app.add_template_global(reminder_panel)
