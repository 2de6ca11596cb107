"""API: who am I, sharing (codes, redeeming), a clinician's patients, a patient's report."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue

from tracker.accounts.sharing import (
    count_redeem_attempt,
    patients_of_clinician,
    pending_codes,
    redeem_invitation,
    revoke_code,
)
from tracker.accounts.throttle import ThrottledError
from tracker.clock import utcnow
from tracker.models import User
from tracker.reports.access import NO_COURSE, export_csv, view_report
from tracker.status import operator_status
from web.api import schemas
from web.api.core import ApiError, api_user, body, bp, no_content, ok, operation, role
from web.db import db_session, settings
from web.downloads import csv_download

_PATIENT = "Patient accounts only (others get 403)."
_SEES = "The patient themself or a linked clinician (written to the patient's audit log)."


@bp.get("/me")
@operation("getMe", "The account the token belongs to", by_role=False)
@bp.output(schemas.Me, description="The account.")
def me() -> ResponseReturnValue:
    """Return the account the token belongs to."""
    user = api_user()
    profile = user.profile if user.role == "patient" else None
    return {
        "id": user.id, "email": user.email, "name": user.name, "role": user.role,
        "timezone": profile.timezone if profile else None,
        "pressure_unit": profile.pressure_unit if profile else None,
    }


@bp.get("/sharing/codes")
@operation("listShareCodes", "My unused share codes (the codes are shown only once, on the "
           "Sharing page)", description=_PATIENT)
@role("patient")
@bp.output(schemas.ShareCodeList, description="Unused share codes, newest first.")
def sharing_codes_list() -> ResponseReturnValue:
    """List the patient's unused share codes (the codes themselves are never shown again)."""
    return {"items": pending_codes(db_session(), api_user())}


@bp.delete("/sharing/codes/<id:code_id>")
@operation("revokeShareCode", "Revoke an unused share code", errors=(404,),
           description=_PATIENT)
@role("patient")
@bp.output({}, status_code=204, description="Revoked.")
def sharing_codes_revoke(code_id: int) -> ResponseReturnValue:
    """Revoke an unused share code."""
    session = db_session()
    revoke_code(session, api_user(), code_id)
    session.commit()
    return no_content()


@bp.post("/sharing/redeem")
@operation("redeemShareCode", "Redeem a patient's share code", errors=(400, 429),
           description="Clinician accounts only. Attempts are limited per account and per "
                       "address (429 when over).")
@role("clinician")
@body(schemas.RedeemInput)
@bp.output(schemas.Patient, status_code=201, description="The patient now on my list.")
def sharing_redeem(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Redeem a patient's share code (attempts are limited per account and address)."""
    code = json_data["code"]
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
    return session.get(User, link.patient_id)


@bp.get("/patients")
@operation("listPatients", "The patients who share their diary with me",
           description="Clinician accounts only.")
@role("clinician")
@bp.output(schemas.PatientList, description="Linked patients.")
def patients() -> ResponseReturnValue:
    """List the patients who share their diary with the clinician."""
    return {"items": patients_of_clinician(db_session(), api_user())}


@bp.get("/patients/<id:patient_id>/report")
@operation("getReport", "A patient's report (report v1 JSON)", errors=(400, 404),
           description=f"{_SEES} 404 when the patient is not visible or has no treatment "
                       "course yet.")
@role("patient", "clinician")
@bp.input(schemas.ReportQuery, location="query")
@bp.output(schemas.Report, description="The report.")
def report(patient_id: int, query_data: dict[str, Any]) -> ResponseReturnValue:
    """The patient's report (schema migraine-weather/report/v2); ``?days=true`` adds the days."""
    include_days = query_data["days"]
    session = db_session()
    config = settings()
    view = view_report(session, api_user(), patient_id, settings=config.reports,
                       detail="api")
    session.commit()  # the view is logged even when there is no report yet
    if view.report is None:
        raise ApiError(404, NO_COURSE, None)
    return ok(view.report.to_dict(include_days=include_days))


@bp.get("/patients/<id:patient_id>/export/<kind>")
@operation("exportCsv", "A CSV export of a patient's data", errors=(400, 404),
           description=f"{_SEES} 404 when the patient is not visible, or a report-based "
                       "export is asked before any treatment course.",
           responses={200: {"description": "CSV text (formula-escaped cells).",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
@role("patient", "clinician")
def export(patient_id: int, kind: str) -> ResponseReturnValue:
    """A CSV export of the patient's data: attacks, daily, pressure or summary (audited)."""
    session = db_session()
    config = settings()
    export_file = export_csv(session, api_user(), patient_id, kind, settings=config.reports,
                             detail="api")
    session.commit()
    return csv_download(export_file)


@bp.get("/admin/status")
@operation("getOperatorStatus", "Operator status (admin accounts only)",
           description="Admin accounts only (others get 403).")
@role("admin")
@bp.output(schemas.OperatorStatus, description="The status.")
def admin_status() -> ResponseReturnValue:
    """The operator's view: pulls per cell in use, gaps in the last 7 days, last job runs."""
    return ok(operator_status(db_session(), settings().weather.grid_degrees, utcnow()))
