"""A patient's acute medication list, the medications of attacks and free-text aliases
(issue #16).

The list is per patient (name and class); an attack links to entries with an optional dose
count and whether it helped (yes, partly, no). The free text of older attacks stays; the
patient maps each distinct text to a list entry once (:class:`MedicationAlias`), and the
report counts those attacks too. Functions flush, never commit: the caller owns the
transaction. Changes that feed the report stamp the profile's ``diary_changed_at``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from tracker.clinical_models import AttackMedication, Medication, MedicationAlias
from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput
from tracker.diary.fields import ATTACK_MEDICATION_RULES, MEDICATION_RULES
from tracker.diary.medication_names import (
    AttackWithMedications,
    TakenByName,
    format_medications_cell,
    guess_class,
)
from tracker.diary.profile import require_patient
from tracker.diary.validation import is_row_id
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import Attack, User

#: Characters a medication name may not hold (the CSV's compact format uses them).
NAME_FORBIDDEN = (";", "|")


def alias_key(text: str) -> str:
    """The form a free-text medication is matched in: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Taken:
    """A medication taken for an attack, by list entry id: doses (1-20) and helped, optional."""

    medication_id: int
    doses: int | None = None
    helped: str | None = None


def _touch(patient: User) -> None:
    """Stamp the diary as changed (the report reads medications and aliases)."""
    require_patient(patient).diary_changed_at = utcnow()


def check_name(name: object) -> str:
    """Return a usable medication name (stripped), or raise ValidationError (field ``name``)."""
    if not isinstance(name, str):
        raise ValidationError("expected text", "name")
    text = " ".join(name.split())
    MEDICATION_RULES["name"].check(text)
    if not text:
        raise ValidationError("must not be empty", "name")
    if any(c in text for c in NAME_FORBIDDEN):
        raise ValidationError("must not contain ';' or '|'", "name")
    return text


def check_class(drug_class: object) -> str:
    """Return ``drug_class`` if it is one of DRUG_CLASSES, else raise ValidationError."""
    choices = MEDICATION_RULES["drug_class"].choices
    if drug_class not in choices:
        raise ValidationError(f"{drug_class!r} is not one of {', '.join(choices)}",
                              "drug_class")
    return str(drug_class)


def check_taken(taken: Taken) -> Taken:
    """Check a taken medication's dose count and verdict (not yet its owner)."""
    ATTACK_MEDICATION_RULES["doses"].check(taken.doses)
    helped = ATTACK_MEDICATION_RULES["helped"].choices
    if taken.helped is not None and taken.helped not in helped:
        raise ValidationError(f"{taken.helped!r} is not one of {', '.join(helped)}", "helped")
    return taken


def use_counts(session: Session, patient: User) -> dict[int, int]:
    """How many attacks each of the patient's list entries was taken for."""
    return dict(session.execute(
        select(AttackMedication.medication_id, func.count())
        .join(Medication, Medication.id == AttackMedication.medication_id)
        .where(Medication.patient_id == patient.id)
        .group_by(AttackMedication.medication_id)).all())


def list_medications(session: Session, patient: User, *, include_archived: bool = True
                     ) -> list[Medication]:
    """The patient's list, most used first, then by name (archived ones last)."""
    stmt = select(Medication).where(Medication.patient_id == patient.id)
    if not include_archived:
        stmt = stmt.where(Medication.archived.is_(False))
    items = list(session.scalars(stmt))
    counts = use_counts(session, patient)
    return sorted(items, key=lambda m: (m.archived, -counts.get(m.id, 0), m.name.casefold()))


def get_medication(session: Session, patient: User, medication_id: int) -> Medication:
    """One of the patient's list entries, or NotFoundError."""
    med = session.get(Medication, medication_id) if is_row_id(medication_id) else None
    if med is None or med.patient_id != patient.id:
        raise NotFoundError(f"no medication {medication_id}", "medication_id")
    return med


def find_by_name(session: Session, patient: User, name: str) -> Medication | None:
    """The patient's list entry of this name (case and spacing ignored), if any."""
    key = alias_key(name)
    for med in session.scalars(select(Medication).where(Medication.patient_id == patient.id)):
        if alias_key(med.name) == key:
            return med
    return None


