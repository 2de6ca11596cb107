"""Questionnaire pages (issue #16): the one-screen form a patient answers when a time point's
window is open, the dashboard's "questionnaire due" notice, and the scores for the report.

Definitions are read once when the blueprint is registered (an invalid file stops the app
with the file's name and what is wrong) and kept in ``app.extensions["mw_questionnaires"]``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from tracker.errors import NotFoundError, ValidationError
from tracker.models import User
from tracker.questionnaires import (
    TIMEPOINT_LABELS,
    Due,
    Instrument,
    answers_of,
    due,
    load_instruments,
    open_window,
    save_answers,
    score_table,
)
from web.access import me, role_required
from web.db import db_session

bp = Blueprint("questionnaires", __name__)


@bp.record_once
def _load(state: BlueprintSetupState) -> None:
    """Read the shipped definitions and the operator's folder when the app is made."""
    folder = state.app.extensions["mw_settings"].web.questionnaire_dir
    state.app.extensions["mw_questionnaires"] = load_instruments(folder or None)


def instruments() -> dict[str, Instrument]:
    """The app's questionnaire definitions, by id."""
    return current_app.extensions["mw_questionnaires"]


def instrument(instrument_id: str) -> Instrument:
    """One definition (NotFoundError, field ``instrument``, for an unknown id)."""
    found = instruments().get(instrument_id)
    if found is None:
        raise NotFoundError(f"no questionnaire {instrument_id!r}", "instrument")
    return found


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """Template helpers: what is due for the logged-in patient, a patient's score table."""
    return {"questionnaires_due": _due_now, "questionnaire_scores": _scores,
            "timepoint_labels": TIMEPOINT_LABELS}


def _due_now() -> list[Due]:
    """The logged-in patient's open questionnaire windows (called by _questionnaire_due)."""
    user = me()
    return due(db_session(), user, instruments()) if user.role == "patient" else []


def _scores(patient: User) -> list[dict[str, Any]]:
    """A patient's scores side by side (called by templates after the report's access check)."""
    return score_table(db_session(), patient, instruments())


@bp.route("/questionnaires/<instrument_id>/<timepoint>", methods=["GET", "POST"])
@role_required("patient")
def answer(instrument_id: str, timepoint: str) -> ResponseReturnValue:
    """All the questionnaire's items on one screen; answering again replaces the answers
    while the window is open."""
    session = db_session()
    found = instrument(instrument_id)
    window = open_window(session, me(), found, timepoint)
    stored = answers_of(session, me(), found.id, timepoint)
    chosen: dict[str, Any] = dict(stored.answers) if stored else {}
    error, status = None, 200
    if request.method == "POST":
        chosen = {i.id: request.form[i.id] for i in found.items if request.form.get(i.id)}
        try:
            row = save_answers(session, me(), found, timepoint, chosen)
        except ValidationError as exc:
            error, status = exc.message, 400
        else:
            session.commit()
            flash(f"Thank you: your answers are saved (score {row.score:g}"
                  f"{', ' + row.band if row.band else ''}). You can change them until "
                  f"{window.last.isoformat()}.")
            return redirect(url_for("dashboard.patient_dashboard"))
    values = {k: float(v) for k, v in chosen.items() if _is_number(v)}
    page = render_template("questionnaire.html", instrument=found, timepoint=timepoint,
                           label=TIMEPOINT_LABELS[timepoint], window=window, chosen=values,
                           error=error, stored=stored)
    return page, status


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
