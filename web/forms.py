"""WTForms forms (CSRF-protected by Flask-WTF); domain validation stays in tracker.

The fields' ranges, lengths, choices and defaults come from tracker's field rules
(tracker.diary.attack_input, tracker.diary.fields), the same the API's schemas use.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from tracker.accounts.users import MIN_PASSWORD_LENGTH
from tracker.diary.attack_input import ATTACK_RULES
from tracker.diary.clinical_terms import FUNCTION_LABELS
from tracker.diary.courses import COMPARISON_KIND, COMPARISON_LABEL
from tracker.diary.fields import (
    CHECKIN_RULES,
    COURSE_RULES,
    LATITUDE,
    LOCATION_RULES,
    LONGITUDE,
    RECORDS_FROM,
    SHARE_CODE,
    FieldRule,
)

TRI_STATE = [SelectChoice("", "not recorded"), SelectChoice("yes"), SelectChoice("no")]


def rule_validators(rule: FieldRule, required: Any = None) -> list[Any]:
    """Return the WTForms validators of a field rule (required or optional, range, length)."""
    found: list[Any] = [required or (InputRequired() if rule.required else Optional())]
    if rule.minimum is not None or rule.maximum is not None:
        found.append(NumberRange(rule.minimum, rule.maximum))
    if rule.max_length is not None:
        found.append(Length(max=rule.max_length))
    return found


def scale_label(rule: FieldRule) -> str:
    """Return a rule's label with its range, e.g. "Peak intensity (0-10)"."""
    return f"{rule.label} ({rule.minimum:g}-{rule.maximum:g})"


def tri_state(value: str | None) -> bool | None:
    """Map a yes/no/empty select value to True/False/None."""
    return {"yes": True, "no": False}.get(value or "")


class LoginForm(FlaskForm):
    """Email, password and whether to stay logged in on this device."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in on this device")


class DegreesField(FloatField):
    """Decimal degrees; a decimal comma ("59,91") is read as a point, and a value that is no
    number gets that one error (not a range error besides)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the typed value with a decimal comma turned into a point."""
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", "."), *valuelist[1:]]
        super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        """Skip the range check when the value could not be read as a number."""
        if self.process_errors:
            raise StopValidation()


class RegisterForm(FlaskForm):
    """A new patient account with its home location."""

    name = StringField("Name (optional)", validators=[Optional()])
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    timezone = StringField("Timezone (IANA name, e.g. Europe/Oslo)", validators=[DataRequired()])
    latitude = DegreesField("Home latitude (degrees north)",
                            validators=rule_validators(LATITUDE))
    longitude = DegreesField("Home longitude (degrees east)",
                             validators=rule_validators(LONGITUDE))


class AttackForm(FlaskForm):
    """The quick attack log; the start defaults to now."""

    started_at = DateTimeLocalField(
        "Started", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    ended_at = DateTimeLocalField("Ended (leave empty if ongoing)", format="%Y-%m-%dT%H:%M",
                                  validators=[Optional()])
    kind = SelectField(ATTACK_RULES["kind"].label,
                       choices=[SelectChoice(c) for c in ATTACK_RULES["kind"].choices])
    intensity = IntegerField(scale_label(ATTACK_RULES["intensity"]),
                             validators=rule_validators(ATTACK_RULES["intensity"]))
    aura = BooleanField(ATTACK_RULES["aura"].label)
    medication = StringField(ATTACK_RULES["medication"].label,
                             validators=rule_validators(ATTACK_RULES["medication"]))
    medication_helped = SelectField(ATTACK_RULES["medication_helped"].label, choices=TRI_STATE)
    threat = IntegerField(scale_label(ATTACK_RULES["threat"]),
                          validators=rule_validators(ATTACK_RULES["threat"]))
    expected_weather = SelectField(ATTACK_RULES["expected_weather"].label, choices=TRI_STATE)
    function = SelectField(ATTACK_RULES["function"].label, default="", choices=[
        SelectChoice("", "not recorded"),
        *(SelectChoice(v, FUNCTION_LABELS[v]) for v in ATTACK_RULES["function"].choices)])
    notes = TextAreaField(ATTACK_RULES["notes"].label,
                          validators=rule_validators(ATTACK_RULES["notes"]))
    #: The headache-free days the patient agreed to change (set when the page asks, A1).
    confirm = HiddenField(default="")


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
    records_every_day_from = DateField(RECORDS_FROM.label, validators=[Optional()])


class CheckInForm(FlaskForm):
    """A headache-free day (today unless another day is given)."""

    day = DateField(CHECKIN_RULES["day"].label, validators=[Optional()])
    note = StringField(CHECKIN_RULES["note"].label,
                       validators=rule_validators(CHECKIN_RULES["note"]))


class FillForm(FlaskForm):
    """The days shown as "no headache since my last entry" (ISO dates, comma-separated)."""

    days = HiddenField(default="")


#: The course kinds the form offers; another stored kind is added when a course is edited.
COURSE_KINDS = [SelectChoice("PRT"), SelectChoice(COMPARISON_KIND, COMPARISON_LABEL)]


class CourseForm(FlaskForm):
    """A treatment course (PRT by default) with its local dates, or comparison assessment dates
    (wait-list or usual care, DESIGN A8)."""

    kind = SelectField(COURSE_RULES["kind"].label, default=COURSE_RULES["kind"].default,
                       choices=COURSE_KINDS, validate_choice=False,
                       validators=rule_validators(COURSE_RULES["kind"], DataRequired()))
    started_on = DateField(COURSE_RULES["started_on"].label, validators=[DataRequired()])
    ended_on = DateField(COURSE_RULES["ended_on"].label, validators=[Optional()])
    sessions = IntegerField(COURSE_RULES["sessions"].label,
                            validators=rule_validators(COURSE_RULES["sessions"]))
    notes = TextAreaField(COURSE_RULES["notes"].label,
                          validators=rule_validators(COURSE_RULES["notes"]))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Offer the course's own kind too when it is neither PRT nor comparison."""
        super().__init__(*args, **kwargs)
        current = (self.kind.data or "").strip()
        if current and current not in {c.value for c in COURSE_KINDS}:
            self.kind.choices = [*COURSE_KINDS, SelectChoice(current)]


