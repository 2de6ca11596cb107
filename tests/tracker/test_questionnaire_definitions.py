"""Questionnaire definitions: the shipped GAD-7 scores into every band, and broken files are
refused with an error that names the file and what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tracker.errors import ValidationError
from tracker.questionnaires import DefinitionError, load_instruments, parse_definition
from tracker.questionnaires.definitions import SHIPPED, read_definition

GAD7 = SHIPPED / "gad7.toml"


def _gad7() -> dict:
    return tomllib.loads(GAD7.read_text(encoding="utf-8"))


def _answers(total: int) -> dict[str, int]:
    """GAD-7 answers adding up to ``total`` (0-21), filled item by item."""
    items = [i["id"] for i in _gad7()["items"]]
    out = {}
    for item in items:
        out[item] = min(3, total)
        total -= out[item]
    return out


@pytest.mark.parametrize(("total", "band"), [
    (0, "Minimal anxiety"), (4, "Minimal anxiety"), (5, "Mild anxiety"), (9, "Mild anxiety"),
    (10, "Moderate anxiety"), (14, "Moderate anxiety"), (15, "Severe anxiety"),
    (21, "Severe anxiety"),
])
def test_gad7_scores_every_band_at_its_edges(total, band):
    gad7 = load_instruments()["gad7"]
    assert gad7.score(_answers(total)) == (total, band)


def test_the_shipped_file_states_its_source_and_terms():
    gad7 = read_definition(GAD7)
    assert "Spitzer" in gad7.source
    assert "No permission required to reproduce, translate, display or distribute" in gad7.terms
    assert gad7.ask_at == ("baseline", "course_end", "followup_12w")
    assert gad7.max_score == 21 and len(gad7.items) == 7


@pytest.mark.parametrize("answers", [
    {}, {"nervous": 1}, {**_answers(3), "nervous": 4}, {**_answers(3), "nervous": "often"},
    {**_answers(3), "extra": 1}, {**_answers(3), "nervous": True},
])
def test_incomplete_or_wrong_answers_are_refused(answers):
    with pytest.raises(ValidationError) as caught:
        load_instruments()["gad7"].score(answers)
    assert caught.value.field == "answers"


def test_scaling_and_a_score_between_bands():
    data = {**_gad7(), "scoring": {"method": "sum", "scale": 0.5},
            "bands": [{"min": 0, "max": 4, "label": "low"}, {"min": 5, "max": 10.5,
                                                               "label": "high"}]}
    scaled = parse_definition(data, "scaled.toml")
    assert scaled.max_score == 10.5
    assert scaled.score(_answers(9)) == (4.5, "low")  # between 4 and 5: the lower band
    assert scaled.score(_answers(21)) == (10.5, "high")


def _broken(**change) -> dict:
    data = _gad7()
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(("change", "message"), [
    ({"id": None}, "missing key 'id'"),
    ({"id": "GAD 7"}, "id 'GAD 7' must be"),
    ({"title": ""}, "'title' is empty"),
    ({"terms": None}, "missing key 'terms'"),
    ({"source": 3}, "'source' has the wrong type"),
    ({"ask_at": ["baseline", "next_year"]}, "'ask_at' takes baseline, course_end"),
    ({"items": []}, "'items' is empty"),
    ({"items": [{"id": "a", "text": "A"}, {"id": "a", "text": "B"}]}, "two items have the same"),
    ({"items": [{"id": "a"}]}, "item 1: missing key 'text'"),
    ({"choices": [{"label": "Only", "value": 0}]}, "needs at least two choices"),
    ({"choices": [{"label": "x", "value": 0}, {"label": "y", "value": 0}]}, "same value"),
    ({"choices": [{"label": "x", "value": 0}, {"label": "y"}]}, "choice 2: missing key 'value'"),
    ({"scoring": {"method": "mean"}}, "scoring.method must be \"sum\""),
    ({"scoring": {"method": "sum", "scale": 0}}, "scoring.scale must be a positive"),
    ({"bands": [{"min": 0, "max": 10, "label": "a"}, {"min": 10, "max": 21, "label": "b"}]},
     "bands 'a' and 'b' overlap"),
    ({"bands": [{"min": 0, "max": 10, "label": "a"}]}, "cover every score from 0 to 21"),
    ({"bands": [{"min": 5, "max": 4, "label": "a"}]}, "max 4 is below min 5"),
])
def test_a_broken_definition_is_refused_with_a_clear_error(change, message):
    with pytest.raises(DefinitionError) as caught:
        parse_definition(_broken(**change), "broken.toml")
    assert str(caught.value).startswith("broken.toml")
    assert message in str(caught.value), str(caught.value)


def test_an_operator_folder_adds_instruments_and_is_checked(tmp_path: Path):
    extra = _gad7() | {"id": "local-scale", "title": "A licensed scale"}
    text = GAD7.read_text(encoding="utf-8").replace('id = "gad7"', 'id = "local-scale"')
    (tmp_path / "local.toml").write_text(text, encoding="utf-8")
    assert set(load_instruments(tmp_path)) == {"gad7", extra["id"]}
    (tmp_path / "copy.toml").write_text(GAD7.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="copy.toml: id 'gad7' is defined twice"):
        load_instruments(tmp_path)
    (tmp_path / "copy.toml").write_text("id = [", encoding="utf-8")
    with pytest.raises(DefinitionError, match="copy.toml: not valid TOML"):
        load_instruments(tmp_path)
    with pytest.raises(DefinitionError, match="does not exist"):
        load_instruments(tmp_path / "missing")
