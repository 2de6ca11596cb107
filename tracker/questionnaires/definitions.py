"""Questionnaire definitions read from TOML files (issue #16): items, answer choices with
their values, scoring (a sum, optionally scaled), score bands with labels, the time points
at which to ask, and the instrument's source and terms of use.

Shipped definitions live in ``tracker/questionnaires/definitions/``; an operator adds licensed
instruments by dropping files in the folder ``[web] questionnaire_dir`` names. A file that
does not follow the format is refused with a DefinitionError naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.diary.clinical_terms import QUESTIONNAIRE_TIMEPOINTS
from tracker.errors import ValidationError

#: The folder of the shipped definitions (package data).
SHIPPED = Path(__file__).resolve().parent / "definitions"
#: An instrument's id: what the URL, the API and the stored responses use.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class DefinitionError(ValueError):
    """A definition file does not follow the format; the message names the file and key."""


@dataclass(frozen=True)
class Choice:
    """One answer choice: what the patient reads and the value it scores."""

    label: str
    value: float


@dataclass(frozen=True)
class Item:
    """One question with its answer choices."""

    id: str
    text: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class Band:
    """A score range (inclusive at both ends) and its label."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its items, how it is scored, when it is asked, where it comes from."""

    id: str
    title: str
    instructions: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    ask_at: tuple[str, ...]
    source: str
    terms: str
    scale: float = 1.0

    @property
    def max_score(self) -> float:
        """The highest score the instrument can give."""
        return self.scale * sum(max(c.value for c in i.choices) for i in self.items)

    def band_of(self, score: float) -> str | None:
        """The label of the band ``score`` falls in: the last band whose min it reaches (so a
        scaled score between one band's max and the next one's min takes the lower band)."""
        found = None
        for band in self.bands:  # sorted by min
            if score >= band.low:
                found = band.label
        return found

    def score(self, answers: dict[str, Any]) -> tuple[float, str | None]:
        """(score, band label) of a complete set of answers; ValidationError (field
        ``answers``, the message names the item) otherwise.

        ``answers`` maps each item's id to the value of the chosen choice.
        """
        unknown = sorted(set(answers) - {i.id for i in self.items})
        if unknown:
            raise ValidationError(f"{unknown[0]!r} is not an item of {self.id}", "answers")
        total = 0.0
        for item in self.items:
            if item.id not in answers or answers[item.id] is None:
                raise ValidationError(f"please answer every question ({item.text})", "answers")
            value = _number(answers[item.id])
            if value is None or value not in {c.value for c in item.choices}:
                raise ValidationError(f"{answers[item.id]!r} is not a choice of {item.id!r}",
                                      "answers")
            total += value
        score = round(total * self.scale, 2)
        return score, self.band_of(score)


