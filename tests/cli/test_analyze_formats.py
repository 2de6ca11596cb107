"""`analyze`: the three output formats, --days, --output, and errors naming what is wrong."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import numpy as np
from click.testing import CliRunner

from cli.main import main
from correlation.simulate import DEMO_PATIENTS


def _files(tmp_path):
    sim = DEMO_PATIENTS[0].simulate(date(2026, 9, 30), days=270, timezone="Europe/Oslo")
    attacks = tmp_path / "attacks.csv"
    attacks.write_text("started_at,ended_at,kind\n" + "".join(
        f"{a.started_at.isoformat()},{a.ended_at.isoformat()},{a.kind}\n" for a in sim.attacks))
    pressure = tmp_path / "pressure.csv"
    pressure.write_text("observed_at,surface_pressure_hpa\n" + "".join(
        f"{(sim.pressure_start + timedelta(hours=i)).isoformat()},"
        f"{'' if np.isnan(v) else v}\n" for i, v in enumerate(sim.pressure_hpa)))
    args = ["analyze", "--attacks", str(attacks), "--pressure", str(pressure),
            "--timezone", "Europe/Oslo", "--course-start", sim.course.started_on.isoformat(),
            "--course-end", sim.course.ended_on.isoformat(),
            "--tracking-start", sim.tracking_start.isoformat()]
    return sim, args


def test_formats(tmp_path):
    sim, args = _files(tmp_path)
    runner = CliRunner()
    plain = json.loads(runner.invoke(main, args).output)
    assert "days" not in plain and plain["schema"] == "migraine-weather/report/v2"
    assert plain["findings"][0]["code"] == DEMO_PATIENTS[0].expected_verdict
    with_days = json.loads(runner.invoke(main, [*args, "--days"]).output)
    assert len(with_days["days"]) == (sim.report_date - sim.tracking_start).days + 1
    text = runner.invoke(main, [*args, "--format", "text"]).output
    assert "not medical advice" in text.lower() and "Baseline" in text
    out = tmp_path / "daily.csv"
    result = runner.invoke(main, [*args, "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(with_days["days"])
    assert rows[0].keys() == with_days["days"][0].keys()


def test_errors_name_the_problem(tmp_path):
    _, args = _files(tmp_path)
    runner = CliRunner()
    bad_tz = [a if a != "Europe/Oslo" else "Europe/Nowhere" for a in args]
    result = runner.invoke(main, bad_tz)
    assert result.exit_code != 0 and "timezone" in result.output
    (tmp_path / "attacks.csv").write_text("started_at,kind\nnot-a-time,migraine\n")
    result = runner.invoke(main, args)
    assert result.exit_code != 0 and "line 2: started_at" in result.output
    cfg = tmp_path / "method.toml"
    cfg.write_text("[analysis]\nthreshold = 3\n")
    result = runner.invoke(main, [*args, "--config", str(cfg)])
    assert result.exit_code != 0 and "threshold" in result.output