class LocationForm(FlaskForm):
    """Where the patient is from a date on."""

    starts_on = DateField(LOCATION_RULES["starts_on"].label, validators=[DataRequired()])
    latitude = DegreesField(LATITUDE.label, validators=rule_validators(LATITUDE))
    longitude = DegreesField(LONGITUDE.label, validators=rule_validators(LONGITUDE))
    timezone = StringField(LOCATION_RULES["timezone"].label, validators=[DataRequired()])
    label = StringField(LOCATION_RULES["label"].label,
                        validators=rule_validators(LOCATION_RULES["label"]))


class RedeemForm(FlaskForm):
    """A share code a patient gave to a clinician."""

    code = StringField(SHARE_CODE.label,
                       validators=rule_validators(SHARE_CODE, DataRequired()))


class TokenForm(FlaskForm):
    """The name of a new personal access token."""

    name = StringField("Name (what will use it, e.g. my phone app)", validators=[DataRequired()])


class PowerForm(FlaskForm):
    """The power page's inputs (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    source = SelectField("Baseline rates and climate", default="clinic", choices=[
        SelectChoice("clinic", "From my patients' stored baselines"),
        SelectChoice("entered", "The values entered below")])
    base_rate = FloatField("Onset probability per at-risk day off pressure-fall days",
                           validators=[Optional(), NumberRange(0.001, 1)])
    sensitivity = FloatField("Baseline exposure rate ratio (weather sensitivity)",
                             validators=[Optional(), NumberRange(0.01, 100)])
    window_share = FloatField("Share of days that are pressure-fall days",
                              validators=[Optional(), NumberRange(0.01, 0.99)])
    tau = FloatField("Spread between patients (SD of log sensitivity ratios)", default=0.3,
                     validators=[InputRequired(), NumberRange(0, 3)])
    baseline_weeks = IntegerField("Baseline weeks", default=12,
                                  validators=[InputRequired(), NumberRange(1, 104)])
    simulations = IntegerField("Simulated cohorts per cell (more: slower, steadier)",
                               default=10, validators=[InputRequired(), NumberRange(1, 200)])


class ActionForm(FlaskForm):
    """A button with no fields (CSRF only)."""


def add_error(form: FlaskForm, field: str | None, message: str, default: str) -> None:
    """Show ``message`` next to ``field`` (or ``default`` when the form has no such field)."""
    target = form._fields.get(field or "") or form._fields[default]
    target.errors = [*target.errors, message]
