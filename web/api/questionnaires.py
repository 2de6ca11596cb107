"""API: the patient's questionnaires (issue #16): what is defined, what is due, the scores,
and answering an open time point (the same rules as the questionnaire page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields, validate

from tracker.diary.clinical_terms import QUESTIONNAIRE_TIMEPOINTS
from tracker.questionnaires import Instrument, due, save_answers, score_table
from tracker.questionnaires.definitions import ID_PATTERN
from web.api.core import api_user, body, bp, operation, role
from web.api.schemas import _schema
from web.db import db_session
from web.questionnaires import instrument, instruments


@dataclass(frozen=True)
class _Rule:
    """A rule JSON Schema cannot state (listed as ``x-rules-beyond-schema``)."""

    beyond_schema: str


_BEYOND = {
    "answers": _Rule("every item of the instrument answered with one of its choices' values"),
}
_TIMEPOINT = fields.String(required=True, validate=validate.OneOf(QUESTIONNAIRE_TIMEPOINTS))
QuestionnaireInput = _schema("QuestionnaireInput", {
    "instrument": fields.String(required=True, validate=validate.Regexp(ID_PATTERN), metadata={
        "description": "An instrument's id (see `instruments` of the GET answer)."}),
    "timepoint": _TIMEPOINT,
    "answers": fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                           metadata={"description": "Item id -> the chosen choice's value."}),
})
_Choice = _schema("QuestionnaireChoice", {"label": fields.String(required=True),
                                          "value": fields.Float(required=True)})
_Item = _schema("QuestionnaireItem", {"id": fields.String(required=True),
                                      "text": fields.String(required=True),
                                      "choices": fields.List(fields.Nested(_Choice),
                                                             required=True)})
_Band = _schema("QuestionnaireBand", {"min": fields.Float(required=True),
                                      "max": fields.Float(required=True),
                                      "label": fields.String(required=True)})
_Instrument = _schema("QuestionnaireInstrument", {
    "id": fields.String(required=True), "title": fields.String(required=True),
    "instructions": fields.String(required=True),
    "ask_at": fields.List(fields.String(), required=True),
    "items": fields.List(fields.Nested(_Item), required=True),
    "bands": fields.List(fields.Nested(_Band), required=True),
    "max_score": fields.Float(required=True), "source": fields.String(required=True),
    "terms": fields.String(required=True),
})
_Due = _schema("QuestionnaireDue", {
    "instrument": fields.String(required=True), "timepoint": _TIMEPOINT,
    "first_day": fields.Date(required=True), "last_day": fields.Date(required=True),
    "answered": fields.Boolean(required=True),
})
_Cell = _schema("QuestionnaireScore", {
    "score": fields.Float(required=True, allow_none=True),
    "band": fields.String(required=True, allow_none=True),
    "answered_at": fields.String(required=True)})
_Row = _schema("QuestionnaireScores", {
    "instrument": fields.String(required=True), "title": fields.String(required=True),
    "max_score": fields.Float(required=True, allow_none=True),
    "scores": fields.Dict(keys=fields.String(), values=fields.Nested(_Cell, allow_none=True),
                          required=True),
})
Questionnaires = _schema("Questionnaires", {
    "instruments": fields.List(fields.Nested(_Instrument), required=True),
    "due": fields.List(fields.Nested(_Due), required=True),
    "scores": fields.List(fields.Nested(_Row), required=True),
})
_WHAT = ("Patient accounts only (others get 403). A time point's window: baseline from 14 days "
         "before the course's first day to that day; course end its last day ± 7 days; 12 weeks "
         "84 days after its last day ± 14 days (docs/questionnaires.md).")


def _described(q: Instrument) -> dict[str, Any]:
    return {"id": q.id, "title": q.title, "instructions": q.instructions,
            "ask_at": list(q.ask_at), "max_score": q.max_score, "source": q.source,
            "terms": q.terms,
            "items": [{"id": i.id, "text": i.text,
                       "choices": [{"label": c.label, "value": c.value} for c in i.choices]}
                      for i in q.items],
            "bands": [{"min": b.low, "max": b.high, "label": b.label} for b in q.bands]}


def _state() -> dict[str, Any]:
    session, user = db_session(), api_user()
    return {
        "instruments": [_described(q) for q in instruments().values()],
        "due": [{"instrument": d.instrument.id, "timepoint": d.window.timepoint,
                 "first_day": d.window.first, "last_day": d.window.last,
                 "answered": d.answered} for d in due(session, user, instruments())],
        "scores": score_table(session, user, instruments()),
    }


@bp.get("/questionnaires")
@operation("getQuestionnaires", "My questionnaires: definitions, what is due, my scores",
           description=_WHAT)
@role("patient")
@bp.output(Questionnaires, description="Definitions, open windows and scores.")
def questionnaires_get() -> ResponseReturnValue:
    """Return the instruments, the open windows and the patient's scores."""
    return _state()


@bp.put("/questionnaires")
@operation("putQuestionnaire", "Answer a questionnaire whose window is open",
           errors=(400, 404, 409), rules=_BEYOND,
           description=f"{_WHAT} An unknown instrument, or a time point whose window is not "
           "open today, is 404. Answering the same time point again replaces the answers.")
@role("patient")
@body(QuestionnaireInput)
@bp.output(Questionnaires, description="The state after storing the answers.")
def questionnaires_put(json_data: dict[str, Any]) -> ResponseReturnValue:
    """Score and store the answers of an open time point."""
    session = db_session()
    found = instrument(json_data["instrument"])
    save_answers(session, api_user(), found, json_data["timepoint"], json_data["answers"])
    session.commit()
    return _state()
