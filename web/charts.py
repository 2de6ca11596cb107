"""Altair chart specs for the dashboards; each returns a Vega-Lite dict for vega-embed.

Colours come from the Okabe-Ito palette, which stays distinct for the common forms of colour
blindness; every chart also has its numbers in a table on the page (its text alternative).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import altair as alt
import numpy as np

from weather.station_csv import UNIT_TO_HPA
from web.chart_specs import WIDTH, cached_spec, spec_with_rows

#: Day classes and their colours (Okabe-Ito: vermillion, blue, grey; light grey for none).
DAY_CLASSES = {
    "weather_linked": ("Weather-linked migraine day", "#D55E00"),
    "non_weather": ("Non-weather migraine day", "#0072B2"),
    "unclassified": ("Unclassified migraine day", "#999999"),
    "none": ("No migraine", "#EEEEEE"),
}
PERIOD_LABELS = {"baseline": "Before", "treatment": "During", "followup": "After"}
def day_class(day: Mapping[str, Any]) -> str:
    """Return the calendar class of one report day."""
    if not day.get("migraine_day"):
        return "none"
    return day.get("classification") or "unclassified"


#: Period colours of the calendar's strip (light Okabe-Ito sky blue, orange, bluish green)
#: and the label written on each.
PERIOD_COLOURS = {"Before": "#A8D8F4", "During (course)": "#F3CF80", "After": "#80CEB9"}
PERIOD_SHORT = {"Before": "Before", "During (course)": "Course", "After": "After"}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
#: The calendar's row for the period strip (below Sunday).
PERIOD_ROW = "Period"


def _calendar_rows(days: Sequence[Mapping[str, Any]], first: date,
                   monday0: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(day squares, period strip) rows of the calendar from ``first`` on."""
    squares, strip = [], []
    for d in days:
        day = date.fromisoformat(d["date"])
        if day < first:
            continue
        week = (day - monday0).days // 7
        period = PERIOD_LABELS.get(d.get("period") or "", "Outside")
        squares.append({
            "date": d["date"], "week": week, "row": day.strftime("%a"),
            "class": DAY_CLASSES[day_class(d)][0], "period": period,
            "pressure_fall_day": bool(d.get("window")),
        })
        if period != "Outside":
            label = "During (course)" if period == "During" else period
            first_day = not strip or strip[-1]["period"] != label
            strip.append({"date": d["date"], "week": week, "dow": day.weekday(),
                          "row": PERIOD_ROW, "period": label, "first": first_day,
                          "short": PERIOD_SHORT[label]})
    return squares, strip


