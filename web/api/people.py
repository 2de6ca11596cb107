"""API: who am I, sharing (codes, redeeming), a clinician's patients, a patient's report."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from tracker.reports.access import NO_COURSE, export_csv, view_report
from web.api.core import (
    ApiError,
    api_user,
    body,
    bp,
    no_content,
    ok,
    parse_str,
    query_flag,
    role,
)
from web.db import db_session, settings
from web.downloads import csv_download


@bp.get("/me")
def me() -> ResponseReturnValue:
    """Return the account the token belongs to."""
    user = api_user()
    profile = user.profile if user.role == "patient" else None
    return ok({
        "id": user.id, "email": user.email, "name": user.name or "", "role": user.role,
        "timezone": profile.timezone if profile else None,
        "pressure_unit": profile.pressure_unit if profile else None,
    })


@bp.get("/sharing/codes")
@role("patient")
def sharing_codes_list() -> ResponseReturnValue:
    """List the patient's unused share codes (the codes themselves are never shown again)."""
    from tracker.accounts.sharing import pending_codes

    return ok({"items": [
        {"id": c.id, "created_at": c.created_at.isoformat(),
         "expires_at": c.expires_at.isoformat()}
        for c in pending_codes(db_session(), api_user())
    ]})


@bp.delete("/sharing/codes/<id:code_id>")
@role("patient")
def sharing_codes_revoke(code_id: int) -> ResponseReturnValue:
    """Revoke an unused share code."""
    from tracker.accounts.sharing import revoke_code

    session = db_session()
    revoke_code(session, api_user(), code_id)
    session.commit()
    return no_content()


@bp.post("/sharing/redeem")
@role("clinician")
def sharing_redeem() -> ResponseReturnValue:
    """Redeem a patient's share code (attempts are limited per account and address)."""
    from tracker.accounts.sharing import count_redeem_attempt, redeem_invitation
    from tracker.accounts.throttle import ThrottledError
    from tracker.models import User

    code = parse_str(body(("code",), ("code",))["code"], "code")
    session = db_session()
    web = settings().web
    try:
        count_redeem_attempt(session, api_user(), request.remote_addr or "",
                             per_account=web.share_code_attempts_per_account,
                             per_address=web.share_code_attempts_per_address)
    except ThrottledError as exc:
        session.commit()
        raise ApiError(429, exc.message, "code") from exc
    session.commit()  # the attempt counts even if the code is wrong
    link = redeem_invitation(session, api_user(), code)
    session.commit()
    patient = session.get(User, link.patient_id)
    return ok({"id": patient.id, "email": patient.email, "name": patient.name or ""}, 201)


@bp.get("/patients")
@role("clinician")
def patients() -> ResponseReturnValue:
    """List the patients who share their diary with the clinician."""
    from tracker.accounts.sharing import patients_of_clinician

    return ok({"items": [
        {"id": p.id, "email": p.email, "name": p.name or ""}
        for p in patients_of_clinician(db_session(), api_user())
    ]})


@bp.get("/patients/<id:patient_id>/report")
@role("patient", "clinician")
def report(patient_id: int) -> ResponseReturnValue:
    """The patient's report (schema migraine-weather/report/v1); ``?days=true`` adds the days."""
    include_days = query_flag("days")
    session = db_session()
    config = settings()
    view = view_report(session, api_user(), patient_id, config=config.analysis,
                       grid_degrees=config.weather.grid_degrees, detail="api")
    session.commit()  # the view is logged even when there is no report yet
    if view.report is None:
        raise ApiError(404, NO_COURSE, None)
    return ok(view.report.to_dict(include_days=include_days))


@bp.get("/patients/<id:patient_id>/export/<kind>")
@role("patient", "clinician")
def export(patient_id: int, kind: str) -> ResponseReturnValue:
    """A CSV export of the patient's data: attacks, daily, pressure or summary (audited)."""
    session = db_session()
    config = settings()
    export_file = export_csv(session, api_user(), patient_id, kind, config=config.analysis,
                             grid_degrees=config.weather.grid_degrees, detail="api")
    session.commit()
    return csv_download(export_file)


@bp.get("/admin/status")
@role("admin")
def admin_status() -> ResponseReturnValue:
    """The operator's view: pulls per cell in use, gaps in the last 7 days, last job runs."""
    from tracker.clock import utcnow
    from tracker.status import operator_status

    return ok(operator_status(db_session(), settings().weather.grid_degrees, utcnow()))
