"""WTForms forms (CSRF-protected by Flask-WTF); domain validation stays in tracker."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


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
