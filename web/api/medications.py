"""API of the acute medication list (issue #16, point 1); patients only, like the diary.

An attack's medications are read and written with the attack (``medications`` of
``/attacks``); :func:`attack_medications` gives them for the attack responses.
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import AttackMedication, Medication
from tracker.diary.fields import MEDICATION_RULES
from tracker.diary.medications import (
    Taken,
    add_medication,
    get_medication,
    list_medications,
    set_attack_medications,
    update_medication,
    use_counts,
)
from tracker.models import Attack, User
from web.api import schemas
from web.api.core import api_user, body, bp, found, operation, role
from web.db import db_session

_PATIENT = "Patient accounts only (others get 403)."


def _shown(med: Medication, uses: int) -> dict[str, Any]:
    return {"id": med.id, "name": med.name, "drug_class": med.drug_class,
            "archived": med.archived, "uses": uses}


@bp.get("/medications")
@operation("listMedications", "List the acute medication list (most used first)",
           description=f"{_PATIENT} Archived entries come last.")
@role("patient")
@bp.output(schemas.MedicationList, description="The list, most used first.")
def medications_list() -> ResponseReturnValue:
    """The patient's medication list, most used first, archived entries last."""
    session, patient = db_session(), api_user()
    counts = use_counts(session, patient)
    return {"items": [_shown(m, counts.get(m.id, 0)) for m in list_medications(session, patient)]}


@bp.post("/medications")
@operation("createMedication", "Add a medication to the list", errors=(400, 409),
           description=f"{_PATIENT} A name already on the list (case ignored) gets 409.",
           rules=MEDICATION_RULES)
@role("patient")
@body(schemas.MedicationInput)
@bp.output(schemas.Medication, status_code=201, description="The new entry.")
def medications_create(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Add an entry (name and class); archived entries may be added too."""
    session, patient = db_session(), api_user()
    med = add_medication(session, patient, json_data["name"], json_data["drug_class"])
    if json_data.get("archived"):
        update_medication(session, patient, med.id, archived=True)
    session.commit()
    return _shown(med, 0), 201


@bp.patch("/medications/<id:medication_id>")
@operation("updateMedication", "Rename, reclassify, archive or restore a medication",
           errors=(400, 404, 409), description=_PATIENT, rules=MEDICATION_RULES)
@role("patient")
@found(get_medication, "medication_id")
@body(schemas.MedicationPatch)
@bp.output(schemas.Medication, description="The entry.")
def medications_update(medication_id: int, json_data: dict[str, Any]) -> ResponseReturnValue:
    """Change the given fields of an entry; past attacks keep it."""
    session, patient = db_session(), api_user()
    med = update_medication(session, patient, medication_id, **json_data)
    session.commit()
    return _shown(med, use_counts(session, patient).get(med.id, 0))


def attack_medications(session: Session, attack_ids: list[int]) -> dict[int, list[dict]]:
    """The ``medications`` member of each attack (by id), in the order they were added."""
    out: dict[int, list[dict]] = {i: [] for i in attack_ids}
    if not attack_ids:
        return out
    rows = session.execute(
        select(AttackMedication, Medication.name, Medication.drug_class)
        .join(Medication, Medication.id == AttackMedication.medication_id)
        .where(AttackMedication.attack_id.in_(attack_ids)).order_by(AttackMedication.id))
    for row, name, cls in rows:
        out[row.attack_id].append({"medication_id": row.medication_id, "doses": row.doses,
                                   "helped": row.helped, "name": name, "drug_class": cls})
    return out


def store_attack_medications(session: Session, patient: User, attack: Attack,
                             items: list[dict[str, Any]] | None) -> None:
    """Replace the attack's medications with ``items`` (None: leave them as they are)."""
    if items is not None:
        set_attack_medications(session, patient, attack, [
            Taken(i["medication_id"], i.get("doses"), i.get("helped")) for i in items])
