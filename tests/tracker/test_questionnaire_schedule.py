"""When a questionnaire is due: the windows at their edges, and storing answers once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.web.conftest import make_world
from tracker.clinical_models import QuestionnaireResponse
from tracker.diary.courses import record_course
from tracker.errors import NotFoundError
from tracker.models import User
from tracker.questionnaires import (
    due,
    load_instruments,
    open_windows,
    save_answers,
    score_table,
    window,
)

START, END = date(2026, 3, 1), date(2026, 4, 30)


def _open(day: date, ended_on: date | None = END) -> list[str]:
    return [w.timepoint for w in open_windows(START, ended_on, day)]


@pytest.mark.parametrize(("day", "expected"), [
    (START - timedelta(days=15), []),
    (START - timedelta(days=14), ["baseline"]),
    (START, ["baseline"]),
    (START + timedelta(days=1), []),
    (END - timedelta(days=8), []),
    (END - timedelta(days=7), ["course_end"]),
    (END + timedelta(days=7), ["course_end"]),
    (END + timedelta(days=8), []),
    (END + timedelta(days=84 - 15), []),
    (END + timedelta(days=84 - 14), ["followup_12w"]),
    (END + timedelta(days=84 + 14), ["followup_12w"]),
    (END + timedelta(days=84 + 15), []),
])
def test_windows_at_their_edges(day, expected):
    assert _open(day) == expected


def test_a_course_without_an_end_asks_only_the_baseline():
    assert window("course_end", START, None) is None
    assert window("followup_12w", START, None) is None
    assert _open(START, ended_on=None) == ["baseline"]
    assert _open(END, ended_on=None) == []


def test_a_short_course_may_have_two_windows_open():
    assert [w.timepoint for w in open_windows(START, START + timedelta(days=3), START)] == [
        "baseline", "course_end"]


@pytest.fixture
def patient(session_factory, session) -> User:
    world = make_world(session_factory, ("b",))
    with session_factory.begin() as s:
        record_course(s, s.get(User, world.ids["b"]), started_on=START, ended_on=END)
    return session.get(User, world.ids["b"])


def _all(value: int) -> dict[str, int]:
    return {item.id: value for item in load_instruments()["gad7"].items}


def test_answers_are_stored_once_per_time_point(session, patient):
    gad7 = {"gad7": load_instruments()["gad7"]}
    today = START - timedelta(days=3)
    assert [(d.window.timepoint, d.answered) for d in due(session, patient, gad7, today)] == [
        ("baseline", False)]
    save_answers(session, patient, gad7["gad7"], "baseline", _all(2), today=today,
                 now=datetime(2026, 2, 26, 9, tzinfo=UTC))
    row = save_answers(session, patient, gad7["gad7"], "baseline", _all(1), today=START)
    session.commit()
    assert (row.score, row.band) == (7, "Mild anxiety")
    assert session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 1
    assert [d.answered for d in due(session, patient, gad7, today)] == [True]
    table = score_table(session, patient, gad7)
    assert table[0]["scores"]["baseline"]["score"] == 7
    assert table[0]["scores"]["course_end"] is None and table[0]["max_score"] == 21


@pytest.mark.parametrize(("timepoint", "day"), [
    ("baseline", START + timedelta(days=1)), ("course_end", START), ("later", START)])
def test_answers_outside_an_open_window_are_refused(session, patient, timepoint, day):
    with pytest.raises(NotFoundError) as caught:
        save_answers(session, patient, load_instruments()["gad7"], timepoint, _all(0), today=day)
    assert caught.value.field == "timepoint"
