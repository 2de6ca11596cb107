"""The practice chart (issue #16 point 5): migraine days per week as bars with PRT practice
minutes per week as a line, over the calendar's weeks, so practice sits beside the outcome.

Kept out of web/charts.py (at its 400-line limit); specs come from web.chart_specs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import altair as alt

from web.chart_specs import WIDTH, cached_spec

#: Weeks shown: the calendar's six months.
WEEKS = 26
PRACTICE_COLOUR = "#009E73"  # Okabe-Ito bluish green
MIGRAINE_COLOUR = "#0072B2"


def practice_rows(days: Sequence[Mapping[str, Any]], weekly: Sequence[Mapping[str, Any]],
                  weeks: int = WEEKS) -> list[dict[str, Any]]:
    """One row per calendar week (Monday) of the last ``weeks``: migraine days and minutes."""
    if not days:
        return []
    last = date.fromisoformat(days[-1]["date"])
    first = last - timedelta(days=7 * weeks - 1)
    monday0 = first - timedelta(days=first.weekday())
    rows = {(monday0 + timedelta(weeks=i)).isoformat(): {"migraine_days": 0, "minutes": 0}
            for i in range((last - monday0).days // 7 + 1)}
    for d in days:
        day = date.fromisoformat(d["date"])
        if day >= first and d.get("covered") and d.get("migraine_day"):
            rows[(day - timedelta(days=day.weekday())).isoformat()]["migraine_days"] += 1
    for w in weekly:
        if w["week"] in rows:
            rows[w["week"]]["minutes"] = w["minutes"]
    return [{"week": k, "label": _label(k), **v} for k, v in rows.items()]


def _label(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%b %Y')}"


def practice_chart(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The chart's spec, or None when the patient logged no practice."""
    practice = (report.get("clinical") or {}).get("practice")
    if not practice or not practice.get("entries"):
        return None
    rows = practice_rows(report.get("days") or [], practice.get("weekly_minutes") or [])
    return cached_spec(_practice_layers, (), practice_weeks=rows)


def _practice_layers() -> alt.TopLevelMixin:
    """Bars (migraine days, left axis) and a line (practice minutes, right axis)."""
    x = alt.X("week:T", title=None, scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%b", tickCount="month"))
    tooltip = [alt.Tooltip("label:N", title="Week of"),
               alt.Tooltip("migraine_days:Q", title="Migraine days"),
               alt.Tooltip("minutes:Q", title="Practice minutes")]
    base = alt.Chart(alt.Data(name="practice_weeks"))
    bars = base.mark_bar(color=MIGRAINE_COLOUR, opacity=0.55).encode(
        x=x, y=alt.Y("migraine_days:Q", title="Migraine days per week",
                     scale=alt.Scale(domainMin=0)), tooltip=tooltip)
    line = base.mark_line(color=PRACTICE_COLOUR, point=True, strokeWidth=2.5).encode(
        x=x, y=alt.Y("minutes:Q", title="Practice minutes per week",
                     axis=alt.Axis(orient="right", titleColor=PRACTICE_COLOUR)),
        tooltip=tooltip)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(
        width=WIDTH, height=180, title="Migraine days and practice per week")
