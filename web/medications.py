"""The patient's acute medication list (/medications), the mapping of older free-text
medications (/medications/map), and the medication chips of the attack form and of the
"log attack now" follow-up (issue #16, point 1)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tracker.diary.clinical_terms import DRUG_CLASS_LABELS, DRUG_CLASSES, HELPED
from tracker.diary.fields import ATTACK_MEDICATION_RULES, MEDICATION_RULES
from tracker.diary.medications import (
    Taken,
    add_medication,
    get_medication,
    list_medications,
    map_text,
    medications_of,
    set_attack_medications,
    set_helped,
    toggle_attack_medication,
    unmapped_texts,
    update_medication,
    use_counts,
)
from tracker.errors import TrackerError, ValidationError
from tracker.models import Attack, User
from web.access import me, role_required
from web.db import db_session

bp = Blueprint("medications", __name__)

#: Words for "did it help?" on chips.
HELPED_LABELS = {"yes": "Helped", "partly": "Partly", "no": "Did not help"}


def _commit_or_flash(action: Any, done: str) -> None:
    """Run ``action`` in the request's transaction: commit and flash ``done``, or roll back
    and flash the error."""
    session = db_session()
    try:
        action()
    except TrackerError as exc:
        session.rollback()
        flash(f"Not saved: {exc.message}.")
        return
    session.commit()
    flash(done)


@bp.route("/medications", methods=["GET", "POST"])
@role_required("patient")
def medications_page() -> ResponseReturnValue:
    """The patient's list: add a name with its class; archive or restore an entry."""
    session = db_session()
    if request.method == "POST":
        name = request.form.get("name", "")
        _commit_or_flash(
            lambda: add_medication(session, me(), name, request.form.get("drug_class", "")),
            f"Added {' '.join(name.split())}.")
        return redirect(url_for("medications.medications_page"))
    items = list_medications(session, me())
    return render_template(
        "medications.html", items=items, counts=use_counts(session, me()),
        classes=DRUG_CLASSES, class_labels=DRUG_CLASS_LABELS, name_rule=MEDICATION_RULES["name"],
        unmapped=len(unmapped_texts(session, me())))


@bp.route("/medications/<id:medication_id>/archive", methods=["POST"])
@role_required("patient")
def archive(medication_id: int) -> ResponseReturnValue:
    """Archive an entry (hidden from the attack form, kept for past attacks) or restore it."""
    session = db_session()
    get_medication(session, me(), medication_id)  # someone else's: NotFoundError -> 404
    archived = request.form.get("archived") == "yes"
    _commit_or_flash(lambda: update_medication(session, me(), medication_id, archived=archived),
                     "Archived." if archived else "Restored.")
    return redirect(url_for("medications.medications_page"))


@bp.route("/medications/<id:medication_id>/class", methods=["POST"])
@role_required("patient")
def change_class(medication_id: int) -> ResponseReturnValue:
    """Change an entry's class."""
    session = db_session()
    get_medication(session, me(), medication_id)  # someone else's: NotFoundError -> 404
    _commit_or_flash(lambda: update_medication(session, me(), medication_id,
                                               drug_class=request.form.get("drug_class", "")),
                     "Class changed.")
    return redirect(url_for("medications.medications_page"))


@bp.route("/medications/map", methods=["GET", "POST"])
@role_required("patient")
def map_page() -> ResponseReturnValue:
    """Older attacks' free-text medications without a list entry, each mapped once."""
    session = db_session()
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            medication_id = int(request.form.get("medication_id", ""))
        except ValueError:
            medication_id = 0
        _commit_or_flash(lambda: map_text(session, me(), text, medication_id),
                         f"Every attack with “{text}” now counts as that medication.")
        return redirect(url_for("medications.map_page"))
    return render_template("medication_map.html", texts=unmapped_texts(session, me()),
                           items=list_medications(session, me(), include_archived=False))


def choices_for(session: Session, patient: User, attack: Attack | None
                ) -> list[dict[str, Any]]:
    """The chips of an attack form: the patient's active entries (most used first) and any
    archived entry already on the attack, each with what the attack has for it."""
    taken = {r.medication_id: r for r in
             (medications_of(session, [attack.id])[attack.id] if attack else [])}
    out = []
    for med in list_medications(session, patient):
        row = taken.get(med.id)
        if med.archived and row is None:
            continue
        out.append({"id": med.id, "name": med.name, "chosen": row is not None,
                    "doses": row.doses if row else None, "helped": row.helped if row else None})
    return out


def _int_or_none(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError("expected a whole number", field)
    return int(text)


def save_medication_chips(session: Session, patient: User, attack: Attack) -> Attack:
    """Store the attack form's medication chips (with doses and "helped") when it showed them."""
    form = request.form
    if not form.get("medications_shown"):
        return attack
    taken = []
    for raw in form.getlist("medications"):
        med_id = _int_or_none(raw, "medications")
        if med_id is None:
            continue
        helped = form.get(f"helped-{med_id}") or None
        taken.append(Taken(med_id, _int_or_none(form.get(f"doses-{med_id}", ""), "doses"),
                           helped))
    set_attack_medications(session, patient, attack, taken)
    return attack


def save_follow_up_medication(session: Session, patient: User, attack: Attack) -> None:
    """The follow-up page's one-tap medication buttons: choose or unchoose, or "helped"."""
    form = request.form
    if "toggle_medication" in form:
        med_id = _int_or_none(form["toggle_medication"], "medications") or 0
        toggle_attack_medication(session, patient, attack, med_id)
    for key, value in form.items():
        if key.startswith("helped-"):
            med_id = _int_or_none(key.removeprefix("helped-"), "medications") or 0
            set_helped(session, patient, attack, med_id, value or None)


@bp.app_context_processor
def medication_chip_context() -> dict[str, Any]:
    """What ``_medication_chips.html`` needs: the chips of an attack, the vocabularies."""

    def medication_chips(attack: Attack | None = None) -> list[dict[str, Any]]:
        return choices_for(db_session(), me(), attack)

    return {"medication_chips": medication_chips, "helped_choices": HELPED,
            "helped_labels": HELPED_LABELS, "doses_rule": ATTACK_MEDICATION_RULES["doses"]}



