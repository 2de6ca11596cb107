"""The field rules users meet (ranges, lengths, choices), declared once.

The domain checks (tracker.diary), the API's schemas (web/api/schemas.py and so the OpenAPI
document), the page forms (web/forms.py) and the attack CSV import all read these. Rules that
compare two fields or a value with the clock stay in the domain's validate functions; a rule's
``beyond_schema`` text states such a rule for the API document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.diary.clinical_terms import DRUG_CLASSES, HELPED
from tracker.diary.validation import MAX_DAY, MIN_DAY, check_scale, check_text

#: The kinds of value a field holds (the JSON/API type follows from it).
KINDS = ("instant", "day", "text", "choice", "int", "number", "bool", "timezone")

#: Day bounds in words, for descriptions.
DAY_BOUNDS = f"between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}"


@dataclass(frozen=True)
class FieldRule:
    """One field's rule: kind, range or length, choices, required, default and wording."""

    name: str
    kind: str
    label: str = ""
    description: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    non_blank: bool = False
    choices: tuple[str, ...] = ()
    beyond_schema: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} of field {self.name!r}")

    @property
    def has_default(self) -> bool:
        """Whether an omitted value takes :attr:`default` (required fields have none)."""
        return not self.required

    def check(self, value: Any, name: str | None = None) -> Any:
        """Check a value of kind int or text against this rule (domain check, names the field)."""
        where = name or self.name
        if self.kind == "int":
            return check_scale(value, where, int(self.minimum or 0), int(self.maximum or 0))
        if self.kind == "text":
            return check_text(value, where, self.max_length or 0)
        raise TypeError(f"no generic check for kind {self.kind!r}")


def rules_by_name(*rules: FieldRule) -> dict[str, FieldRule]:
    """Return the rules as an ordered mapping name -> rule."""
    return {rule.name: rule for rule in rules}


FUTURE_DAY = "Not in the future (the patient's local date)."

COURSE_RULES = rules_by_name(
    FieldRule("kind", "text", "Treatment", "The kind of treatment, e.g. PRT.", default="PRT",
              max_length=40, non_blank=True),
    FieldRule("started_on", "day", "First session", required=True),
    FieldRule("ended_on", "day", "Last session (leave empty while ongoing)",
              "Empty while ongoing.", nullable=True, beyond_schema="Not before started_on."),
    FieldRule("sessions", "int", "Number of sessions (optional)", nullable=True,
              minimum=0, maximum=500),
    FieldRule("notes", "text", "Notes", default="", max_length=5000),
)

CHECKIN_RULES = rules_by_name(
    FieldRule("day", "day", "Day (leave empty for today)",
              "The local date; today when omitted.", beyond_schema=FUTURE_DAY),
    FieldRule("headache_free", "bool", "Headache-free", default=True),
    FieldRule("note", "text", "Note (optional)", default="", max_length=2000),
)

#: Amendment A1: the day from which the patient records every day (check-in mode).
RECORDS_FROM = FieldRule(
    "records_every_day_from", "day", "I record every day from (leave empty if not)",
    "From this local date on, a day without a check-in or an attack is not counted as covered; "
    "before it, days without an entry count as days without migraine. Empty: from the first "
    "check-in.", nullable=True, beyond_schema=FUTURE_DAY)

#: Amendment A1: logging an attack on a day marked headache-free asks first.
REPLACE_CHECKIN = FieldRule(
    "replace_checkin", "bool", "Log it and change that check-in to not headache-free",
    "Log the attack even if one of its days has a headache-free check-in; that check-in then "
    "becomes not headache-free. Without it such an attack gets 409.", default=False)

LATITUDE = FieldRule("latitude", "number", "Latitude (degrees north)", required=True,
                     minimum=-90, maximum=90)
LONGITUDE = FieldRule("longitude", "number", "Longitude (degrees east)", required=True,
                      minimum=-180, maximum=180)
TIMEZONE = FieldRule("timezone", "timezone", "Timezone (IANA name, e.g. Europe/Oslo)",
                     "IANA name, e.g. Europe/Oslo.", required=True)

LOCATION_RULES = rules_by_name(
    FieldRule("starts_on", "day", "From (local date)", required=True),
    LATITUDE,
    LONGITUDE,
    TIMEZONE,
    FieldRule("label", "text", "Label (optional, e.g. home)", default="", max_length=120),
)

#: A share code as typed by a clinician (the code itself is checked by tracker.accounts).
SHARE_CODE = FieldRule("code", "text", "Share code (e.g. ABCDE-FGH23)",
                       "The share code, e.g. ABCDE-FGH23.", required=True, max_length=40)

#: A patient's medication list entry (issue #16); names hold no ";" or "|" (the CSV format).
MEDICATION_RULES = rules_by_name(
    FieldRule("name", "text", "Name (e.g. Sumatriptan 50 mg)", "The medication's name.",
              required=True, max_length=100, non_blank=True,
              beyond_schema="Unique among the patient's medications (case ignored); "
                            "no ';' or '|'."),
    FieldRule("drug_class", "choice", "Class", "The acute medication class (ICHD-3 groups).",
              default="other", choices=DRUG_CLASSES),
    FieldRule("archived", "bool", "Archived", "Hidden from the attack form; past attacks keep it.",
              default=False),
)

#: A medication taken for an attack: a list entry, how many doses, whether it helped.
ATTACK_MEDICATION_RULES = rules_by_name(
    FieldRule("medication_id", "int", "Medication", "The id of an entry of the medication list.",
              required=True, minimum=1, maximum=2**31 - 1,
              beyond_schema="An entry of the patient's own medication list, each at most once "
                            "per attack."),
    FieldRule("doses", "int", "Doses (optional)", "How many doses were taken.", nullable=True,
              minimum=1, maximum=20),
    FieldRule("helped", "choice", "Did it help?", "Whether it helped: yes, partly or no.",
              nullable=True, choices=HELPED),
)
