"""Patients' questionnaire answers: what is due, storing an answer once per time point, and
the scores side by side for the report (issue #16)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import QuestionnaireResponse
from tracker.clock import utcnow
from tracker.diary.clinical_terms import QUESTIONNAIRE_TIMEPOINTS
from tracker.diary.courses import list_courses
from tracker.diary.profile import local_today, require_patient
from tracker.errors import NotFoundError, ValidationError
from tracker.models import TreatmentCourse, User
from tracker.questionnaires.definitions import Instrument
from tracker.questionnaires.schedule import TIMEPOINT_LABELS, Window, window


@dataclass(frozen=True)
class Due:
    """A questionnaire whose window is open today, and whether it is answered already."""

    instrument: Instrument
    window: Window
    answered: bool


def _course(session: Session, patient: User) -> TreatmentCourse | None:
    """The course the questionnaires are timed by: the latest one (as the report's)."""
    courses = list_courses(session, patient)
    return courses[-1] if courses else None


def _responses(session: Session, patient: User) -> dict[tuple[str, str], QuestionnaireResponse]:
    rows = session.scalars(select(QuestionnaireResponse)
                           .where(QuestionnaireResponse.patient_id == patient.id))
    return {(r.instrument, r.timepoint): r for r in rows}


def due(session: Session, patient: User, instruments: dict[str, Instrument],
        today: date | None = None) -> list[Due]:
    """The questionnaires whose window contains today (the patient's local day)."""
    course = _course(session, patient)
    if course is None:
        return []
    today = today or local_today(require_patient(patient).timezone)
    answered = _responses(session, patient)
    found = []
    for instrument in instruments.values():
        for timepoint in instrument.ask_at:
            w = window(timepoint, course.started_on, course.ended_on)
            if w is not None and w.contains(today):
                found.append(Due(instrument, w, (instrument.id, timepoint) in answered))
    return found


def open_window(session: Session, patient: User, instrument: Instrument, timepoint: str,
                today: date | None = None) -> Window:
    """The window of ``timepoint`` if it is open today; NotFoundError otherwise."""
    if timepoint not in QUESTIONNAIRE_TIMEPOINTS or timepoint not in instrument.ask_at:
        raise NotFoundError(f"{instrument.id} is not asked at {timepoint!r}", "timepoint")
    course = _course(session, patient)
    today = today or local_today(require_patient(patient).timezone)
    w = None if course is None else window(timepoint, course.started_on, course.ended_on)
    if w is None or not w.contains(today):
        raise NotFoundError(f"the {TIMEPOINT_LABELS[timepoint].lower()} questionnaire is not "
                            "open now", "timepoint")
    return w


def answers_of(session: Session, patient: User, instrument_id: str,
               timepoint: str) -> QuestionnaireResponse | None:
    """The stored answer of one time point, if any."""
    return _responses(session, patient).get((instrument_id, timepoint))


def save_answers(session: Session, patient: User, instrument: Instrument, timepoint: str,
                 answers: dict[str, Any], *, today: date | None = None,
                 now: datetime | None = None) -> QuestionnaireResponse:
    """Score and store the answers of an open time point, replacing an earlier answer of the
    same time point (flushes; the caller commits)."""
    require_patient(patient)
    open_window(session, patient, instrument, timepoint, today)
    if not isinstance(answers, dict):
        raise ValidationError("answers must map each item to its value", "answers")
    score, band = instrument.score(answers)
    clean = {i.id: float(answers[i.id]) for i in instrument.items}
    row = answers_of(session, patient, instrument.id, timepoint)
    if row is None:
        row = QuestionnaireResponse(patient_id=patient.id, instrument=instrument.id,
                                    timepoint=timepoint)
        session.add(row)
    row.answers, row.score, row.band = clean, score, band
    row.answered_at = now or utcnow()
    session.flush()
    return row


def score_table(session: Session, patient: User,
                instruments: dict[str, Instrument]) -> list[dict[str, Any]]:
    """Each answered instrument's scores at every time point, side by side (None where not
    answered): what the report and the API show."""
    stored = _responses(session, patient)
    table = []
    for instrument_id in sorted({i for i, _ in stored}):
        instrument = instruments.get(instrument_id)
        table.append({
            "instrument": instrument_id,
            "title": instrument.title if instrument else instrument_id,
            "max_score": instrument.max_score if instrument else None,
            "scores": {t: _cell(stored.get((instrument_id, t))) for t in QUESTIONNAIRE_TIMEPOINTS},
        })
    return table


def _cell(row: QuestionnaireResponse | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"score": row.score, "band": row.band, "answered_at": row.answered_at.isoformat()}
