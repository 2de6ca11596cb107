"""How a chart becomes a Vega-Lite spec and then the text of its <script> block.

Altair builds each chart's layers once per key (it is slow: about a second when thousands of
rows pass through it); the rows are attached afterwards as named ``datasets``. Every chart
module (web.charts, web.practice_chart) goes through here, and every page turns specs into
text with :func:`script_json`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import altair as alt
import orjson

#: Charts fill their container's width (phones never scroll sideways).
WIDTH = "container"


def spec_with_rows(chart: alt.TopLevelMixin, **datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the Vega-Lite dict with its rows as named ``datasets``, attached after Altair
    built the spec; axes and legends fit inside the container's width."""
    spec = chart.to_dict(validate=False)
    spec["datasets"] = datasets
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


_skeleton = functools.lru_cache(maxsize=64)(
    lambda build, *key: orjson.dumps(spec_with_rows(build(*key))))


def cached_spec(build: Callable[..., alt.TopLevelMixin], key: tuple[Any, ...],
                **datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy of ``build(*key)``'s spec (built once per key) with these rows."""
    return {**orjson.loads(_skeleton(build, *key)), "datasets": datasets}


def script_json(spec: Mapping[str, Any]) -> str:
    """A spec as JSON text for a <script type="application/json"> block ("</" escaped).

    orjson, not json: a dashboard's specs carry thousands of rows, and encoding them was a
    quarter of the page's server time (issue #17). A NaN, which no spec should hold, becomes
    null (json.dumps(allow_nan=False) raised instead).
    """
    return orjson.dumps(spec, option=orjson.OPT_SERIALIZE_NUMPY).decode().replace("</", "<\\/")