def _month_rows(first: date, last: date, monday0: date) -> list[dict[str, Any]]:
    """One label per month, at the week column holding its first day (or the first shown)."""
    rows, day = [], first
    while day <= last:
        rows.append({"week": (day - monday0).days // 7, "month": day.strftime("%b")})
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return rows


def calendar_chart(days: Sequence[Mapping[str, Any]], weeks: int = 26) -> dict[str, Any]:
    """A calendar of the last ``weeks`` weeks: one square per day, coloured by class, with
    month labels above and a strip below marking the periods before, during and after."""
    if not days:
        return spec_with_rows(alt.Chart(alt.Data(name="calendar")).mark_rect(), calendar=[])
    last = date.fromisoformat(days[-1]["date"])
    first = last - timedelta(days=7 * weeks - 1)
    monday0 = first - timedelta(days=first.weekday())
    squares, strip = _calendar_rows(days, first, monday0)
    return cached_spec(_calendar_layers, (), calendar=squares, strip=strip,
                       months=_month_rows(first, last, monday0))


def _calendar_layers() -> alt.TopLevelMixin:
    """The calendar's layers (rows come as the datasets calendar, strip and months)."""
    x = alt.X("week:O", title=None, axis=None, scale=alt.Scale(paddingInner=0))
    y = alt.Y("row:O", title=None, sort=[*WEEKDAYS, PERIOD_ROW],
              scale=alt.Scale(domain=[*WEEKDAYS, PERIOD_ROW]),
              axis=alt.Axis(ticks=False, domain=False))
    domain = [v[0] for v in DAY_CLASSES.values()]
    colours = [v[1] for v in DAY_CLASSES.values()]
    cells = alt.Chart(alt.Data(name="calendar")).mark_rect(
        stroke="white", strokeWidth=1.5, cornerRadius=2
    ).encode(
        x=x, y=y,
        color=alt.Color("class:N", scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(title=None, orient="bottom", columns=2,
                                          labelLimit=170)),
        tooltip=[alt.Tooltip("date:N", title="Date"), alt.Tooltip("class:N", title="Day"),
                 alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("pressure_fall_day:N", title="Pressure-fall window")],
    )
    # the strip is labelled in place (no second legend: a phone has no room beside the first)
    strip_scale = alt.Scale(domain=list(PERIOD_COLOURS), range=list(PERIOD_COLOURS.values()))
    offset = alt.XOffset("dow:O", scale=alt.Scale(domain=list(range(7)), paddingInner=0))
    bands = alt.Chart(alt.Data(name="strip")).mark_rect(height={"band": 0.7}).encode(
        x=x, y=y, xOffset=offset,
        fill=alt.Fill("period:N", scale=strip_scale, legend=None),
        tooltip=[alt.Tooltip("date:N", title="Date"), alt.Tooltip("period:N", title="Period")],
    )
    labels = alt.Chart(alt.Data(name="strip")).transform_filter("datum.first").mark_text(
        align="left", baseline="middle", dx=2, fontSize=10, fontWeight="bold", color="#1d2430"
    ).encode(x=x, y=alt.Y("row:O", sort=[*WEEKDAYS, PERIOD_ROW], bandPosition=0.5),
             xOffset=offset, text="short:N")
    months = alt.Chart(alt.Data(name="months")).mark_text(
        align="left", baseline="bottom", dy=-3, fontSize=11, color="#4a5260"
    ).encode(x=alt.X("week:O", title=None, axis=None, scale=alt.Scale(paddingInner=0),
                     bandPosition=0),
             y=alt.value(0), text="month:N")
    return alt.layer(cells, bands, labels, months).properties(
        width=WIDTH, height=170, title="Migraine days, last six months")


def convert_hpa(value_hpa: float, unit: str) -> float:
    """Convert a pressure from hPa to ``unit`` (hPa, inHg, mmHg or kPa)."""
    return value_hpa / UNIT_TO_HPA[unit.lower()]


def pressure_chart(
    hours: Iterable[tuple[str, float]],
    attacks: Iterable[Mapping[str, Any]],
    fall_days: Iterable[str],
    unit: str,
    periods: Mapping[str, Mapping[str, Any]],
    window: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Hourly pressure in the patient's unit, with pressure-fall days shaded and attacks marked.

    ``hours`` are (ISO instant, hPa); ``attacks`` have ``start`` (ISO) and ``kind``;
    ``fall_days`` are ISO dates whose weather window is true. ``window`` (first and last ISO
    day) zooms the time axis to one period. Drag to pan or scroll to zoom.
    """
    digits = 2 if unit.lower() in ("inhg", "kpa") else 1
    pairs = list(hours)  # thousands: converted and rounded by numpy at once
    values = np.round(np.array([v for _, v in pairs], dtype=np.float64)
                      / UNIT_TO_HPA[unit.lower()], digits).tolist()
    line_rows = [{"t": t, "p": p} for (t, _), p in zip(pairs, values, strict=True)]
    shade_rows = [{"start": d, "end": (date.fromisoformat(d) + timedelta(days=1)).isoformat()}
                  for d in fall_days]
    attack_rows = [{"t": a["start"], "kind": a["kind"]} for a in attacks]
    period_rows = [
        {"start": p["start"], "end": p["end"], "label": PERIOD_LABELS[name]}
        for name, p in periods.items() if p.get("start") and p.get("end")
    ]
    return cached_spec(_pressure_layers, (unit, window), falls=shade_rows, pressure=line_rows,
                       attacks=attack_rows, periods=period_rows)


def _pressure_layers(unit: str, window: tuple[str, str] | None) -> alt.TopLevelMixin:
    """The pressure timeline's layers (rows: falls, pressure, attacks, periods)."""
    zoom = alt.selection_interval(bind="scales", encodings=["x"], name="zoom")
    scale = alt.Scale()
    if window is not None:
        end = (date.fromisoformat(window[1]) + timedelta(days=1)).isoformat()
        scale = alt.Scale(domain=[window[0], end])
    x = alt.X("t:T", title=None, scale=scale)
    base_shade = alt.Chart(alt.Data(name="falls")).mark_rect(
        color="#F0E442", opacity=0.55, clip=True
    ).encode(x=alt.X("start:T", scale=scale), x2="end:T")
    line = (
        alt.Chart(alt.Data(name="pressure"))
        .mark_line(color="#333333", strokeWidth=1, clip=True)
        .encode(x=x, y=alt.Y("p:Q", title=f"Pressure ({unit})", scale=alt.Scale(zero=False)),
                tooltip=[alt.Tooltip("t:T", title="Time", format="%d %b %H:%M"),
                         alt.Tooltip("p:Q", title=unit)])
        .add_params(zoom)
    )
    attacks_layer = (
        alt.Chart(alt.Data(name="attacks"))
        .mark_rule(strokeWidth=1.5, clip=True)
        .encode(
            x=alt.X("t:T"),
            color=alt.Color("kind:N", title="Attack",
                            scale=alt.Scale(domain=["migraine", "headache"],
                                            range=["#CC79A7", "#009E73"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("t:T", title="Attack began", format="%d %b %H:%M"),
                     alt.Tooltip("kind:N", title="Kind")],
        )
    )
    period_layer = (
        alt.Chart(alt.Data(name="periods"))
        .mark_text(align="left", baseline="top", dy=2, dx=3, color="#555555", fontSize=11,
                   clip=True)
        .encode(x=alt.X("start:T"), y=alt.value(0), text="label:N")
    )
    period_rules = alt.Chart(alt.Data(name="periods")).mark_rule(
        color="#777777", strokeDash=[4, 3], clip=True
    ).encode(x=alt.X("start:T"))
    return alt.layer(base_shade, line, attacks_layer, period_rules, period_layer).properties(
        width=WIDTH, height=260,
        title="Pressure (yellow: pressure-fall days) and attacks; drag to pan, scroll to zoom",
    )


def daily_fall_chart(
    days: Sequence[Mapping[str, Any]],
    attacks: Iterable[Mapping[str, Any]],
    unit: str,
    threshold_hpa: float,
) -> dict[str, Any]:
    """The phone's pressure timeline: each day's largest 24-hour fall as a bar (in the
    patient's unit; orange from the pressure-fall threshold on), attack days marked."""
    digits = 2 if unit.lower() in ("inhg", "kpa") else 1
    fall_label = f"Fall of {convert_hpa(threshold_hpa, unit):.{digits}f} {unit} or more"
    # a day whose pressure only rose has no fall: its bar is 0, not negative
    bars = [{"date": d["date"],
             "fall": round(convert_hpa(max(0.0, d["max_fall_24h_hpa"]), unit), digits),
             "kind": fall_label if d["max_fall_24h_hpa"] >= threshold_hpa else "Smaller fall",
             "period": PERIOD_LABELS.get(d.get("period") or "", "Outside")}
            for d in days if d.get("max_fall_24h_hpa") is not None]
    attack_rows = [{"date": a["start"][:10], "kind": a["kind"]} for a in attacks]
    return cached_spec(_fall_layers, (unit, fall_label), falls=bars, attacks=attack_rows)


def _fall_layers(unit: str, fall_label: str) -> alt.TopLevelMixin:
    """The phone timeline's layers (rows: falls, attacks)."""
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b", tickCount="month"))
    falls = alt.Chart(alt.Data(name="falls")).mark_bar(clip=True).encode(
        x=x, y=alt.Y("fall:Q", title=f"Largest fall ({unit})"),
        color=alt.Color("kind:N", title=None,
                        scale=alt.Scale(domain=[fall_label, "Smaller fall"],
                                        range=["#E69F00", "#BBBBBB"]),
                        legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=[alt.Tooltip("date:T", title="Day", format="%d %b %Y"),
                 alt.Tooltip("fall:Q", title=f"Largest 24-hour fall ({unit})"),
                 alt.Tooltip("period:N", title="Period")],
    )
    marks = alt.Chart(alt.Data(name="attacks")).mark_tick(
        orient="vertical", thickness=2, size=10
    ).encode(
        x=alt.X("date:T"), y=alt.value(5),
        stroke=alt.Stroke("kind:N", title="Attack",
                          scale=alt.Scale(domain=["migraine", "headache"],
                                          range=["#CC79A7", "#009E73"]),
                          legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("date:T", title="Attack began", format="%d %b"),
                 alt.Tooltip("kind:N", title="Kind")],
    )
    return alt.layer(falls, marks).properties(
        width=WIDTH, height=200,
        title={"text": ["Largest pressure fall each day;", "ticks at the top: attacks"],
               "anchor": "start"},
    )


def period_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Weather-linked and non-weather migraine days per 28 days for each period."""
    rows = []
    for name, label in PERIOD_LABELS.items():
        period = report["periods"][name]
        for key, kind in (("weather_linked_mmd", "Weather-linked"),
                          ("non_weather_mmd", "Non-weather")):
            if period.get(key) is not None:
                rows.append({"period": label, "kind": kind, "per28": round(period[key], 2),
                             "days": period["covered_days"]})
    return rows


def period_bars(report: Mapping[str, Any]) -> dict[str, Any]:
    """Before / during / after bars of weather-linked and non-weather migraine days per 28."""
    return cached_spec(_period_layers, (), periods=period_rows(report))


def _period_layers() -> alt.TopLevelMixin:
    """The period bars (rows: periods)."""
    return (
        alt.Chart(alt.Data(name="periods"))
        .mark_bar()
        .encode(
            x=alt.X("period:N", title=None, sort=list(PERIOD_LABELS.values()),
                    axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("kind:N", sort=["Weather-linked", "Non-weather"]),
            y=alt.Y("per28:Q", title="Migraine days per 28 days"),
            color=alt.Color("kind:N", title=None,
                            scale=alt.Scale(domain=["Weather-linked", "Non-weather"],
                                            range=["#D55E00", "#0072B2"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("kind:N"),
                     alt.Tooltip("per28:Q", title="Days per 28"),
                     alt.Tooltip("days:Q", title="Diary days")],
        )
        .properties(width=WIDTH, height=220, title="Migraine days per 28 days by period")
    )


#: Forest plot row kinds and their colours (Okabe-Ito blue, vermillion, orange).
FOREST_KINDS = {"patient": "#0072B2", "pooled": "#D55E00", "prediction": "#E69F00"}


def _positive(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x > 0


def forest_rows(cohort: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per patient with an exact interval, the pooled estimate and the prediction.

    Every patient whose sensitivity ratio has any bound is listed; ``plotted`` says whether
    its estimate and both bounds are positive and finite (a log axis shows nothing else).
    """
    rows = []
    for r in cohort["rows"]:
        sr = r["sensitivity_ratio"]
        if sr.get("ci_low") is None and sr.get("ci_high") is None:
            continue
        rows.append({"label": r["label"], "estimate": sr["estimate"], "low": sr["ci_low"],
                     "high": sr["ci_high"], "kind": "patient",
                     "plotted": all(_positive(sr[k]) for k in ("estimate", "ci_low", "ci_high"))})
    pooled = cohort["pooled_sensitivity_ratio"]
    if pooled.get("estimate") is not None or pooled.get("ci_high") is not None:
        rows.append({"label": "Pooled (random-effects model)", "estimate": pooled["estimate"],
                     "low": pooled["ci_low"], "high": pooled["ci_high"], "kind": "pooled",
                     "plotted": all(_positive(pooled[k])
                                    for k in ("estimate", "ci_low", "ci_high"))})
    pred = pooled.get("prediction_interval") or {}
    if _positive(pred.get("low")) and _positive(pred.get("high")):
        rows.append({"label": "Prediction for a new patient", "estimate": None,
                     "low": pred["low"], "high": pred["high"], "kind": "prediction",
                     "plotted": True})
    return rows


def forest_plot(cohort: Mapping[str, Any]) -> dict[str, Any]:
    """Forest plot: each patient's exact interval, the pooled diamond and the prediction
    interval (log scale, 1 = no change) (DESIGN A5, A6)."""
    rows = [r for r in forest_rows(cohort) if r["plotted"]]
    order = [r["label"] for r in rows]
    base = alt.Chart(alt.Data(name="forest")).encode(
        y=alt.Y("label:N", title=None, sort=order),
    )
    # the axis spans the patients' and the pooled intervals; a wider prediction is clipped
    ends = [v for r in rows if r["kind"] != "prediction" for v in (r["low"], r["high"])]
    scale = (alt.Scale(type="log", domain=[min(ends) / 1.5, max(ends) * 1.5]) if ends
             else alt.Scale(type="log"))
    kinds = alt.Scale(domain=list(FOREST_KINDS), range=list(FOREST_KINDS.values()))
    bars = base.mark_rule(strokeWidth=2, clip=True).encode(
        x=alt.X("low:Q", scale=scale, title="Sensitivity ratio (after / before), log scale"),
        x2="high:Q",
        color=alt.Color("kind:N", scale=kinds, legend=None),
        strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(
            domain=list(FOREST_KINDS), range=[[1, 0], [1, 0], [5, 3]]), legend=None),
    )
    points = base.transform_filter("datum.estimate != null").mark_point(
        filled=True, size=70
    ).encode(
        x=alt.X("estimate:Q", scale=scale),
        color=alt.Color("kind:N", scale=kinds, legend=None),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=["patient", "pooled", "prediction"],
                                                  range=["circle", "diamond", "circle"]),
                        legend=None),
        size=alt.Size("kind:N", scale=alt.Scale(domain=["patient", "pooled", "prediction"],
                                                range=[60, 220, 0]), legend=None),
        tooltip=[alt.Tooltip("label:N", title="Row"),
                 alt.Tooltip("estimate:Q", format=".2f", title="Ratio"),
                 alt.Tooltip("low:Q", format=".2f", title="95% interval from"),
                 alt.Tooltip("high:Q", format=".2f", title="to")],
    )
    one = alt.Chart(alt.Data(name="one")).mark_rule(
        color="#777777", strokeDash=[4, 3]
    ).encode(x="x:Q")
    chart = alt.layer(bars, points, one).properties(
        width=WIDTH, height=max(80, 28 * len(rows)),
        title="Change in weather sensitivity (below 1: the link with pressure falls weakened)",
    )
    return spec_with_rows(chart, forest=rows, one=[{"x": 1}])