def _number(value: Any) -> float | None:
    """A numeric answer as float (numbers or numeric text), else None."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``data[key]`` of the given type, or a DefinitionError saying which is missing/wrong."""
    if key not in data:
        raise DefinitionError(f"{where}: missing key {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise DefinitionError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    if isinstance(value, str) and not value.strip():
        raise DefinitionError(f"{where}: {key!r} is empty")
    return value


def _choices(raw: Any, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise DefinitionError(f"{where}: 'choices' needs at least two choices")
    found = []
    for n, entry in enumerate(raw, 1):
        at = f"{where} choice {n}"
        if not isinstance(entry, dict):
            raise DefinitionError(f"{at}: not a table")
        found.append(Choice(_need(entry, "label", str, at),
                            float(_need(entry, "value", (int, float), at))))
    if len({c.value for c in found}) != len(found):
        raise DefinitionError(f"{where}: two choices have the same value")
    return tuple(found)


def _items(data: dict[str, Any], where: str) -> tuple[Item, ...]:
    raw = _need(data, "items", list, where)
    if not raw:
        raise DefinitionError(f"{where}: 'items' is empty")
    shared = data.get("choices")
    items = []
    for n, entry in enumerate(raw, 1):
        at = f"{where} item {n}"
        if not isinstance(entry, dict):
            raise DefinitionError(f"{at}: not a table")
        item_id = _need(entry, "id", str, at)
        if not ID_PATTERN.match(item_id):
            raise DefinitionError(f"{at}: id {item_id!r} must be lower-case letters and digits")
        items.append(Item(item_id, _need(entry, "text", str, at),
                          _choices(entry.get("choices", shared), at)))
    if len({i.id for i in items}) != len(items):
        raise DefinitionError(f"{where}: two items have the same id")
    return tuple(items)


def _bands(data: dict[str, Any], where: str, top: float) -> tuple[Band, ...]:
    raw = _need(data, "bands", list, where)
    bands = []
    for n, b in enumerate(raw, 1):
        at = f"{where} band {n}"
        if not isinstance(b, dict):
            raise DefinitionError(f"{at}: not a table")
        low = float(_need(b, "min", (int, float), at))
        high = float(_need(b, "max", (int, float), at))
        if high < low:
            raise DefinitionError(f"{at}: max {high:g} is below min {low:g}")
        bands.append(Band(low, high, _need(b, "label", str, at)))
    bands.sort(key=lambda b: b.low)
    for before, after in zip(bands, bands[1:], strict=False):
        if after.low <= before.high:
            raise DefinitionError(f"{where}: bands {before.label!r} and {after.label!r} overlap")
    if bands and (bands[0].low > 0 or bands[-1].high < top):
        raise DefinitionError(f"{where}: the bands must cover every score from 0 to {top:g}")
    return tuple(bands)


def parse_definition(data: dict[str, Any], where: str) -> Instrument:
    """Build an Instrument from a definition's TOML table (DefinitionError if it is wrong)."""
    instrument_id = _need(data, "id", str, where)
    if not ID_PATTERN.match(instrument_id):
        raise DefinitionError(f"{where}: id {instrument_id!r} must be 1-40 lower-case letters, "
                              "digits, '-' or '_'")
    ask_at = tuple(_need(data, "ask_at", list, where))
    wrong = [t for t in ask_at if t not in QUESTIONNAIRE_TIMEPOINTS]
    if wrong or not ask_at:
        raise DefinitionError(f"{where}: 'ask_at' takes {', '.join(QUESTIONNAIRE_TIMEPOINTS)}")
    scoring = data.get("scoring", {})
    if not isinstance(scoring, dict) or scoring.get("method", "sum") != "sum":
        raise DefinitionError(f"{where}: scoring.method must be \"sum\"")
    scale = scoring.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise DefinitionError(f"{where}: scoring.scale must be a positive number")
    items = _items(data, where)
    partial = Instrument(instrument_id, _need(data, "title", str, where),
                         str(data.get("instructions", "")), items, (), ask_at,
                         _need(data, "source", str, where), _need(data, "terms", str, where),
                         float(scale))
    return Instrument(**{**partial.__dict__,
                         "bands": _bands(data, where, partial.max_score)})


def read_definition(path: Path) -> Instrument:
    """Read and check one definition file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid TOML ({exc})") from exc
    return parse_definition(data, path.name)


def load_instruments(extra_dir: str | Path | None = None) -> dict[str, Instrument]:
    """The shipped definitions and those in ``extra_dir`` (an operator's), by id; an id
    defined twice is an error (an operator's file cannot silently replace a shipped one)."""
    folders = [SHIPPED] + ([Path(extra_dir)] if extra_dir else [])
    found: dict[str, Instrument] = {}
    for folder in folders:
        if not folder.is_dir():
            raise DefinitionError(f"questionnaire folder {folder} does not exist")
        for path in sorted(folder.glob("*.toml")):
            instrument = read_definition(path)
            if instrument.id in found:
                raise DefinitionError(f"{path.name}: id {instrument.id!r} is defined twice")
            found[instrument.id] = instrument
    return found
