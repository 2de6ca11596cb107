"""The clinical diary's report sections (issue #16): the registry of sections and the
loaders that read their rows.

Each :class:`ClinicalSection` names a key of the report's ``clinical`` object, a loader (reads
the patient's rows into plain data) and a pure builder from ``correlation`` (runs inside the
analysis, also in refresh-reports' worker processes). Another section is added by appending
one entry to :data:`SECTIONS`; :func:`load_clinical` puts the loaded parts on the series
(``tracker.reports.series.patient_series``) and ``correlation.report.analyze`` builds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from correlation.clinical import (
    ClinicalContext,
    ClinicalPart,
    FunctionDays,
    MedicationDays,
    function_section,
    medication_section,
    questionnaire_section,
)
from correlation.clinical_practice import cycle_section, practice_section, triggers_section
from tracker.clinical_models import AttackMedication, Medication, MedicationAlias
from tracker.diary.clinical_terms import DRUG_CLASSES, FUNCTION_LEVELS
from tracker.diary.medications import alias_key
from tracker.diary.profile import require_patient
from tracker.models import Attack, User
from tracker.questionnaires.definitions import load_instruments
from tracker.questionnaires.store import score_table
from tracker.reports.clinical_practice import load_cycle, load_practice, load_triggers


@dataclass(frozen=True)
class ClinicalSection:
    """One key of the report's ``clinical`` object: how its data is read, how it is built."""

    name: str
    load: Callable[[Session, User, ZoneInfo], Any]
    build: Callable[[Any, ClinicalContext], dict[str, Any]]


def _local_day(instant: Any, zone: ZoneInfo) -> np.datetime64:
    return np.datetime64(instant.astimezone(zone).date(), "D")


def load_medication(session: Session, patient: User, zone: ZoneInfo) -> MedicationDays:
    """Per attack and class taken: the local start day. Classes come from the attack's list
    entries and from its free text when the patient mapped that text (MedicationAlias)."""
    pairs: set[tuple[int, np.datetime64, str]] = set()
    for attack_id, started, cls in session.execute(
        select(Attack.id, Attack.started_at, Medication.drug_class)
        .join(AttackMedication, AttackMedication.attack_id == Attack.id)
        .join(Medication, Medication.id == AttackMedication.medication_id)
        .where(Attack.patient_id == patient.id)
    ):
        pairs.add((attack_id, _local_day(started, zone), cls))
    aliases = dict(session.execute(
        select(MedicationAlias.text, Medication.drug_class)
        .join(Medication, Medication.id == MedicationAlias.medication_id)
        .where(MedicationAlias.patient_id == patient.id)).all())
    if aliases:
        aliases = {alias_key(k): v for k, v in aliases.items()}
        for attack_id, started, text in session.execute(
            select(Attack.id, Attack.started_at, Attack.medication)
            .where(Attack.patient_id == patient.id, Attack.medication != "")
        ):
            cls = aliases.get(alias_key(text))
            if cls is not None:
                pairs.add((attack_id, _local_day(started, zone), cls))
    rows = sorted(pairs)
    return MedicationDays(np.array([r[1] for r in rows], dtype="datetime64[D]"),
                          np.array([r[2] for r in rows], dtype=object))


def load_function(session: Session, patient: User, zone: ZoneInfo) -> FunctionDays:
    """Per attack with a function level: the local start day and the level."""
    rows = session.execute(
        select(Attack.started_at, Attack.function)
        .where(Attack.patient_id == patient.id, Attack.function.is_not(None))
        .order_by(Attack.started_at, Attack.id)).all()
    return FunctionDays(np.array([_local_day(s, zone) for s, _ in rows], dtype="datetime64[D]"),
                        np.array([lv for _, lv in rows], dtype=object))


@cache
def _shipped_instruments() -> dict[str, Any]:
    """The shipped definitions, read once per process (every report reads their titles)."""
    return load_instruments()


def load_questionnaires(session: Session, patient: User, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The answered questionnaires' scores side by side (titles of the shipped instruments;
    an operator's own instrument shows its id)."""
    return score_table(session, patient, _shipped_instruments())


#: The sections of the report's ``clinical`` object, in order. Register a section here.
SECTIONS: list[ClinicalSection] = [
    ClinicalSection("medication", load_medication, medication_section),
    ClinicalSection("function", load_function, function_section),
    ClinicalSection("practice", load_practice, practice_section),
    ClinicalSection("triggers", load_triggers, triggers_section),
    ClinicalSection("cycle", load_cycle, cycle_section),
    ClinicalSection("questionnaires", load_questionnaires, questionnaire_section),
]


def load_clinical(session: Session, patient: User) -> tuple[ClinicalPart, ...]:
    """Every registered section's data for ``patient``, ready for the analysis."""
    zone = ZoneInfo(require_patient(patient).timezone)
    return tuple(ClinicalPart(s.name, s.build, s.load(session, patient, zone))
                 for s in SECTIONS)


#: The daily export's columns of this module (issue #16): a medication day (true, else
#: empty), its classes (";"-joined), and the lowest function of the attacks begun that day.
DAILY_MEDICATION_COLUMNS = ("medication_day", "medication_classes", "function")


def daily_medication(session: Session, patient: User) -> dict[str, dict[str, object]]:
    """Per local day (ISO date) with an attack begun on it that had medication or a function
    level: the :data:`DAILY_MEDICATION_COLUMNS` (the report's definitions)."""
    zone = ZoneInfo(require_patient(patient).timezone)
    out: dict[str, dict[str, object]] = {}
    meds = load_medication(session, patient, zone)
    classes: dict[str, set[str]] = {}
    for day, cls in zip(meds.days.astype(str), meds.classes, strict=True):
        classes.setdefault(str(day), set()).add(str(cls))
    for day, found in classes.items():
        out[day] = {"medication_day": True,
                    "medication_classes": ";".join(c for c in DRUG_CLASSES if c in found),
                    "function": None}
    levels = load_function(session, patient, zone)
    for day, level in zip(levels.days.astype(str), levels.levels, strict=True):
        row = out.setdefault(str(day), dict.fromkeys(DAILY_MEDICATION_COLUMNS))
        worst = max((row["function"], level), key=lambda v: -1 if v is None else
                    FUNCTION_LEVELS.index(str(v)))
        row["function"] = worst
    return out
