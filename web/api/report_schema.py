"""The schemas of the report (contract ``migraine-weather/report/v2``) and the operator status.

The report's member names come from correlation itself (one source): each object's keys are
those its ``to_dict`` produces for an empty report, and each value's type is the annotation of
the dataclass field it comes from. A key added to the report in correlation appears here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from marshmallow import INCLUDE, RAISE, Schema, fields, validate

from correlation.config import REPORT_CONFIG_KEYS, MethodConfig
from correlation.days import DAY_KEYS, DayTable
from correlation.findings import Finding
from correlation.inputs import Course
from correlation.report import PERIOD_NAMES, REPORT_SCHEMA, Comparison, PeriodStats
from correlation.report import Report as ReportData
from correlation.stats import NULL_INTERVAL, NULL_TESTED, Interval, TestedInterval


class Closed(Schema):
    """A JSON object with exactly its members (all present)."""

    class Meta:
        unknown = RAISE


def _schema(name: str, members: dict[str, fields.Field], base: type[Schema] = Closed,
            doc: str = "") -> type[Schema]:
    cls = base.from_dict(members, name=name)
    cls.__doc__ = doc or name
    return cls


def _nullable(hint: Any) -> tuple[Any, bool]:
    """Return ``(type, nullable)`` of an annotation such as ``float | None``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


def _date(**kwargs: Any) -> fields.Field:
    return fields.String(metadata={"format": "date", "example": "2026-03-01"}, **kwargs)


def _field(hint: Any, counts: bool = False) -> fields.Field:
    """Return the (required) response field of a dataclass annotation."""
    kind, nullable = _nullable(hint)
    kwargs: dict[str, Any] = {"required": True, "allow_none": nullable}
    if kind is date:
        return _date(**kwargs)
    if kind is bool:
        return fields.Boolean(**kwargs)
    if kind is int:
        return fields.Integer(validate=validate.Range(min=0) if counts else None, **kwargs)
    if kind is float:
        return fields.Float(**kwargs)
    if kind is str:
        return fields.String(**kwargs)
    if kind is Interval:
        return fields.Nested(Interval_, **kwargs)
    if kind is TestedInterval:
        return fields.Nested(TestedInterval_, **kwargs)
    raise TypeError(f"no schema for the report's type {kind!r}")


def _numbers(name: str, keys: Any) -> type[Schema]:
    return _schema(name, {k: fields.Float(required=True, allow_none=True) for k in keys})


Interval_ = _numbers("Interval", NULL_INTERVAL.to_dict())
TestedInterval_ = _numbers("TestedInterval", NULL_TESTED.to_dict())
Finding_ = _schema("Finding", {k: fields.String(required=True)
                               for k in Finding("", "").to_dict()})


def _empty_period() -> PeriodStats:
    hints = typing.get_type_hints(PeriodStats)
    values = {date: date(2000, 1, 1), int: 0, Interval: NULL_INTERVAL}
    return PeriodStats(**{k: values.get(h) for k, h in hints.items()})


def _empty_comparison() -> Comparison:
    return Comparison(None, None, None, defaultdict(lambda: NULL_INTERVAL), NULL_TESTED,
                      NULL_TESTED)


def _empty_report() -> dict[str, Any]:
    days = DayTable(**{f.name: np.array([]) for f in dataclasses.fields(DayTable)})
    course = Course("PRT", date(2000, 1, 1), date(2000, 1, 2))
    report = ReportData(datetime.now(UTC), MethodConfig(), course,
                        {name: _empty_period() for name in PERIOD_NAMES}, _empty_comparison(),
                        "", [], [], days)
    return report.to_dict(include_days=True)


def _members(sample: dict[str, Any], hints: dict[str, Any], counts: bool) -> dict[str, Any]:
    return {key: _field(hints[key], counts) for key in sample}


_PERIOD_HINTS = typing.get_type_hints(PeriodStats)
_COMPARISON_HINTS = typing.get_type_hints(Comparison)
_SAMPLE = _empty_report()

Period = _schema("Period", _members(_empty_period().to_dict(), _PERIOD_HINTS, counts=True))
_comparison = _empty_comparison().to_dict()
RateRatios = _schema("RateRatios", {k: fields.Nested(Interval_, required=True)
                                    for k in _comparison["rate_ratio"]})
ComparisonSchema = _schema("Comparison", {
    key: fields.Nested(RateRatios, required=True) if key == "rate_ratio"
    else _field(_COMPARISON_HINTS[key]) for key in _comparison})
ReportConfig = _schema("ReportConfig", {k: _field(typing.get_type_hints(MethodConfig)[k])
                                        for k in REPORT_CONFIG_KEYS})
