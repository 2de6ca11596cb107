"""Medication names in import files (issue #16): a small built-in table of common acute
migraine drugs and their class, and the compact ``medications`` cell of our attack CSV.

Imports use the table to give a new list entry a class when the file names only the drug
(e.g. Migraine Buddy's medication columns); anything not recognised is ``other``, and the
patient can change the class on the medication page. docs/method.md lists the table and
docs/data-formats.md the cell format. No database here (the CSV parser stays light).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.diary.attack_input import AttackInput
from tracker.diary.clinical_terms import DRUG_CLASSES, HELPED
from tracker.diary.fields import ATTACK_MEDICATION_RULES
from tracker.errors import ValidationError

#: The CSV column of an attack's medications, and its separators.
MEDICATIONS_COLUMN = "medications"
ENTRY_SEPARATOR, PART_SEPARATOR = ";", "|"

#: Generic names (lower case) -> class (tracker.diary.clinical_terms.DRUG_CLASSES).
KNOWN_DRUGS: dict[str, str] = {
    **dict.fromkeys(("sumatriptan", "rizatriptan", "zolmitriptan", "naratriptan",
                     "eletriptan", "almotriptan", "frovatriptan"), "triptan"),
    **dict.fromkeys(("ibuprofen", "naproxen", "diclofenac", "ketoprofen", "dexketoprofen",
                     "paracetamol", "acetaminophen", "aspirin", "metamizole",
                     "tolfenamic"), "simple_analgesic"),
    **dict.fromkeys(("codeine", "tramadol", "oxycodone", "morphine", "hydrocodone"),
                    "opioid"),
    **dict.fromkeys(("ergotamine", "dihydroergotamine"), "ergot"),
    **dict.fromkeys(("ubrogepant", "rimegepant", "atogepant", "zavegepant"), "gepant"),
    "lasmiditan": "ditan",
}
#: Added to an analgesic, these make a combination analgesic (ICHD-3 8.2.5).
COMBINING = ("caffeine",)


def guess_class(name: str) -> str:
    """The class of a drug name from :data:`KNOWN_DRUGS`: one known drug gives its class;
    two or more analgesics (simple or opioid), or one with caffeine, give
    ``combination_analgesic``; anything else is ``other``."""
    words = re.findall(r"[a-z]+", name.casefold())
    found = {w: KNOWN_DRUGS[w] for w in words if w in KNOWN_DRUGS}
    classes = set(found.values())
    analgesic = classes <= {"simple_analgesic", "opioid"}
    if found and analgesic and (len(found) >= 2 or any(w in COMBINING for w in words)):
        return "combination_analgesic"
    return classes.pop() if len(classes) == 1 else "other"


@dataclass(frozen=True)
class TakenByName:
    """A medication of an imported attack, by name: created on the list if it is missing
    (class given, else guessed from the name), then linked with its doses and verdict."""

    name: str
    drug_class: str | None = None
    doses: int | None = None
    helped: str | None = None


@dataclass
class AttackWithMedications(AttackInput):
    """An attack of an import file with the medications it names (list entries by name)."""

    medications: list[TakenByName] = field(default_factory=list)
    #: trigger tags (tracker.diary.triggers; None: not given)
    triggers: list[str] | None = None


def _entry(text: str) -> TakenByName:
    parts = [p.strip() for p in text.split(PART_SEPARATOR)]
    if len(parts) > 4:
        raise ValidationError(f"{text!r} has more than 4 parts (name|class|doses|helped)",
                              MEDICATIONS_COLUMN)
    name, cls, doses, helped = (*parts, "", "", "")[:4]
    if not name:
        raise ValidationError(f"{text!r} has no name", MEDICATIONS_COLUMN)
    if cls and cls not in DRUG_CLASSES:
        raise ValidationError(f"class {cls!r} is not one of {', '.join(DRUG_CLASSES)}",
                              MEDICATIONS_COLUMN)
    if helped and helped not in HELPED:
        raise ValidationError(f"helped {helped!r} is not one of {', '.join(HELPED)}",
                              MEDICATIONS_COLUMN)
    count = None
    if doses:
        if not doses.isdigit():
            raise ValidationError(f"doses {doses!r} is not a whole number", MEDICATIONS_COLUMN)
        count = ATTACK_MEDICATION_RULES["doses"].check(int(doses), MEDICATIONS_COLUMN)
    return TakenByName(" ".join(name.split()), cls or None, count, helped or None)


def parse_medications_cell(text: str) -> list[TakenByName]:
    """Read a ``medications`` cell: entries ``name|class|doses|helped`` separated by ``;``
    (trailing parts may be left out, e.g. ``Sumatriptan|triptan|2|partly; Ibuprofen``)."""
    entries = [_entry(e) for e in text.split(ENTRY_SEPARATOR) if e.strip()]
    names = [e.name.casefold() for e in entries]
    if len(set(names)) != len(names):
        raise ValidationError("a medication is named twice", MEDICATIONS_COLUMN)
    return entries


def format_medications_cell(entries: Iterable[TakenByName]) -> str:
    """Write a ``medications`` cell that :func:`parse_medications_cell` reads back."""
    out = []
    for e in entries:
        parts = [e.name, e.drug_class or "", "" if e.doses is None else str(e.doses),
                 e.helped or ""]
        out.append(PART_SEPARATOR.join(parts).rstrip(PART_SEPARATOR))
    return f"{ENTRY_SEPARATOR} ".join(out)
