"""WTForms forms (CSRF-protected by Flask-WTF); domain validation stays in tracker."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

TRI_STATE = [SelectChoice("", "not recorded"), SelectChoice("yes"), SelectChoice("no")]


def tri_state(value: str | None) -> bool | None:
    """Map a yes/no/empty select value to True/False/None."""
    return {"yes": True, "no": False}.get(value or "")


class LoginForm(FlaskForm):
    """Email, password and whether to stay logged in on this device."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    """A new patient account with its home location."""

    name = StringField("Name (optional)", validators=[Optional()])
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password (at least 8 characters)", validators=[DataRequired()])
    timezone = StringField("Timezone (IANA name, e.g. Europe/Oslo)", validators=[DataRequired()])
    latitude = FloatField("Home latitude (degrees north)", validators=[InputRequired()])
    longitude = FloatField("Home longitude (degrees east)", validators=[InputRequired()])


class AttackForm(FlaskForm):
    """The quick attack log; the start defaults to now."""

    started_at = DateTimeLocalField(
        "Started", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ended_at = DateTimeLocalField("Ended (leave empty if ongoing)", format="%Y-%m-%dT%H:%M",
                                  validators=[Optional()])
    kind = SelectField("Kind", choices=[SelectChoice("migraine"), SelectChoice("headache")])
    intensity = IntegerField("Peak intensity (0-10)",
                             validators=[Optional(), NumberRange(0, 10)])
    aura = BooleanField("Aura")
    medication = StringField("Acute medication", validators=[Optional()])
    medication_helped = SelectField("Did it help?", choices=TRI_STATE)
    threat = IntegerField("How threatening did it feel? (0-10)",
                          validators=[Optional(), NumberRange(0, 10)])
    expected_weather = SelectField("Did you expect it because of the weather?",
                                   choices=TRI_STATE)
    notes = TextAreaField("Notes", validators=[Optional()])


class ChangePasswordForm(FlaskForm):
    """The current password and a new one."""

    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password (at least 8 characters)",
                                 validators=[DataRequired()])


class SettingsForm(FlaskForm):
    """A patient's timezone and the unit pressure is shown in."""

    timezone = StringField("Timezone (IANA name, e.g. Europe/Oslo)", validators=[DataRequired()])
    pressure_unit = SelectField("Pressure unit", choices=[SelectChoice(u) for u in
                                                         ("hPa", "inHg", "mmHg", "kPa")])


class CheckInForm(FlaskForm):
    """A headache-free day (today unless another day is given)."""

    day = DateField("Day (leave empty for today)", validators=[Optional()])
    note = StringField("Note (optional)", validators=[Optional()])


class CourseForm(FlaskForm):
    """A treatment course (PRT by default) with its local dates."""

    kind = StringField("Treatment", default="PRT", validators=[DataRequired()])
    started_on = DateField("First session", validators=[DataRequired()])
    ended_on = DateField("Last session (leave empty while ongoing)", validators=[Optional()])
    sessions = IntegerField("Number of sessions (optional)",
                            validators=[Optional(), NumberRange(0, 500)])
    notes = TextAreaField("Notes", validators=[Optional()])


class LocationForm(FlaskForm):
    """Where the patient is from a date on."""

    starts_on = DateField("From (local date)", validators=[DataRequired()])
    latitude = FloatField("Latitude (degrees north)", validators=[InputRequired()])
    longitude = FloatField("Longitude (degrees east)", validators=[InputRequired()])
    timezone = StringField("Timezone (IANA name, e.g. Europe/Oslo)", validators=[DataRequired()])
    label = StringField("Label (optional, e.g. home)", validators=[Optional()])


class RedeemForm(FlaskForm):
    """A share code a patient gave to a clinician."""

    code = StringField("Share code (e.g. ABCDE-FGH23)", validators=[DataRequired()])


class TokenForm(FlaskForm):
    """The name of a new personal access token."""

    name = StringField("Name (what will use it, e.g. my phone app)", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button with no fields (CSRF only)."""


def add_error(form: FlaskForm, field: str | None, message: str, default: str) -> None:
    """Show ``message`` next to ``field`` (or ``default`` when the form has no such field)."""
    target = form._fields.get(field or "") or form._fields[default]
    target.errors = [*target.errors, message]
