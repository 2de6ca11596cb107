"""Questionnaires at baseline and follow-up (issue #16): definitions from TOML files, when
each is due, the stored answers and their scores."""

from tracker.questionnaires.definitions import (
    DefinitionError,
    Instrument,
    load_instruments,
    parse_definition,
    read_definition,
)
from tracker.questionnaires.schedule import TIMEPOINT_LABELS, Window, open_windows, window
from tracker.questionnaires.store import (
    Due,
    answers_of,
    due,
    open_window,
    save_answers,
    score_table,
)

__all__ = ["TIMEPOINT_LABELS", "DefinitionError", "Due", "Instrument", "Window", "answers_of",
           "due", "load_instruments", "open_window", "open_windows", "parse_definition",
           "read_definition", "save_answers", "score_table", "window"]
