"""The chart specs' JSON text: what a <script type="application/json"> block may hold."""

from __future__ import annotations

import json

import numpy as np

from web.chart_specs import script_json
from web.charts import pressure_chart


def test_a_row_cannot_close_the_script_block_and_the_text_reads_back():
    spec = {"datasets": {"notes": [{"text": "</script><script>alert(1)</script>"}]},
            "n": np.int64(3), "p": np.float64(1013.25)}
    text = script_json(spec)
    assert "</" not in text
    assert json.loads(text) == {"datasets": {"notes": [
        {"text": "</script><script>alert(1)</script>"}]}, "n": 3, "p": 1013.25}


def test_a_pressure_chart_round_trips_with_its_rows():
    hours = [("2026-01-01T00:00:00+00:00", 1013.25), ("2026-01-01T01:00:00+00:00", 1012.5)]
    spec = pressure_chart(hours, [{"start": "2026-01-01T00:30:00+00:00", "kind": "migraine"}],
                          ["2026-01-01"], "hPa", {})
    again = json.loads(script_json(spec))
    assert again["datasets"]["pressure"] == [{"t": hours[0][0], "p": 1013.2},
                                             {"t": hours[1][0], "p": 1012.5}]
    assert again["$schema"] == spec["$schema"]
