"""Two-tap logging: "Log attack now" stores an ongoing attack starting now (one tap, from the
header of every patient page), then its page offers intensity, kind and medication (one tap
each, all optional) and "It has ended"; routes on the diary blueprint."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.attack_input import ATTACK_RULES, AttackInput
from tracker.diary.attacks import attack_input, get_attack, record_attack, update_attack
from tracker.diary.clinical_terms import FUNCTION_LABELS
from tracker.diary.day_clash import CheckinClashError, day_label, instant_label
from tracker.diary.locks import lock_patient_diary
from tracker.errors import TrackerError, ValidationError
from tracker.models import Attack, User
from web.access import me, role_required
from web.db import db_session
from web.medications import save_follow_up_medication

#: An ongoing attack that started this recently is "the current one": tapping "Log attack
#: now" again (a double tap, or later in the same attack) opens it instead of adding another.
CURRENT_FOR = timedelta(hours=24)


def _current(session: Session, patient: User) -> Attack | None:
    """The patient's ongoing attack that started within CURRENT_FOR, if any."""
    since = utcnow() - CURRENT_FOR
    return session.scalars(
        select(Attack).where(Attack.patient_id == patient.id, Attack.ended_at.is_(None),
                             Attack.started_at >= since)
        .order_by(Attack.started_at.desc()).limit(1)
    ).first()


def log_now() -> ResponseReturnValue:
    """Store an ongoing attack starting now (under the diary lock), then show its page."""
    session = db_session()
    patient = me()
    zone = ZoneInfo(patient.profile.timezone)
    lock_patient_diary(session, patient.id)  # the "already going on?" check and the insert
    current = _current(session, patient)
    if current is not None:
        flash(f"Your attack since {instant_label(current.started_at, zone)} is still "
              "logged as going on.")
        return redirect(url_for("diary.follow_up", attack_id=current.id))
    try:
        attack = record_attack(session, patient, AttackInput(started_at=utcnow()), source="web",
                               replace_checkin=request.form.get("confirm") == "yes")
    except CheckinClashError as exc:
        session.rollback()
        days = ", ".join(day_label(d) for d in exc.days)
        return render_template("attack_now_confirm.html", days=days), 409
    except TrackerError as exc:
        session.rollback()
        flash(f"Not saved: {exc.message}.")
        return redirect(url_for("diary.attacks"))
    session.commit()
    return redirect(url_for("diary.follow_up", attack_id=attack.id))


def _details(attack: Attack) -> AttackInput:
    """The attack's fields with what the follow-up form sent (absent fields stay as they are)."""
    data = attack_input(attack)
    form = request.form
    if "kind" in form:
        data.kind = form["kind"]
    if "intensity" in form:
        text = form["intensity"].strip()
        if not text.isdigit():
            raise ValidationError("choose a number from 0 to 10", "intensity")
        data.intensity = int(text)
    if "medication" in form:
        data.medication = form["medication"]
    if "function" in form:
        data.function = form["function"] or None
    return data


def follow_up(attack_id: int) -> ResponseReturnValue:
    """The page of a just-logged attack: optional details, and "It has ended"."""
    session = db_session()
    patient = me()
    attack = get_attack(session, patient, attack_id)  # someone else's: NotFoundError -> 404
    error, status = None, 200
    if request.method == "POST":
        try:
            save_follow_up_medication(session, patient, attack)
            update_attack(session, patient, attack.id, _details(attack))
            session.commit()
        except TrackerError as exc:
            session.rollback()
            error, status = f"Not saved: {exc.message}.", 400
            attack = get_attack(session, patient, attack_id)
        else:
            flash("Saved.")
            return redirect(url_for("diary.follow_up", attack_id=attack.id))
    return render_template(
        "attack_now.html", attack=attack, zone=ZoneInfo(patient.profile.timezone),
        error=error, kinds=ATTACK_RULES["kind"].choices,
        intensity=ATTACK_RULES["intensity"], medication=ATTACK_RULES["medication"],
        function=ATTACK_RULES["function"], function_labels=FUNCTION_LABELS,
    ), status


def register(bp: Blueprint) -> None:
    """Add "Log attack now" and the follow-up page to the diary blueprint."""
    patient_only = role_required("patient")
    bp.add_url_rule("/attacks/now", "log_now", patient_only(log_now), methods=["POST"])
    bp.add_url_rule("/attacks/<id:attack_id>/now", "follow_up", patient_only(follow_up),
                    methods=["GET", "POST"])
