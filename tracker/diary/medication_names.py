"""A small built-in table of common acute migraine drug names and their class (issue #16).

Imports use it to give a new list entry a class when the file names only the drug (e.g.
Migraine Buddy's medication columns); anything not recognised is ``other``, and the patient
can change the class on the medication page. docs/method.md lists the table.
"""

from __future__ import annotations

import re

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
