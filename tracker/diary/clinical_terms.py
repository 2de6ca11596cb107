"""The clinical diary's vocabularies (issue #16), declared once.

The tables' check constraints, the forms, the API schemas, the CSV formats and the report
read these tuples; labels are what people see.
"""

from __future__ import annotations

#: Acute medication classes (ICHD-3 medication-overuse groups, plus the newer classes).
DRUG_CLASSES = ("triptan", "ergot", "opioid", "combination_analgesic", "simple_analgesic",
                "gepant", "ditan", "other")
DRUG_CLASS_LABELS = {
    "triptan": "Triptan", "ergot": "Ergot", "opioid": "Opioid",
    "combination_analgesic": "Combination analgesic",
    "simple_analgesic": "Simple analgesic or NSAID", "gepant": "Gepant", "ditan": "Ditan",
    "other": "Other",
}
#: Whether a medication helped.
HELPED = ("yes", "partly", "no")
#: "What could you do?" during an attack.
FUNCTION_LEVELS = ("normal", "reduced", "unable")
FUNCTION_LABELS = {"normal": "Normal activities", "reduced": "Reduced activities",
                   "unable": "Unable to do usual activities"}
#: Trigger tags a patient may give an attack (optional, off by default).
TRIGGER_TAGS = ("weather", "stress", "sleep", "menstruation", "alcohol", "food", "screen",
                "other")
#: Kinds of PRT practice logged per day (minutes of each).
PRACTICE_KINDS = ("somatic_tracking", "reappraisal", "other")
PRACTICE_LABELS = {"somatic_tracking": "Somatic tracking",
                   "reappraisal": "Reappraisal of symptoms", "other": "Other practice"}
#: When a questionnaire is asked, relative to the treatment course.
QUESTIONNAIRE_TIMEPOINTS = ("baseline", "course_end", "followup_12w")
