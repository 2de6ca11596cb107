"""Marshmallow fields and validators of the API, built from tracker's field rules.

Each request field parses strictly (a JSON ``"3"`` is not a number) and answers in the
API's words; each validator also exposes what apispec reads (``min``/``max``, ``choices``,
``regex``), so the OpenAPI document states exactly the rule the request is checked against.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

from tracker.diary.fields import DAY_BOUNDS, FieldRule
from tracker.diary.validation import DAY_REGEX, check_day, check_text, timezone_names
from tracker.errors import ValidationError as TrackerValidationError

REQUIRED = "this field is required"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = (r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
         r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")


def _messages(invalid: str) -> dict[str, str]:
    return {"invalid": invalid, "null": invalid, "required": REQUIRED}


class Instant(fields.DateTime):
    """An ISO 8601 date and time with an offset (``Z`` or ``+02:00``)."""

    default_error_messages = {**_messages("expected an ISO 8601 date and time with offset"),
                              "naive": "a date and time needs an offset, e.g. +02:00 or Z"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "Z").replace("t", "T"))
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if parsed.tzinfo is None:
            raise self.make_error("naive")
        return parsed


class Day(fields.Date):
    """A calendar date as ``YYYY-MM-DD``."""

    default_error_messages = _messages("expected a date as YYYY-MM-DD")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _DATE.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class WholeNumber(fields.Integer):
    """A JSON integer (not a boolean, not a string of digits)."""

    default_error_messages = _messages("expected a whole number")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class Number(fields.Float):
    """A finite JSON number (not a boolean, not a string)."""

    default_error_messages = _messages("expected a number")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise self.make_error("invalid")
        return number


class YesNo(fields.Boolean):
    """A JSON ``true`` or ``false`` (``null`` too when the field allows it)."""

    default_error_messages = _messages("expected true or false")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Flag(fields.Boolean):
    """A query flag: ``true``/``1`` or ``false``/``0``."""

    default_error_messages = _messages("expected true or false")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true", "1"}, falsy={"false", "0"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        return super()._deserialize(str(value).lower(), attr, data, **kwargs)


class Text(fields.String):
    """A JSON string; ``None`` is shown as ``""``."""

    default_error_messages = _messages("expected a string")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class NullableText(Text):
    """A JSON string or null (a nullable choice): ``None`` stays null."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class DayBounds(validate.Validator):
    """The diary's day bounds; ``regex`` states them for the document (with the format)."""

    def __init__(self, with_time: bool) -> None:
        self.regex = re.compile(f"^{DAY_REGEX}{_TIME if with_time else ''}$")

    def __call__(self, value: date) -> date:
        day = value.date() if isinstance(value, datetime) else value
        try:
            check_day(day, "")
        except TrackerValidationError as exc:
            raise ValidationError(exc.message) from exc
        return value


class CleanText(validate.Validator):
    """tracker's text rule (no NUL, valid Unicode); ``regex`` states it for the document."""

    def __init__(self, max_length: int, non_blank: bool = False) -> None:
        self.max_length = max_length
        self.regex = re.compile("^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$" if non_blank
                                else "^[^\\u0000]*$")

    def __call__(self, value: str) -> str:
        try:
            check_text(value, "", self.max_length)
        except TrackerValidationError as exc:
            raise ValidationError(exc.message) from exc
        return value


def _validators(rule: FieldRule, for_input: bool) -> list[validate.Validator]:
    """The validators of ``rule`` (inputs add the patterns of the day bounds and text rule)."""
    found: list[validate.Validator] = []
    if rule.minimum is not None or rule.maximum is not None:
        found.append(validate.Range(rule.minimum, rule.maximum,
                                    error="{input} is outside {min}..{max}"))
    if rule.kind == "choice":
        found.append(validate.OneOf(rule.choices, error="{input!r} is not one of {choices}"))
    if rule.kind == "timezone" and for_input:
        found.append(validate.OneOf(timezone_names(), error="unknown timezone {input!r}"))
    if rule.kind == "text":
        found.append(validate.Length(min=1 if rule.non_blank and for_input else None,
                                     max=rule.max_length, error="at most {max} characters"))
        if for_input:
            found.append(CleanText(rule.max_length or 0, rule.non_blank))
    if rule.kind in ("day", "instant") and for_input:
        found.append(DayBounds(with_time=rule.kind == "instant"))
    return found


_TYPES: dict[str, type[fields.Field]] = {
    "instant": Instant, "day": Day, "text": Text, "choice": Text, "int": WholeNumber,
    "number": Number, "bool": YesNo, "timezone": Text,
}


def _description(rule: FieldRule, for_input: bool) -> str:
    parts = [rule.description]
    if for_input and rule.kind == "instant":
        parts.append(f"An RFC 3339 date and time with an offset, on a local date {DAY_BOUNDS}.")
    elif for_input and rule.kind == "day":
        parts.append(f"A date {DAY_BOUNDS}.")
    if for_input and rule.beyond_schema:
        parts.append(rule.beyond_schema)
    return " ".join(part for part in parts if part)


def field_for(rule: FieldRule, *, for_input: bool = True, patch: bool = False) -> fields.Field:
    """Return the marshmallow field of ``rule``: a request field, a PATCH one, or a response one."""
    kwargs: dict[str, Any] = {"allow_none": rule.nullable,
                              "validate": _validators(rule, for_input)}
    metadata: dict[str, Any] = {}
    description = _description(rule, for_input)
    if description:
        metadata["description"] = description
    if for_input and not patch:
        kwargs["required"] = rule.required
        if not rule.required and (rule.default is not None or rule.nullable):
            kwargs["load_default"] = rule.default
    if rule.kind == "bool" and rule.nullable and for_input:
        kwargs["error_messages"] = {"invalid": "expected true or false or null"}
    kind = NullableText if rule.kind == "choice" and rule.nullable else _TYPES[rule.kind]
    return kind(metadata=metadata, **kwargs)