def add_medication(session: Session, patient: User, name: str, drug_class: str = "other",
                   *, now: datetime | None = None) -> Medication:
    """Add a list entry; ConflictError when the patient has one of that name already."""
    require_patient(patient)
    name, drug_class = check_name(name), check_class(drug_class)
    if find_by_name(session, patient, name) is not None:
        raise ConflictError(f"{name!r} is on your list already", "name")
    med = Medication(patient_id=patient.id, name=name, drug_class=drug_class,
                     archived=False, created_at=now or utcnow())
    session.add(med)
    session.flush()
    return med


def update_medication(session: Session, patient: User, medication_id: int, *,
                      name: str | None = None, drug_class: str | None = None,
                      archived: bool | None = None) -> Medication:
    """Rename, reclassify, archive or restore a list entry (None: unchanged)."""
    med = get_medication(session, patient, medication_id)
    if name is not None:
        name = check_name(name)
        other = find_by_name(session, patient, name)
        if other is not None and other.id != med.id:
            raise ConflictError(f"{name!r} is on your list already", "name")
        med.name = name
    if drug_class is not None and drug_class != med.drug_class:
        med.drug_class = check_class(drug_class)
        _touch(patient)
    if archived is not None:
        if not isinstance(archived, bool):
            raise ValidationError("expected true or false", "archived")
        med.archived = archived
    session.flush()
    return med