ReportCourse = _schema("ReportCourse", _members(_SAMPLE["course"],
                                                typing.get_type_hints(Course), False))
Periods = _schema("Periods", {name: fields.Nested(Period, required=True)
                              for name in PERIOD_NAMES})

_TRI = {"allow_none": True, "required": True}
#: The type of each per-day value (correlation.days.DAY_KEYS); a new key defaults to a
#: nullable number until it is given a type here.
_DAY_FIELDS: dict[str, fields.Field] = {
    "date": _date(required=True),
    "period": fields.String(validate=validate.OneOf(PERIOD_NAMES), **_TRI),
    "exposure": fields.Boolean(**_TRI),
    "window": fields.Boolean(**_TRI),
    "classification": fields.String(**_TRI),
    **{k: fields.Boolean(required=True)
       for k in ("covered", "migraine_day", "headache_day", "onset", "at_risk")},
}
ReportDay = _schema("ReportDay", {k: _DAY_FIELDS.get(k) or fields.Float(**_TRI)
                                  for k in DAY_KEYS})

_TOP: dict[str, fields.Field] = {
    "schema": fields.String(required=True, validate=validate.OneOf((REPORT_SCHEMA,))),
    "generated_at": fields.DateTime(required=True),
    "config": fields.Nested(ReportConfig, required=True),
    "course": fields.Nested(ReportCourse, required=True),
    "periods": fields.Nested(Periods, required=True),
    "comparison": fields.Nested(ComparisonSchema, required=True),
    "findings": fields.List(fields.Nested(Finding_), required=True),
    "warnings": fields.List(fields.Nested(Finding_), required=True),
    "days": fields.List(fields.Nested(ReportDay),
                        metadata={"description": "Only with `?days=true`."}),
    "clinical": fields.Dict(keys=fields.String(), required=True, metadata={"description": (
        "The clinical diary (issue #16), one object per section: `medication` (acute "
        "medication days per period, by class, and the ICHD-3 overuse check) and `function` "
        "(days with reduced or no function); `practice` (PRT practice per period, the change in "
        "weather worry with its interval, minutes per week), `triggers` and `cycle` (null "
        "inside when not tracked); `questionnaires` (each answered instrument's score and "
        "band before the course, at its end and 12 weeks after); docs/method.md, "
        "\"Clinical diary\".")}),
}
Report = _schema("Report", {key: _TOP[key] for key in _SAMPLE},
                 doc="The report contract `migraine-weather/report/v2` (docs/method.md).")

_N = {"allow_none": True}


class _Open(Schema):
    """An object that may carry more members than listed (the status grows)."""

    class Meta:
        unknown = INCLUDE


GapWindow = _schema("GapWindow", {"start": fields.DateTime(required=True),
                                  "end": fields.DateTime(required=True),
                                  "hours": fields.Integer(required=True)}, _Open)
CellStatus = _schema("CellStatus", {
    "cell_id": fields.Integer(required=True, **_N),
    "latitude": fields.Float(required=True), "longitude": fields.Float(required=True),
    "last_pull_at": fields.DateTime(required=True, **_N),
    "last_error_at": fields.DateTime(**_N), "last_error": fields.String(**_N),
    "missing_hours_7d": fields.Integer(required=True, validate=validate.Range(min=0)),
    "gap_ranges_7d": fields.List(fields.List(fields.DateTime(**_N))),
}, _Open)
JobStatus = _schema("JobStatus", {
    "run_id": fields.Integer(), "status": fields.String(required=True),
    "started_at": fields.DateTime(required=True, **_N),
    "finished_at": fields.DateTime(required=True, **_N),
    "duration_seconds": fields.Float(**_N), "cells_done": fields.Integer(**_N),
    "cells_failed": fields.Integer(**_N), "rows_written": fields.Integer(**_N),
    "error": fields.String(**_N), "last_ok_at": fields.DateTime(required=True, **_N),
}, _Open)


OperatorStatus = _schema("OperatorStatus", {
    "generated_at": fields.DateTime(required=True),
    "gap_window": fields.Nested(GapWindow, required=True),
    "cells_in_use": fields.Integer(required=True, validate=validate.Range(min=0)),
    "cells": fields.List(fields.Nested(CellStatus), required=True),
    "cells_with_gaps": fields.List(fields.Dict(), required=True),
    "jobs": fields.Dict(keys=fields.String(), values=fields.Nested(JobStatus), required=True),
}, _Open, doc="Weather pulls per grid cell in use, gaps in the last 7 days and the last run "
              "of each scheduled job (docs/operations.md).")
