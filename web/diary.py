"""The patient's diary pages: the quick attack log and the list of attacks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, url_for

from web.access import me, role_required
from web.db import db_session
from web.forms import AttackForm, tri_state

bp = Blueprint("diary", __name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(me().profile.timezone)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=_zone()) if value is not None else None


@bp.route("/attacks", methods=["GET", "POST"])
@role_required("patient")
def attacks():
    """List the patient's attacks and log a new one (the start defaults to now)."""
    from tracker.clock import utcnow
    from tracker.diary import AttackInput, list_attacks, record_attack
    from tracker.errors import TrackerError

    session = db_session()
    patient = me()
    form = AttackForm()
    status = 200
    if form.validate_on_submit():
        data = AttackInput(
            started_at=_aware(form.started_at.data),
            ended_at=_aware(form.ended_at.data),
            kind=form.kind.data,
            intensity=form.intensity.data,
            aura=bool(form.aura.data),
            medication=form.medication.data or "",
            medication_helped=tri_state(form.medication_helped.data),
            threat=form.threat.data,
            expected_weather=tri_state(form.expected_weather.data),
            notes=form.notes.data or "",
        )
        try:
            record_attack(session, patient, data, source="web")
        except TrackerError as exc:
            session.rollback()
            getattr(form, exc.field or "started_at", form.started_at).errors.append(exc.message)
            status = 400
        else:
            session.commit()
            flash("Attack saved.")
            return redirect(url_for("diary.attacks"))
    elif form.is_submitted():
        status = 400
    else:
        form.started_at.data = utcnow().astimezone(_zone()).replace(
            second=0, microsecond=0, tzinfo=None
        )
    items = list_attacks(session, patient)
    items.reverse()
    return render_template(
        "attacks.html", form=form, attacks=items, zone=_zone(), ongoing=[a for a in items
                                                                        if a.ended_at is None]
    ), status


@bp.route("/attacks/<int:attack_id>/end", methods=["POST"])
@role_required("patient")
def end(attack_id: int):
    """End an ongoing attack now."""
    from tracker.diary import end_attack
    from tracker.errors import NotFoundError, TrackerError

    session = db_session()
    try:
        end_attack(session, me(), attack_id)
    except NotFoundError:
        return render_template("error.html", message="No such attack."), 404
    except TrackerError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(url_for("diary.attacks"))
    session.commit()
    flash("Attack ended.")
    return redirect(url_for("diary.attacks"))


@bp.route("/attacks/<int:attack_id>/delete", methods=["POST"])
@role_required("patient")
def delete(attack_id: int):
    """Delete one of the patient's attacks."""
    from tracker.diary import delete_attack
    from tracker.errors import NotFoundError

    session = db_session()
    try:
        delete_attack(session, me(), attack_id)
    except NotFoundError:
        return render_template("error.html", message="No such attack."), 404
    session.commit()
    flash("Attack deleted.")
    return redirect(url_for("diary.attacks"))