def medications_of(session: Session, attack_ids: Iterable[int]
                   ) -> dict[int, list[AttackMedication]]:
    """The medications taken for each attack (by id), in the order they were added."""
    ids = list(attack_ids)
    out: dict[int, list[AttackMedication]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(select(AttackMedication)
                                   .where(AttackMedication.attack_id.in_(ids))
                                   .order_by(AttackMedication.id)):
            out[row.attack_id].append(row)
    return out


def set_attack_medications(session: Session, patient: User, attack: Attack,
                           taken: Sequence[Taken]) -> list[AttackMedication]:
    """Replace the medications of one of the patient's attacks with ``taken``."""
    if attack.patient_id != patient.id:
        raise NotFoundError(f"no attack {attack.id}", "id")
    seen: set[int] = set()
    for item in taken:
        check_taken(item)
        try:
            get_medication(session, patient, item.medication_id)
        except NotFoundError as exc:  # a bad value of the attack, not a missing resource
            raise ValidationError(exc.message, "medication_id") from None
        if item.medication_id in seen:
            raise ValidationError("a medication is listed twice", "medication_id")
        seen.add(item.medication_id)
    session.execute(delete(AttackMedication).where(AttackMedication.attack_id == attack.id))
    rows = [AttackMedication(attack_id=attack.id, medication_id=t.medication_id,
                             doses=t.doses, helped=t.helped) for t in taken]
    session.add_all(rows)
    _touch(patient)
    session.flush()
    return rows


def toggle_attack_medication(session: Session, patient: User, attack: Attack,
                             medication_id: int) -> bool:
    """Add the list entry to the attack, or remove it when it is there; True if added."""
    current = medications_of(session, [attack.id])[attack.id]
    kept = [Taken(r.medication_id, r.doses, r.helped) for r in current
            if r.medication_id != medication_id]
    added = len(kept) == len(current)
    if added:
        kept.append(Taken(medication_id))
    set_attack_medications(session, patient, attack, kept)
    return added


def set_helped(session: Session, patient: User, attack: Attack, medication_id: int,
               helped: str | None) -> None:
    """Say whether one medication taken for the attack helped (yes, partly, no, None)."""
    current = medications_of(session, [attack.id])[attack.id]
    if not any(r.medication_id == medication_id for r in current):
        raise NotFoundError("that medication is not on this attack", "medication_id")
    set_attack_medications(session, patient, attack, [
        Taken(r.medication_id, r.doses, helped if r.medication_id == medication_id
              else r.helped) for r in current])


def unmapped_texts(session: Session, patient: User) -> list[tuple[str, int]]:
    """Distinct free-text medications of the patient's attacks without a mapping, with how
    many attacks give each (spelling: the most frequent one), most frequent first."""
    mapped = {alias_key(t) for t in session.scalars(
        select(MedicationAlias.text).where(MedicationAlias.patient_id == patient.id))}
    spellings: dict[str, Counter[str]] = {}
    for text, n in session.execute(
        select(Attack.medication, func.count())
        .where(Attack.patient_id == patient.id, Attack.medication != "")
        .group_by(Attack.medication)
    ):
        key = alias_key(text)
        if key and key not in mapped:
            spellings.setdefault(key, Counter())[text] += n
    out = [(c.most_common(1)[0][0], sum(c.values())) for c in spellings.values()]
    return sorted(out, key=lambda p: (-p[1], p[0].casefold()))


def map_text(session: Session, patient: User, text: str, medication_id: int
             ) -> MedicationAlias:
    """Map a free-text medication (every attack with that text) to a list entry, once."""
    get_medication(session, patient, medication_id)
    key = alias_key(text if isinstance(text, str) else "")
    if not key:
        raise ValidationError("must not be empty", "text")
    alias = session.scalars(select(MedicationAlias).where(
        MedicationAlias.patient_id == patient.id, MedicationAlias.text == key[:200])).first()
    if alias is None:
        alias = MedicationAlias(patient_id=patient.id, text=key[:200])
        session.add(alias)
    alias.medication_id = medication_id
    _touch(patient)
    session.flush()
    return alias


def entry_for(session: Session, patient: User, item: TakenByName,
              now: datetime | None = None) -> Medication:
    """The list entry of an imported medication name: found, or added (class given or
    guessed from the name, see :func:`tracker.diary.medication_names.guess_class`)."""
    found = find_by_name(session, patient, item.name)
    if found is not None:
        return found
    return add_medication(session, patient, item.name, item.drug_class or guess_class(item.name),
                          now=now)


def link_imported(session: Session, patient: User, attacks: Sequence[AttackInput],
                  now: datetime | None = None) -> int:
    """After a bulk import: link the medications the file named to the stored attacks
    (found by start); return how many links were made."""
    named = [a for a in attacks if isinstance(a, AttackWithMedications) and a.medications]
    if not named:
        return 0
    by_start: dict[float, int] = {}
    for first in range(0, len(named), 1000):  # bounded IN lists (SQLite's variable limit)
        starts = [a.started_at for a in named[first:first + 1000]]
        by_start.update((k.timestamp(), v) for k, v in session.execute(
            select(Attack.started_at, Attack.id).where(Attack.patient_id == patient.id,
                                                       Attack.started_at.in_(starts))))
    entries: dict[str, int] = {}  # one lookup per distinct name, not one per attack
    rows: list[dict[str, object]] = []
    for attack in named:
        seen: set[int] = set()
        for item in attack.medications:
            key = alias_key(item.name)
            if key not in entries:
                entries[key] = entry_for(session, patient, item, now).id
            med_id = entries[key]
            if med_id in seen:
                continue
            seen.add(med_id)
            check_taken(Taken(med_id, item.doses, item.helped))
            rows.append({"attack_id": by_start[attack.started_at.timestamp()],
                         "medication_id": med_id, "doses": item.doses, "helped": item.helped})
    if rows:  # one executemany: an import of 100,000 attacks must not build ORM objects
        session.execute(insert(AttackMedication.__table__), rows)
    _touch(patient)
    session.flush()
    return len(rows)



def medications_text(session: Session, patient: User) -> dict[int, str]:
    """Each of the patient's attacks with medications: the CSV's ``medications`` cell."""
    rows = session.execute(
        select(AttackMedication.attack_id, Medication.name, Medication.drug_class,
               AttackMedication.doses, AttackMedication.helped)
        .join(Medication, Medication.id == AttackMedication.medication_id)
        .where(Medication.patient_id == patient.id)
        .order_by(AttackMedication.attack_id, AttackMedication.id))
    found: dict[int, list[TakenByName]] = {}
    for attack_id, name, cls, doses, helped in rows:
        found.setdefault(attack_id, []).append(TakenByName(name, cls, doses, helped))
    return {k: format_medications_cell(v) for k, v in found.items()}
