"""Sharing a diary: share codes, who has access, revoking, the audit log, clinicians' views."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from tracker.accounts.audit import events_for_patient
from tracker.accounts.sharing import (
    count_redeem_attempt,
    create_invitation,
    links_of_patient,
    pending_codes,
    redeem_invitation,
    revoke_link,
)
from tracker.accounts.sharing import revoke_code as revoke_share_code
from tracker.accounts.throttle import ThrottledError
from tracker.diary.attacks import list_attacks
from tracker.diary.checkins import list_checkins
from tracker.diary.courses import list_courses
from tracker.diary.profile import list_location_periods
from tracker.errors import TrackerError
from tracker.models import User
from tracker.reports.access import view_diary
from web.access import me, role_required
from web.dashboard import SORT_KEYS, clinician_rows, send_export
from web.db import db_session, settings
from web.forms import ActionForm, RedeemForm, add_error

bp = Blueprint("sharing", __name__)

#: Plain-language names of the audit log's actions.
ACTIONS = {
    "share_code_created": "created a share code",
    "share_link_created": "redeemed a share code and can now see the diary",
    "share_link_revoked": "ended a clinician's access (unused share codes revoked too)",
    "share_code_revoked": "revoked an unused share code",
    "password_changed": "changed the password (API tokens revoked, other browsers logged out)",
    "password_reset": "had the password reset by the operator (API tokens revoked, logged out)",
    "view_diary": "viewed the diary",
    "view_report": "viewed the report",
    "export_attacks": "exported the attacks (CSV)",
    "export_daily": "exported the daily table (CSV)",
    "export_pressure": "exported the hourly pressure (CSV)",
    "export_summary": "exported the report summary (CSV)",
    "diary_imported": "imported attacks from a file",
}


def _sharing_page(code: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The sharing page, with a new code shown once when there is one."""
    session = db_session()
    return render_template(
        "sharing.html", links=links_of_patient(session, me()), code=code,
        pending=pending_codes(session, me()),
        hours=settings().web.share_code_hours, action=ActionForm(),
        zone=ZoneInfo(me().profile.timezone),
    ), status


@bp.route("/sharing")
@role_required("patient")
def sharing() -> ResponseReturnValue:
    """Who can see the patient's diary; create a share code; revoke access."""
    return _sharing_page()


@bp.route("/sharing/code", methods=["POST"])
@role_required("patient")
def create_code() -> ResponseReturnValue:
    """Create a single-use share code and show it once (it is never stored in clear)."""
    form = ActionForm()
    if not form.validate_on_submit():
        return _sharing_page(status=400)
    session = db_session()
    code, _ = create_invitation(session, me(), valid_hours=settings().web.share_code_hours)
    session.commit()
    return _sharing_page(code=code, status=201)


@bp.route("/sharing/<id:link_id>/revoke", methods=["POST"])
@role_required("patient")
def revoke(link_id: int) -> ResponseReturnValue:
    """End one clinician's access to the diary."""
    session = db_session()
    revoke_link(session, me(), link_id)
    session.commit()
    flash("Access ended. That clinician can no longer see your diary, and your unused share "
          "codes no longer work.")
    return redirect(url_for("sharing.sharing"))


@bp.route("/sharing/codes/<id:code_id>/revoke", methods=["POST"])
@role_required("patient")
def revoke_code(code_id: int) -> ResponseReturnValue:
    """Revoke an unused share code, so nobody can redeem it any more."""
    session = db_session()
    revoke_share_code(session, me(), code_id)
    session.commit()
    flash("Share code revoked. It can no longer be used.")
    return redirect(url_for("sharing.sharing"))


@bp.route("/audit")
@role_required("patient")
def audit() -> ResponseReturnValue:
    """The patient's audit log: who viewed or exported their data, and sharing changes."""
    session = db_session()
    events = events_for_patient(session, me())
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {u.id: u for u in (session.get(User, i) for i in actor_ids) if u is not None}
    return render_template("audit.html", events=events, actors=actors, actions=ACTIONS,
                           zone=ZoneInfo(me().profile.timezone))


@bp.route("/patients")
@role_required("clinician")
def patients() -> ResponseReturnValue:
    """A clinician's list of the patients who share their diary, and the redeem form."""
    sort = request.args.get("sort", "name")
    descending = request.args.get("dir") == "desc"
    return render_template("patients.html", rows=clinician_rows(sort, descending),
                           form=RedeemForm(), sort=sort if sort in SORT_KEYS else "name",
                           descending=descending)


def _count_attempt(session: Session) -> None:
    """Count a share-code attempt of this clinician and address (kept even if it fails)."""
    web = settings().web
    try:
        count_redeem_attempt(session, me(), request.remote_addr or "",
                             per_account=web.share_code_attempts_per_account,
                             per_address=web.share_code_attempts_per_address)
    finally:
        session.commit()  # the count stays, whatever happens next


@bp.route("/patients/redeem", methods=["GET", "POST"])
@role_required("clinician")
def redeem() -> ResponseReturnValue:
    """Redeem a patient's share code; the patient then appears on the list."""
    form = RedeemForm()
    status = 200
    if form.validate_on_submit():
        session = db_session()
        try:
            _count_attempt(session)
            redeem_invitation(session, me(), form.code.data or "")
        except TrackerError as exc:
            session.rollback()
            add_error(form, exc.field, exc.message, "code")
            status = 429 if isinstance(exc, ThrottledError) else 400
        else:
            session.commit()
            flash("Code accepted. The patient is now on your list.")
            return redirect(url_for("sharing.patients"))
    elif form.is_submitted():
        status = 400
    return render_template("redeem.html", form=form), status


@bp.route("/patients/<id:patient_id>")
@role_required("clinician")
def patient(patient_id: int) -> ResponseReturnValue:
    """A linked patient's diary, read-only (the view is written to the patient's audit log)."""
    session = db_session()
    person = view_diary(session, me(), patient_id)
    session.commit()
    items = list_attacks(session, person)
    items.reverse()
    return render_template(
        "patient.html", patient=person, attacks=items, zone=ZoneInfo(person.profile.timezone),
        checkins=list_checkins(session, person), courses=list_courses(session, person),
        periods=list_location_periods(session, person),
    )


@bp.route("/patients/<id:patient_id>/attacks.csv")
@role_required("clinician", "patient")
def export(patient_id: int) -> ResponseReturnValue:
    """The attack export's first address, kept for links and bookmarks: the same answer as
    ``/patients/<id>/export/attacks.csv`` (dashboard.export_csv), from the same code."""
    return send_export(patient_id, "attacks")
